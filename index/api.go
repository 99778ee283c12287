// Package index is a PyPI-compatible package index: the simple repository
// API (PEP 503/691/700/658/714), the legacy upload API with PyPI's rules and
// messages, and the index side of trusted publishing.
//
// Everything is stored under one data directory; a file becomes visible only
// once it and its record are complete and durable, and a restarted Server
// serves what was stored before.
package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/trustpub/trustpub/attest"
	"github.com/trustpub/trustpub/internal/bufpool"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
)

// APIToken is an upload token the index accepts as Basic __token__:<token>
// (or "Authorization: token <t>" / "bearer <t>", as PyPI does).
type APIToken struct {
	Name     string        // shown in logs instead of the token
	Token    secret.String // the token itself; never logged
	Projects []string      // empty: any project (and may create projects)
}

// Options configures a Server. Zero values take the documented defaults.
type Options struct {
	// DataDir holds files, their records and temporary uploads. Required.
	DataDir string
	// Tokens are the API tokens accepted for uploads.
	Tokens []APIToken
	// Audience is the trusted-publishing audience; default "pypi".
	Audience string
	// Verifier verifies OIDC tokens for trusted publishing. When nil and
	// Publishers is not empty, New builds one from Publishers and Audience;
	// when nil and Publishers is empty, trusted publishing is disabled (403
	// "Trusted publishing functionality not enabled" on /_/oidc/audience).
	Verifier *publisher.Verifier
	// Publishers are the trusted publishers (from the config file).
	Publishers publisher.Publishers
	// MaxFileSize is the largest distribution file accepted; default 100 MiB.
	MaxFileSize int64
	// AllowLocalVersions accepts "1.0+local" versions; PyPI refuses them.
	AllowLocalVersions bool
	// MintedTokenLifetime, when set, is how long a token minted through
	// trusted publishing stays valid; default: what the trusted-publishing
	// endpoint asks for (15 minutes, as PyPI).
	MintedTokenLifetime time.Duration
	// ReleaseUploadWindow is how long after its first file a release
	// accepts new files; default 14 days (PyPI); negative: no limit.
	ReleaseUploadWindow time.Duration
	// Limits bound connections and transfer times (see HTTPServer); zero
	// fields take the defaults.
	Limits Limits
	// Attestations verifies the PEP 740 attestations of trusted-publishing
	// uploads against a Sigstore trusted root; nil: uploads with
	// attestations are refused.
	Attestations *attest.Verifier
	// Logger receives request and upload logs; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// DefaultMaxFileSize is PyPI's default per-file upload limit.
const DefaultMaxFileSize int64 = 100 << 20

// Server is an index over a data directory. It is an http.Handler; create it
// with New and release it with Close.
type Server struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	store  *store
	tokens *tokenStore
	mux    *http.ServeMux
	h      http.Handler // mux wrapped in request logging

	// pendingOwner maps a project created by a pending publisher's token
	// to that publisher; guarded by store.commitMu (see pendingRefusal).
	pendingOwner map[string]string

	// bufs recycles the receive buffers of uploads by size, so that
	// uploads reuse memory already faulted in.
	bufs bufpool.Pool

	closeOnce sync.Once
	closeErr  error
}

// New opens (creating if needed) the data directory, removes temporary files
// left by a crash, opens the catalog of stored files (rebuilding it from the
// record files when the previous Server did not close cleanly) and returns a
// Server; projects are loaded from the catalog when first asked for. Only one
// Server may use a data directory at a time.
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("index: Options.DataDir is empty: give the data directory")
	}
	if opts.Audience == "" {
		opts.Audience = "pypi"
	}
	if opts.MaxFileSize == 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.MaxFileSize < 0 {
		return nil, fmt.Errorf("index: Options.MaxFileSize is %d: it must be positive", opts.MaxFileSize)
	}
	if opts.ReleaseUploadWindow == 0 {
		opts.ReleaseUploadWindow = 14 * 24 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Limits = opts.Limits.withDefaults()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tokens, err := newTokenStore(opts.Tokens, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	st, err := openStore(opts.DataDir, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, store: st, tokens: tokens, pendingOwner: map[string]string{}}
	if opts.Verifier == nil && (len(opts.Publishers.GitHub) > 0 || len(opts.Publishers.GitLab) > 0) {
		v, err := publisher.NewVerifier(publisher.Config{
			Audience:   opts.Audience,
			Publishers: opts.Publishers,
			Now:        opts.Now,
			Logger:     opts.Logger,
			ProjectExists: func(_ context.Context, name string) (bool, error) {
				return st.project(pydist.NormalizeName(name)) != nil, nil
			},
		})
		if err != nil {
			st.close()
			return nil, fmt.Errorf("index: trusted publishers: %w", err)
		}
		s.opts.Verifier = v
	}
	s.mux = s.routes()
	s.h = nosniff(s.logRequests(s.mux))
	projects, files := st.projectList(), 0
	for _, p := range projects {
		files += p.files
	}
	s.log.Info("index opened", "data", opts.DataDir, "projects", len(projects), "files", files,
		"tokens", len(opts.Tokens), "trusted_publishing", s.opts.Verifier != nil)
	return s, nil
}

// LockedError is returned by [New] when another Server (in this process or
// another) holds the data directory's lock.
type LockedError struct {
	// Lock is the lock file's path.
	Lock string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another trustpub server is using it (lock %s is held): stop it or use another data directory", e.Lock)
}

// AcceptsUploads reports whether any upload can succeed: the Server has an
// API token or trusted publishing. Without either every upload is refused
// (403); a program that runs a Server tells its user how to add one.
func (s *Server) AcceptsUploads() bool {
	return len(s.opts.Tokens) > 0 || s.opts.Verifier != nil
}

// ServeHTTP implements http.Handler. Every request is logged with its method,
// path, status, response size and duration (never its Authorization header).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.h.ServeHTTP(w, r)
}

// Close releases the data directory lock. Requests still in flight may fail
// afterwards; stop the http.Server first (Shutdown) and then Close.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.store.close() })
	return s.closeErr
}

// routes builds the request router.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("GET /simple/{$}", s.handleSimpleIndex)
	mux.HandleFunc("GET /simple", redirectTo("/simple/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /simple/{project}", s.handleSimpleProject)
	mux.HandleFunc("GET /simple/{project}/{$}", s.handleSimpleProject)
	mux.HandleFunc("GET /files/{project}/{filename}", s.handleFile)
	mux.HandleFunc("GET /integrity/{project}/{version}/{filename}/provenance", s.handleProvenance)
	mux.HandleFunc("POST /legacy/{$}", withReason(s.handleUpload))
	mux.HandleFunc("POST /legacy", withReason(s.handleLegacyNoSlash))
	mux.HandleFunc("/legacy/{$}", methodNotAllowed("POST"))
	mux.Handle("/_/oidc/", &publisher.Endpoint{Verifier: s.opts.Verifier, Mint: s.mint, Logger: s.log})
	return mux
}
