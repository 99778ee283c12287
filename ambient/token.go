package ambient

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/trustpub/trustpub/internal/jwtclaims"
	"github.com/trustpub/trustpub/secret"
)

// ErrInvalidToken is matched (errors.Is) by every error that reports a token
// which is not a well-formed JWT for the requested audience: the checks of
// [Token.Validate], also when [Detector.Detect] applies them to the token a
// CI returned.
var ErrInvalidToken = errors.New("invalid OIDC token")

// tokenError is a validation failure. Its text is exactly the one Python
// `id` 1.6.1 uses, so that messages stay recognisable across tools.
type tokenError struct {
	msg      string
	mismatch bool // the token is well formed but for another audience
}

func (e *tokenError) Error() string        { return e.msg }
func (e *tokenError) Is(target error) bool { return target == ErrInvalidToken }

// The exact texts of `id` 1.6.1's _validate_credential.
const (
	msgMalformed    = "Malformed token"
	msgNotObject    = "Malformed token payload (JWT is not a JSON object)"
	msgAudMissing   = "Malformed token payload (audience claim is missing)"
	msgAudMismatchF = "Token audience claim mismatch (expected %s, got %s)"
)

// Provider names the CI provider the token came from (one of the Provider*
// constants), or "" for a token made with [NewToken].
func (t Token) Provider() string { return t.provider }

// IsZero reports whether the token is empty (the zero Token).
func (t Token) IsZero() bool { return t.s.IsZero() }

// ClaimsJSON returns the token's payload as the JSON object it encodes,
// byte for byte, without the header or signature: what `trustpub token
// --claims` prints. It fails as [Token.Claims] does.
func (t Token) ClaimsJSON() ([]byte, error) {
	payload, _, err := decodePayload(t.s.Reveal())
	return payload, err
}

// Expiry returns the token's `exp` claim as a time, and false when the
// token cannot be decoded or has no numeric `exp`.
func (t Token) Expiry() (time.Time, bool) {
	claims, err := t.Claims()
	if err != nil {
		return time.Time{}, false
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

// Validate checks the token as Python `id` 1.6.1 does before handing it
// out: three dot-separated parts, a base64url payload that decodes to a
// UTF-8 JSON object, and an `aud` claim equal to audience. Unlike `id`, an
// `aud` list that contains audience is accepted (RFC 7519 allows a list).
// The signature is not verified: the index that receives the token does
// that. Errors match [ErrInvalidToken] and carry `id`'s exact texts.
func (t Token) Validate(audience string) error {
	_, claims, err := decodePayload(t.s.Reveal())
	if err != nil {
		return err
	}
	aud, ok := claims["aud"]
	if !ok {
		return &tokenError{msg: msgAudMissing}
	}
	if audienceMatches(aud, audience) {
		return nil
	}
	return &tokenError{msg: fmt.Sprintf(msgAudMismatchF, audience, describeClaim(aud)), mismatch: true}
}

// audienceMatches reports whether the aud claim is audience or a list that
// contains it.
func audienceMatches(aud any, audience string) bool {
	switch v := aud.(type) {
	case string:
		return v == audience
	case []any:
		return slices.ContainsFunc(v, func(e any) bool { s, ok := e.(string); return ok && s == audience })
	}
	return false
}

// describeClaim renders a claim value for a message: strings as they are
// (as `id` prints them), anything else as compact JSON.
func describeClaim(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// decodePayload decodes a JWT's payload into the raw JSON and the claims
// map, as `id` does (see [jwtclaims.Lenient]), with `id`'s error texts.
func decodePayload(raw string) ([]byte, map[string]any, error) {
	payload, claims, err := jwtclaims.Lenient(raw)
	switch {
	case errors.Is(err, jwtclaims.ErrNotObject):
		return nil, nil, &tokenError{msg: msgNotObject}
	case err != nil:
		return nil, nil, &tokenError{msg: msgMalformed}
	}
	return payload, claims, nil
}

// String implements fmt.Stringer with the redacted form.
func (t Token) String() string { return secret.Redacted }

// GoString implements fmt.GoStringer (%#v) with the redacted form.
func (t Token) GoString() string { return `ambient.Token("` + secret.Redacted + `")` }

// Format implements fmt.Formatter so that every verb prints the redacted
// form. Without it, fmt would print the unexported field by reflection.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, t.GoString())
		return
	}
	t.s.Format(f, verb)
}

// MarshalJSON implements json.Marshaler with the redacted form; use
// [Token.Reveal] to build a request body.
func (t Token) MarshalJSON() ([]byte, error) { return t.s.MarshalJSON() }

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (t Token) MarshalText() ([]byte, error) { return t.s.MarshalText() }

// LogValue implements slog.LogValuer with the redacted form.
func (t Token) LogValue() slog.Value { return t.s.LogValue() }
