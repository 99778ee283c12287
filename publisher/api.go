// Package publisher verifies OIDC identity tokens on the index side of
// trusted publishing and matches them to configured publishers with PyPI's
// claim rules.
package publisher

// CONTRACT FILE written by the lead: package index compiles against these
// names. The publisher owner replaces the bodies and may add to (not rename)
// this API; move declarations into other files freely.

import (
	"context"
	"net/http"
	"time"

	"github.com/trustpub/trustpub/secret"
)

// GitHub is a GitHub Actions trusted publisher.
type GitHub struct {
	Project     string `toml:"project"`     // project it may publish
	Owner       string `toml:"owner"`       // repository owner
	OwnerID     string `toml:"owner_id"`    // optional repository_owner_id
	Repository  string `toml:"repository"`  // repository name
	Workflow    string `toml:"workflow"`    // workflow file name, e.g. release.yml
	Environment string `toml:"environment"` // optional
	Issuer      string `toml:"issuer"`      // default https://token.actions.githubusercontent.com
}

// GitLab is a GitLab CI/CD trusted publisher.
type GitLab struct {
	Project          string `toml:"project"`
	Namespace        string `toml:"namespace"`
	Repository       string `toml:"repository"` // GitLab project name
	WorkflowFilepath string `toml:"workflow_filepath"`
	Environment      string `toml:"environment"`
	Issuer           string `toml:"issuer"` // default https://gitlab.com
}

// Publishers is the set of trusted publishers of an index.
type Publishers struct {
	GitHub []GitHub `toml:"github"`
	GitLab []GitLab `toml:"gitlab"`
}

// Config configures a Verifier.
type Config struct {
	Audience   string // e.g. "pypi"
	Publishers Publishers
	HTTPClient *http.Client     // for issuer discovery and JWKS; default http.DefaultClient
	Now        func() time.Time // default time.Now
}

// Match is a verified token matched to a publisher.
type Match struct {
	Publisher string   // human description, e.g. "GitHub octo/repo release.yml"
	Projects  []string // projects the minted upload token may publish
	Claims    map[string]any
	Expiry    time.Time // the OIDC token's exp
}

// Error is a refusal, with the code and description PyPI would answer.
type Error struct{ Code, Description string }

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Description }

// Verifier verifies tokens and matches them to publishers.
type Verifier struct{ cfg Config }

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg Config) (*Verifier, error) { return &Verifier{cfg: cfg}, nil }

// Verify checks the token's signature and claims and returns the matching
// publisher, or an *Error with PyPI's code and description.
func (v *Verifier) Verify(ctx context.Context, token string) (*Match, error) {
	return nil, &Error{Code: "not-enabled", Description: "not implemented yet"}
}

// MintFunc issues the short-lived upload token for a verified match; the
// index supplies it (it owns its token store). lifetime is how long the
// token must be valid (PyPI: 15 minutes).
type MintFunc func(ctx context.Context, m *Match, lifetime time.Duration) (token secret.String, expires time.Time, err error)

// Endpoint serves the index side of trusted publishing exactly as PyPI
// (Warehouse) does: GET /_/oidc/audience, POST /_/oidc/mint-token and its
// legacy alias /_/oidc/github/mint-token. A nil Verifier answers 403
// "Trusted publishing functionality not enabled" on every route.
type Endpoint struct {
	Verifier *Verifier
	Mint     MintFunc
}

// ServeHTTP implements http.Handler; mount it at "/_/oidc/".
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
