package ambient

// This file holds the contract that trustedpublishing and the CLI compile
// against: Token, NewToken, Reveal, Claims, Detector, (*Detector).Detect and
// Detect. The rest of the package adds to it without renaming.

import (
	"context"

	"github.com/trustpub/trustpub/secret"
)

// Token is an OIDC identity token (a JWT) obtained from a CI platform.
//
// Its value never appears in fmt output (any verb), JSON, text marshalling,
// log/slog or error strings: it is held in a [secret.String] and is only
// available through [Token.Reveal], which callers use exactly where the
// exchange request is built.
type Token struct {
	s        secret.String
	provider string
}

// NewToken wraps a raw JWT, for tests and for callers that obtained a token
// some other way. Its [Token.Provider] is empty.
func NewToken(raw string) Token { return Token{s: secret.New(raw)} }

// Reveal returns the raw JWT. Call it only where the token is put on the
// wire (the body of the exchange request) or printed on purpose.
func (t Token) Reveal() string { return t.s.Reveal() }

// Claims decodes the token's payload (the JWT claims) without verifying its
// signature, for diagnostics such as `trustpub token --claims` and for
// listing the claims a trusted publisher must match. Numbers decode as
// float64, as with encoding/json. The signature is never part of the result.
func (t Token) Claims() (map[string]any, error) {
	_, claims, err := decodePayload(t.s.Reveal())
	return claims, err
}

// Detect returns the ambient token for audience.
//
// The three outcomes are told apart without string matching:
//   - a token: ok is true and err is nil;
//   - no supported CI here: ok is false and err is nil;
//   - a CI was detected but its token cannot be had: err is a
//     [*ProviderError] naming the provider and saying how to fix it (use
//     errors.As). Detection stops at that provider, as in Python's `id`.
//
// The only other error is an empty audience, a caller's mistake.
//
// Providers are tried in the order of [Chain]. The winning token is checked as `id` 1.6.1 does (three dot-separated parts,
// a JSON object payload, an `aud` claim equal to audience) except that a
// list-valued `aud` containing audience is accepted too.
func (d *Detector) Detect(ctx context.Context, audience string) (tok Token, ok bool, err error) {
	return d.detect(ctx, audience)
}

// Detect is (&Detector{}).Detect: the real environment, network and
// commands, with the default timeout and retries.
func Detect(ctx context.Context, audience string) (Token, bool, error) {
	return (&Detector{}).Detect(ctx, audience)
}
