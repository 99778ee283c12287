package publisher_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/publisher"
)

func githubConfig(issuerURL string) publisher.Config {
	return publisher.Config{Publishers: publisher.Publishers{GitHub: []publisher.GitHub{
		{Project: "sample", Owner: "octo", OwnerID: "4242", Repository: "sample", Workflow: "release.yml", Issuer: issuerURL},
		{Project: "sample-extra", Owner: "octo", OwnerID: "4242", Repository: "sample", Workflow: "release.yml", Issuer: issuerURL},
		{Project: "guarded", Owner: "octo", Repository: "guarded", Workflow: "release.yml", Environment: "pypi", Issuer: issuerURL},
	}}}
}

func TestAudience(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	off := &publisher.Endpoint{}
	offMux := http.NewServeMux()
	offMux.Handle("/_/oidc/", off)
	offSrv := newHTTPServer(t, offMux)
	tests := []struct {
		name, method, url string
		status            int
		body              string
	}{
		{"enabled", "GET", ix.srv.URL + "/_/oidc/audience", 200, `{"audience":"pypi"}`},
		{"disabled", "GET", offSrv + "/_/oidc/audience", 403, `{"message":"Trusted publishing functionality not enabled"}`},
		{"post audience", "POST", ix.srv.URL + "/_/oidc/audience", 405, ""},
		{"get mint", "GET", ix.srv.URL + "/_/oidc/mint-token", 405, ""},
		{"unknown route", "GET", ix.srv.URL + "/_/oidc/nope", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got json.RawMessage
			_ = json.NewDecoder(resp.Body).Decode(&got)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.body != "" && string(got) != tc.body {
				t.Fatalf("body %s, want %s", got, tc.body)
			}
			if tc.status == 405 && resp.Header.Get("Allow") == "" {
				t.Fatal("405 without Allow header")
			}
		})
	}
}

