package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/trustedpublishing"
	"github.com/trustpub/trustpub/upload"
)

// exchanger returns a trusted-publishing exchanger over the App. The OIDC
// token it finds is registered with red before it is used, and its
// warnings are redacted with red.
func (a *App) exchanger(red *redact.Redactor) *trustedpublishing.Exchanger {
	det := a.detector()
	hc := a.HTTPClient
	if a.indexHTTP != nil {
		hc = a.indexHTTP
	}
	return &trustedpublishing.Exchanger{
		HTTPClient: hc,
		Detect: func(ctx context.Context, audience string) (ambient.Token, bool, error) {
			tok, ok, err := det.Detect(ctx, audience)
			if ok {
				red.Add(secret.New(tok.Reveal())) // to be redacted, not shown
			}
			return tok, ok, err
		},
		LookupEnv: a.Env,
		Mask:      a.Stderr, // stdout may be captured: $(trustpub exchange), --json -
		Warn:      func(msg string) { fmt.Fprintln(a.Stderr, "trustpub: warning:", red.Redact(msg)) },
	}
}

// credentialSource decides how publish authenticates: given credentials or
// trusted publishing, per --trusted-publishing. In a dry run the exchange is
// checked up to the ambient token but no upload token is minted: minting
// would spend the job's one-time OIDC token. Every secret it obtains (the
// OIDC token, each upload token minted, including later refreshes) is
// registered with red before it is used or returned.
func (a *App) credentialSource(ctx context.Context, t Target, mode string, dryRun bool, red *redact.Redactor) (upload.CredentialSource, string, error) {
	given := t.HasCredentials()
	switch {
	case mode == "always" && given:
		return nil, "", usageErr("--trusted-publishing always, but a credential was also given (%s): remove one of them", t.CredSource)
	case given:
		return upload.StaticCredentials(upload.Credentials{Username: t.Username, Password: t.Password}), "credentials from " + t.CredSource, nil
	case mode == "never":
		return nil, "", withCode(ExitCredentials, errors.New(noCredentialHelp(t, "trusted publishing is off (--trusted-publishing never)")))
	}

	// Only in a detected CI is the index asked for its audience.
	if _, inCI := a.detector().Provider(); !inCI {
		return nil, "", a.tpFailure(t, mode, trustedpublishing.ErrNoCI)
	}
	x := a.exchanger(red)
	url := t.PublishURL.String()
	if dryRun {
		aud, err := x.Audience(ctx, url)
		if err != nil {
			return nil, "", a.tpFailure(t, mode, err)
		}
		_, ok, err := x.Detect(ctx, aud)
		if err != nil {
			return nil, "", a.tpFailure(t, mode, err)
		}
		if !ok {
			return nil, "", a.tpFailure(t, mode, trustedpublishing.ErrNoCI)
		}
		return upload.StaticCredentials(upload.Credentials{}), "trusted publishing (dry run: OIDC token for audience " + aud + " found, not exchanged)", nil
	}
	ts := trustedpublishing.NewTokenSource(x, url)
	src := redactedCredentials(red, upload.TrustedPublishing(ts))
	// Mint before the first byte, so that a refusal stops the run early.
	if _, err := src.Credentials(ctx); err != nil {
		return nil, "", a.tpFailure(t, mode, err)
	}
	return src, "trusted publishing", nil
}

// redactedCredentials wraps src so that every credential it yields is
// registered with red before the caller can use it.
func redactedCredentials(red *redact.Redactor, src upload.CredentialSource) upload.CredentialSource {
	return upload.CredentialFunc(func(ctx context.Context) (upload.Credentials, error) {
		c, err := src.Credentials(ctx)
		if err != nil {
			return upload.Credentials{}, err
		}
		red.AddBasicAuth(c.Username, c.Password)
		return c, nil
	})
}

// tpFailure turns a trusted-publishing failure into the error publish exits with.
func (a *App) tpFailure(t Target, mode string, err error) error {
	if errors.Is(err, trustedpublishing.ErrNoCI) {
		if mode == "always" {
			return withCode(ExitCredentials, fmt.Errorf("--trusted-publishing always, but no supported CI was detected (GitHub Actions, GitLab CI/CD, Buildkite, CircleCI, Google Cloud): %w", err))
		}
		return withCode(ExitCredentials, errors.New(noCredentialHelp(t, "no credential was given and no CI with trusted publishing was detected")))
	}
	var pe *ambient.ProviderError
	if errors.As(err, &pe) {
		return withCode(ExitCredentials, fmt.Errorf("trusted publishing: the CI was detected but its OIDC token cannot be had:\n%w", err))
	}
	return withCode(ExitCredentials, fmt.Errorf("trusted publishing at %s failed:\n%w", t.PublishURL.Redacted(), err))
}

func noCredentialHelp(t Target, why string) string {
	return fmt.Sprintf(`no credential to upload to %s: %s.
Give one of:
  --token TOKEN, or TRUSTPUB_TOKEN / UV_PUBLISH_TOKEN (an API token)
  --username/--password, or TRUSTPUB_USERNAME/TRUSTPUB_PASSWORD, TWINE_USERNAME/TWINE_PASSWORD
  a [section] with password = ... in ~/.pypirc (--repository NAME, --config-file FILE)
or run in a CI job with a trusted publisher configured for this project on the index.`, t.PublishURL.Redacted(), why)
}
