package trustedpublishing

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
)

// MaxLifetime bounds how long a minted token is trusted to stay valid,
// whatever "expires" the index sent (PyPI's tokens live 15 minutes): an
// absurd value, overflowing or far in the future, is clamped to it.
const MaxLifetime = time.Hour

// maxTokenBytes bounds a minted token (PyPI's are about 200 bytes).
const maxTokenBytes = 4096

// TokenFormatError is a minted token that is not one line of printable
// ASCII. It is refused: in GitHub Actions the token is printed after
// "::add-mask::", and a line break in it would let the index inject
// workflow commands into the job's log.
type TokenFormatError struct {
	Host    string
	Problem string // e.g. "it contains a line break at byte 12"
}

// Error implements error.
func (e *TokenFormatError) Error() string {
	return fmt.Sprintf("token response error: the index at %s sent an upload token that is not one line of printable ASCII (%s); "+
		"it was refused and not used: this is a fault of the index, report it to its operators", e.Host, e.Problem)
}

// checkToken returns what is wrong with a minted token's text, or "".
func checkToken(tok string) string {
	if len(tok) > maxTokenBytes {
		return fmt.Sprintf("it is %d bytes long, more than %d", len(tok), maxTokenBytes)
	}
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case c == '\n' || c == '\r':
			return fmt.Sprintf("it contains a line break at byte %d", i)
		case c <= ' ' || c >= 0x7f:
			return fmt.Sprintf("it contains the byte 0x%02x at byte %d", c, i)
		}
	}
	return ""
}

// expiry is when a minted token is taken to expire: the index's "expires"
// (Unix seconds) when it is sensible, DefaultLifetime from now when it is
// missing, and at most MaxLifetime from now.
func expiry(now time.Time, expires *float64) time.Time {
	limit := now.Add(MaxLifetime)
	if expires == nil || math.IsNaN(*expires) || *expires <= 0 {
		return now.Add(DefaultLifetime)
	}
	if *expires >= float64(limit.Unix()) {
		return limit
	}
	return time.Unix(int64(*expires), 0)
}

// oneLine makes text an index sent safe to print: control characters and
// line separators become visible escapes, so that no line of it can start
// a workflow command.
func oneLine(s string) string {
	unsafe := func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }
	if !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafe(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}