func TestInvalidPayload(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	const more = "\n    For further information visit https://errors.pydantic.dev/2.13/v/"
	tests := []struct {
		name, body, desc string
	}{
		{"empty object", `{}`, "1 validation error for TokenPayload\ntoken\n  Field required [type=missing, input_value={}, input_type=dict]" + more + "missing"},
		{"wrong key", `{"wrongkey": ""}`, "1 validation error for TokenPayload\ntoken\n  Field required [type=missing, input_value={'wrongkey': ''}, input_type=dict]" + more + "missing"},
		{"null token", `{"token": null}`, "1 validation error for TokenPayload\ntoken\n  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]" + more + "string_type"},
		{"float token", `{"token": 3.14}`, "1 validation error for TokenPayload\ntoken\n  Input should be a valid string [type=string_type, input_value=3.14, input_type=float]" + more + "string_type"},
		{"int token", `{"token": 0}`, "1 validation error for TokenPayload\ntoken\n  Input should be a valid string [type=string_type, input_value=0, input_type=int]" + more + "string_type"},
		{"list token", `{"token": [""]}`, "1 validation error for TokenPayload\ntoken\n  Input should be a valid string [type=string_type, input_value=[''], input_type=list]" + more + "string_type"},
		{"dict token", `{"token": {}}`, "1 validation error for TokenPayload\ntoken\n  Input should be a valid string [type=string_type, input_value={}, input_type=dict]" + more + "string_type"},
		{"list body", `[]`, "1 validation error for TokenPayload\n  Input should be an object [type=model_type, input_value=[], input_type=list]" + more + "model_type"},
		{"string body", `""`, "1 validation error for TokenPayload\n  Input should be an object [type=model_type, input_value='', input_type=str]" + more + "model_type"},
		{"null body", `null`, "1 validation error for TokenPayload\n  Input should be an object [type=model_type, input_value=None, input_type=NoneType]" + more + "model_type"},
		{"sentence body", `"this is a valid JSON string"`, "1 validation error for TokenPayload\n  Input should be an object [type=model_type, input_value='this is a valid JSON string', input_type=str]" + more + "model_type"},
		{"float body", `3.14`, "1 validation error for TokenPayload\n  Input should be an object [type=model_type, input_value=3.14, input_type=float]" + more + "model_type"},
		{"empty list token", `{"token": []}`, "1 validation error for TokenPayload\ntoken\n  Input should be a valid string [type=string_type, input_value=[], input_type=list]" + more + "string_type"},
		{"number body", `12345`, "1 validation error for TokenPayload\n  Input should be an object [type=model_type, input_value=12345, input_type=int]" + more + "model_type"},
		{"empty body", ``, "1 validation error for TokenPayload\n  Invalid JSON: EOF while parsing a value at line 1 column 0 [type=json_invalid, input_value=b'', input_type=bytes]" + more + "json_invalid"},
		{"not a jwt", `{"token": "not-a-jwt"}`, "malformed JWT"},
		{"jwt without iss", `{"token": "` + unsignedJWT(t, map[string]any{"sub": "1234567890", "name": "John Doe", "iat": 1516239022}) + `"}`, "malformed JWT"},
		{"unknown issuer", `{"token": "` + unsignedJWT(t, map[string]any{"iss": "nonexistent-issuer"}) + `"}`, "unknown trusted publishing issuer"},
		{"issuer not a string", `{"token": "` + unsignedJWT(t, map[string]any{"iss": 7}) + `"}`, "unknown trusted publishing issuer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/_/oidc/mint-token", "/_/oidc/github/mint-token"} {
				wantRefusal(t, ix.post(t, path, tc.body), "invalid-payload", tc.desc)
			}
		})
	}
	t.Run("long input is truncated", func(t *testing.T) {
		a := ix.post(t, "/_/oidc/mint-token", `{"other": "`+strings.Repeat("x", 100)+`"}`)
		if a.status != 422 || !strings.Contains(a.Errors[0].Description, "input_value={'other': '"+strings.Repeat("x", 14)+"..."+strings.Repeat("x", 22)+"'}, input_type=dict") {
			t.Fatalf("got %+v", a)
		}
	})
	for body, want := range map[string]string{
		`{"token": `:   `Invalid JSON: EOF while parsing a value at line 1 column 10 [type=json_invalid, input_value=b'{"token": ', input_type=bytes]`,
		"abc":          `Invalid JSON: expected value at line 1 column 1 [type=json_invalid, input_value=b'abc', input_type=bytes]`,
		"{\n\"a\": x}": `Invalid JSON: expected value at line 2 column 6 [type=json_invalid, input_value=b'{\n"a": x}', input_type=bytes]`,
	} {
		a := ix.post(t, "/_/oidc/mint-token", body)
		if a.status != 422 || a.Errors[0].Code != "invalid-payload" || !strings.Contains(a.Errors[0].Description, "\n  "+want+"\n") {
			t.Errorf("body %q: got %+v\nwant %s", body, a, want)
		}
	}
}

// unsignedJWT builds a syntactically valid JWT with a junk signature.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"k"}`))
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString([]byte("sig"))
}

func TestNotEnabled(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL)) // no GitLab and no github.com publisher
	off := http.NewServeMux()
	off.Handle("/_/oidc/", &publisher.Endpoint{})
	offURL := newHTTPServer(t, off)
	tests := []struct {
		iss, desc string
	}{
		{publisher.GitLabIssuer, "gitlab trusted publishing functionality not enabled"},
		{publisher.GitHubIssuer, "github trusted publishing functionality not enabled"},
		{"https://accounts.google.com", "google trusted publishing functionality not enabled"},
		{"https://platform.activestate.com/api/v1/oauth/oidc", "activestate trusted publishing functionality not enabled"},
	}
	for _, tc := range tests {
		t.Run(tc.iss, func(t *testing.T) {
			tok := ghSigned(t, is.issuer(), func(c map[string]any) { c["iss"] = tc.iss })
			wantRefusal(t, ix.exchange(t, tok), "not-enabled", tc.desc)
			// With trusted publishing off entirely, the same answer.
			b, _ := json.Marshal(map[string]string{"token": tok})
			resp, err := http.Post(offURL+"/_/oidc/mint-token", "application/json", strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			var a answer
			_ = json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
			a.status = resp.StatusCode
			wantRefusal(t, a, "not-enabled", tc.desc)
		})
	}
}

