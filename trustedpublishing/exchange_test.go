package trustedpublishing_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/publisher"
	tp "github.com/trustpub/trustpub/trustedpublishing"
)

// TestGitHubActionsJob runs the exchange as in a GitHub Actions job: the
// real ambient detector asks the dev issuer's GitHub-compatible token
// endpoint, the token is minted, and ::add-mask:: is written first.
func TestGitHubActionsJob(t *testing.T) {
	fw := newWarehouse(t)
	fw.github.GitHub = &devissuer.GitHubIdentity{Owner: "octo", Repository: "sample", Workflow: "release.yml", Environment: "pypi", Ref: "refs/tags/v1"}
	env := envOf(map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   fw.github.URL() + "/github/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
	})
	rec := &recorder{}
	x := &tp.Exchanger{Detect: (&ambient.Detector{LookupEnv: env}).Detect, LookupEnv: env, Mask: rec, Warn: rec.warn}
	ut, err := x.Exchange(context.Background(), fw.uploadURL())
	rec.add("returned")
	if err != nil {
		t.Fatal(err)
	}
	tok := ut.Token.Reveal()
	if !strings.HasPrefix(tok, "pypi-CANARY-upload-sample-") {
		t.Fatalf("token %q", tok)
	}
	if d := time.Until(ut.Expires); d < 14*time.Minute || d > 15*time.Minute {
		t.Fatalf("expires in %v", d)
	}
	want := []string{"out:::add-mask::" + tok + "\n", "returned"}
	if got := rec.all(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", ut, ut, ut, ut.Token); strings.Contains(s, "CANARY") {
		t.Fatalf("upload token printed: %s", s)
	}
}

// TestGitLabJob runs the exchange in a simulated GitLab job: GITLAB_CI and
// PYPI_ID_TOKEN holding a dev-issued token, through the real detector.
func TestGitLabJob(t *testing.T) {
	fw := newWarehouse(t)
	tok := fw.gitlabToken(t, nil)
	env := envOf(map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": tok})
	rec := &recorder{}
	x := &tp.Exchanger{Detect: (&ambient.Detector{LookupEnv: env}).Detect, LookupEnv: env, Mask: rec, Warn: rec.warn}
	ut, err := x.Exchange(context.Background(), fw.uploadURL())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ut.Token.Reveal(), "pypi-CANARY-upload-sample") {
		t.Fatalf("token %q", ut.Token.Reveal())
	}
	if ev := rec.all(); len(ev) != 0 {
		t.Fatalf("outside GitHub Actions nothing is written: %q", ev)
	}
	// The same job exchanging its one token again is a replay.
	_, err = x.Exchange(context.Background(), fw.uploadURL())
	if !tp.HasCode(err, "invalid-reuse-token") {
		t.Fatalf("second exchange: %v", err)
	}
	// Without the variable: the detector's GitLab error with the id_tokens fix.
	env = envOf(map[string]string{"GITLAB_CI": "true"})
	x = &tp.Exchanger{Detect: (&ambient.Detector{LookupEnv: env}).Detect, LookupEnv: env}
	_, err = x.Exchange(context.Background(), fw.uploadURL())
	var pe *ambient.ProviderError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "PYPI_ID_TOKEN") || !strings.Contains(err.Error(), "id_tokens:") {
		t.Fatalf("missing PYPI_ID_TOKEN: %v", err)
	}
	if fw.posts.Load() != 2 {
		t.Fatalf("%d mint requests, want 2 (none without a token)", fw.posts.Load())
	}
}

func TestNoCI(t *testing.T) {
	fw := newWarehouse(t)
	x := &tp.Exchanger{Detect: (&ambient.Detector{LookupEnv: envOf(nil), ReadFile: func(string) ([]byte, error) { return nil, errors.New("no DMI") }}).Detect}
	_, err := x.Exchange(context.Background(), fw.uploadURL())
	if !errors.Is(err, tp.ErrNoCI) {
		t.Fatalf("err %v, want ErrNoCI", err)
	}
}

