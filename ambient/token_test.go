package ambient_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
)

func jwtWithPayload(payload string) string {
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, token, audience, wantErr string
	}{
		{"string_aud", jwtWithPayload(`{"aud":"pypi"}`), "pypi", ""},
		{"list_aud", jwtWithPayload(`{"aud":["x","pypi"]}`), "pypi", ""},
		{"padded_payload", strings.Replace(jwtWithPayload(`{"aud":"pypi"}`), ".c2ln", "==.c2ln", 1), "pypi", ""},
		{"standard_alphabet", "h." + base64.RawStdEncoding.EncodeToString([]byte(`{"aud":"pypi","x":"??>>"}`)) + ".s", "pypi", ""},
		{"two_parts", "header.payload", "pypi", "Malformed token"},
		{"four_parts", "a.b.c.d", "pypi", "Malformed token"},
		{"empty", "", "pypi", "Malformed token"},
		{"header.payload.sig", "header.payload.sig", "my-audience", "Malformed token"},
		{"bad_base64", "h.!!!.s", "pypi", "Malformed token"},
		{"not_utf8", "h." + base64.RawURLEncoding.EncodeToString([]byte("{\"aud\":\"\xff\"}")) + ".s", "pypi", "Malformed token"},
		{"not_json", jwtWithPayload(`{"aud":`), "pypi", "Malformed token"},
		{"array", jwtWithPayload(`["aud"]`), "pypi", "Malformed token payload (JWT is not a JSON object)"},
		{"string", jwtWithPayload(`"pypi"`), "pypi", "Malformed token payload (JWT is not a JSON object)"},
		{"null", jwtWithPayload(`null`), "pypi", "Malformed token payload (JWT is not a JSON object)"},
		{"no_aud", jwtWithPayload(`{"iss":"x"}`), "pypi", "Malformed token payload (audience claim is missing)"},
		{"mismatch", jwtWithPayload(`{"aud":"sigstore"}`), "my-audience", "Token audience claim mismatch (expected my-audience, got sigstore)"},
		{"aud_null", jwtWithPayload(`{"aud":null}`), "pypi", "Token audience claim mismatch (expected pypi, got null)"},
		{"aud_number", jwtWithPayload(`{"aud":7}`), "pypi", "Token audience claim mismatch (expected pypi, got 7)"},
		{"aud_list_of_non_strings", jwtWithPayload(`{"aud":[1,{"pypi":1}]}`), "pypi", `Token audience claim mismatch (expected pypi, got [1,{"pypi":1}])`},
		{"case_matters", jwtWithPayload(`{"aud":"PyPI"}`), "pypi", "Token audience claim mismatch (expected pypi, got PyPI)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ambient.NewToken(tt.token).Validate(tt.audience)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ambient.ErrInvalidToken) {
				t.Fatalf("Validate = %v, want exactly %q matching ErrInvalidToken", err, tt.wantErr)
			}
		})
	}
}

func TestClaims(t *testing.T) {
	exp := time.Now().Add(5 * time.Minute).Truncate(time.Second)
	raw := makeJWT(map[string]any{"aud": "pypi", "repository": "org/project", "exp": exp.Unix()})
	tok := ambient.NewToken(raw)
	claims, err := tok.Claims()
	if err != nil || claims["repository"] != "org/project" || claims["aud"] != "pypi" {
		t.Fatalf("Claims = %v, %v", claims, err)
	}
	js, err := tok.ClaimsJSON()
	if err != nil || !json.Valid(js) || !strings.Contains(string(js), `"repository":"org/project"`) {
		t.Fatalf("ClaimsJSON = %s, %v", js, err)
	}
	sig := raw[strings.LastIndex(raw, ".")+1:]
	if strings.Contains(string(js), sig) || strings.Contains(fmt.Sprint(claims), sig) {
		t.Error("claims include the signature")
	}
	if got, ok := tok.Expiry(); !ok || !got.Equal(exp) {
		t.Errorf("Expiry = %v, %v; want %v", got, ok, exp)
	}
	if _, ok := ambient.NewToken(jwtWithPayload(`{"aud":"x"}`)).Expiry(); ok {
		t.Error("Expiry of a token without exp reported ok")
	}
	for _, bad := range []string{"", "a.b", jwtWithPayload(`[1]`)} {
		if c, err := ambient.NewToken(bad).Claims(); err == nil || c != nil || !errors.Is(err, ambient.ErrInvalidToken) {
			t.Errorf("Claims(%q) = %v, %v; want an ErrInvalidToken error", bad, c, err)
		}
		if _, err := ambient.NewToken(bad).ClaimsJSON(); err == nil {
			t.Errorf("ClaimsJSON(%q) succeeded", bad)
		}
	}
}

// canaryToken is a valid-looking JWT whose every part contains a marker
// that must never be printed.
const canary = "CANARYx9f3"