func TestGitHubExchange(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	tok := ghToken(t, is.issuer(), nil)
	a := ix.exchange(t, tok)
	if a.status != 200 || !a.Success || a.Token != "pypi-minted-for-sample,sample-extra" {
		t.Fatalf("got %+v", a)
	}
	if want := ix.clock.Now().Add(15 * time.Minute).Unix(); a.Expires != want {
		t.Fatalf("expires %d, want %d", a.Expires, want)
	}
	m := ix.matches[0]
	if m.Kind != "github" || m.Issuer != is.srv.URL || m.Publisher != "GitHub octo/sample release.yml" || m.Claims["repository"] != "octo/sample" {
		t.Fatalf("match %+v", m)
	}
	exp, _ := m.Claims["exp"].(json.Number).Int64()
	if m.Expiry.Unix() != exp {
		t.Fatalf("expiry %v, claims exp %v", m.Expiry, m.Claims["exp"])
	}
	// The same token again is a replay.
	wantRefusal(t, ix.exchange(t, tok), "invalid-reuse-token", "invalid token: already used")
	if strings.Contains(ix.logs.String(), tok) || strings.Contains(ix.logs.String(), "pypi-minted") {
		t.Fatalf("logs hold a token:\n%s", ix.logs.String())
	}
}

func TestGitHubRefusals(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	iss := is.issuer()
	base := "octo/sample/.github/workflows/release.yml@"
	sha := strings.Repeat("ab", 20)
	const notFound = "Publisher with matching claims was not found"
	type gh = devissuer.GitHubIdentity
	type claims = map[string]any
	// Each case changes the identity (id) or the signed claims (c).
	tests := []struct {
		name   string
		id     func(*gh)
		c      func(claims)
		reason string
	}{
		{name: "wrong repository", id: func(id *gh) { id.Repository = "other" }, reason: notFound},
		{name: "wrong owner id", id: func(id *gh) { id.OwnerID = "1" }, reason: notFound},
		{name: "wrong workflow", id: func(id *gh) { id.Workflow = "ci.yml" }, reason: notFound},
		{name: "no workflow file in job_workflow_ref", c: func(c claims) { c["job_workflow_ref"] = "octo/sample/.github/workflows/release@refs/heads/main" },
			reason: "Could not job extract workflow filename from OIDC claims"},
		{name: "wrong environment", id: func(id *gh) { id.Repository = "guarded"; id.Environment = "staging" }, reason: notFound},
		{name: "missing environment", id: func(id *gh) { id.Repository = "guarded" }, reason: notFound},
		{name: "pull_request_target", id: func(id *gh) { id.EventName = "pull_request_target" },
			reason: "Publishing from a workflow invoked via 'pull_request_target' is not supported."},
		{name: "missing event_name", c: func(c claims) { delete(c, "event_name") }, reason: "Missing claim 'event_name'"},
		{name: "job_workflow_ref at another ref", c: func(c claims) { c["job_workflow_ref"] = base + "refs/heads/evil" },
			reason: "The job_workflow_ref claim does not match, expecting one of ['" + base + sha + "', '" + base + "refs/tags/v1.0'], got '" + base + "refs/heads/evil'"},
		{name: "empty ref and sha", c: func(c claims) { c["ref"] = ""; c["sha"] = "" }, reason: "The ref and sha claims are empty"},
		{name: "repository_owner differs", c: func(c claims) { c["repository_owner"] = "mallory" }, reason: "Check failed for required claim 'repository_owner'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tok string
			if tc.c != nil {
				tok = ghSigned(t, iss, tc.c)
			} else {
				tok = ghToken(t, iss, tc.id)
			}
			wantRefusal(t, ix.exchange(t, tok), "invalid-publisher", "valid token, but no corresponding publisher ("+tc.reason+")")
		})
	}
	t.Run("case-insensitive repository and environment", func(t *testing.T) {
		tok := ghToken(t, iss, func(id *devissuer.GitHubIdentity) {
			id.Owner = "OCTO"
			id.Repository = "Guarded"
			id.Environment = "PyPI"
		})
		if a := ix.exchange(t, tok); a.status != 200 || a.Token != "pypi-minted-for-guarded" {
			t.Fatalf("got %+v", a)
		}
	})
	t.Run("sha-pinned job_workflow_ref", func(t *testing.T) {
		tok := ghSigned(t, iss, func(c map[string]any) { c["job_workflow_ref"] = base + sha })
		if a := ix.exchange(t, tok); a.status != 200 {
			t.Fatalf("got %+v", a)
		}
	})
}

