package upload

import (
	"context"

	"github.com/trustpub/trustpub/trustedpublishing"
)

// UploadTokenSource hands out upload tokens for one index, as
// [*trustedpublishing.TokenSource] does: a token minted through trusted
// publishing, minted again before it expires.
type UploadTokenSource interface {
	Token(ctx context.Context) (trustedpublishing.UploadToken, error)
}

// TrustedPublishing adapts ts to the credentials of an upload: every
// request (each retry included) asks ts for its current upload token and
// sends it as the password of __token__, so a long upload never starts an
// attempt with a token about to expire.
func TrustedPublishing(ts UploadTokenSource) CredentialSource {
	return CredentialFunc(func(ctx context.Context) (Credentials, error) {
		t, err := ts.Token(ctx)
		if err != nil {
			return Credentials{}, err
		}
		return TokenCredentials(t.Token), nil
	})
}
