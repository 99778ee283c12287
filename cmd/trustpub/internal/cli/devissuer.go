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
// valid across restarts. It signs only for requests to one of hosts.
func mountDevIssuer(mux *http.ServeMux, dataDir, base string, hosts []string) error {
	dir := filepath.Join(dataDir, "dev-issuer")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return usageErr("dev issuer key directory: %w", err)
	}
	key, err := devissuer.LoadOrCreateKey(filepath.Join(dir, "key.pem"))
	if err != nil {
		return usageErr("dev issuer key: %w", err)
	}
	// One issuer per kind, as GitHub and GitLab are distinct issuers (an
	// index binds each issuer to one kind of publisher); they share the key.
	for _, kind := range []string{"github", "gitlab"} {
		path := devIssuerPath + "/" + kind
		iss, err := devissuer.New(base+path, key)
		if err != nil {
			return usageErr("dev issuer: %w", err)
		}
		iss.Hosts = hosts
		mux.Handle(path+"/", http.StripPrefix(path, iss))
	}
	return nil
}

// devIssuerURL is the dev issuer of kind ("github", "gitlab") under url,
// which may be the server's base URL, its /_/dev-issuer, or the issuer itself.
func devIssuerURL(url, kind string) string {
	url = strings.TrimSuffix(url, "/")
	switch {
	case strings.HasSuffix(url, devIssuerPath+"/"+kind):
		return url
	case strings.HasSuffix(url, devIssuerPath):
		return url + "/" + kind
	default:
		return url + devIssuerPath + "/" + kind
	}
}

// trustDevIssuer makes publishers that name no issuer trust the dev issuer
// of their kind, so that a rehearsal needs no issuer URL in the config file.
func trustDevIssuer(opts *index.Options, base string) error {
	for i := range opts.Publishers.GitHub {
		if opts.Publishers.GitHub[i].Issuer == "" {
			opts.Publishers.GitHub[i].Issuer = devIssuerURL(base, "github")
		}
	}
	for i := range opts.Publishers.GitLab {
		if opts.Publishers.GitLab[i].Issuer == "" {
			opts.Publishers.GitLab[i].Issuer = devIssuerURL(base, "gitlab")
		}
	}
	return nil
}

type devTokenCmd struct {
	Issuer      string        `required:"" placeholder:"URL" help:"URL of a 'trustpub serve --dev-issuer' (its base URL, or {base}/_/dev-issuer)."`
	GitHub      string        `name:"github" xor:"ci" placeholder:"OWNER/REPO" help:"Mint a GitHub Actions token for this repository."`
	GitLab      string        `name:"gitlab" xor:"ci" placeholder:"NAMESPACE/PROJECT" help:"Mint a GitLab CI/CD token for this project."`
	Workflow    string        `placeholder:"FILE" help:"GitHub: workflow file name (default release.yml). GitLab: CI config path (default .gitlab-ci.yml)."`
	Ref         string        `placeholder:"REF" help:"Git ref (default refs/heads/main)."`
	Environment string        `placeholder:"NAME" help:"Deployment environment claim."`
	EventName   string        `name:"event-name" placeholder:"EVENT" help:"GitHub event_name claim (default push)."`
	Audience    string        `default:"pypi" help:"aud claim."`
	TTL         time.Duration `default:"5m" help:"Token lifetime (negative: an expired token, to rehearse a refusal)."`
	ClaimIssuer string        `name:"claim-issuer" placeholder:"URL" help:"iss claim to sign (default: the dev issuer itself); another value rehearses a token from an issuer the index does not trust."`
}

func (c *devTokenCmd) Run(ctx context.Context, a *App) error {
	// A negative TTL asks for a token that expired -TTL ago.
	ttl, issuedAt := c.TTL, time.Time{}
	if ttl < 0 {
		issuedAt = time.Now().Add(ttl - time.Minute)
		ttl = time.Minute
	}
	var claims map[string]any
	var err error
	kind := "gitlab"
	if c.GitHub != "" {
		kind = "github"
	}
	issuer := devIssuerURL(c.Issuer, kind)
	switch {
	case c.GitHub != "":
		claims, err = devissuer.GitHubClaims(devissuer.GitHubIdentity{
			Repository: c.GitHub, Workflow: orDefault(c.Workflow, "release.yml"), Ref: c.Ref,
			Environment: c.Environment, EventName: c.EventName, Audience: c.Audience, TTL: ttl, IssuedAt: issuedAt,
			Issuer: orDefault(c.ClaimIssuer, issuer),
		})
	case c.GitLab != "":
		ns, proj, ok := cutLast(c.GitLab, "/")
		if !ok {
			return usageErr("--gitlab %q must be NAMESPACE/PROJECT", c.GitLab)
		}
		claims, err = devissuer.GitLabClaims(devissuer.GitLabIdentity{
			Namespace: ns, Project: proj, WorkflowFilepath: c.Workflow, RefPath: c.Ref,
			Environment: c.Environment, Audience: c.Audience, TTL: ttl, IssuedAt: issuedAt,
			Issuer: orDefault(c.ClaimIssuer, issuer),
		})
	default:
		return usageErr("give --github OWNER/REPO or --gitlab NAMESPACE/PROJECT")
	}
	if err != nil {
		return usageErr("%w", err)
	}
	tok, err := devissuer.Mint(ctx, a.HTTPClient, issuer, claims)
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
