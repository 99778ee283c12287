package ambient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
)

// The path and query of a real ACTIONS_ID_TOKEN_REQUEST_URL: note the query
// already present, and the double slash.
const ghPath = "/64//idtoken/918f5315-f823-4b74-ae16-8fc423e48661/0b77e920-7dce-5419-aca2-996d3c2116b7"

// fakeGitHub behaves like the Actions runtime token service: it wants
// `Authorization: bearer <request token>` and an api-version, and answers
// {"count":..,"value": <JWT for the audience asked>}. A test may replace
// the answer for given attempts (1-based) with its own handler.
type fakeGitHub struct {
	reqToken string
	override func(n int, w http.ResponseWriter, r *http.Request) bool

	mu       sync.Mutex
	hits     int
	requests []*http.Request
	minted   []string
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits++
	n := f.hits
	f.requests = append(f.requests, r.Clone(context.Background()))
	f.mu.Unlock()
	if f.override != nil && f.override(n, w, r) {
		return
	}
	if r.Header.Get("Authorization") != "bearer "+f.reqToken {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Path != ghPath || r.URL.Query().Get("api-version") == "" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	aud := r.URL.Query().Get("audience")
	tok := makeJWT(githubClaims(aud))
	f.mu.Lock()
	f.minted = append(f.minted, tok)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": tok})
}

func ghEnv(url string) map[string]string {
	return map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "faketoken",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   url + ghPath + "?api-version=2.0",
	}
}

// answer returns an override that answers attempts in set with status and body.
func answer(status int, body string, attempts ...int) func(int, http.ResponseWriter, *http.Request) bool {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		if len(attempts) > 0 && !containsInt(attempts, n) {
			return false
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
		return true
	}
}

