// Package redact removes known secrets from text before it is shown: the
// one home of trustpub's redaction, used on everything an index or CI
// service sends back (answers, error bodies) and on every line the command
// line prints.
//
// A secret must never appear, and redaction must never garble what it does
// not hide: a short password such as "pip" must not turn
// "uploading pip-23.0.1-py3-none-any.whl" into
// "uploading [REDACTED]-23.0.1-py3-none-any.whl". So:
//   - a secret of at least [Anywhere] bytes (API tokens, OIDC tokens, the
//     base64 of a Basic credential) cannot occur by chance and is replaced
//     wherever it occurs, even inside a longer word;
//   - a shorter one is replaced only where it stands as a whole word: not
//     next to a letter, digit, '-', '_', or a '.' that continues a name
//     ("pip.example.org", "pkg.pip"), so file names, versions and host
//     names are left alone, while "password pip." or "user:pip@host" is
//     redacted;
//   - one shorter than [MinLength] bytes cannot be told apart from
//     ordinary text at all and is not searched for: [TooShort] lets the
//     caller warn before such a secret is used.
package redact

import (
	"encoding/base64"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustpub/trustpub/secret"
)

const (
	// MinLength is the shortest secret that is redacted.
	MinLength = 3
	// Anywhere is the length from which a secret is redacted wherever it
	// occurs, not only as a whole word.
	Anywhere = 16
)

// TooShort reports whether s is too short to be redacted (shorter than
// MinLength bytes, and not empty).
func TooShort(s secret.String) bool {
	n := len(s.Reveal())
	return n > 0 && n < MinLength
}

// Redactor replaces known secrets in text. Secrets can be added while a
// run is under way (an upload token minted, or minted again, mid-run); text
// redacted afterwards is redacted with them. It is safe for concurrent use,
// and a nil *Redactor redacts nothing.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another goes whole
}

// New returns a Redactor for secrets.
func New(secrets ...secret.String) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers secrets. Empty ones, ones shorter than MinLength and ones
// already known are ignored; a nil Redactor ignores them all.
func (r *Redactor) Add(secrets ...secret.String) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		v := s.Reveal() // kept only to be searched for and replaced
		if len(v) < MinLength {
			continue
		}
		known := false
		for _, k := range r.secrets {
			known = known || k == v
		}
		if !known {
			r.secrets = append(r.secrets, v)
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// AddBasicAuth registers a credential as sent: the password, and the
// base64 of "username:password" that HTTP Basic authentication puts in the
// Authorization header, in case an index echoes the header back.
func (r *Redactor) AddBasicAuth(username string, password secret.String) {
	if password.IsZero() {
		return
	}
	r.Add(password, secret.New(base64.StdEncoding.EncodeToString([]byte(username+":"+password.Reveal()))))
}

// Redact returns text with every occurrence of every secret (as the
// package doc says) replaced by secret.Redacted.
func (r *Redactor) Redact(text string) string {
	if r == nil {
		return text
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.secrets {
		text = replace(text, v)
	}
	return text
}

// String returns text with secrets redacted, for a one-off use.
func String(text string, secrets ...secret.String) string {
	return New(secrets...).Redact(text)
}

// replace replaces v in text: everywhere when v is long, else where it
// stands as a whole word.
func replace(text, v string) string {
	if len(v) >= Anywhere {
		return strings.ReplaceAll(text, v, secret.Redacted)
	}
	var b strings.Builder
	rest, done := text, 0
	for {
		i := strings.Index(rest[done:], v)
		if i < 0 {
			break
		}
		at := done + i
		end := at + len(v)
		if wordBoundaryBefore(rest, at) && wordBoundaryAfter(rest, end) {
			b.WriteString(rest[:at])
			b.WriteString(secret.Redacted)
			rest, done = rest[end:], 0
			continue
		}
		_, n := utf8.DecodeRuneInString(rest[at:])
		done = at + n
	}
	if b.Len() == 0 {
		return text
	}
	b.WriteString(rest)
	return b.String()
}

// nameChar reports whether r continues a name (file name, version, host).
func nameChar(r rune) bool {
	return r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// wordBoundaryBefore reports whether text[:i] does not end inside a name.
func wordBoundaryBefore(text string, i int) bool {
	if i == 0 {
		return true
	}
	r, n := utf8.DecodeLastRuneInString(text[:i])
	if r == '.' {
		// "pkg.pip": a dot after a name character continues the name.
		p, _ := utf8.DecodeLastRuneInString(text[:i-n])
		return i-n == 0 || !nameChar(p)
	}
	return !nameChar(r)
}

// wordBoundaryAfter reports whether text[i:] does not continue a name.
func wordBoundaryAfter(text string, i int) bool {
	if i == len(text) {
		return true
	}
	r, n := utf8.DecodeRuneInString(text[i:])
	if r == '.' {
		// "pip.example.org" continues; "pip." ending a sentence does not.
		nx, _ := utf8.DecodeRuneInString(text[i+n:])
		return i+n == len(text) || !nameChar(nx)
	}
	return !nameChar(r)
}

// Error returns err with its message redacted when it is read, so secrets
// added in between count too. errors.Is and errors.As still see err and
// its chain. A nil err stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{r: r, err: err}
}

// redactedError is an error whose message goes through a Redactor.
type redactedError struct {
	r   *Redactor
	err error
}

func (e *redactedError) Error() string { return e.r.Redact(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }
