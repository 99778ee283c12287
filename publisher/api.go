// Package publisher verifies OIDC identity tokens on the index side of
// trusted publishing and matches them to configured publishers with PyPI's
// claim rules.
//
// It answers exactly as PyPI (Warehouse) does: the same routes, the same
// HTTP statuses, the same error codes and descriptions, in the same order of
// evaluation:
//
//  1. invalid-payload: the body is not {"token": "<string>"} (a pydantic-like
//     description), the token is not a decodable JWT or has no "iss"
//     ("malformed JWT"), or the issuer is unknown ("unknown trusted
//     publishing issuer");
//  2. not-enabled: the issuer is one of PyPI's built-in issuers (GitHub,
//     GitLab, Google, ActiveState) but this index has no publisher of that
//     kind at that issuer ("github trusted publishing functionality not
//     enabled"): the index has that provider switched off, as PyPI's admin
//     flags do;
//  3. invalid-token: signature, kid, algorithm, iss, aud, exp, iat or nbf
//     failed ("malformed or invalid token");
//  4. invalid-pending-publisher: a pending publisher matched but its project
//     already exists;
//  5. invalid-reuse-token: the token's jti was already exchanged;
//  6. invalid-publisher: no publisher matched, with Warehouse's reason.
//
// Deliberate differences from Warehouse, all in the user's favour and none
// visible to a client that PyPI itself would treat differently: GitHub owner
// and repository names in the configuration are compared case-insensitively
// everywhere (PyPI stores GitHub's canonical spelling, a config file is typed
// by hand), the namespace/project part of GitLab's ci_config_ref_uri likewise,
// repository_owner_id is checked only when the publisher configures it
// (Publishers.Warnings names those that do not, for the index to log),
// several publishers with the same identity form one publisher for all their
// projects, and a replayed token that matches a pending publisher is
// refused with invalid-reuse-token (Warehouse lets that error escape as a
// server error).
package publisher

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/trustpub/trustpub/internal/jwtclaims"
	"github.com/trustpub/trustpub/secret"
)

// Default issuers of the two supported providers, as PyPI knows them.
const (
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	GitLabIssuer = "https://gitlab.com"
)

// Leeway is the clock skew tolerated on exp, iat and nbf (Warehouse: 30 s).
const Leeway = 30 * time.Second

// DefaultAudience is the audience used when Config.Audience is empty; it is
// PyPI's.
const DefaultAudience = "pypi"

// DefaultRefreshCooldown is how long after a successful JWKS fetch an
// unknown key ID does not trigger another fetch (Warehouse: 60 s), so that
// tokens with made-up key IDs cannot make the index hammer an issuer.
const DefaultRefreshCooldown = 60 * time.Second

// GitHub is a GitHub Actions trusted publisher.
type GitHub struct {
	Project     string `toml:"project"`     // project it may publish
	Owner       string `toml:"owner"`       // repository owner
	OwnerID     string `toml:"owner_id"`    // optional repository_owner_id
	Repository  string `toml:"repository"`  // repository name
	Workflow    string `toml:"workflow"`    // workflow file name, e.g. release.yml
	Environment string `toml:"environment"` // optional
	Issuer      string `toml:"issuer"`      // default https://token.actions.githubusercontent.com
	// Pending marks a publisher that may create its project: when its project
	// already exists the exchange is refused with invalid-pending-publisher,
	// as PyPI does. Requires Config.ProjectExists.
	Pending bool `toml:"pending"`
}

// GitLab is a GitLab CI/CD trusted publisher.
type GitLab struct {
	Project          string `toml:"project"`
	Namespace        string `toml:"namespace"`
	Repository       string `toml:"repository"` // GitLab project name
	WorkflowFilepath string `toml:"workflow_filepath"`
	Environment      string `toml:"environment"`
	Issuer           string `toml:"issuer"` // default https://gitlab.com
	// Pending: see GitHub.Pending.
	Pending bool `toml:"pending"`
}

// Publishers is the set of trusted publishers of an index.
type Publishers struct {
	GitHub []GitHub `toml:"github"`
	GitLab []GitLab `toml:"gitlab"`
}

// Config configures a Verifier.
type Config struct {
	Audience   string // e.g. "pypi"; default DefaultAudience
	Publishers Publishers
	HTTPClient *http.Client     // for issuer discovery and JWKS; default http.DefaultClient
	Now        func() time.Time // default time.Now
	// RefreshCooldown overrides DefaultRefreshCooldown (tests).
	RefreshCooldown time.Duration
	// ProjectExists tells whether a project already exists on the index; it
	// is needed only by pending publishers.
	ProjectExists func(ctx context.Context, project string) (bool, error)
	// Logger receives key refresh failures (never tokens); default discards.
	Logger *slog.Logger
}