// hang never answers: the request must time out.
func hang(n int, w http.ResponseWriter, r *http.Request) bool {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
	return true
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestGitHub mirrors id's test_detect_github_* cases, against a fake token
// service over loopback, plus retries and the permission and fork hints.
func TestGitHub(t *testing.T) {
	const allLogs = "GitHub: looking for OIDC credentials|GitHub: requesting OIDC token|GitHub: successfully requested OIDC token"
	tests := []struct {
		name     string
		env      func(env map[string]string, dir string)
		override func(int, http.ResponseWriter, *http.Request) bool
		retries  int
		timeout  time.Duration
		ctx      func() (context.Context, context.CancelFunc)
		wantErr  string // "" means success
		wantIs   error
		wantHint string
		noHint   string
		wantHits int
		wantLogs string // "|"-separated GitHub: lines; "-" to skip the check
	}{
		{name: "bad_env", env: func(e map[string]string, _ string) { delete(e, "GITHUB_ACTIONS") },
			wantErr: "no CI", wantLogs: "GitHub: looking for OIDC credentials|GitHub: environment doesn't look like a GH action; giving up"},
		{name: "empty_env_is_absent", env: func(e map[string]string, _ string) { e["GITHUB_ACTIONS"] = "" },
			wantErr: "no CI", wantLogs: "GitHub: looking for OIDC credentials|GitHub: environment doesn't look like a GH action; giving up"},
		// The runner sets exactly "true"; like ambient-id, any other value
		// is not GitHub Actions, so GitHub is detected exactly when the
		// exchange masks the token it mints.
		{name: "one_is_not_github", env: func(e map[string]string, _ string) { e["GITHUB_ACTIONS"] = "1" },
			wantErr: "no CI", wantLogs: "GitHub: looking for OIDC credentials|GitHub: environment doesn't look like a GH action; giving up"},
		{name: "bad_request_token", env: func(e map[string]string, _ string) { delete(e, "ACTIONS_ID_TOKEN_REQUEST_TOKEN") },
			wantErr: "GitHub: missing or insufficient OIDC token permissions, the ACTIONS_ID_TOKEN_REQUEST_TOKEN environment variable was unset",
			wantIs:  ambient.ErrPermission, wantHint: "id-token: write", wantLogs: "GitHub: looking for OIDC credentials"},
		{name: "bad_request_url", env: func(e map[string]string, _ string) { e["ACTIONS_ID_TOKEN_REQUEST_URL"] = "" },
			wantErr: "GitHub: missing or insufficient OIDC token permissions, the ACTIONS_ID_TOKEN_REQUEST_URL environment variable was unset",
			wantIs:  ambient.ErrPermission, wantHint: "permissions:\n        id-token: write", wantLogs: "GitHub: looking for OIDC credentials"},
		{name: "request_fails_999", override: answer(999, "something"), wantHits: 1,
			wantErr: "GitHub: OIDC token request failed (code=999, body='something')", wantHint: "githubstatus",
			wantLogs: "GitHub: looking for OIDC credentials|GitHub: requesting OIDC token"},
		{name: "request_rejected_401_not_retried", override: answer(401, `{"message":"Bad credentials"}`), wantHits: 1,
			wantErr: `GitHub: OIDC token request failed (code=401, body='{"message":"Bad credentials"}')`, wantHint: "id-token: write", wantLogs: "-"},
		{name: "request_timeout", override: hang, retries: -1, timeout: 100 * time.Millisecond, wantHits: 1,
			wantErr: "GitHub: OIDC token request timed out", wantIs: context.DeadlineExceeded, wantLogs: "-"},
		{name: "request_timeout_retried", override: hang, retries: 1, timeout: 100 * time.Millisecond, wantHits: 2,
			wantErr: "GitHub: OIDC token request timed out (2 attempts of 100ms each)", wantLogs: "-"},
		{name: "invalid_json_payload", override: answer(200, "{not json"), wantHits: 1,
			wantErr: "GitHub: malformed or incomplete JSON", wantLogs: "GitHub: looking for OIDC credentials|GitHub: requesting OIDC token"},
		{name: "bad_payload_empty", override: answer(200, `{}`), wantHits: 1, wantErr: "GitHub: malformed or incomplete JSON", wantLogs: "-"},
		{name: "bad_payload_notvalue", override: answer(200, `{"notvalue": null}`), wantHits: 1, wantErr: "GitHub: malformed or incomplete JSON", wantLogs: "-"},
		{name: "bad_payload_value_null", override: answer(200, `{"value": null}`), wantHits: 1, wantErr: "GitHub: malformed or incomplete JSON", wantLogs: "-"},
		{name: "bad_payload_value_1234", override: answer(200, `{"value": 1234}`), wantHits: 1, wantErr: "GitHub: malformed or incomplete JSON", wantLogs: "-"},
		{name: "bad_payload_array", override: answer(200, `["value"]`), wantHits: 1, wantErr: "GitHub: malformed or incomplete JSON", wantLogs: "-"},
		{name: "fakejwt_fails_validation", override: answer(200, `{"value": "fakejwt"}`), wantHits: 1,
			wantErr: "GitHub: Malformed token", wantIs: ambient.ErrInvalidToken, wantLogs: allLogs},
		{name: "success", wantHits: 1, wantLogs: allLogs},
		{name: "5xx_then_success", override: answer(503, "busy", 1, 2), wantHits: 3, wantLogs: "-"},
		{name: "5xx_exhausted", override: answer(500, "oops"), wantHits: 3,
			wantErr: "GitHub: OIDC token request failed (code=500, body='oops') after 3 attempts", wantLogs: "-"},
		{name: "429_retried", override: answer(429, "slow down", 1), wantHits: 2, wantLogs: "-"},
		// 501 is not temporary (package retry), for uploads and here alike.
		{name: "501_not_retried", override: answer(501, "no"), wantHits: 1,
			wantErr: "GitHub: OIDC token request failed (code=501, body='no')", wantLogs: "-"},
		{name: "retries_configurable", override: answer(502, "bad gateway"), retries: 4, wantHits: 5,
			wantErr: "code=502, body='bad gateway') after 5 attempts", wantLogs: "-"},
		{name: "connection_refused", env: func(e map[string]string, _ string) {
			e["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://127.0.0.1:1" + ghPath + "?api-version=2.0"
		}, wantErr: "GitHub: OIDC token request failed (no answer after 3 attempts)", wantLogs: "-"},
		{name: "bad_url", env: func(e map[string]string, _ string) { e["ACTIONS_ID_TOKEN_REQUEST_URL"] = "fakeurl" },
			wantErr: `GitHub: ACTIONS_ID_TOKEN_REQUEST_URL is not a valid URL ("fakeurl")`, wantLogs: "-"},
		{name: "cancelled", override: hang, timeout: 5 * time.Second, ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, wantHits: 1, wantErr: "GitHub: OIDC token request was cancelled", wantIs: context.Canceled, wantLogs: "-"},
		{name: "fork_pull_request", env: func(e map[string]string, dir string) {
			delete(e, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
			delete(e, "ACTIONS_ID_TOKEN_REQUEST_URL")
			e["GITHUB_EVENT_NAME"] = "pull_request"
			e["GITHUB_EVENT_PATH"] = writeFile(t, dir, "event.json",
				`{"action":"opened","number":7,"pull_request":{"head":{"ref":"patch-1","repo":{"fork":true,"full_name":"someone/fork"}},"base":{"repo":{"fork":false,"full_name":"org/project"}}}}`, 0o644)
		}, wantErr: "GitHub: missing or insufficient OIDC token permissions", wantIs: ambient.ErrPermission,
			wantHint: "pull request from a fork (someone/fork)", noHint: "contents: read", wantLogs: "-"},
		{name: "same_repo_pull_request_gets_permission_hint", env: func(e map[string]string, dir string) {
			delete(e, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
			e["GITHUB_EVENT_NAME"] = "pull_request"
			e["GITHUB_EVENT_PATH"] = writeFile(t, dir, "event.json",
				`{"pull_request":{"head":{"repo":{"fork":false,"full_name":"org/project"}}}}`, 0o644)
		}, wantErr: "GitHub: missing or insufficient OIDC token permissions", wantHint: "id-token: write", noHint: "fork", wantLogs: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeGitHub{reqToken: "faketoken", override: tt.override}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			env := ghEnv(srv.URL)
			if tt.env != nil {
				tt.env(env, t.TempDir())
			}
			d, logs := testDetector(t, env)
			d.Retries = tt.retries
			if tt.timeout != 0 {
				d.Timeout = tt.timeout
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()

			tok, ok, err := d.Detect(ctx, "some-audience")
			var last string // the token the fake minted last
			fake.mu.Lock()
			if n := len(fake.minted); n > 0 {
				last = fake.minted[n-1]
			}
			fake.mu.Unlock()
			if pe := outcome(t, tok, ok, err, ambient.ProviderGitHub, last, tt.wantErr, tt.wantHint); pe != nil {
				if ok || !tok.IsZero() {
					t.Errorf("Detect returned a token with an error")
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
				}
				if tt.noHint != "" && strings.Contains(pe.Hint, tt.noHint) {
					t.Errorf("hint %q should not contain %q", pe.Hint, tt.noHint)
				}
				if strings.Contains(err.Error(), "faketoken") {
					t.Errorf("error reveals the request token: %v", err)
				}
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if tt.wantHits != 0 && fake.hits != tt.wantHits {
				t.Errorf("service hit %d times, want %d", fake.hits, tt.wantHits)
			}
			// Every request has the exact shape of id's: the audience merged
			// into the existing query, lowercase "bearer".
			for _, r := range fake.requests {
				if r.Method != http.MethodGet || r.URL.Path != ghPath || r.URL.RawQuery != "api-version=2.0&audience=some-audience" ||
					r.Header.Get("Authorization") != "bearer faketoken" {
					t.Errorf("request %s %s?%s Authorization=%q, want GET %s?api-version=2.0&audience=some-audience with bearer faketoken",
						r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), ghPath)
				}
			}
			if tt.name == "5xx_then_success" {
				equalLines(t, "retry lines", logs.retries(), []string{
					"GitHub: OIDC token request: attempt 1 of 3 failed (code=503); retrying in 1ms",
					"GitHub: OIDC token request: attempt 2 of 3 failed (code=503); retrying in 1ms",
				})
			}
			if tt.wantLogs != "-" {
				equalLines(t, "GitHub debug lines", logs.lines("GitHub:"), strings.Split(tt.wantLogs, "|"))
			}
		})
	}
}
