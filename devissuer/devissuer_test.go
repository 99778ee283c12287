package devissuer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devissuer/devissuertest"
	"github.com/trustpub/trustpub/secret"
)

var testKey = devissuertest.Key

// serve mounts an issuer at /_/dev-issuer/ of a loopback server, as
// `trustpub serve --dev-issuer` does, with or without StripPrefix.
func serve(t *testing.T, strip bool) (*devissuer.Issuer, string) {
	t.Helper()
	var iss *devissuer.Issuer
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	url := srv.URL + "/_/dev-issuer"
	iss, err := devissuer.New(url, testKey())
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = iss
	if strip {
		h = http.StripPrefix("/_/dev-issuer", iss)
	}
	mux.Handle("/_/dev-issuer/", h)
	return iss, url
}

// TestVerifiesWithGoOIDC checks discovery, JWKS and signatures with an
// independent verifier (go-oidc), mounted both ways.
func TestVerifiesWithGoOIDC(t *testing.T) {
	for _, strip := range []bool{false, true} {
		iss, url := serve(t, strip)
		ctx := context.Background()
		p, err := oidc.NewProvider(ctx, url)
		if err != nil {
			t.Fatalf("strip=%v: discovery: %v", strip, err)
		}
		tok, err := iss.GitHubToken(devissuer.GitHubIdentity{Owner: "octo", Repository: "repo", Workflow: "release.yml"})
		if err != nil {
			t.Fatal(err)
		}
		idt, err := p.Verifier(&oidc.Config{ClientID: "pypi", SupportedSigningAlgs: []string{"RS256"}}).Verify(ctx, tok)
		if err != nil {
			t.Fatalf("strip=%v: go-oidc refuses the token: %v", strip, err)
		}
		if idt.Issuer != url || idt.Subject != "repo:octo/repo:ref:refs/heads/main" {
			t.Fatalf("token %+v", idt)
		}
		// Another key's token with the same claims is refused.
		other, err := devissuer.New(url, devissuertest.OtherKey())
		if err != nil {
			t.Fatal(err)
		}
		bad, _ := other.GitHubToken(devissuer.GitHubIdentity{Owner: "octo", Repository: "repo", Workflow: "release.yml"})
		if _, err := p.Verifier(&oidc.Config{ClientID: "pypi"}).Verify(ctx, bad); err == nil {
			t.Fatal("token of another key verified")
		}
	}
}

