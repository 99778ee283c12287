package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/index"
)

// devIssuerPath is where `serve --dev-issuer` mounts the development issuer.
const devIssuerPath = "/_/dev-issuer"

// mountDevIssuer serves a development OIDC issuer at base+devIssuerPath. Its
// signing key is kept in the data directory (0600) so that tokens stay
// valid across restarts.
func mountDevIssuer(mux *http.ServeMux, dataDir, base string) error {
	dir := filepath.Join(dataDir, "dev-issuer")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return usageErr("dev issuer key directory: %w", err)
	}
	key, err := devissuer.LoadOrCreateKey(filepath.Join(dir, "key.pem"))
	if err != nil {
		return usageErr("dev issuer key: %w", err)
	}
	iss, err := devissuer.New(base+devIssuerPath, key)
	if err != nil {
		return usageErr("dev issuer: %w", err)
	}
	mux.Handle(devIssuerPath+"/", http.StripPrefix(devIssuerPath, iss))
	return nil
}

// trustDevIssuer makes publishers that name no issuer trust the dev issuer,
// so that a rehearsal needs no issuer URL in the config file.
func trustDevIssuer(opts *index.Options, devURL string) error {
	for i := range opts.Publishers.GitHub {
		if opts.Publishers.GitHub[i].Issuer == "" {
			opts.Publishers.GitHub[i].Issuer = devURL
		}
	}
	for i := range opts.Publishers.GitLab {
		if opts.Publishers.GitLab[i].Issuer == "" {
			opts.Publishers.GitLab[i].Issuer = devURL
		}
	}
	return nil
}

type devTokenCmd struct {
	Issuer      string        `required:"" placeholder:"URL" help:"Dev issuer URL: {server}/_/dev-issuer of a 'trustpub serve --dev-issuer'."`
	GitHub      string        `name:"github" xor:"ci" placeholder:"OWNER/REPO" help:"Mint a GitHub Actions token for this repository."`
	GitLab      string        `name:"gitlab" xor:"ci" placeholder:"NAMESPACE/PROJECT" help:"Mint a GitLab CI/CD token for this project."`
	Workflow    string        `placeholder:"FILE" help:"GitHub: workflow file name (default release.yml). GitLab: CI config path (default .gitlab-ci.yml)."`
	Ref         string        `placeholder:"REF" help:"Git ref (default refs/heads/main)."`
	Environment string        `placeholder:"NAME" help:"Deployment environment claim."`
	EventName   string        `name:"event-name" placeholder:"EVENT" help:"GitHub event_name claim (default push)."`
	Audience    string        `default:"pypi" help:"aud claim."`
	TTL         time.Duration `default:"5m" help:"Token lifetime."`
}

func (c *devTokenCmd) Run(ctx context.Context, a *App) error {
	var claims map[string]any
	var err error
	switch {
	case c.GitHub != "":
		claims, err = devissuer.GitHubClaims(devissuer.GitHubIdentity{
			Repository: c.GitHub, Workflow: orDefault(c.Workflow, "release.yml"), Ref: c.Ref,
			Environment: c.Environment, EventName: c.EventName, Audience: c.Audience, TTL: c.TTL,
			Issuer: strings.TrimSuffix(c.Issuer, "/"),
		})
	case c.GitLab != "":
		ns, proj, ok := cutLast(c.GitLab, "/")
		if !ok {
			return usageErr("--gitlab %q must be NAMESPACE/PROJECT", c.GitLab)
		}
		claims, err = devissuer.GitLabClaims(devissuer.GitLabIdentity{
			Namespace: ns, Project: proj, WorkflowFilepath: c.Workflow, RefPath: c.Ref,
			Environment: c.Environment, Audience: c.Audience, TTL: c.TTL,
			Issuer: strings.TrimSuffix(c.Issuer, "/"),
		})
	default:
		return usageErr("give --github OWNER/REPO or --gitlab NAMESPACE/PROJECT")
	}
	if err != nil {
		return usageErr("%w", err)
	}
	tok, err := devissuer.Mint(ctx, a.HTTPClient, strings.TrimSuffix(c.Issuer, "/"), claims)
	if err != nil {
		return fmt.Errorf("minting from the dev issuer %s (is 'trustpub serve --dev-issuer' running there?): %w", c.Issuer, err)
	}
	fmt.Fprintln(a.Stdout, tok)
	return nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}
