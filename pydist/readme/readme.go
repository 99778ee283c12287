package readme

import (
	"fmt"
	"strings"
)

// Problem is one reason PyPI would refuse to render a long description.
type Problem struct {
	// Code is a stable identifier for the kind of problem, for example
	// "description-rst-invalid"; the Code* constants list them.
	Code string
	// Line is the 1-based line of the description the problem is on, or 0
	// when it concerns the whole description or its content type.
	Line int
	// Message says what is wrong and what to change.
	Message string
}

// String formats the problem as "line N: message" (or just the message).
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// Problem codes.
const (
	// CodeContentTypeInvalid: Description-Content-Type is not text/plain,
	// text/x-rst or text/markdown (or cannot be parsed).
	CodeContentTypeInvalid = "description-content-type-invalid"
	// CodeCharsetInvalid: a charset parameter other than exactly "UTF-8".
	CodeCharsetInvalid = "description-charset-invalid"
	// CodeVariantInvalid: a text/markdown variant other than exactly "GFM"
	// or "CommonMark".
	CodeVariantInvalid = "description-variant-invalid"
	// CodeRSTInvalid: docutils would report a warning or error on the
	// reStructuredText description, so readme_renderer refuses it.
	CodeRSTInvalid = "description-rst-invalid"
	// CodeRSTEmpty: the reStructuredText description renders to nothing
	// (only comments, targets or a lone title), which readme_renderer
	// treats as a failure.
	CodeRSTEmpty = "description-rst-empty"
)

// Validate tells whether PyPI would render the long description body of
// the given Description-Content-Type; no problems means it would. An empty
// content type means text/x-rst, as on PyPI. An empty body is never
// rendered by PyPI, so it has no problems here either.
func Validate(contentType, body string) []Problem {
	ct, ps := parseContentType(contentType)
	if len(ps) > 0 {
		return ps
	}
	if body == "" || ct != "text/x-rst" {
		return nil
	}
	return checkRST(body)
}

var contentTypes = []string{"text/plain", "text/x-rst", "text/markdown"}

// parseContentType checks a Description-Content-Type value as Warehouse
// does (packaging.metadata on top of Python's email header parser): the
// media type is one of contentTypes, case-insensitively; a charset
// parameter must be exactly "UTF-8"; for text/markdown a variant parameter
// must be exactly "GFM" or "CommonMark". Parameter names are
// case-insensitive and the first occurrence of a name counts. It returns
// the lower-case media type.
//
// The grammar accepted is RFC 2045's, which is what tools write. Python's
// parser also repairs malformed values (a comment, a second media type, a
// stray slash, RFC 2231 encoded parameters); those are refused here as
// unparseable rather than guessed at.
func parseContentType(v string) (string, []Problem) {
	if strings.TrimSpace(v) == "" {
		return "text/x-rst", nil
	}
	bad := func(why string) (string, []Problem) {
		return "", []Problem{{Code: CodeContentTypeInvalid, Message: fmt.Sprintf(
			"Description-Content-Type %q %s; PyPI accepts only text/plain, text/x-rst or text/markdown, optionally with \"; charset=UTF-8\" (and for Markdown \"; variant=GFM\" or \"; variant=CommonMark\")", v, why)}}
	}
	media, rest, _ := strings.Cut(v, ";")
	media = strings.ToLower(strings.Trim(media, " \t"))
	typ, sub, ok := strings.Cut(media, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return bad("is not a media type")
	}
	known := false
	for _, c := range contentTypes {
		known = known || c == media
	}
	if !known {
		return bad("is not a supported media type")
	}
	params, ok := parseParams(rest)
	if !ok {
		return bad("has parameters that cannot be parsed")
	}
	if cs, ok := params["charset"]; ok && cs != "UTF-8" {
		return "", []Problem{{Code: CodeCharsetInvalid, Message: fmt.Sprintf(
			"Description-Content-Type %q names charset %q; PyPI accepts only \"charset=UTF-8\" (exactly so written) or no charset", v, cs)}}
	}
	if vr, ok := params["variant"]; ok && media == "text/markdown" && vr != "GFM" && vr != "CommonMark" {
		return "", []Problem{{Code: CodeVariantInvalid, Message: fmt.Sprintf(
			"Description-Content-Type %q names Markdown variant %q; PyPI accepts only \"variant=GFM\" or \"variant=CommonMark\" (exactly so written) or no variant", v, vr)}}
	}
	return media, nil
}

// parseParams reads `; name=value` parameters (value a token or a quoted
// string). As Python's email parser does, a name without "=" has the empty
// value, a name with an empty value is dropped, and empty parameters
// (";;") are skipped.
func parseParams(s string) (map[string]string, bool) {
	params := map[string]string{}
	for s != "" {
		var p string
		// Split at the next ';' outside a quoted string.
		inq, esc, i := false, false, 0
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case esc:
				esc = false
			case inq && c == '\\':
				esc = true
			case c == '"':
				inq = !inq
			case c == ';' && !inq:
				goto split
			}
		}
	split:
		if i < len(s) {
			p, s = s[:i], s[i+1:]
		} else {
			p, s = s, ""
		}
		if inq {
			return nil, false
		}
		p = strings.Trim(p, " \t")
		if p == "" {
			continue
		}
		name, val, hasEq := strings.Cut(p, "=")
		name = strings.ToLower(strings.Trim(name, " \t"))
		if !isToken(name) || strings.Contains(name, "*") {
			return nil, false
		}
		val = strings.Trim(val, " \t")
		if strings.HasPrefix(val, `"`) {
			var b strings.Builder
			j := 1
			for ; j < len(val) && val[j] != '"'; j++ {
				if val[j] == '\\' && j+1 < len(val) {
					j++
				}
				b.WriteByte(val[j])
			}
			if j != len(val)-1 {
				return nil, false
			}
			val = b.String()
		} else if strings.HasPrefix(val, "'") || (val != "" && !isToken(val)) {
			return nil, false
		}
		if hasEq && val == "" {
			continue
		}
		if _, dup := params[name]; !dup {
			params[name] = val
		}
	}
	return params, true
}

// isToken reports whether s is a non-empty RFC 2045 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}
