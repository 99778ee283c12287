package pydist

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file parses version specifiers (PEP 440), dependency specifiers
// (PEP 508) and environment markers with the grammar and the tokens of the
// packaging library (packaging/_tokenizer.py and _parser.py), which is what
// PyPI runs on Requires-Python, Requires-Dist, Provides-Dist and
// Obsoletes-Dist: a value is accepted here exactly when packaging accepts it.
// Only syntax is checked; markers are not evaluated.

// Requirement is a parsed dependency specifier ("name[extras] specs; marker").
type Requirement struct {
	Name      string   // as written
	Extras    []string // as written
	Specifier string   // the specifiers joined with ',' without spaces, or ""
	URL       string   // the direct reference after '@', or ""
	Marker    string   // the marker text after ';', trimmed, or ""
}

// RequirementError is a syntax error in a specifier, requirement or marker.
type RequirementError struct {
	Input string
	Pos   int // byte offset of the error in Input
	Msg   string
}

// Error implements error.
func (e *RequirementError) Error() string {
	return fmt.Sprintf("%s at position %d of %q", e.Msg, e.Pos, truncate(e.Input, 200))
}

// Regular expressions of packaging's specifier grammar. They are matched on
// a "view" of the input (see pyView) in which every Python whitespace
// character beyond [\t\n\f\r ] is \x0b and every other non-ASCII byte is
// \x01, so that the ASCII-only parts match as Python's (?a:...) groups do
// and `\s` matches what Python's Unicode `\s` does.
const (
	pyS      = `[\s\x0b]`
	relStr   = `v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*`
	preStr   = `(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`
	postStr  = `(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?`
	devStr   = `(?:[-_.]?dev[-_.]?[0-9]*)?`
	localStr = `(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`
	specStr  = `(?:===` + pyS + `*[^\s\x0b;)]*` +
		`|(?:==|!=)` + pyS + `*` + relStr + `(?:\.\*|` + preStr + postStr + devStr + localStr + `)?` +
		`|~=` + pyS + `*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+` + preStr + postStr + devStr +
		`|(?:<=|>=|<|>)` + pyS + `*` + relStr + preStr + postStr + devStr + `)`
)

var (
	specifierFull = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^` + pyS + `*` + specStr + pyS + `*$`) })
	tokSpecifier  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^` + specStr) })
	tokQuoted     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:'[^']*'|"[^"]*")`) })
	tokOp         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:===|==|~=|!=|<=|>=|<|>)`) })
	tokBoolOp     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:or|and)\b`) })
	tokIn         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^in\b`) })
	tokNot        = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^not\b`) })
	tokVariable   = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)|platform[._](?:version|machine|python_implementation)|python_implementation|implementation_(?:name|version)|extras?|dependency_groups)\b`)
	})
	tokURL        = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[^ \t]+`) })
	tokIdentifier = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*\b`) })
	tokWS         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[ \t]+`) })
	tokPrefixTail = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\.\*`) })
	tokLocalTail  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+[a-z0-9]+(?:[-_.][a-z0-9]+)*`) })
)

// pyView maps s to a string of the same length for matching: Python
// whitespace beyond ASCII's [\t\n\f\r ] becomes \x0b, other non-ASCII
// bytes \x01.
func pyView(s string) string {
	b := []byte(s)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		c := byte(0)
		switch {
		case r == '\v' || (r >= 0x1c && r <= 0x1f):
			c = 0x0b
		case r < utf8.RuneSelf:
		case isPySpace(r):
			c = 0x0b
		default:
			c = 0x01
		}
		if c != 0 {
			for j := i; j < i+n; j++ {
				b[j] = c
			}
		}
		i += n
	}
	return string(b)
}

// isPySpace is Python's str.isspace for one character: ASCII white space,
// the information separators U+001C–U+001F, and Unicode's spaces.
func isPySpace(r rune) bool {
	switch r {
	case ' ', 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f) || (r >= 0x2000 && r <= 0x200a)
}

// pyStrip is Python's str.strip().
func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// ParseSpecifierSet checks a comma-separated list of version specifiers
// (">=3.9, <4", "~=1.2", "==1.*", "") as packaging.specifiers.SpecifierSet
// does and returns its canonical form: the specifiers without whitespace,
// joined by ','. An empty set is valid (and gives "").
func ParseSpecifierSet(s string) (string, error) {
	var out []string
	off := 0
	for _, part := range strings.Split(s, ",") {
		p := pyStrip(part)
		if p != "" {
			if !specifierFull().MatchString(pyView(part)) {
				return "", &RequirementError{Input: s, Pos: off, Msg: fmt.Sprintf("invalid specifier %q", p)}
			}
			out = append(out, canonicalSpecifier(p))
		}
		off += len(part) + 1
	}
	// str(SpecifierSet) is sorted and a set.
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ","), nil
}