func canaryJWT(aud string) string {
	return "eyJhbGciOiJSUzI1NiJ9" + canary + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"`+aud+`","x":"`+canary+`"}`)) + "." + canary + "sig"
}

type holder struct {
	Name  string
	Token ambient.Token
	Ptr   *ambient.Token
	Any   any
}

// TestTokenRedaction prints a token through every formatting path and
// checks that neither the token nor its parts appear.
func TestTokenRedaction(t *testing.T) {
	raw := canaryJWT("pypi")
	tok := ambient.NewToken(raw)
	h := holder{Name: "x", Token: tok, Ptr: &tok, Any: tok}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%-8v", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, &tok), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h),
			fmt.Sprintf(verb, []ambient.Token{tok}), fmt.Sprintf(verb, map[string]ambient.Token{"k": tok}))
	}
	outs = append(outs, fmt.Sprint(tok), fmt.Sprintln(h), tok.String(), tok.GoString(),
		fmt.Errorf("wrapped %v: %w", tok, errors.New("x")).Error())
	for _, v := range []any{tok, &tok, h, []ambient.Token{tok}} {
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(js))
	}
	txt, _ := tok.MarshalText()
	outs = append(outs, string(txt))
	var buf bytes.Buffer
	for _, l := range []*slog.Logger{
		slog.New(slog.NewTextHandler(&buf, nil)),
		slog.New(slog.NewJSONHandler(&buf, nil)),
	} {
		l.Info("token", "tok", tok, "ptr", &tok, "holder", h, slog.Any("any", tok), slog.Group("g", "t", tok))
	}
	log.New(&buf, "", 0).Printf("%v %s", tok, h)
	outs = append(outs, buf.String())
	for _, o := range outs {
		if strings.Contains(o, canary) || strings.Contains(o, fmt.Sprintf("%x", canary)) || strings.Contains(o, fmt.Sprintf("%X", canary)) {
			t.Errorf("token leaked: %q", o)
		}
	}
	if !strings.Contains(fmt.Sprint(tok), "[REDACTED]") {
		t.Errorf("redaction marker missing from %q", fmt.Sprint(tok))
	}
	if tok.Reveal() != raw {
		t.Errorf("Reveal = %q, want the raw token", tok.Reveal())
	}
}

// TestErrorsAndLogsNeverHoldTokens drives every provider to a failure or a
// success with canary secrets (tokens, request and access tokens) and
// checks error strings and debug logs.
func TestErrorsAndLogsNeverHoldTokens(t *testing.T) {
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("audience") {
		case "wrong":
			json.NewEncoder(w).Encode(map[string]string{"value": canaryJWT("pypi")})
		case "fail":
			http.Error(w, "no", http.StatusForbidden)
		default:
			json.NewEncoder(w).Encode(map[string]string{"value": canaryJWT(r.URL.Query().Get("audience"))})
		}
	}))
	defer gh.Close()
	google := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			json.NewEncoder(w).Encode(map[string]string{"access_token": "ya29." + canary})
			return
		}
		http.Error(w, "denied", http.StatusForbidden)
	}))
	defer google.Close()
	bin := t.TempDir()
	fakeTool(t, bin, "buildkite-agent", canaryJWT("pypi"), "", 0)
	fakeTool(t, bin, "circleci", "", "boom", 3)

	cases := []struct {
		env      map[string]string
		audience string
	}{
		{map[string]string{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": canary, "ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/?api-version=2.0"}, "wrong"},
		{map[string]string{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": canary, "ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/?api-version=2.0"}, "fail"},
		{map[string]string{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": canary, "ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/?api-version=2.0"}, "pypi"},
		{map[string]string{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": canary}, "pypi"},
		{map[string]string{"GITLAB_CI": "1", "PYPI_ID_TOKEN": canaryJWT("other")}, "pypi"},
		{map[string]string{"GITLAB_CI": "1", "PYPI_ID_TOKEN": canary + "." + canary}, "pypi"},
		{map[string]string{"GITLAB_CI": "1", "PYPI_ID_TOKEN": canaryJWT("pypi")}, "pypi"},
		{map[string]string{"BUILDKITE": "1", "PATH": bin}, "other"},
		{map[string]string{"CIRCLECI": "1", "PATH": bin}, "pypi"},
		{map[string]string{"GOOGLE_SERVICE_ACCOUNT_NAME": gcpAccount}, "pypi"},
	}
	for i, c := range cases {
		d, logs := testDetector(t, c.env)
		d.GCPMetadataURL, d.GCPIAMCredentialsURL = google.URL, google.URL
		tok, ok, err := d.Detect(context.Background(), c.audience)
		var text string
		if err != nil {
			text = err.Error() + fmt.Sprintf(" %v %+v %#v", err, err, err)
		}
		text += fmt.Sprintf("%v %+v %#v %s %q", tok, tok, tok, tok, tok) + logs.all.String()
		if strings.Contains(text, canary) {
			t.Errorf("case %d (ok=%v): secret leaked in %q", i, ok, text)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	tok := ambient.NewToken(makeJWT(githubClaims("pypi")))
	for b.Loop() {
		if err := tok.Validate("pypi"); err != nil {
			b.Fatal(err)
		}
	}
}
