package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/trustedpublishing"
)

type exchangeCmd struct {
	PublishURL string `name:"publish-url" aliases:"repository-url" placeholder:"URL" help:"Upload URL of the index; the exchange runs against its host. Env: TRUSTPUB_PUBLISH_URL, UV_PUBLISH_URL, TWINE_REPOSITORY_URL."`
	Index      string `enum:"pypi,testpypi," default:"" placeholder:"pypi|testpypi" help:"Shortcut for PyPI's or TestPyPI's upload URL."`
}

// Run prints a minted upload token for tools that cannot do the exchange.
// The token on stdout is the command's purpose; everything else it prints
// (warnings, the error) is redacted of the OIDC token.
func (c *exchangeCmd) Run(ctx context.Context, a *App) error {
	red := redact.New()
	return red.Error(c.run(ctx, a, red))
}

func (c *exchangeCmd) run(ctx context.Context, a *App, red *redact.Redactor) error {
	t, err := resolveTarget(TargetFlags{PublishURL: c.PublishURL, Index: c.Index}, a.Env, "")
	if err != nil {
		return usageErr("%w", err)
	}
	tok, err := a.exchanger(red).Exchange(ctx, t.PublishURL.String())
	if errors.Is(err, trustedpublishing.ErrNoCI) {
		return withCode(ExitCredentials, fmt.Errorf("exchange needs a CI job's OIDC token: %w", err))
	}
	if err != nil {
		return a.tpFailure(t, "always", err)
	}
	// Exchange has already registered the token with ::add-mask:: in GitHub Actions.
	fmt.Fprintln(a.Stdout, tok.Token.Reveal())
	return nil
}