func TestEnvironmentPreference(t *testing.T) {
	is := newIssuerServer(t, keyA())
	cfg := publisher.Config{Publishers: publisher.Publishers{GitHub: []publisher.GitHub{
		{Project: "general", Owner: "octo", Repository: "sample", Workflow: "release.yml", Issuer: is.srv.URL},
		{Project: "specific", Owner: "octo", Repository: "sample", Workflow: "release.yml", Environment: "pypi", Issuer: is.srv.URL},
	}}}
	ix := newIndex(t, cfg)
	tests := []struct{ env, want string }{
		{"pypi", "pypi-minted-for-specific"},
		{"PYPI", "pypi-minted-for-specific"},
		{"staging", "pypi-minted-for-general"},
		{"", "pypi-minted-for-general"},
	}
	for _, tc := range tests {
		tok := ghToken(t, is.issuer(), func(id *devissuer.GitHubIdentity) { id.Environment = tc.env })
		if a := ix.exchange(t, tok); a.Token != tc.want {
			t.Errorf("environment %q: got %+v, want %s", tc.env, a, tc.want)
		}
	}
}

func TestInvalidToken(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	iss := is.issuer()
	now := time.Now()
	other, err := devissuer.New(is.srv.URL, keyB())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token func() string
	}{
		{"signed by another key", func() string { return ghToken(t, other, nil) }},
		{"signed by another key with our kid", func() string {
			return signRaw(t, keyB(), jose.RS256, iss.KeyID(), claimsFor(t, iss))
		}},
		{"no kid", func() string { return signRaw(t, keyA(), jose.RS256, "", claimsFor(t, iss)) }},
		{"RS512", func() string { return signRaw(t, keyA(), jose.RS512, iss.KeyID(), claimsFor(t, iss)) }},
		{"HS256 with the public modulus", func() string {
			return signRaw(t, keyA().PublicKey.N.Bytes(), jose.HS256, iss.KeyID(), claimsFor(t, iss))
		}},
		{"expired", func() string {
			return ghToken(t, iss, func(id *devissuer.GitHubIdentity) { id.IssuedAt = now.Add(-10 * time.Minute); id.TTL = 5 * time.Minute })
		}},
		{"expired beyond leeway", func() string {
			return ghSigned(t, iss, func(c map[string]any) { c["exp"] = now.Add(-31 * time.Second).Unix() })
		}},
		{"not yet valid", func() string {
			return ghSigned(t, iss, func(c map[string]any) { c["nbf"] = now.Add(2 * time.Minute).Unix() })
		}},
		{"issued in the future", func() string {
			return ghSigned(t, iss, func(c map[string]any) { c["iat"] = now.Add(2 * time.Minute).Unix() })
		}},
		{"other audience", func() string {
			return ghToken(t, iss, func(id *devissuer.GitHubIdentity) { id.Audience = "testpypi" })
		}},
		{"audience list", func() string {
			return ghSigned(t, iss, func(c map[string]any) { c["aud"] = []string{"pypi"} })
		}},
		{"no iat", func() string { return ghSigned(t, iss, func(c map[string]any) { c["iat"] = nil }) }},
		{"exp not a number", func() string { return ghSigned(t, iss, func(c map[string]any) { c["exp"] = "soon" }) }},
		{"tampered payload", func() string {
			tok := ghToken(t, iss, nil)
			parts := strings.Split(tok, ".")
			c := claimsFor(t, iss)
			c["repository"] = "octo/sample"
			c["job_workflow_ref"] = "octo/sample/.github/workflows/release.yml@refs/heads/evil"
			b, _ := json.Marshal(c)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantRefusal(t, ix.exchange(t, tc.token()), "invalid-token", "malformed or invalid token")
		})
	}
	t.Run("within leeway", func(t *testing.T) {
		tok := ghSigned(t, iss, func(c map[string]any) {
			c["exp"] = now.Add(-20 * time.Second).Unix()
			c["iat"] = now.Add(-5 * time.Minute).Unix()
		})
		if a := ix.exchange(t, tok); a.status != 200 {
			t.Fatalf("got %+v", a)
		}
	})
}

func claimsFor(t *testing.T, iss *devissuer.Issuer) map[string]any {
	t.Helper()
	id := githubID(nil)
	id.Issuer = iss.URL()
	c, err := devissuer.GitHubClaims(id)
	if err != nil {
		t.Fatal(err)
	}
	c["jti"] = fmt.Sprintf("jti-%d", time.Now().UnixNano())
	return c
}

// signRaw signs claims with an arbitrary algorithm, key and kid.
func signRaw(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	sk := jose.SigningKey{Algorithm: alg, Key: key}
	if kid != "" {
		sk.Key = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	s, err := jose.NewSigner(sk, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGitLab(t *testing.T) {
	is := newIssuerServer(t, keyA()) // a self-managed GitLab: custom issuer
	cfg := publisher.Config{Publishers: publisher.Publishers{GitLab: []publisher.GitLab{
		{Project: "sample", Namespace: "group/sub", Repository: "sample", WorkflowFilepath: "ci/release.yml", Issuer: is.srv.URL},
		{Project: "prod-only", Namespace: "group", Repository: "prod", WorkflowFilepath: ".gitlab-ci.yml", Environment: "Production", Issuer: is.srv.URL},
	}}}
	ix := newIndex(t, cfg)
	iss := is.issuer()
	id := func(mod func(*devissuer.GitLabIdentity)) string {
		i := devissuer.GitLabIdentity{Namespace: "group/sub", Project: "sample", WorkflowFilepath: "ci/release.yml", RefPath: "refs/tags/v2"}
		if mod != nil {
			mod(&i)
		}
		tok, err := iss.GitLabToken(i)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	signed := func(edit func(map[string]any)) string {
		c, err := devissuer.GitLabClaims(devissuer.GitLabIdentity{Namespace: "group/sub", Project: "sample", WorkflowFilepath: "ci/release.yml", Issuer: iss.URL()})
		return signEdited(t, iss, c, err, edit)
	}
	host := strings.TrimPrefix(is.srv.URL, "http://")
	notFound := "valid token, but no corresponding publisher (Publisher with matching claims was not found)"
	tests := []struct {
		name, token, code, desc string
	}{
		{"case-insensitive project path", id(func(i *devissuer.GitLabIdentity) { i.Namespace = "Group/Sub"; i.Project = "Sample" }), "", ""},
		{"environment exact", id(func(i *devissuer.GitLabIdentity) {
			i.Namespace = "group"
			i.Project = "prod"
			i.WorkflowFilepath = ".gitlab-ci.yml"
			i.Environment = "Production"
		}), "", ""},
		{"environment is case-sensitive", id(func(i *devissuer.GitLabIdentity) {
			i.Namespace = "group"
			i.Project = "prod"
			i.WorkflowFilepath = ".gitlab-ci.yml"
			i.Environment = "production"
		}), "invalid-publisher", notFound},
		{"wrong project", id(func(i *devissuer.GitLabIdentity) { i.Project = "other" }), "invalid-publisher", notFound},
		{"wrong file", id(func(i *devissuer.GitLabIdentity) { i.WorkflowFilepath = ".gitlab-ci.yml" }), "invalid-publisher", notFound},
		{"sub of another project", signed(func(c map[string]any) { c["sub"] = "project_path:group/other:ref_type:branch:ref:main" }), "invalid-publisher", "valid token, but no corresponding publisher (Check failed for required claim 'sub')"},
		{"missing ref_path", signed(func(c map[string]any) { delete(c, "ref_path") }), "invalid-publisher", "valid token, but no corresponding publisher (Missing claim 'ref_path')"},
		{"empty sha", signed(func(c map[string]any) { c["sha"] = "" }), "invalid-publisher", "valid token, but no corresponding publisher (The ref_path and sha claims are empty)"},
		{"no file in ci_config_ref_uri", signed(func(c map[string]any) { c["ci_config_ref_uri"] = host + "/group/sub/sample@refs/heads/main" }), "invalid-publisher", "valid token, but no corresponding publisher (Could not extract workflow filename from OIDC claims)"},
		{"ci_config_ref_uri at another ref", signed(func(c map[string]any) {
			c["ci_config_ref_uri"] = host + "/group/sub/sample//ci/release.yml@refs/heads/evil"
			c["sha"] = "f00"
		}), "invalid-publisher", "valid token, but no corresponding publisher (The ci_config_ref_uri claim does not match, expecting one of ['" +
			host + "/group/sub/sample//ci/release.yml@f00', '" + host + "/group/sub/sample//ci/release.yml@refs/heads/main'], got '" + host + "/group/sub/sample//ci/release.yml@refs/heads/evil')"},
		{"gitlab.com token", signed(func(c map[string]any) { c["iss"] = publisher.GitLabIssuer }), "not-enabled", "gitlab trusted publishing functionality not enabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := ix.exchange(t, tc.token)
			if tc.code == "" {
				if a.status != 200 || !a.Success {
					t.Fatalf("got %+v", a)
				}
				return
			}
			wantRefusal(t, a, tc.code, tc.desc)
		})
	}
}

func TestPendingPublisher(t *testing.T) {
	is := newIssuerServer(t, keyA())
	var mu sync.Mutex
	existing := map[string]bool{"taken": true}
	cfg := publisher.Config{
		Publishers: publisher.Publishers{GitHub: []publisher.GitHub{
			{Project: "taken", Owner: "octo", Repository: "old", Workflow: "release.yml", Issuer: is.srv.URL, Pending: true},
			{Project: "fresh", Owner: "octo", Repository: "new", Workflow: "release.yml", Issuer: is.srv.URL, Pending: true},
		}},
		ProjectExists: func(_ context.Context, p string) (bool, error) { mu.Lock(); defer mu.Unlock(); return existing[p], nil },
	}
	ix := newIndex(t, cfg)
	wantRefusal(t, ix.exchange(t, ghToken(t, is.issuer(), func(id *devissuer.GitHubIdentity) { id.Repository = "old" })),
		"invalid-pending-publisher", "valid token, but project already exists")
	a := ix.exchange(t, ghToken(t, is.issuer(), func(id *devissuer.GitHubIdentity) { id.Repository = "new" }))
	if a.status != 200 || a.Token != "pypi-minted-for-fresh" || !ix.matches[0].Pending {
		t.Fatalf("got %+v", a)
	}
	if _, err := publisher.NewVerifier(publisher.Config{Publishers: cfg.Publishers}); err == nil || !strings.Contains(err.Error(), "ProjectExists") {
		t.Fatalf("pending publisher without ProjectExists: %v", err)
	}
}

func TestReplayIsAtomic(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	tok := ghToken(t, is.issuer(), nil)
	const n = 16
	var wg sync.WaitGroup
	results := make(chan answer, n)
	for range n {
		wg.Go(func() { results <- ix.exchange(t, tok) })
	}
	wg.Wait()
	close(results)
	ok := 0
	for a := range results {
		switch {
		case a.status == 200:
			ok++
		case a.status == 422 && a.Errors[0].Code == "invalid-reuse-token":
		default:
			t.Errorf("unexpected %+v", a)
		}
	}
	if ok != 1 {
		t.Fatalf("%d exchanges of one token succeeded, want exactly 1", ok)
	}
}

func TestKeyRotation(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	if a := ix.exchange(t, ghToken(t, is.issuer(), nil)); a.status != 200 {
		t.Fatalf("first exchange: %+v", a)
	}
	if got := is.jwksHits.Load(); got != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", got)
	}
	// Cached: no new fetch.
	if a := ix.exchange(t, ghToken(t, is.issuer(), nil)); a.status != 200 || is.jwksHits.Load() != 1 {
		t.Fatalf("cached exchange: %+v, %d fetches", a, is.jwksHits.Load())
	}
	// Made-up key IDs within the cooldown cause no fetch.
	for i := range 5 {
		tok := signRaw(t, keyA(), jose.RS256, fmt.Sprintf("made-up-%d", i), claimsFor(t, is.issuer()))
		wantRefusal(t, ix.exchange(t, tok), "invalid-token", "malformed or invalid token")
	}
	if got := is.jwksHits.Load(); got != 1 {
		t.Fatalf("unknown kids within the cooldown fetched the JWKS %d times", got)
	}
	// The issuer rotates to key B: refused during the cooldown...
	rotated := is.use(t, keyB())
	wantRefusal(t, ix.exchange(t, ghToken(t, rotated, nil)), "invalid-token", "malformed or invalid token")
	// ...accepted once it is over (one refresh).
	ix.clock.Add(61 * time.Second)
	if a := ix.exchange(t, ghToken(t, rotated, nil)); a.status != 200 {
		t.Fatalf("after rotation: %+v", a)
	}
	if got := is.jwksHits.Load(); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", got)
	}
	// The issuer goes down: cached keys still verify, unknown ones fail.
	is.jwksFails.Store(true)
	ix.clock.Add(61 * time.Second)
	if a := ix.exchange(t, ghToken(t, rotated, nil)); a.status != 200 {
		t.Fatalf("cached key while the issuer is down: %+v", a)
	}
	old, _ := devissuer.New(is.srv.URL, keyA())
	wantRefusal(t, ix.exchange(t, ghToken(t, old, nil)), "invalid-token", "malformed or invalid token")
	// The issuer is back: B, cached throughout, keeps working.
	is.jwksFails.Store(false)
	if a := ix.exchange(t, ghToken(t, rotated, nil)); a.status != 200 {
		t.Fatalf("after recovery: %+v", a)
	}
}

func TestConfigValidate(t *testing.T) {
	gh := func(mod func(*publisher.GitHub)) publisher.Config {
		p := publisher.GitHub{Project: "p", Owner: "octo", Repository: "repo", Workflow: "release.yml"}
		mod(&p)
		return publisher.Config{Publishers: publisher.Publishers{GitHub: []publisher.GitHub{p}}}
	}
	gl := func(mod func(*publisher.GitLab)) publisher.Config {
		p := publisher.GitLab{Project: "p", Namespace: "grp", Repository: "repo", WorkflowFilepath: ".gitlab-ci.yml"}
		mod(&p)
		return publisher.Config{Publishers: publisher.Publishers{GitLab: []publisher.GitLab{p}}}
	}
	tests := []struct {
		name string
		cfg  publisher.Config
		want string // "" = valid
	}{
		{"github ok", gh(func(*publisher.GitHub) {}), ""},
		{"gitlab ok", gl(func(*publisher.GitLab) {}), ""},
		{"github loopback issuer", gh(func(p *publisher.GitHub) { p.Issuer = "http://127.0.0.1:9/_/dev-issuer" }), ""},
		{"no project", gh(func(p *publisher.GitHub) { p.Project = "" }), "github[0]: project is empty"},
		{"no owner", gh(func(p *publisher.GitHub) { p.Owner = "" }), `github[0] (project "p"): owner is empty`},
		{"owner/repo in repository", gh(func(p *publisher.GitHub) { p.Repository = "octo/repo" }), `repository "octo/repo" contains '/'`},
		{"workflow path", gh(func(p *publisher.GitHub) { p.Workflow = ".github/workflows/release.yml" }), "workflow: \".github/workflows/release.yml\" must be the file name only"},
		{"workflow suffix", gh(func(p *publisher.GitHub) { p.Workflow = "release" }), "must end in .yml or .yaml"},
		{"owner id", gh(func(p *publisher.GitHub) { p.OwnerID = "octo" }), "owner_id \"octo\" must be the numeric ID"},
		{"plain http issuer", gh(func(p *publisher.GitHub) { p.Issuer = "http://example.com" }), "uses plain http"},
		{"trailing slash issuer", gh(func(p *publisher.GitHub) { p.Issuer = "https://example.com/" }), "no trailing '/'"},
		{"github issuer for gitlab", gl(func(p *publisher.GitLab) { p.Issuer = publisher.GitHubIssuer }), "cannot serve gitlab publishers"},
		{"gitlab no namespace", gl(func(p *publisher.GitLab) { p.Namespace = "" }), `gitlab[0] (project "p"): namespace is empty`},
		{"gitlab repo with slash", gl(func(p *publisher.GitLab) { p.Repository = "a/b" }), "contains '/'"},
		{"gitlab absolute path", gl(func(p *publisher.GitLab) { p.WorkflowFilepath = "/ci.yml" }), "no leading '/'"},
		{"gitlab suffix", gl(func(p *publisher.GitLab) { p.WorkflowFilepath = "ci.txt" }), "must end in .yml or .yaml"},
		{"one issuer two kinds", publisher.Config{Publishers: publisher.Publishers{
			GitHub: []publisher.GitHub{{Project: "a", Owner: "o", Repository: "r", Workflow: "w.yml", Issuer: "https://ci.example"}},
			GitLab: []publisher.GitLab{{Project: "b", Namespace: "n", Repository: "r", WorkflowFilepath: "c.yml", Issuer: "https://ci.example"}},
		}}, "already the issuer of github publishers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLargeBody(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	resp, err := http.Post(ix.srv.URL+"/_/oidc/mint-token", "application/json", strings.NewReader(`{"token": "`+strings.Repeat("a", 100<<10)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// TestConcurrentFirstFetch: many first exchanges at once fetch the JWKS once.
func TestConcurrentFirstFetch(t *testing.T) {
	is := newIssuerServer(t, keyA())
	ix := newIndex(t, githubConfig(is.srv.URL))
	toks := make([]string, 8)
	for i := range toks {
		toks[i] = ghToken(t, is.issuer(), nil)
	}
	var wg sync.WaitGroup
	for _, tok := range toks {
		wg.Go(func() {
			if a := ix.exchange(t, tok); a.status != 200 {
				t.Errorf("got %+v", a)
			}
		})
	}
	wg.Wait()
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
}
