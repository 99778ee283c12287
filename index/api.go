// Package index is a PyPI-compatible package index: the simple repository
// API (PEP 503/691), the legacy upload API and trusted publishing.
package index

// CONTRACT FILE written by the lead: other packages' tests and the CLI
// compile against these names. The index owner replaces the bodies and may
// add to (not rename) this API; move declarations into other files freely.

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/secret"
)

// APIToken is an upload token the index accepts as Basic __token__:<token>.
type APIToken struct {
	Name     string
	Token    secret.String
	Projects []string // empty: any project
}

// Options configures a Server.
type Options struct {
	DataDir     string
	Tokens      []APIToken
	Audience    string              // trusted-publishing audience; default "pypi"
	Verifier    *publisher.Verifier // nil: trusted publishing disabled (403 on /_/oidc/audience)
	MaxFileSize int64               // default 100 MiB
	Logger      *slog.Logger
}

// Server is an index over a data directory.
type Server struct{ opts Options }

// New opens (creating if needed) the data directory and returns a Server.
func New(opts Options) (*Server, error) { return nil, errors.New("index: not implemented yet") }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