// TestRefusals covers every 422 code, as the index answers it, and the
// rendering of the error.
func TestRefusals(t *testing.T) {
	fw := newWarehouse(t)
	stranger := newIssuer(t)
	strangerTok, _ := stranger.GitHubToken(devissuer.GitHubIdentity{Owner: "octo", Repository: "sample", Workflow: "release.yml"})
	gitlabCom, _ := devissuer.GitLabClaims(devissuer.GitLabIdentity{Namespace: "group", Project: "sample"})
	gitlabComTok, _ := fw.gitlab.Sign(gitlabCom)
	replayed := fw.githubToken(t, nil)
	if _, err := (&tp.Exchanger{Detect: fixed(replayed), LookupEnv: envOf(nil)}).Exchange(context.Background(), fw.uploadURL()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, code, desc string
		claims                  []string
	}{
		{"unknown issuer", strangerTok, "invalid-payload", "unknown trusted publishing issuer", nil},
		{"not a jwt", "abc.def", "invalid-payload", "malformed JWT", nil},
		{"gitlab.com not enabled", gitlabComTok, "not-enabled", "gitlab trusted publishing functionality not enabled",
			[]string{"* `sub`: `project_path:group/sample:ref_type:branch:ref:main`", "* `project_path`: `group/sample`", "* `ci_config_ref_uri`: `gitlab.com/group/sample//.gitlab-ci.yml@refs/heads/main`", "* `ref_path`: `refs/heads/main`", "* `environment`: `MISSING`"}},
		{"expired", fw.githubToken(t, func(id *devissuer.GitHubIdentity) { id.IssuedAt = time.Now().Add(-time.Hour) }), "invalid-token", "malformed or invalid token", nil},
		{"other audience", fw.githubToken(t, func(id *devissuer.GitHubIdentity) { id.Audience = "testpypi" }), "invalid-token", "malformed or invalid token", nil},
		{"replayed", replayed, "invalid-reuse-token", "invalid token: already used", nil},
		{"wrong repository", fw.githubToken(t, func(id *devissuer.GitHubIdentity) { id.Repository = "other"; id.OwnerID = "77" }), "invalid-publisher",
			"valid token, but no corresponding publisher (Publisher with matching claims was not found)",
			[]string{"* `sub`: `repo:octo/other:environment:pypi`", "* `repository`: `octo/other`", "* `repository_owner`: `octo`", "* `repository_owner_id`: `77`",
				"* `workflow_ref`: `octo/other/.github/workflows/release.yml@refs/tags/v1`", "* `job_workflow_ref`: `octo/other/.github/workflows/release.yml@refs/tags/v1`",
				"* `ref`: `refs/tags/v1`", "* `environment`: `pypi`"}},
		{"wrong environment", fw.githubToken(t, func(id *devissuer.GitHubIdentity) { id.Environment = "" }), "invalid-publisher",
			"valid token, but no corresponding publisher (Publisher with matching claims was not found)", []string{"* `environment`: `MISSING`"}},
		{"pull_request_target", fw.githubToken(t, func(id *devissuer.GitHubIdentity) { id.EventName = "pull_request_target" }), "invalid-publisher",
			"valid token, but no corresponding publisher (Publishing from a workflow invoked via 'pull_request_target' is not supported.)", nil},
		{"pending publisher, project exists", fw.githubToken(t, func(id *devissuer.GitHubIdentity) { id.Repository = "pending"; id.Environment = "" }),
			"invalid-pending-publisher", "valid token, but project already exists", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			x := &tp.Exchanger{Detect: fixed(tc.token), LookupEnv: envOf(map[string]string{"GITHUB_ACTIONS": "true"}), Mask: rec, Warn: rec.warn}
			_, err := x.Exchange(context.Background(), fw.uploadURL())
			var me *tp.MintError
			if !errors.As(err, &me) {
				t.Fatalf("err %v, want *MintError", err)
			}
			if me.StatusCode != 422 || me.Message != "Token request failed" || len(me.Errors) != 1 || me.Errors[0] != (tp.Refusal{Code: tc.code, Description: tc.desc}) {
				t.Fatalf("got %+v", me)
			}
			msg := err.Error()
			for _, want := range append([]string{
				"(422: Unprocessable Entity)",
				"* `" + tc.code + "`: " + tc.desc + "\n  hint: ",
				"which a trusted publisher must match",
				"See https://docs.pypi.org/trusted-publishers/troubleshooting/",
			}, tc.claims...) {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			if len(tc.token) > 20 && strings.Contains(msg, tc.token) {
				t.Fatal("the OIDC token is in the error")
			}
			if ev := rec.all(); len(ev) != 0 {
				t.Fatalf("a refusal writes nothing (no mask): %q", ev)
			}
		})
	}
}

