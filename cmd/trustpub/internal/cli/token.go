package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/internal/ghactions"
)

type tokenCmd struct {
	Audience string `arg:"" help:"Audience (aud claim) to request, e.g. pypi, sigstore."`
	Claims   bool   `help:"Print the token's decoded claims (JSON) instead of the token; never the signature."`
}

func (c *tokenCmd) Run(ctx context.Context, a *App) error {
	tok, ok, err := a.detector().Detect(ctx, c.Audience)
	if err != nil {
		return withCode(ExitCredentials, err)
	}
	if !ok {
		fmt.Fprintln(a.Stderr, "trustpub: no supported CI detected (GitHub Actions, GitLab CI/CD, Buildkite, CircleCI, Google Cloud); no token printed")
		return nil
	}
	if c.Claims {
		raw, err := tok.ClaimsJSON()
		if err != nil {
			return withCode(ExitCredentials, fmt.Errorf("decoding the token's claims: %w", err))
		}
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			return withCode(ExitCredentials, fmt.Errorf("the token's claims are not JSON: %w", err))
		}
		fmt.Fprintln(a.Stdout, out.String())
		return nil
	}
	a.mask(tok.Reveal())
	fmt.Fprintln(a.Stdout, tok.Reveal())
	return nil
}

// mask registers a secret with GitHub Actions' log masking before it is
// printed, so that the runner hides it from the job log. The command goes
// to stderr (the runner reads both streams) so that stdout holds only the
// value, for $(trustpub token AUD).
func (a *App) mask(value string) {
	if ghactions.InActions(a.Env) {
		_ = ghactions.AddMask(a.Stderr, value)
	}
}

// detector returns the ambient detector over the App's environment.
func (a *App) detector() *ambient.Detector {
	return &ambient.Detector{LookupEnv: a.Env, HTTPClient: a.HTTPClient}
}
