package publisher_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devissuer/devissuertest"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/secret"

	"github.com/trustpub/trustpub/internal/testutil"
)

// Keys are slow to make; every test shares two.
var (
	keyA = devissuertest.Key
	keyB = devissuertest.OtherKey
)

// issuerServer is a dev issuer on loopback whose signing issuer can be
// swapped (key rotation) and whose JWKS can be made to fail.
type issuerServer struct {
	srv       *httptest.Server
	cur       atomic.Pointer[devissuer.Issuer]
	jwksHits  atomic.Int32
	jwksFails atomic.Bool
}

func newIssuerServer(t testing.TB, key *rsa.PrivateKey) *issuerServer {
	t.Helper()
	is := &issuerServer{}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/jwks.json" {
			is.jwksHits.Add(1)
			if is.jwksFails.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
		}
		is.cur.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(is.srv.Close)
	is.use(t, key)
	return is
}

// use makes the server sign and publish with key.
func (is *issuerServer) use(t testing.TB, key *rsa.PrivateKey) *devissuer.Issuer {
	t.Helper()
	iss, err := devissuer.New(is.srv.URL, key)
	if err != nil {
		t.Fatal(err)
	}
	is.cur.Store(iss)
	return iss
}

func (is *issuerServer) issuer() *devissuer.Issuer { return is.cur.Load() }

// index is a fake Warehouse: the real Endpoint over loopback.
type index struct {
	srv     *httptest.Server
	v       *publisher.Verifier
	clock   *testutil.Clock
	logs    *testutil.Buffer
	mu      sync.Mutex
	matches []*publisher.Match
}

func newIndex(t *testing.T, cfg publisher.Config) *index {
	t.Helper()
	ix := &index{clock: testutil.NewClock(time.Now()), logs: &testutil.Buffer{}}
	cfg.Now = ix.clock.Now
	logger := slog.New(slog.NewTextHandler(ix.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Logger = logger
	v, err := publisher.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ix.v = v
	ep := &publisher.Endpoint{Verifier: v, Logger: logger, Mint: func(ctx context.Context, m *publisher.Match, lifetime time.Duration) (secret.String, time.Time, error) {
		ix.mu.Lock()
		ix.matches = append(ix.matches, m)
		ix.mu.Unlock()
		return secret.New("pypi-minted-for-" + strings.Join(m.Projects, ",")), ix.clock.Now().Add(lifetime), nil
	}}
	mux := http.NewServeMux()
	mux.Handle("/_/oidc/", ep)
	ix.srv = httptest.NewServer(mux)
	t.Cleanup(ix.srv.Close)
	return ix
}

// answer is a decoded mint-token response.
type answer struct {
	status  int
	Message string `json:"message"`
	Errors  []struct {
		Code        string `json:"code"`
		Description string `json:"description"`
	} `json:"errors"`
	Success bool   `json:"success"`
	Token   string `json:"token"`
	Expires int64  `json:"expires"`
}

func (ix *index) post(t *testing.T, path, body string) answer {
	t.Helper()
	resp, err := http.Post(ix.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	a.status = resp.StatusCode
	return a
}

func (ix *index) exchange(t *testing.T, token string) answer {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"token": token})
	return ix.post(t, "/_/oidc/mint-token", string(b))
}

// wantRefusal asserts a 422 with exactly one error of code and description.
func wantRefusal(t *testing.T, a answer, code, desc string) {
	t.Helper()
	if a.status != http.StatusUnprocessableEntity || a.Message != "Token request failed" || len(a.Errors) != 1 {
		t.Fatalf("got %d %+v, want 422 Token request failed with one error", a.status, a)
	}
	if a.Errors[0].Code != code || a.Errors[0].Description != desc {
		t.Fatalf("got %q: %q\nwant %q: %q", a.Errors[0].Code, a.Errors[0].Description, code, desc)
	}
}

func githubID(mod func(*devissuer.GitHubIdentity)) devissuer.GitHubIdentity {
	id := devissuer.GitHubIdentity{Owner: "octo", OwnerID: "4242", Repository: "sample", Workflow: "release.yml", Ref: "refs/tags/v1.0", SHA: strings.Repeat("ab", 20)}
	if mod != nil {
		mod(&id)
	}
	return id
}

func ghToken(t *testing.T, iss *devissuer.Issuer, mod func(*devissuer.GitHubIdentity)) string {
	t.Helper()
	tok, err := iss.GitHubToken(githubID(mod))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ghClaims returns GitHub-shaped claims for iss, edited by edit, signed.
func ghSigned(t *testing.T, iss *devissuer.Issuer, edit func(map[string]any)) string {
	t.Helper()
	id := githubID(nil)
	id.Issuer = iss.URL()
	c, err := devissuer.GitHubClaims(id)
	return signEdited(t, iss, c, err, edit)
}

// signEdited signs claims (made with err) after edit changed them.
func signEdited(t *testing.T, iss *devissuer.Issuer, claims map[string]any, err error, edit func(map[string]any)) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	edit(claims)
	tok, err := iss.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newHTTPServer serves h on loopback for the test and returns its URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