// Match is a verified token matched to a publisher.
type Match struct {
	Publisher string   // human description, e.g. "GitHub octo/repo release.yml"
	Projects  []string // projects the minted upload token may publish
	Claims    map[string]any
	Expiry    time.Time // the OIDC token's exp
	Kind      string    // "github" or "gitlab"
	Issuer    string    // the token's iss
	Pending   bool      // matched a pending publisher (its project does not exist yet)
}

// Error is a refusal, with the code and description PyPI would answer.
type Error struct{ Code, Description string }

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Description }

// Refusal codes, as PyPI answers them.
const (
	CodeInvalidPayload          = "invalid-payload"
	CodeNotEnabled              = "not-enabled"
	CodeInvalidToken            = "invalid-token"
	CodeInvalidPendingPublisher = "invalid-pending-publisher"
	CodeInvalidReuseToken       = "invalid-reuse-token"
	CodeInvalidPublisher        = "invalid-publisher"
)

// Verifier verifies tokens and matches them to publishers. It is safe for
// concurrent use; it caches each issuer's keys and remembers used jti values.
type Verifier struct {
	cfg      Config
	issuers  map[string]string // issuer URL -> kind ("github", "gitlab")
	github   []*githubPublisher
	gitlab   []*gitlabPublisher
	replay   *replayStore
	mu       sync.Mutex
	keysets  map[string]*keySet
	cooldown time.Duration
}

// NewVerifier returns a Verifier for cfg, or an error naming the first bad
// publisher field (see Config.Validate).
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.checkPending(); err != nil {
		return nil, err
	}
	v := &Verifier{
		cfg:      cfg,
		issuers:  map[string]string{},
		replay:   newReplayStore(),
		keysets:  map[string]*keySet{},
		cooldown: cfg.RefreshCooldown,
	}
	if v.cooldown <= 0 {
		v.cooldown = DefaultRefreshCooldown
	}
	v.github, v.gitlab = groupPublishers(cfg.Publishers)
	for _, p := range v.github {
		v.issuers[p.issuer] = kindGitHub
	}
	for _, p := range v.gitlab {
		v.issuers[p.issuer] = kindGitLab
	}
	return v, nil
}

// Audience is the audience tokens must carry, as served at /_/oidc/audience.
func (v *Verifier) Audience() string { return v.cfg.Audience }

// Verify checks the token's signature and claims and returns the matching
// publisher, or an *Error with PyPI's code and description. On success the
// token's jti is recorded, so the same token is refused next time.
func (v *Verifier) Verify(ctx context.Context, token string) (*Match, error) {
	_, unverified, err := jwtclaims.Strict(token)
	if err != nil {
		return nil, &Error{Code: CodeInvalidPayload, Description: "malformed JWT"}
	}
	iss, ok := unverified["iss"].(string)
	if _, present := unverified["iss"]; !present {
		return nil, &Error{Code: CodeInvalidPayload, Description: "malformed JWT"}
	}
	kind, known := v.issuers[iss]
	if !ok || !known {
		if service, builtin := builtinIssuers()[iss]; ok && builtin {
			return nil, notEnabled(service)
		}
		return nil, &Error{Code: CodeInvalidPayload, Description: "unknown trusted publishing issuer"}
	}
	claims, err := v.verifySignature(ctx, token, iss)
	if err != nil {
		return nil, &Error{Code: CodeInvalidToken, Description: "malformed or invalid token"}
	}
	var m *Match
	switch kind {
	case kindGitHub:
		m, err = v.findGitHub(ctx, claims)
	default:
		m, err = v.findGitLab(ctx, claims)
	}
	if err != nil {
		return nil, err
	}
	// Atomically claim the jti only now that a publisher matched (Warehouse's
	// SET NX): of two concurrent exchanges of one token, exactly one wins.
	if jti, ok := claims["jti"]; ok && jti != nil {
		if !v.replay.store(replayKey(iss, jti), m.Expiry.Add(Leeway+5*time.Second), v.cfg.Now()) {
			return nil, reuseErr()
		}
	}
	return m, nil
}

// notEnabled is the refusal for a built-in issuer the index does not trust.
func notEnabled(service string) *Error {
	return &Error{Code: CodeNotEnabled, Description: service + " trusted publishing functionality not enabled"}
}

func reuseErr() *Error {
	return &Error{Code: CodeInvalidReuseToken, Description: "invalid token: already used"}
}

// publisherErr wraps a Warehouse InvalidPublisherError reason.
func publisherErr(reason string) *Error {
	return &Error{Code: CodeInvalidPublisher, Description: "valid token, but no corresponding publisher (" + reason + ")"}
}

// errReused is raised by the jti claim check, as Warehouse's ReusedTokenError.
var errReused = errors.New("jti already used")

// MintFunc issues the short-lived upload token for a verified match; the
// index supplies it (it owns its token store). lifetime is how long the
// token must be valid (PyPI: 15 minutes).
type MintFunc func(ctx context.Context, m *Match, lifetime time.Duration) (token secret.String, expires time.Time, err error)
