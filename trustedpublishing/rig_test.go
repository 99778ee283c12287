package trustedpublishing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devissuer/devissuertest"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/secret"
)

// newIssuer serves a dev issuer on loopback.
func newIssuer(t *testing.T) *devissuer.Issuer {
	return devissuertest.Serve(t, devissuertest.Key())
}

// fakeWarehouse is the index side: the real publisher.Endpoint, verifying
// RS256 tokens against the dev issuers' JWKS over loopback.
type fakeWarehouse struct {
	srv    *httptest.Server
	github *devissuer.Issuer
	gitlab *devissuer.Issuer
	mints  atomic.Int32
	posts  atomic.Int32
	// clock gives the minted tokens' expiry; default time.Now.
	clock atomic.Pointer[func() time.Time]
}

func newWarehouse(t *testing.T) *fakeWarehouse {
	t.Helper()
	fw := &fakeWarehouse{github: newIssuer(t), gitlab: newIssuer(t)}
	cfg := publisher.Config{
		Publishers: publisher.Publishers{
			GitHub: []publisher.GitHub{
				{Project: "sample", Owner: "octo", Repository: "sample", Workflow: "release.yml", Environment: "pypi", Issuer: fw.github.URL()},
				{Project: "newproj", Owner: "octo", Repository: "pending", Workflow: "release.yml", Issuer: fw.github.URL(), Pending: true},
			},
			GitLab: []publisher.GitLab{
				{Project: "sample", Namespace: "group", Repository: "sample", WorkflowFilepath: ".gitlab-ci.yml", Issuer: fw.gitlab.URL()},
			},
		},
		ProjectExists: func(context.Context, string) (bool, error) { return true, nil },
	}
	v, err := publisher.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ep := &publisher.Endpoint{Verifier: v, Mint: func(ctx context.Context, m *publisher.Match, lifetime time.Duration) (secret.String, time.Time, error) {
		n := fw.mints.Add(1)
		now := time.Now
		if c := fw.clock.Load(); c != nil {
			now = *c
		}
		return secret.New("pypi-CANARY-upload-" + strings.Join(m.Projects, ",") + "-" + string(rune('a'+n))), now().Add(lifetime), nil
	}}
	mux := http.NewServeMux()
	mux.Handle("/_/oidc/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			fw.posts.Add(1)
		}
		ep.ServeHTTP(w, r)
	}))
	fw.srv = httptest.NewServer(mux)
	t.Cleanup(fw.srv.Close)
	return fw
}

func (fw *fakeWarehouse) uploadURL() string { return fw.srv.URL + "/legacy/" }

func (fw *fakeWarehouse) githubToken(t *testing.T, mod func(*devissuer.GitHubIdentity)) string {
	t.Helper()
	id := devissuer.GitHubIdentity{Owner: "octo", Repository: "sample", Workflow: "release.yml", Environment: "pypi", Ref: "refs/tags/v1"}
	return signedIdentity(t, id, mod, fw.github.GitHubToken)
}

func (fw *fakeWarehouse) gitlabToken(t *testing.T, mod func(*devissuer.GitLabIdentity)) string {
	t.Helper()
	return signedIdentity(t, devissuer.GitLabIdentity{Namespace: "group", Project: "sample"}, mod, fw.gitlab.GitLabToken)
}

// signedIdentity is the token sign makes for id, after mod (if any)
// changed it.
func signedIdentity[ID any](t *testing.T, id ID, mod func(*ID), sign func(ID) (string, error)) string {
	t.Helper()
	if mod != nil {
		mod(&id)
	}
	tok, err := sign(id)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// fixed is a DetectFunc that finds tok.
func fixed(tok string) func(context.Context, string) (ambient.Token, bool, error) {
	return func(context.Context, string) (ambient.Token, bool, error) { return ambient.NewToken(tok), true, nil }
}

// envOf is a LookupEnv over a map.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// recorder collects what an Exchanger writes and warns, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "out:"+string(p))
	return len(p), nil
}

func (r *recorder) warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "warn:"+msg)
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}
