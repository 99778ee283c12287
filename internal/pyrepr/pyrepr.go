// Package pyrepr renders values as Python's repr() (and json.dumps) does,
// for messages that must read exactly as those of the Python tools and
// services trustpub mirrors (PyPI's upload errors, pydantic's, the `id`
// library's). It is the one home of those renderings.
package pyrepr

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Str renders s as Python's repr() of a str does: single quotes unless
// the text holds a single quote and no double quote, backslash escapes for
// the quote, backslash, \t \n \r and non-printable characters. Invalid
// UTF-8 bytes become \x escapes.
func Str(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case writeEscape(&b, r):
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	b.WriteByte(quote)
	return b.String()
}

// Bytes renders p as Python's repr() of a bytes object does: b'...' (or
// b"..." when p holds a single quote and no double quote), with \t \n \r,
// the quote and backslash escaped and every other byte outside printable
// ASCII as \xNN.
func Bytes(p []byte) string {
	q := byte('\'')
	if bytes.IndexByte(p, '\'') >= 0 && bytes.IndexByte(p, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte('b')
	b.WriteByte(q)
	for _, c := range p {
		switch {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case writeEscape(&b, rune(c)):
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// Float renders f as Python's repr() of a float: the shortest digits that
// read back as f, ".0" on integral values, and exponent form (e+16, e-05)
// from 1e16 up and below 1e-4.
func Float(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if abs := math.Abs(f); abs != 0 && (abs >= 1e16 || abs < 1e-4) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// StrList renders ss as Python's repr() of a list of str.
func StrList(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = Str(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// JSONString renders s as a JSON string the way Python's json.dumps does by
// default (ensure_ascii=True): every character outside printable ASCII is a
// \u escape, characters above the BMP as a surrogate pair. It is not a
// repr, but it is the other Python rendering whose exact bytes trustpub
// reproduces (the `id` library's CircleCI claims argument).
func JSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case writeEscape(&b, r):
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeEscape writes the escape of \t, \n or \r, which repr() and
// json.dumps spell alike, and reports whether r was one of them.
func writeEscape(b *strings.Builder, r rune) bool {
	switch r {
	case '\t':
		b.WriteString(`\t`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	default:
		return false
	}
	return true
}
