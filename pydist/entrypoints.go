package pydist

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// A wheel's {name}-{version}.dist-info/entry_points.txt is read by PyPI
// (warehouse/utils/wheel.py validate_entrypoints) and by every installer
// with Python's configparser: PyPI refuses the wheel when the file is not
// UTF-8, is not an INI file that a strict, case-sensitive ConfigParser
// with "=" as the only delimiter reads, or names a console or GUI script
// with anything but word characters, "." and "-" (so that a script name
// cannot be a path such as "../x"). checkEntryPoints is that rule; the
// parse follows configparser's RawConfigParser._read (Python 3.11–3.13)
// line by line, and the oracle test runs Debian's Python on the same input.

// EntryPointsError is why an entry_points.txt is refused, with the line
// (1-based, 0 when it concerns the whole file) where configparser stops.
type EntryPointsError struct {
	Line   int
	Reason string
}

// Error implements error.
func (e *EntryPointsError) Error() string { return atLine("", e.Line, e.Reason) }

// scriptSections are the groups whose names become files on install.
var scriptSections = []string{"console_scripts", "gui_scripts"}

// checkEntryPoints returns nil if b is an entry_points.txt PyPI accepts,
// else an *EntryPointsError saying what to fix.
func checkEntryPoints(b []byte) error {
	if !utf8.Valid(b) {
		return &EntryPointsError{Reason: "entry_points.txt is not decodable as UTF-8"}
	}
	type key struct{ section, option string }
	const defaultSection = "DEFAULT"
	sections := map[string][]string{} // section -> option names, in order
	var defaults []string
	added := map[key]bool{}        // options read (strict: no duplicates)
	seen := map[string]bool{}      // sections read (strict: no duplicates)
	var parseErr *EntryPointsError // configparser reports it after the last line
	section, inSection := "", false
	option := "" // the option a more indented line continues; "" none
	indent := 0
	// One line at a time, never a slice of every line: a small wheel may
	// hold megabytes of newlines, and the index reads every upload's file.
	rest := string(b)
	for lineno := 1; rest != ""; lineno++ {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		value := pyStrip(line)
		if value == "" || strings.HasPrefix(value, "#") || strings.HasPrefix(value, ";") {
			continue // blank lines and comments neither end nor start a value
		}
		cur := leadingSpace(line)
		if inSection && option != "" && cur > indent {
			continue // a continuation line: part of option's value
		}
		indent = cur
		if header, ok := sectionHeader(value); ok {
			switch {
			case header == defaultSection:
			case seen[header]:
				return &EntryPointsError{lineno, fmt.Sprintf("section %s appears twice; merge the two", pyQuote(header))}
			default:
				seen[header] = true
				if _, ok := sections[header]; !ok {
					sections[header] = nil
				}
			}
			section, inSection, option = header, true, ""
			continue
		}
		if !inSection {
			return &EntryPointsError{lineno, fmt.Sprintf("%s comes before any [section] header; start the file with a group such as [console_scripts]", pyQuote(value))}
		}
		eq := strings.IndexByte(value, '=')
		if eq < 0 {
			if parseErr == nil {
				parseErr = &EntryPointsError{lineno, fmt.Sprintf("%s is not 'name = object reference' (configparser takes only '=' as the delimiter)", pyQuote(value))}
			}
			continue
		}
		name := strings.TrimRightFunc(value[:eq], isPySpace)
		if name == "" && parseErr == nil {
			parseErr = &EntryPointsError{lineno, fmt.Sprintf("%s has no name before '='", pyQuote(value))}
		}
		k := key{section, name}
		if added[k] {
			return &EntryPointsError{lineno, fmt.Sprintf("%s is defined twice in section %s; keep one", pyQuote(name), pyQuote(section))}
		}
		added[k] = true
		if section == defaultSection {
			defaults = append(defaults, name)
		} else {
			sections[section] = append(sections[section], name)
		}
		option = name
	}
	if parseErr != nil {
		return parseErr
	}
	for _, s := range scriptSections {
		names, ok := sections[s]
		if !ok {
			continue
		}
		// configparser lists the DEFAULT section's options in every section.
		for _, name := range append(names, defaults...) {
			if !validEntryPointName(name) {
				return &EntryPointsError{Reason: fmt.Sprintf("Invalid entry point name %s in %s: a script name may hold only letters, digits, '_', '.' and '-'", pyQuote(name), pyQuote(s))}
			}
		}
	}
	return nil
}

// sectionHeader is configparser's SECTCRE, \[(?P<header>.+)\], matched at
// the start of the stripped line: the header runs to the last "]".
func sectionHeader(value string) (string, bool) {
	if !strings.HasPrefix(value, "[") {
		return "", false
	}
	end := strings.LastIndexByte(value, ']')
	if end < 2 {
		return "", false
	}
	return value[1:end], true
}

// leadingSpace is the index, in characters, of the line's first
// non-whitespace character (configparser's indent level).
func leadingSpace(line string) int {
	n := 0
	for _, r := range line {
		if !isPySpace(r) {
			return n
		}
		n++
	}
	return 0
}

// validEntryPointName is Warehouse's [\w.-]+ (Python's \w: letters,
// numbers and "_").
func validEntryPointName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '_' && r != '.' && r != '-' {
			return false
		}
	}
	return true
}

// pyQuote quotes s for a message as Python's repr() does, control
// characters escaped.
func pyQuote(s string) string { return pyrepr.Str(truncate(s, 80)) }
