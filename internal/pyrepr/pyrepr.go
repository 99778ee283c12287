// Package pyrepr renders values as Python's repr() does, for messages that
// must read exactly as those of the Python tools and services trustpub
// mirrors (PyPI's upload errors, pydantic's, the `id` library's).
package pyrepr

import (
	"fmt"
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
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
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