func TestRoutes(t *testing.T) {
	iss, url := serve(t, false)
	iss.GitHub = &devissuer.GitHubIdentity{Owner: "octo", Repository: "repo", Workflow: "release.yml", Environment: "pypi"}
	iss.RequestToken = secret.New("request-token")
	iss.Hosts = []string{"index.example"}
	tests := []struct {
		name, method, path, body, auth, remote string
		host, contentType                      string
		status                                 int
		check                                  func(t *testing.T, body map[string]any)
	}{
		{name: "discovery", method: "GET", path: "/.well-known/openid-configuration", status: 200, check: func(t *testing.T, b map[string]any) {
			if b["issuer"] != url || b["jwks_uri"] != url+"/.well-known/jwks.json" {
				t.Fatalf("discovery %v", b)
			}
		}},
		{name: "jwks", method: "GET", path: "/.well-known/jwks.json", status: 200, check: func(t *testing.T, b map[string]any) {
			keys := b["keys"].([]any)
			k := keys[0].(map[string]any)
			if len(keys) != 1 || k["kid"] != iss.KeyID() || k["alg"] != "RS256" || k["kty"] != "RSA" || k["d"] != nil {
				t.Fatalf("jwks %v", b)
			}
		}},
		{name: "mint", method: "POST", path: "/mint", body: `{"sub": "x", "aud": "pypi", "n": 12345678901234}`, status: 200, check: func(t *testing.T, b map[string]any) {
			c := claimsOf(t, b["token"].(string))
			if c["iss"] != url || c["sub"] != "x" || c["jti"] == "" || c["exp"].(float64)-c["iat"].(float64) != 300 || c["n"].(float64) != 12345678901234 {
				t.Fatalf("claims %v", c)
			}
		}},
		{name: "mint from another host", method: "POST", path: "/mint", body: `{}`, remote: "192.0.2.7:5000", status: 403},
		{name: "mint not an object", method: "POST", path: "/mint", body: `[1]`, status: 400},
		{name: "mint without a content type", method: "POST", path: "/mint", body: `{}`, contentType: "-", status: 415},
		{name: "mint as text/plain (a page's simple request)", method: "POST", path: "/mint", body: `{}`, contentType: "text/plain", status: 415},
		{name: "mint as a form", method: "POST", path: "/mint", body: `{}`, contentType: "application/x-www-form-urlencoded", status: 415},
		{name: "mint with JSON and charset", method: "POST", path: "/mint", body: `{}`, contentType: "application/json; charset=utf-8", status: 200},
		{name: "mint for a rebound host name", method: "POST", path: "/mint", body: `{}`, host: "rebind.example:80", status: 403},
		{name: "mint for a configured host", method: "POST", path: "/mint", body: `{}`, host: "INDEX.example", status: 200},
		{name: "github token for a rebound host name", method: "GET", path: "/github/token?audience=pypi", auth: "bearer request-token", host: "rebind.example", status: 403},
		{name: "mint by GET", method: "GET", path: "/mint", status: 405},
		{name: "github token", method: "GET", path: "/github/token?audience=testpypi", auth: "bearer request-token", status: 200, check: func(t *testing.T, b map[string]any) {
			c := claimsOf(t, b["value"].(string))
			if c["aud"] != "testpypi" || c["iss"] != url || c["environment"] != "pypi" || c["sub"] != "repo:octo/repo:environment:pypi" {
				t.Fatalf("claims %v", c)
			}
		}},
		{name: "github token wrong bearer", method: "GET", path: "/github/token?audience=pypi", auth: "bearer nope", status: 401},
		{name: "github token from another host", method: "GET", path: "/github/token?audience=pypi", auth: "bearer request-token", remote: "[2001:db8::1]:80", status: 403},
		{name: "unknown", method: "GET", path: "/nope", status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, url+tc.path, strings.NewReader(tc.body))
			req.RemoteAddr = "127.0.0.1:40000"
			if tc.remote != "" {
				req.RemoteAddr = tc.remote
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			switch {
			case tc.contentType == "-":
			case tc.contentType != "":
				req.Header.Set("Content-Type", tc.contentType)
			case tc.method == "POST":
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			iss.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.check != nil {
				var b map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
					t.Fatal(err)
				}
				tc.check(t, b)
			}
		})
	}
}

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	var c map[string]any
	b, err := base64URL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGitHubClaims(t *testing.T) {
	at := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		id   devissuer.GitHubIdentity
		want map[string]any
		err  string
	}{
		{"push to main", devissuer.GitHubIdentity{Owner: "octo", Repository: "repo", Workflow: "release.yml", IssuedAt: at}, map[string]any{
			"iss": "https://token.actions.githubusercontent.com", "aud": "pypi", "sub": "repo:octo/repo:ref:refs/heads/main",
			"repository": "octo/repo", "repository_owner": "octo", "ref": "refs/heads/main", "ref_type": "branch", "event_name": "push",
			"workflow_ref": "octo/repo/.github/workflows/release.yml@refs/heads/main", "job_workflow_ref": "octo/repo/.github/workflows/release.yml@refs/heads/main",
			"iat": int64(1700000000), "nbf": int64(1700000000), "exp": int64(1700000300), "environment": nil,
		}, ""},
		{"tag in environment", devissuer.GitHubIdentity{Repository: "octo/repo", OwnerID: "99", Workflow: "publish.yaml", Ref: "refs/tags/v1", Environment: "pypi", TTL: time.Minute, IssuedAt: at}, map[string]any{
			"sub": "repo:octo/repo:environment:pypi", "ref_type": "tag", "environment": "pypi", "repository_owner_id": "99", "exp": int64(1700000060),
		}, ""},
		{"pull request", devissuer.GitHubIdentity{Owner: "octo", Repository: "repo", Workflow: "ci.yml", EventName: "pull_request", IssuedAt: at}, map[string]any{
			"sub": "repo:octo/repo:pull_request", "event_name": "pull_request",
		}, ""},
		{"reusable workflow", devissuer.GitHubIdentity{Owner: "octo", Repository: "repo", Workflow: "ci.yml", JobWorkflowRef: "org/shared/.github/workflows/pub.yml@refs/heads/main", IssuedAt: at}, map[string]any{
			"workflow_ref": "octo/repo/.github/workflows/ci.yml@refs/heads/main", "job_workflow_ref": "org/shared/.github/workflows/pub.yml@refs/heads/main",
		}, ""},
		{"no owner", devissuer.GitHubIdentity{Repository: "repo", Workflow: "ci.yml"}, nil, "owner is empty"},
		{"workflow path", devissuer.GitHubIdentity{Owner: "o", Repository: "r", Workflow: ".github/workflows/ci.yml"}, nil, "workflow file name"},
		{"owner mismatch", devissuer.GitHubIdentity{Owner: "a", Repository: "b/r", Workflow: "ci.yml"}, nil, `names owner "b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := devissuer.GitHubClaims(tc.id)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got, ok := c[k]; v == nil && ok || v != nil && got != v {
					t.Errorf("%s = %#v, want %#v", k, got, v)
				}
			}
			// GitHub sends every claim but the times as a string.
			for k, v := range c {
				if _, isStr := v.(string); !isStr && k != "iat" && k != "nbf" && k != "exp" {
					t.Errorf("claim %s is %T, GitHub sends strings", k, v)
				}
			}
			if id, _ := c["repository_owner_id"].(string); id == "" || strings.Trim(id, "0123456789") != "" {
				t.Errorf("repository_owner_id %q is not numeric", id)
			}
		})
	}
}

func TestGitLabClaims(t *testing.T) {
	tests := []struct {
		name string
		id   devissuer.GitLabIdentity
		want map[string]string
	}{
		{"gitlab.com branch", devissuer.GitLabIdentity{Namespace: "grp", Project: "proj"}, map[string]string{
			"iss": "https://gitlab.com", "sub": "project_path:grp/proj:ref_type:branch:ref:main", "project_path": "grp/proj",
			"namespace_path": "grp", "ref_path": "refs/heads/main", "ref": "main", "ref_type": "branch",
			"ci_config_ref_uri": "gitlab.com/grp/proj//.gitlab-ci.yml@refs/heads/main",
		}},
		{"self-managed tag", devissuer.GitLabIdentity{Namespace: "a/b", Project: "p", WorkflowFilepath: "ci/release.yml", RefPath: "refs/tags/v2", Environment: "prod", Issuer: "https://git.example.com/gitlab"}, map[string]string{
			"sub": "project_path:a/b/p:ref_type:tag:ref:v2", "ref_type": "tag", "ref": "v2", "environment": "prod",
			"ci_config_ref_uri": "git.example.com/gitlab/a/b/p//ci/release.yml@refs/tags/v2",
		}},
		{"dev issuer", devissuer.GitLabIdentity{Namespace: "g", Project: "p", Issuer: "http://127.0.0.1:8765/_/dev-issuer"}, map[string]string{
			"ci_config_ref_uri": "127.0.0.1:8765/_/dev-issuer/g/p//.gitlab-ci.yml@refs/heads/main",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := devissuer.GitLabClaims(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if c[k] != v {
					t.Errorf("%s = %#v, want %q", k, c[k], v)
				}
			}
			if sha, _ := c["sha"].(string); len(sha) != 40 {
				t.Errorf("sha %q", sha)
			}
		})
	}
	if _, err := devissuer.GitLabClaims(devissuer.GitLabIdentity{Namespace: "g", Project: "a/b"}); err == nil {
		t.Fatal("project with '/' accepted")
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev-issuer.pem")
	k1, err := devissuer.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := devissuer.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	i1, _ := devissuer.New("http://127.0.0.1:1", k1)
	i2, _ := devissuer.New("http://127.0.0.1:1", k2)
	if i1.KeyID() != i2.KeyID() {
		t.Fatal("kid changed across a reload")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := devissuer.LoadKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devissuer.LoadKey(bad); err == nil || !strings.Contains(err.Error(), "no PEM block") {
		t.Fatalf("garbage key: %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, u := range []string{"http://example.com", "https://x.example/", "ftp://x", "https://x.example?q=1"} {
		if _, err := devissuer.New(u, testKey()); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := devissuer.New("https://x.example", nil); err == nil {
		t.Error("nil key accepted")
	}
}

func TestMintClient(t *testing.T) {
	_, url := serve(t, true)
	ctx := context.Background()
	tok, err := devissuer.Mint(ctx, nil, url, map[string]any{"sub": "s", "aud": "pypi"})
	if err != nil {
		t.Fatal(err)
	}
	if c := claimsOf(t, tok); c["sub"] != "s" || c["iss"] != url {
		t.Fatalf("claims %v", c)
	}
	// Not a dev issuer.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	if _, err := devissuer.Mint(ctx, nil, plain.URL, map[string]any{}); err == nil || !strings.Contains(err.Error(), "not a dev issuer") {
		t.Fatalf("no dev issuer: %v", err)
	}
	// Nothing listening.
	plain.Close()
	if _, err := devissuer.Mint(ctx, nil, plain.URL, map[string]any{}); err == nil || !strings.Contains(err.Error(), "asking the dev issuer at "+plain.URL) {
		t.Fatalf("closed server: %v", err)
	}
	if _, err := devissuer.Mint(ctx, nil, "http://example.invalid/_/dev-issuer", map[string]any{}); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("plain http to a remote host: %v", err)
	}
}