func TestAudienceFailures(t *testing.T) {
	off := http.NewServeMux()
	off.Handle("/_/oidc/", &publisher.Endpoint{})
	disabled := httptest.NewServer(off)
	defer disabled.Close()
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) }))
	defer broken.Close()
	weird := rawServer(t, "HTTP/1.1 599 Network Gremlins\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	moved := httptest.NewServer(http.RedirectHandler("https://elsewhere.example/_/oidc/audience", http.StatusFound))
	defer moved.Close()
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>hi</html>") }))
	defer notJSON.Close()
	tests := []struct {
		name, url, want string
		status          int
	}{
		{"disabled", disabled.URL, "has trusted publishing disabled", 403},
		{"unsupported", missing.URL, "does not indicate trusted publishing support", 404},
		{"server error", broken.URL, "responded with unexpected 500: Internal Server Error", 500},
		{"custom reason phrase", weird, "responded with unexpected 599: Network Gremlins", 599},
		{"redirect", moved.URL, "a redirect to https://elsewhere.example/_/oidc/audience, which is not followed", 302},
		{"not json", notJSON.URL, "without the JSON {\"audience\"", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := &tp.Exchanger{Detect: func(context.Context, string) (ambient.Token, bool, error) {
				t.Fatal("detection ran after a failed audience request")
				return ambient.Token{}, false, nil
			}}
			_, err := x.Exchange(context.Background(), tc.url+"/legacy/")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "audience retrieval failed: repository at 127.0.0.1:") {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			var ae *tp.AudienceError
			if tc.status != 0 && (!errors.As(err, &ae) || ae.StatusCode != tc.status) {
				t.Fatalf("err %#v, want *AudienceError %d", err, tc.status)
			}
		})
	}
}

