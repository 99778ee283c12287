// Package ambient discovers the OIDC identity token that a CI job can obtain
// from its platform ("ambient credentials"), for any audience.
package ambient

// CONTRACT FILE written by the lead: trustedpublishing and the CLI compile
// against these names. The ambient owner replaces the bodies and may add to
// (not rename) this API; move declarations into other files freely.

import (
	"context"
	"errors"

	"github.com/trustpub/trustpub/secret"
)

// Token is an OIDC identity token (a JWT). It never prints its value.
type Token struct{ s secret.String }

// NewToken wraps a raw JWT.
func NewToken(raw string) Token { return Token{s: secret.New(raw)} }

// Reveal returns the raw JWT, for the request body that sends it.
func (t Token) Reveal() string { return t.s.Reveal() }

// Claims decodes the token's payload without verifying it.
func (t Token) Claims() (map[string]any, error) { return nil, errors.New("not implemented yet") }

// Detector tries each CI provider in turn; its fields are the environment,
// HTTP client, command runner and files it touches, defaulting to the real ones.
type Detector struct{}

// Detect returns the ambient token for audience. ok is false (and err nil)
// when no supported CI is detected; err is non-nil when a CI was detected
// but its token cannot be had.
func (d *Detector) Detect(ctx context.Context, audience string) (tok Token, ok bool, err error) {
	return Token{}, false, nil
}

// Detect is (&Detector{}).Detect: the real environment, network and commands.
func Detect(ctx context.Context, audience string) (Token, bool, error) {
	return (&Detector{}).Detect(ctx, audience)
}
