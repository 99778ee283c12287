package pydist

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxMetadataSize bounds a METADATA / PKG-INFO file (4 MiB): larger ones are
// refused rather than read, since real ones are a few KiB to a few hundred.
const MaxMetadataSize = 4 << 20

// Field is one header of core metadata.
type Field struct{ Name, Value string }

// Metadata is core metadata (METADATA / PKG-INFO) in the email-header format.
type Metadata struct {
	Fields      []Field // in file order; multi-use fields repeat
	Description string  // the body, or the Description header
	// DescriptionHeader reports that a Description header was present;
	// BodyAfterHeaders that a non-empty body was. Both together are refused.
	DescriptionHeader, BodyAfterHeaders bool
}

// Get returns the first value of the named field (case-insensitive), or "".
func (m *Metadata) Get(name string) string {
	if m == nil {
		return ""
	}
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Has reports whether the named field (case-insensitive) is present.
func (m *Metadata) Has(name string) bool {
	if m == nil {
		return false
	}
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// GetAll returns every value of the named multi-use field, in file order.
func (m *Metadata) GetAll(name string) []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// MetadataError is a syntax error in core metadata; Line is 1-based (0 when
// the error is about the whole file).
type MetadataError struct {
	Line int
	Msg  string
}

// Error implements error.
func (e *MetadataError) Error() string { return atLine("core metadata", e.Line, e.Msg) }

// atLine prefixes msg with what (if any) and line (if > 0): "what line 3:
// msg", the form of every line-numbered error of this package.
func atLine(what string, line int, msg string) string {
	switch {
	case line > 0 && what != "":
		return fmt.Sprintf("%s line %d: %s", what, line, msg)
	case line > 0:
		return fmt.Sprintf("line %d: %s", line, msg)
	case what != "":
		return what + ": " + msg
	}
	return msg
}

// ParseMetadata parses core metadata in the email-header format that
// packaging.metadata.parse_email reads: "Name: value" headers, continuation
// lines starting with a space or tab (kept, with their newline, in the value
// as Python's compat32 email policy does), multi-use fields repeated, and the
// body after the first blank line as the description. A Description header's
// continuation lines lose their 8-space or 7-space-and-'|' indent (core
// metadata spec). CRLF and CR line ends and a UTF-8 BOM are accepted; NUL
// bytes, invalid UTF-8, lines that are not headers and files over
// MaxMetadataSize are errors.
func ParseMetadata(b []byte) (*Metadata, error) {
	if len(b) > MaxMetadataSize {
		return nil, &MetadataError{Msg: fmt.Sprintf("file is %d bytes, over the %d-byte limit; a real METADATA/PKG-INFO is far smaller, so this is not core metadata (or its description is embedded data that should not be there)", len(b), MaxMetadataSize)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, &MetadataError{Msg: "file is empty; it must start with a 'Metadata-Version: 2.x' header"}
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return nil, &MetadataError{Line: 1 + bytes.Count(b[:i], []byte("\n")), Msg: "NUL byte: this is binary data, not core metadata text"}
	}
	if !utf8.Valid(b) {
		i := invalidUTF8At(b)
		return nil, &MetadataError{Line: 1 + bytes.Count(b[:i], []byte("\n")), Msg: fmt.Sprintf("invalid UTF-8 at byte %d: core metadata must be UTF-8 text; re-save it as UTF-8", i)}
	}
	s := strings.TrimPrefix(string(b), "\ufeff")
	if strings.Contains(s, "\r") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	m := &Metadata{}
	line := 0
	// Continuation lines are collected and joined once per header, so a
	// header folded over many lines costs linear time.
	var cont []string
	flush := func() {
		if len(cont) > 0 {
			f := &m.Fields[len(m.Fields)-1]
			f.Value += "\n" + strings.Join(cont, "\n")
			cont = cont[:0]
		}
	}
	for len(s) > 0 {
		var l string
		l, s, _ = strings.Cut(s, "\n")
		line++
		if l == "" {
			// end of headers; the rest is the body, verbatim.
			if s != "" {
				m.BodyAfterHeaders = true
				m.Description = s
			}
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(m.Fields) == 0 {
				return nil, &MetadataError{Line: line, Msg: "continuation line (starting with whitespace) before any header"}
			}
			if strings.EqualFold(m.Fields[len(m.Fields)-1].Name, "Description") {
				l = dedentDescription(l)
			}
			cont = append(cont, l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !validHeaderName(name) {
			return nil, &MetadataError{Line: line, Msg: fmt.Sprintf("%q is not a 'Name: value' header; headers end at the first blank line and continuation lines must start with whitespace", truncate(l, 60))}
		}
		flush()
		m.Fields = append(m.Fields, Field{Name: name, Value: strings.TrimLeft(value, " \t")})
	}
	flush()
	if len(m.Fields) == 0 {
		return nil, &MetadataError{Msg: "no headers found; core metadata starts with 'Metadata-Version: 2.x'"}
	}
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, "Description") {
			m.DescriptionHeader = true
			if !m.BodyAfterHeaders {
				m.Description = f.Value
			}
			break
		}
	}
	return m, nil
}

// dedentDescription removes the indent that writers put before each
// continuation line of a Description header: 7 spaces and '|' (the core
// metadata spec), or 8 spaces (older setuptools/distutils), or a tab.
func dedentDescription(l string) string {
	if rest, ok := strings.CutPrefix(l, "       |"); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(l, "        "); ok {
		return rest
	}
	if l == "       " || l == "        |" {
		return ""
	}
	if rest, ok := strings.CutPrefix(l, "\t"); ok {
		return rest
	}
	return strings.TrimLeft(l, " ")
}

// validHeaderName follows the email parser: printable ASCII except ':' and
// space, at least one character.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// FormField is one field of the legacy upload form.
type FormField struct{ Name, Value string }

// formNameSpec is a header's upload form name and whether it is multi-use.
type formNameSpec struct {
	name  string
	multi bool
}

// formNames maps core metadata header names (lower case) to PyPI's upload
// form names; multi reports a multi-use field (sent as repeated keys).
// Built on first use, not at program start.
var formNames = sync.OnceValue(func() map[string]formNameSpec {
	return map[string]formNameSpec{
		"metadata-version":         {"metadata_version", false},
		"name":                     {"name", false},
		"version":                  {"version", false},
		"summary":                  {"summary", false},
		"description-content-type": {"description_content_type", false},
		"keywords":                 {"keywords", false},
		"home-page":                {"home_page", false},
		"download-url":             {"download_url", false},
		"author":                   {"author", false},
		"author-email":             {"author_email", false},
		"maintainer":               {"maintainer", false},
		"maintainer-email":         {"maintainer_email", false},
		"license":                  {"license", false},
		"license-expression":       {"license_expression", false},
		"license-file":             {"license_file", true},
		"classifier":               {"classifiers", true},
		"platform":                 {"platform", true},
		"supported-platform":       {"supported_platform", true},
		"requires-dist":            {"requires_dist", true},
		"requires-python":          {"requires_python", false},
		"requires-external":        {"requires_external", true},
		"project-url":              {"project_urls", true},
		"provides-extra":           {"provides_extra", true},
		"provides-dist":            {"provides_dist", true},
		"obsoletes-dist":           {"obsoletes_dist", true},
		"requires":                 {"requires", true},
		"provides":                 {"provides", true},
		"obsoletes":                {"obsoletes", true},
		"dynamic":                  {"dynamic", true},
		"import-name":              {"import_name", true},
		"import-namespace":         {"import_namespace", true},
	}
})

// FormName returns PyPI's upload form name for a core metadata header
// (case-insensitive), whether the field is multi-use, and ok=false for a
// header PyPI does not read from the form.
func FormName(header string) (name string, multi, ok bool) {
	f, ok := formNames()[strings.ToLower(header)]
	return f.name, f.multi, ok
}

// FormFields maps metadata to the legacy upload form's metadata fields,
// under PyPI's form names, with multi-use fields repeated; it does not
// include content, digests, :action, protocol_version, filetype or pyversion.
//
// It follows twine: name is sent as its "safe name" (runs of characters
// other than ASCII letters, digits and '.' become '-'); keywords are split on
// ',' and re-joined with ", "; each Project-URL is "Label, URL"; License-File
// is dropped below Metadata-Version 2.4 (setuptools wrote it early); the
// description is the body (or Description header); empty values and
// unknown headers are not sent. A single-use field given twice is sent once
// (the first), since PyPI refuses repeated single-use keys.
func (m *Metadata) FormFields() []FormField {
	if m == nil {
		return nil
	}
	var out []FormField
	seen := map[string]bool{}
	dropLicenseFile := metadataVersionBelow(m.Get("Metadata-Version"), 2, 4)
	for _, f := range m.Fields {
		fn, ok := formNames()[strings.ToLower(f.Name)]
		if !ok {
			continue
		}
		v := f.Value
		switch fn.name {
		case "name":
			v = SafeName(strings.TrimSpace(v))
		case "version", "metadata_version":
			v = strings.TrimSpace(v)
		case "keywords":
			v = joinKeywords(v)
		case "project_urls":
			label, url, _ := strings.Cut(v, ",")
			v = strings.TrimSpace(label) + ", " + strings.TrimSpace(url)
		case "license_file":
			if dropLicenseFile {
				continue
			}
		}
		if v == "" || (!fn.multi && seen[fn.name]) {
			continue
		}
		seen[fn.name] = true
		out = append(out, FormField{Name: fn.name, Value: v})
	}
	if m.Description != "" {
		// Insert after summary-ish fields is not required; PyPI reads by key.
		out = append(out, FormField{Name: "description", Value: m.Description})
	}
	return out
}

// SafeName is twine's safe_name: runs of characters other than ASCII
// letters, digits and '.' replaced by '-'.
func SafeName(name string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '.' || isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return b.String()
}

func joinKeywords(v string) string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ", ")
}

// metadataVersionBelow reports whether a "X.Y" metadata version is below
// major.minor; unparsable versions count as below.
func metadataVersionBelow(s string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d.%d", &a, &b); err != nil {
		return true
	}
	return a < major || (a == major && b < minor)
}
