// Package secret holds credentials (OIDC identity tokens, upload tokens,
// passwords) in a type that cannot be printed by accident.
//
// A [String] formats as "[REDACTED]" through every fmt verb, JSON, text
// marshalling and log/slog. Its value is available only through [String.Reveal],
// which callers use exactly where a request is built, so that a reviewer can
// find every place a secret leaves the process by searching for "Reveal(".
package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what a [String] shows wherever it is formatted.
const Redacted = "[REDACTED]"

// String is a secret value. The zero value is the empty secret.
type String struct {
	// v is unexported and reached only through Reveal, so reflection-based
	// printers (fmt's %#v on a struct that embeds a String, encoding/json)
	// never see it.
	v string
}

// New wraps s as a secret.
func New(s string) String { return String{v: s} }

// Reveal returns the secret value. Call it only where the value is put on
// the wire (a request header or body) or handed to a process that needs it.
func (s String) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.v == "" }

// Equal reports whether two secrets hold the same value.
func (s String) Equal(o String) bool { return s.v == o.v }

// String implements fmt.Stringer and always returns [Redacted].
func (s String) String() string { return Redacted }

// GoString implements fmt.GoStringer for %#v.
func (s String) GoString() string { return `secret.String("` + Redacted + `")` }

// Format implements fmt.Formatter so that every verb (%v %+v %#v %s %q %x %d
// ...) prints the redacted form, never the bytes of the value.
func (s String) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, Redacted)
	case 'q':
		fmt.Fprintf(f, "%q", Redacted)
	default:
		fmt.Fprint(f, Redacted)
	}
}

// MarshalJSON implements json.Marshaler with the redacted form.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler with the redacted form, which
// also covers TOML, YAML and slog's text handler.
func (s String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer with the redacted form.
func (s String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// UnmarshalText implements encoding.TextUnmarshaler, so that flag and config
// parsers can fill a String directly and the value never sits in a plain
// string field.
func (s *String) UnmarshalText(b []byte) error {
	s.v = string(b)
	return nil
}