// rawServer answers every connection with resp, for status lines httptest
// cannot write.
func rawServer(t *testing.T, resp string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				if _, err := http.ReadRequest(r); err != nil {
					return
				}
				_, _ = c.Write([]byte(resp))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestBadMintAnswers covers answers that are not Warehouse's.
func TestBadMintAnswers(t *testing.T) {
	const canary = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2dpdGxhYi5jb20ifQ.CANARYSIG"
	tests := []struct {
		name   string
		handle func(w http.ResponseWriter, body string)
		check  func(t *testing.T, err error)
	}{
		{"proxy error page", func(w http.ResponseWriter, _ string) {
			w.WriteHeader(502)
			fmt.Fprint(w, "<html><body>Bad gateway</body></html>")
		}, func(t *testing.T, err error) {
			var re *tp.ResponseError
			if !errors.As(err, &re) || !re.NotJSON || !strings.Contains(err.Error(), "unexpected 502: Bad Gateway response that is not JSON") || !strings.Contains(err.Error(), "Bad gateway") {
				t.Fatalf("err %v", err)
			}
		}},
		{"200 not json", func(w http.ResponseWriter, _ string) { fmt.Fprint(w, "pypi-secret-in-html") }, func(t *testing.T, err error) {
			var re *tp.ResponseError
			if !errors.As(err, &re) || !re.NotJSON || strings.Contains(err.Error(), "pypi-secret") {
				t.Fatalf("err %v", err)
			}
		}},
		{"200 without token", func(w http.ResponseWriter, _ string) { fmt.Fprint(w, `{"success": true}`) }, func(t *testing.T, err error) {
			var re *tp.ResponseError
			if !errors.As(err, &re) || re.NotJSON || !strings.Contains(err.Error(), "token response error: the index at 127.0.0.1:") {
				t.Fatalf("err %v", err)
			}
		}},
		{"server echoes the token", func(w http.ResponseWriter, body string) {
			w.WriteHeader(422)
			fmt.Fprintf(w, `{"message": "Token request failed", "errors": [{"code": "invalid-token", "description": "bad: %s"}, {"code": "custom", "description": "second"}]}`, canary)
		}, func(t *testing.T, err error) {
			var me *tp.MintError
			if !errors.As(err, &me) || fmt.Sprint(me.Codes()) != "[invalid-token custom]" || strings.Contains(err.Error(), "CANARYSIG") ||
				!strings.Contains(err.Error(), "* `invalid-token`: bad: [REDACTED]") || !strings.Contains(err.Error(), "* `custom`: second") {
				t.Fatalf("err %v", err)
			}
			// The canary's claims name a GitLab issuer: GitLab's list.
			if !strings.Contains(err.Error(), "* `project_path`: `MISSING`") {
				t.Fatalf("claims not rendered as GitLab's: %v", err)
			}
		}},
		{"403 json without errors", func(w http.ResponseWriter, _ string) {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"message": "Trusted publishing functionality not enabled"}`)
		}, func(t *testing.T, err error) {
			var me *tp.MintError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), "(403: Forbidden): the server refused the request: Trusted publishing functionality not enabled") {
				t.Fatalf("err %v", err)
			}
		}},
		{"expires missing", func(w http.ResponseWriter, _ string) { fmt.Fprint(w, `{"success": true, "token": "pypi-x"}`) }, func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"redirect to another host", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Location", "http://127.0.0.2:1/steal")
			w.WriteHeader(307)
		}, func(t *testing.T, err error) {
			var re *tp.ResponseError
			if !errors.As(err, &re) || re.StatusCode != 307 {
				t.Fatalf("err %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/_/oidc/audience" {
					fmt.Fprint(w, `{"audience": "pypi"}`)
					return
				}
				b := make([]byte, 4096)
				n, _ := r.Body.Read(b)
				tc.handle(w, string(b[:n]))
			}))
			defer srv.Close()
			now := time.Unix(1800000000, 0)
			x := &tp.Exchanger{Detect: fixed(canary), LookupEnv: envOf(nil), Now: func() time.Time { return now }}
			ut, err := x.Exchange(context.Background(), srv.URL+"/legacy/")
			if err != nil && strings.Contains(err.Error(), canary) {
				t.Fatalf("token in error: %v", err)
			}
			if err == nil && !ut.Expires.Equal(now.Add(15*time.Minute)) {
				t.Fatalf("default expiry %v", ut.Expires)
			}
			tc.check(t, err)
		})
	}
}

// TestHTTPSOnly checks that plain http to a non-loopback host is refused
// before any connection is made.
func TestHTTPSOnly(t *testing.T) {
	var dials atomic.Int32
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("no network in this test")
	}}}
	for _, u := range []string{"http://example.invalid/legacy/", "http://10.0.0.1:8080/legacy/", "ftp://example.invalid/legacy/", "http://localhost.example.invalid/legacy/", "https:///legacy/"} {
		t.Run(u, func(t *testing.T) {
			x := &tp.Exchanger{HTTPClient: client, Detect: func(context.Context, string) (ambient.Token, bool, error) {
				t.Fatal("detection ran")
				return ambient.Token{}, false, nil
			}}
			_, err := x.Exchange(context.Background(), u)
			if err == nil || !strings.Contains(err.Error(), "publish URL") {
				t.Fatalf("err %v", err)
			}
			if _, err := x.Mint(context.Background(), u, ambient.NewToken("a.b.c")); err == nil {
				t.Fatal("Mint accepted the URL")
			}
			if _, err := x.Audience(context.Background(), u); err == nil {
				t.Fatal("Audience accepted the URL")
			}
		})
	}
	if n := dials.Load(); n != 0 {
		t.Fatalf("%d connections attempted", n)
	}
	// https to a remote host is allowed: the refusal comes from the dialer.
	x := &tp.Exchanger{HTTPClient: client}
	if _, err := x.Audience(context.Background(), "https://upload.example.invalid/legacy/"); err == nil || !strings.Contains(err.Error(), "no network in this test") {
		t.Fatalf("https: %v", err)
	}
}

func TestReusableWorkflowWarning(t *testing.T) {
	fw := newWarehouse(t)
	tok := fw.githubToken(t, func(id *devissuer.GitHubIdentity) {
		id.JobWorkflowRef = "octo/shared/.github/workflows/release.yml@refs/heads/main"
	})
	rec := &recorder{}
	x := &tp.Exchanger{Detect: fixed(tok), LookupEnv: envOf(nil), Warn: rec.warn}
	_, err := x.Exchange(context.Background(), fw.uploadURL())
	ev := rec.all()
	if len(ev) != 1 || !strings.Contains(ev[0], "Potential workflow misconfiguration") ||
		!strings.Contains(ev[0], "octo/shared/.github/workflows/release.yml@refs/heads/main") || !strings.Contains(ev[0], "not currently supported") {
		t.Fatalf("warnings %q", ev)
	}
	if !tp.HasCode(err, "invalid-publisher") {
		t.Fatalf("err %v", err)
	}
	// In GitHub Actions, without a Warn callback: a ::warning:: command on
	// one line, before the mask of a token.
	rec = &recorder{}
	x = &tp.Exchanger{Detect: fixed(tok), LookupEnv: envOf(map[string]string{"GITHUB_ACTIONS": "true"}), Mask: rec}
	_, _ = x.Exchange(context.Background(), fw.uploadURL())
	if ev := rec.all(); len(ev) != 1 || !strings.HasPrefix(ev[0], "out:::warning::Potential workflow misconfiguration") || strings.Count(ev[0], "\n") != 1 {
		t.Fatalf("workflow command %q", ev)
	}
	// No warning when the two agree.
	rec = &recorder{}
	x = &tp.Exchanger{Detect: fixed(fw.githubToken(t, nil)), LookupEnv: envOf(nil), Warn: rec.warn}
	if _, err := x.Exchange(context.Background(), fw.uploadURL()); err != nil || len(rec.all()) != 0 {
		t.Fatalf("err %v, warnings %q", err, rec.all())
	}
}

func TestTokenSource(t *testing.T) {
	fw := newWarehouse(t)
	var detections atomic.Int32
	x := &tp.Exchanger{LookupEnv: envOf(nil), Detect: func(context.Context, string) (ambient.Token, bool, error) {
		detections.Add(1)
		return ambient.NewToken(fw.githubToken(t, nil)), true, nil
	}}
	var mu sync.Mutex
	now := time.Now()
	ts := tp.NewTokenSource(x, fw.uploadURL())
	ts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fw.clock.Store(&ts.Now) // the index's clock is the same
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	// Concurrent first use: one exchange.
	var wg sync.WaitGroup
	toks := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			ut, err := ts.Token(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			toks <- ut.Token.Reveal()
		})
	}
	wg.Wait()
	close(toks)
	first := ""
	for tok := range toks {
		if first == "" {
			first = tok
		}
		if tok != first {
			t.Fatalf("concurrent callers got different tokens")
		}
	}
	if fw.mints.Load() != 1 {
		t.Fatalf("%d mints for concurrent first use, want 1", fw.mints.Load())
	}
	steps := []struct {
		advance time.Duration
		mints   int32
	}{
		{5 * time.Minute, 1},  // 10 min left: cached
		{4 * time.Minute, 1},  // 6 min left: cached
		{90 * time.Second, 2}, // 4.5 min left: minted again
		{time.Minute, 2},      // the new token has 14 min left
	}
	for i, s := range steps {
		advance(s.advance)
		ut, err := ts.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := fw.mints.Load(); got != s.mints {
			t.Fatalf("step %d: %d mints, want %d", i, got, s.mints)
		}
		if s.mints == 2 && ut.Token.Reveal() == first {
			t.Fatalf("step %d: still the first token", i)
		}
	}
}

// TestTokenSourceKeepsValidToken: when minting again fails (a GitLab job's
// one ID token is already used), the still-valid token is kept, with a
// warning; once it has expired, the error comes through.
func TestTokenSourceKeepsValidToken(t *testing.T) {
	fw := newWarehouse(t)
	tok := fw.gitlabToken(t, nil)
	rec := &recorder{}
	x := &tp.Exchanger{LookupEnv: envOf(nil), Detect: fixed(tok), Warn: rec.warn}
	now := time.Now()
	ts := &tp.TokenSource{Exchanger: x, PublishURL: fw.uploadURL(), Now: func() time.Time { return now }}
	first, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(12 * time.Minute)
	again, err := ts.Token(context.Background())
	if err != nil || !again.Token.Equal(first.Token) {
		t.Fatalf("err %v", err)
	}
	if ev := rec.all(); len(ev) != 1 || !strings.Contains(ev[0], "invalid-reuse-token") || strings.Contains(ev[0], "CANARY") {
		t.Fatalf("warnings %q", ev)
	}
	now = now.Add(4 * time.Minute)
	if _, err := ts.Token(context.Background()); !tp.HasCode(err, "invalid-reuse-token") {
		t.Fatalf("after expiry: %v", err)
	}
}