// canonicalSpecifier removes the whitespace between operator and version.
func canonicalSpecifier(p string) string {
	i := 0
	for i < len(p) && strings.IndexByte("=!~<>", p[i]) >= 0 {
		i++
	}
	return p[:i] + pyStrip(p[i:])
}

// reqParser is packaging's tokenizer and recursive descent parser.
type reqParser struct {
	src, view string
	pos       int
}

func (p *reqParser) fail(pos int, format string, a ...any) error {
	return &RequirementError{Input: p.src, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

// match returns the length of re's match at the position, or -1. A rule
// that starts with a word boundary in packaging needs a non-word byte (or
// nothing) before the position.
func (p *reqParser) match(re *regexp.Regexp, boundary bool) int {
	if boundary && p.pos > 0 && isWordByte(p.view[p.pos-1]) {
		return -1
	}
	loc := re.FindStringIndex(p.view[p.pos:])
	if loc == nil {
		return -1
	}
	return loc[1]
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// take consumes re's match and returns its text, or ok=false.
func (p *reqParser) take(re *regexp.Regexp, boundary bool) (string, bool) {
	n := p.match(re, boundary)
	if n < 0 {
		return "", false
	}
	t := p.src[p.pos : p.pos+n]
	p.pos += n
	return t, true
}

func (p *reqParser) ws() { p.take(tokWS(), false) }

func (p *reqParser) end() bool { return p.pos == len(p.src) }

func (p *reqParser) lit(c byte) bool {
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *reqParser) peekByte(c byte) bool { return p.pos < len(p.src) && p.src[p.pos] == c }

// ParseRequirement parses a PEP 508 dependency specifier as
// packaging.requirements.Requirement does.
func ParseRequirement(s string) (Requirement, error) {
	p := &reqParser{src: s, view: pyView(s)}
	var r Requirement
	p.ws()
	name, ok := p.take(tokIdentifier(), true)
	if !ok {
		return r, p.fail(p.pos, "Expected package name at the start of dependency specifier")
	}
	r.Name = name
	p.ws()
	extras, err := p.extras()
	if err != nil {
		return r, err
	}
	r.Extras = extras
	p.ws()
	if err := p.details(&r); err != nil {
		return r, err
	}
	if !p.end() {
		return r, p.fail(p.pos, "Expected end of dependency specifier")
	}
	return r, nil
}

func (p *reqParser) extras() ([]string, error) {
	if !p.peekByte('[') {
		return nil, nil
	}
	open := p.pos
	p.pos++
	p.ws()
	var out []string
	if id, ok := p.take(tokIdentifier(), true); ok {
		out = append(out, id)
		for {
			p.ws()
			if p.match(tokIdentifier(), true) >= 0 {
				return nil, p.fail(p.pos, "Expected comma between extra names")
			}
			if !p.lit(',') {
				break
			}
			p.ws()
			id, ok := p.take(tokIdentifier(), true)
			if !ok {
				return nil, p.fail(p.pos, "Expected extra name after comma")
			}
			out = append(out, id)
		}
	}
	p.ws()
	if !p.lit(']') {
		return nil, p.fail(open, "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras")
	}
	return out, nil
}

func (p *reqParser) details(r *Requirement) error {
	if p.lit('@') {
		p.ws()
		u, ok := p.take(tokURL(), false)
		if !ok {
			return p.fail(p.pos, "Expected URL after @")
		}
		r.URL = u
		if p.end() {
			return nil
		}
		if _, ok := p.take(tokWS(), false); !ok {
			return p.fail(p.pos, "Expected whitespace after URL")
		}
		if p.end() {
			return nil
		}
		return p.requirementMarker(r, "semicolon (after URL and whitespace)")
	}
	spec, err := p.specifier()
	if err != nil {
		return err
	}
	r.Specifier = spec
	p.ws()
	if p.end() {
		return nil
	}
	expected := "semicolon (after name with no version specifier)"
	if spec != "" {
		expected = "comma (within version specifier), semicolon (after version specifier)"
	}
	return p.requirementMarker(r, expected)
}

func (p *reqParser) requirementMarker(r *Requirement, expected string) error {
	if !p.lit(';') {
		return p.fail(p.pos, "Expected %s or end", expected)
	}
	start := p.pos
	if err := p.marker(); err != nil {
		return err
	}
	p.ws()
	r.Marker = strings.TrimSpace(p.src[start:p.pos])
	return nil
}

func (p *reqParser) specifier() (string, error) {
	open := -1
	if p.peekByte('(') {
		open = p.pos
		p.pos++
	}
	p.ws()
	var specs []string
	for {
		start := p.pos
		t, ok := p.take(tokSpecifier(), false)
		if !ok {
			break
		}
		if p.match(tokPrefixTail(), false) >= 0 {
			msg := ".* suffix can only be used with `==` or `!=` operators"
			if strings.HasPrefix(t, "!=") || (strings.HasPrefix(t, "==") && !strings.HasPrefix(t, "===")) {
				msg = ".* suffix cannot be used with pre-release, post-release, dev or local versions"
			}
			return "", p.fail(start, "%s", msg)
		}
		if p.match(tokLocalTail(), false) >= 0 {
			return "", p.fail(start, "Local version label can only be used with `==` or `!=` operators")
		}
		specs = append(specs, canonicalSpecifier(t))
		p.ws()
		if !p.lit(',') {
			break
		}
		p.ws()
	}
	p.ws()
	if open >= 0 && !p.lit(')') {
		return "", p.fail(open, "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier")
	}
	return strings.Join(specs, ","), nil
}

// ParseMarker parses an environment marker as packaging.markers.Marker does.
func ParseMarker(s string) error {
	p := &reqParser{src: s, view: pyView(s)}
	if err := p.marker(); err != nil {
		return err
	}
	if !p.end() {
		return p.fail(p.pos, "Expected end of marker expression")
	}
	return nil
}

func (p *reqParser) marker() error {
	if err := p.markerAtom(0); err != nil {
		return err
	}
	for {
		if _, ok := p.take(tokBoolOp(), true); !ok {
			return nil
		}
		if err := p.markerAtom(0); err != nil {
			return err
		}
	}
}

// maxMarkerDepth bounds parenthesis nesting, as Python's recursion limit
// does for packaging (which raises RecursionError far earlier than a Go
// stack would overflow).
const maxMarkerDepth = 200

func (p *reqParser) markerAtom(depth int) error {
	p.ws()
	if p.peekByte('(') {
		if depth > maxMarkerDepth {
			return p.fail(p.pos, "marker nested too deeply")
		}
		open := p.pos
		p.pos++
		p.ws()
		if err := p.markerAtom(depth + 1); err != nil {
			return err
		}
		for {
			if _, ok := p.take(tokBoolOp(), true); !ok {
				break
			}
			if err := p.markerAtom(depth + 1); err != nil {
				return err
			}
		}
		p.ws()
		if !p.lit(')') {
			return p.fail(open, "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression")
		}
	} else if err := p.markerItem(); err != nil {
		return err
	}
	p.ws()
	return nil
}

func (p *reqParser) markerItem() error {
	p.ws()
	if err := p.markerVar(); err != nil {
		return err
	}
	p.ws()
	if err := p.markerOp(); err != nil {
		return err
	}
	p.ws()
	if err := p.markerVar(); err != nil {
		return err
	}
	p.ws()
	return nil
}

func (p *reqParser) markerVar() error {
	if _, ok := p.take(tokVariable(), true); ok {
		return nil
	}
	start := p.pos
	if q, ok := p.take(tokQuoted(), false); ok {
		if err := checkPyStringLiteral(q); err != nil {
			return p.fail(start, "Invalid quoted string")
		}
		return nil
	}
	return p.fail(p.pos, "Expected a marker variable or quoted string")
}

func (p *reqParser) markerOp() error {
	if _, ok := p.take(tokIn(), true); ok {
		return nil
	}
	if _, ok := p.take(tokNot(), true); ok {
		p.ws()
		if _, ok := p.take(tokIn(), true); !ok {
			return p.fail(p.pos, "Expected 'in' after 'not'")
		}
		return nil
	}
	if _, ok := p.take(tokOp(), false); ok {
		return nil
	}
	return p.fail(p.pos, "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
}

var errPyString = errors.New("invalid Python string literal")

// checkPyStringLiteral reports whether ast.literal_eval accepts a quoted
// string token ('...' or "..." without its own quote inside): its
// backslash escapes must be complete and it may not contain NUL. \N{...}
// escapes are refused (see below).
func checkPyStringLiteral(q string) error {
	body := q[1 : len(q)-1]
	if strings.IndexByte(body, 0) >= 0 {
		return errPyString
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		i++
		if i >= len(body) {
			return errPyString // the backslash escapes the closing quote
		}
		need := 0
		switch body[i] {
		case 'x':
			need = 2
		case 'u':
			need = 4
		case 'U':
			need = 8
		case 'N':
			// \N{name} needs Unicode's name table; no real marker uses
			// one, so it is refused rather than half-checked.
			return errPyString
		}
		if need == 0 {
			continue
		}
		hex := body[i+1 : min(i+1+need, len(body))]
		if len(hex) != need {
			return errPyString
		}
		v, err := strconv.ParseUint(hex, 16, 32)
		if err != nil || v > 0x10ffff {
			return errPyString
		}
		i += need
	}
	return nil
}
