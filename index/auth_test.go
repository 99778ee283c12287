package index

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devissuer/devissuertest"
	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist/disttest"
)

func TestMintedTokens(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	ti := newTestIndex(t, func(o *Options) { o.Now = clk.Now })
	tok, expires, err := ti.srv.mint(context.Background(), &publisher.Match{Publisher: "GitHub octo/demo release.yml", Projects: []string{"Minted.Demo"}}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Reveal(), "pypi-") || expires.Sub(clk.Now()) != 15*time.Minute {
		t.Fatalf("token prefix / expiry wrong: %v", expires.Sub(clk.Now()))
	}
	auth := basic("__token__", tok.Reveal())
	mine := wheel(t, "minted-demo", "1.0", disttest.Options{})
	other := wheel(t, "not-mine", "1.0", disttest.Options{})
	later := wheel(t, "minted-demo", "1.1", disttest.Options{})
	tests := []struct {
		name    string
		f       dfile
		advance time.Duration
		code    int
		msg     string
	}{
		{"creates its own project", mine, 0, 200, ""},
		{"other project", other, 0, 403, "The given token isn't allowed to upload to project 'not-mine'. See https://pypi.org/help/#project-name for more information."},
		{"just before expiry", later, 15*time.Minute - time.Second, 200, ""},
		{"expired", wheel(t, "minted-demo", "1.2", disttest.Options{}), time.Second, 403, "Invalid API Token: token is expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk.Add(tc.advance)
			r := tc.f.req()
			r.auth = auth
			code, body, _ := r.send(t, ti.url+"/legacy/")
			if code != tc.code || strings.TrimSuffix(body, "\n") != tc.msg {
				t.Fatalf("got %d %q, want %d %q", code, body, tc.code, tc.msg)
			}
		})
	}
	if strings.Contains(ti.logs.String(), tok.Reveal()) {
		t.Error("minted token logged")
	}
}

// TestTrustedPublishingEndToEnd exchanges a real RS256 token from a dev
// issuer on loopback at /_/oidc/mint-token and uploads with the result.
func TestTrustedPublishingEndToEnd(t *testing.T) {
	iss := devissuertest.Serve(t, devissuertest.Key())
	ti := newTestIndex(t, func(o *Options) {
		o.Publishers = publisher.Publishers{GitHub: []publisher.GitHub{{
			Project: "tp-demo", Owner: "octo", Repository: "tp-demo", Workflow: "release.yml", Issuer: iss.URL(),
		}}}
	})

	resp, body := get(t, ti.url+"/_/oidc/audience", "")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"audience":"pypi"`)) {
		t.Fatalf("audience: %d %s", resp.StatusCode, body)
	}
	exchange := func(t *testing.T, jwt string) (int, map[string]any) {
		b, _ := json.Marshal(map[string]string{"token": jwt})
		resp, err := http.Post(ti.url+"/_/oidc/mint-token", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	jwt, err := iss.GitHubToken(devissuer.GitHubIdentity{Owner: "octo", Repository: "tp-demo", Workflow: "release.yml", Issuer: iss.URL()})
	if err != nil {
		t.Fatal(err)
	}
	code, out := exchange(t, jwt)
	tok, _ := out["token"].(string)
	if code != 200 || out["success"] != true || tok == "" {
		t.Fatalf("mint-token: %d %v", code, out)
	}
	f := wheel(t, "tp-demo", "1.0", disttest.Options{})
	r := f.req()
	r.auth = basic("__token__", tok)
	if code, body, _ := r.send(t, ti.url+"/legacy/"); code != 200 {
		t.Fatalf("upload with minted token: %d %s", code, body)
	}
	r = wheel(t, "other", "1.0", disttest.Options{}).req()
	r.auth = basic("__token__", tok)
	if code, body, _ := r.send(t, ti.url+"/legacy/"); code != 403 || !strings.HasPrefix(body, "The given token isn't allowed to upload to project 'other'.") {
		t.Fatalf("upload to another project: %d %s", code, body)
	}
	// A replayed OIDC token is refused with PyPI's code.
	code, out = exchange(t, jwt)
	if code != 422 || !strings.Contains(mustJSON(out), "invalid-reuse-token") {
		t.Fatalf("replay: %d %v", code, out)
	}
	if strings.Contains(ti.logs.String(), tok) || strings.Contains(ti.logs.String(), jwt) {
		t.Error("a token appeared in the logs")
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestTrustedPublishingDisabled(t *testing.T) {
	ti := newTestIndex(t, nil)
	resp, body := get(t, ti.url+"/_/oidc/audience", "")
	if resp.StatusCode != 403 || !bytes.Contains(body, []byte("Trusted publishing functionality not enabled")) {
		t.Fatalf("audience without publishers: %d %s", resp.StatusCode, body)
	}
}

func TestRequestLogs(t *testing.T) {
	ti := newTestIndex(t, nil)
	ti.mustUpload(t, wheel(t, "logged", "1.0", disttest.Options{}))
	r := wheel(t, "logged", "2.0", disttest.Options{}).req()
	r.auth = basic("someone", "hunter2-password")
	r.send(t, ti.url+"/legacy/")
	get(t, ti.url+"/simple/logged/", "")
	logs := ti.logs.String()
	for _, want := range []string{
		`msg=request method=POST path=/legacy/ status=200 bytes=0`,
		`msg=request method=POST path=/legacy/ status=403`,
		`msg=request method=GET path=/simple/logged/ status=200`,
		`msg="stored upload" project=logged file=logged-1.0-py3-none-any.whl`,
		`token=all`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"hunter2-password", "Authorization", tokAll} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}
