package index

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trustpub/trustpub/attest"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
)

// PyPI's authentication refusals (warehouse/forklift/decorators.py,
// warehouse/accounts/security_policy.py).
const (
	msgNoAuth = "Invalid or non-existent authentication information. " +
		"See https://pypi.org/help/#invalid-auth for more information."
	msgPasswordAuth = "Username/Password authentication is no longer supported. " +
		"Migrate to API Tokens or Trusted Publishers instead. " +
		"See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers"
	msgExpiredToken = "Invalid API Token: token is expired"
)

// identity is who an upload request authenticated as.
type identity struct {
	name      string          // token name or publisher, for logs
	projects  map[string]bool // normalized names; nil: any project
	oidc      bool            // minted through trusted publishing
	expires   time.Time       // zero: never
	publisher string
	pending   bool             // minted for a pending publisher: see pendingRefusal
	attest    *attest.Identity // what its attestations must name; nil: none
}

// allows reports whether the identity may upload to the normalized project.
func (id *identity) allows(normalized string) bool {
	return id.projects == nil || id.projects[normalized]
}

// configToken is an API token from the configuration, kept as its SHA-256.
type configToken struct {
	digest [sha256.Size]byte
	id     *identity
}

// tokenStore holds the configured tokens and the short-lived tokens minted
// through trusted publishing. Tokens are kept only as SHA-256 digests.
type tokenStore struct {
	now    func() time.Time
	config []configToken

	mu     sync.Mutex
	minted map[[sha256.Size]byte]*identity
}

func newTokenStore(tokens []APIToken, now func() time.Time) (*tokenStore, error) {
	ts := &tokenStore{now: now, minted: map[[sha256.Size]byte]*identity{}}
	for i, t := range tokens {
		name := t.Name
		if name == "" {
			name = fmt.Sprintf("token #%d", i+1)
		}
		v := strings.TrimSpace(t.Token.Reveal())
		if v == "" {
			return nil, fmt.Errorf("API token %q is empty: give it a value", name)
		}
		id := &identity{name: name}
		if len(t.Projects) > 0 {
			id.projects = map[string]bool{}
			for _, p := range t.Projects {
				id.projects[pydist.NormalizeName(p)] = true
			}
		}
		ts.config = append(ts.config, configToken{digest: sha256.Sum256([]byte(v)), id: id})
	}
	return ts, nil
}

// lookup finds the identity of a token. expired is true for a minted token
// that is known but past its expiry.
func (ts *tokenStore) lookup(token string) (id *identity, expired bool) {
	d := sha256.Sum256([]byte(token))
	var found *identity
	for i := range ts.config {
		// Compare every configured token, in constant time, without an
		// early exit.
		if subtle.ConstantTimeCompare(d[:], ts.config[i].digest[:]) == 1 {
			found = ts.config[i].id
		}
	}
	if found != nil {
		return found, false
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	m := ts.minted[d]
	if m == nil {
		return nil, false
	}
	if !ts.now().Before(m.expires) {
		return nil, true
	}
	return m, false
}

// mint stores a new random token for id and returns it.
func (ts *tokenStore) mint(id *identity) (secret.String, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return secret.String{}, fmt.Errorf("generating token: %w", err)
	}
	tok := "pypi-" + base64.RawURLEncoding.EncodeToString(b[:])
	d := sha256.Sum256([]byte(tok))
	now := ts.now()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	// Forget tokens expired for more than an hour (an expired token is
	// remembered for a while to answer "token is expired" like PyPI).
	for k, v := range ts.minted {
		if now.Sub(v.expires) > time.Hour {
			delete(ts.minted, k)
		}
	}
	ts.minted[d] = id
	return secret.New(tok), nil
}

// mint is the publisher.MintFunc: a token limited to the publisher's
// projects, valid for lifetime (PyPI: 15 minutes).
func (s *Server) mint(ctx context.Context, m *publisher.Match, lifetime time.Duration) (secret.String, time.Time, error) {
	if s.opts.MintedTokenLifetime > 0 || lifetime <= 0 {
		lifetime = cmp.Or(s.opts.MintedTokenLifetime, 15*time.Minute)
	}
	if len(m.Projects) == 0 {
		return secret.String{}, time.Time{}, fmt.Errorf("publisher %s has no project", m.Publisher)
	}
	expires := s.now().Add(lifetime)
	id := &identity{name: "trusted publisher " + m.Publisher, projects: map[string]bool{}, oidc: true, expires: expires, publisher: m.Publisher, pending: m.Pending, attest: attestIdentity(m)}
	for _, p := range m.Projects {
		id.projects[pydist.NormalizeName(p)] = true
	}
	tok, err := s.tokens.mint(id)
	if err != nil {
		return secret.String{}, time.Time{}, err
	}
	s.log.InfoContext(ctx, "minted upload token", "publisher", m.Publisher, "projects", m.Projects, "expires", expires.UTC().Format(time.RFC3339))
	return tok, expires, nil
}

// authenticate returns the identity of the request, or the 403 message
// PyPI would answer.
func (s *Server) authenticate(r *http.Request) (*identity, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, msgNoAuth
	}
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok {
		return nil, msgNoAuth
	}
	var token string
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return nil, msgNoAuth
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		if user != "__token__" {
			return nil, msgPasswordAuth
		}
		token = strings.TrimSpace(pass)
	case "token", "bearer":
		token = strings.TrimSpace(rest)
	default:
		return nil, msgNoAuth
	}
	if token == "" {
		return nil, msgNoAuth
	}
	id, expired := s.tokens.lookup(token)
	if expired {
		return nil, msgExpiredToken
	}
	if id == nil {
		return nil, msgNoAuth
	}
	return id, ""
}
