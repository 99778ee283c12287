package ambient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
)

const (
	gcpAccount    = "identity@project.iam.gserviceaccount.com"
	gcpAccess     = "ya29.fake-access-token"
	tokenPath     = "/computeMetadata/v1/instance/service-accounts/default/token"
	identityPath  = "/computeMetadata/v1/instance/service-accounts/default/identity"
	generatePath  = "/v1/projects/-/serviceAccounts/" + gcpAccount + ":generateIdToken"
	accessQuery   = "scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"
	identityQuery = "audience=some-audience&format=full"
)

// fakeGoogle plays the Compute Engine metadata server (which refuses
// requests without `Metadata-Flavor: Google`) and the IAM credentials API
// (which wants the metadata server's access token and a JSON body with the
// audience). override replaces the answer of one endpoint (by path).
type fakeGoogle struct {
	override map[string]func(w http.ResponseWriter, r *http.Request)

	mu     sync.Mutex
	hits   map[string]int
	minted string
}

func (f *fakeGoogle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.hits == nil {
		f.hits = map[string]int{}
	}
	f.hits[r.URL.Path]++
	f.mu.Unlock()
	if h := f.override[r.URL.Path]; h != nil {
		h(w, r)
		return
	}
	switch r.URL.Path {
	case tokenPath, identityPath:
		if r.Header.Get("Metadata-Flavor") != "Google" {
			http.Error(w, "Missing Metadata-Flavor:Google header.", http.StatusForbidden)
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == tokenPath && r.URL.RawQuery == accessQuery:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": gcpAccess, "expires_in": 3599, "token_type": "Bearer"})
	case r.Method == http.MethodGet && r.URL.Path == identityPath && r.URL.Query().Get("format") == "full":
		tok := f.mint(r.URL.Query().Get("audience"), "default@project.iam.gserviceaccount.com")
		w.Header().Set("Content-Type", "text/html") // as the real server does
		w.Write([]byte(tok))
	case r.Method == http.MethodPost && r.URL.Path == generatePath:
		if r.Header.Get("Authorization") != "Bearer "+gcpAccess || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"error":{"code":401,"status":"UNAUTHENTICATED"}}`, http.StatusUnauthorized)
			return
		}
		var body struct {
			Audience     string `json:"audience"`
			IncludeEmail *bool  `json:"includeEmail"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Audience == "" || body.IncludeEmail == nil || !*body.IncludeEmail {
			http.Error(w, `{"error":{"code":400,"status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"token": f.mint(body.Audience, gcpAccount)})
	default:
		http.Error(w, "not found: "+r.Method+" "+r.URL.String(), http.StatusNotFound)
	}
}

func (f *fakeGoogle) mint(aud, email string) string {
	tok := makeJWT(map[string]any{"aud": aud, "iss": "https://accounts.google.com", "email": email, "email_verified": true, "sub": "1234567890"})
	f.mu.Lock()
	f.minted = tok
	f.mu.Unlock()
	return tok
}

func status(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code); w.Write([]byte(body)) }
}

func stall(w http.ResponseWriter, r *http.Request) {
	// Read the body first: only then does the server notice the client
	// hanging up, and end r.Context().
	io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// TestGCP mirrors id's test_gcp_* and test_detect_gcp* cases.
func TestGCP(t *testing.T) {
	const (
		looking = "GCP: looking for OIDC credentials"
		set     = "GCP: GOOGLE_SERVICE_ACCOUNT_NAME set; attempting impersonation"
		access  = "GCP: requesting access token"
		oidc    = "GCP: requesting OIDC token"
		success = "GCP: successfully requested OIDC token"
		notSet  = "GCP: GOOGLE_SERVICE_ACCOUNT_NAME not set; skipping impersonation"
	)
	tests := []struct {
		name        string
		account     bool    // set GOOGLE_SERVICE_ACCOUNT_NAME
		product     *string // content of the DMI product name file; nil for no file
		override    map[string]func(http.ResponseWriter, *http.Request)
		wantErr     string // "" success, "no CI" none
		wantIs      error
		wantHint    string
		wantLogs    []string
		wantHits    map[string]int
		wantNoRetry bool
	}{
		{name: "impersonation_access_token_request_fail", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){tokenPath: status(999, "something")},
			wantErr:  "GCP: access token request failed (code=999, body='something')", wantHint: "roles/iam.serviceAccountOpenIdTokenCreator",
			wantLogs: []string{looking, set, access}, wantHits: map[string]int{tokenPath: 1, generatePath: 0}},
		{name: "impersonation_access_token_request_timeout", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){tokenPath: stall},
			wantErr:  "GCP: access token request timed out", wantIs: context.DeadlineExceeded,
			wantLogs: []string{looking, set, access}, wantHits: map[string]int{tokenPath: 3}},
		{name: "impersonation_access_token_missing", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){tokenPath: status(200, "{}")},
			wantErr:  "GCP: access token missing from response", wantLogs: []string{looking, set, access}},
		{name: "impersonation_access_token_not_json", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){tokenPath: status(200, "<html>")},
			wantErr:  "GCP: access token missing from response (the answer is not a JSON object)", wantLogs: []string{looking, set, access}},
		{name: "impersonation_identity_token_request_fail", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){generatePath: status(999, "something")},
			wantErr:  "GCP: OIDC token request failed (code=999, body='something')",
			wantLogs: []string{looking, set, access, oidc}, wantHits: map[string]int{tokenPath: 1, generatePath: 1}},
		{name: "impersonation_identity_token_permission_denied", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){generatePath: status(403, `{"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getOpenIdToken' denied"}}`)},
			wantErr:  `GCP: OIDC token request failed (code=403, body='{"error":{"code":403,"message":"Permission \'iam.serviceAccounts.getOpenIdToken\' denied"}}')`,
			wantHint: "roles/iam.serviceAccountOpenIdTokenCreator", wantHits: map[string]int{generatePath: 1}},
		{name: "impersonation_identity_token_request_timeout", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){generatePath: stall},
			wantErr:  "GCP: OIDC token request timed out", wantLogs: []string{looking, set, access, oidc}},
		{name: "impersonation_identity_token_missing", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){generatePath: status(200, "{}")},
			wantErr:  "GCP: OIDC token missing from response", wantLogs: []string{looking, set, access, oidc}},
		{name: "impersonation_identity_5xx_retried", account: true,
			override: map[string]func(http.ResponseWriter, *http.Request){generatePath: status(503, "unavailable")},
			wantErr:  "GCP: OIDC token request failed (code=503, body='unavailable') after 3 attempts", wantHits: map[string]int{tokenPath: 1, generatePath: 3}},
		{name: "impersonation_succeeds", account: true,
			wantLogs: []string{looking, set, access, oidc, success}, wantHits: map[string]int{tokenPath: 1, generatePath: 1, identityPath: 0}},
		{name: "impersonation_wins_over_product_name", account: true, product: ptr("Google"),
			wantLogs: []string{looking, set, access, oidc, success}, wantHits: map[string]int{generatePath: 1, identityPath: 0}},
		{name: "bad_env", wantErr: "no CI", wantLogs: []string{looking, notSet, "GCP: environment doesn't have GCP product name file; giving up"}},
		{name: "wrong_product", product: ptr("Unsupported Product\n"), wantErr: "no CI",
			wantLogs: []string{looking, notSet, "GCP: product name file exists, but product name is 'Unsupported Product'; giving up"}},
		{name: "request_fails", product: ptr("Google\n"),
			override: map[string]func(http.ResponseWriter, *http.Request){identityPath: status(999, "something")},
			wantErr:  "GCP: OIDC token request failed (code=999, body='something')", wantHint: "Attach a service account",
			wantLogs: []string{looking, notSet, oidc}, wantHits: map[string]int{identityPath: 1}},
		{name: "request_timeout", product: ptr("Google\n"),
			override: map[string]func(http.ResponseWriter, *http.Request){identityPath: stall},
			wantErr:  "GCP: OIDC token request timed out", wantLogs: []string{looking, notSet, oidc}},
		{name: "detect_gcp_Google", product: ptr("Google\n"), wantLogs: []string{looking, notSet, oidc, success}, wantHits: map[string]int{identityPath: 1}},
		{name: "detect_gcp_Google_Compute_Engine", product: ptr("Google Compute Engine\n"), wantLogs: []string{looking, notSet, oidc, success}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeGoogle{override: tt.override}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			env := map[string]string{}
			if tt.account {
				env["GOOGLE_SERVICE_ACCOUNT_NAME"] = gcpAccount
			}
			d, logs := testDetector(t, env)
			d.GCPMetadataURL, d.GCPIAMCredentialsURL = srv.URL, srv.URL+"/"
			d.Timeout = 150 * time.Millisecond
			d.Retries = 2
			if tt.product != nil {
				d.ProductNamePath = writeFile(t, t.TempDir(), "product_name", *tt.product, 0o444)
			}
			tok, ok, err := d.Detect(context.Background(), "some-audience")
			fake.mu.Lock()
			minted := fake.minted
			fake.mu.Unlock()
			if pe := outcome(t, tok, ok, err, ambient.ProviderGCP, minted, tt.wantErr, tt.wantHint); pe != nil {
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
				}
				if strings.Contains(err.Error(), gcpAccess) {
					t.Errorf("error reveals the access token: %v", err)
				}
			}
			if tt.wantLogs != nil {
				equalLines(t, "GCP debug lines", logs.lines("GCP:"), tt.wantLogs)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			for path, n := range tt.wantHits {
				if fake.hits[path] != n {
					t.Errorf("%s hit %d times, want %d", path, fake.hits[path], n)
				}
			}
		})
	}
}

// TestGCPRequestShape checks the exact requests, as id's tests do: the
// identity URL's query and the metadata header.
func TestGCPRequestShape(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.RequestURI()+" Metadata-Flavor="+r.Header.Get("Metadata-Flavor"))
		mu.Unlock()
		w.Write([]byte(makeJWT(map[string]any{"aud": "some-audience"})))
	}))
	defer srv.Close()
	d, _ := testDetector(t, map[string]string{})
	d.GCPMetadataURL = srv.URL
	d.ProductNamePath = writeFile(t, t.TempDir(), "product_name", "Google Compute Engine\n", 0o444)
	if _, ok, err := d.Detect(context.Background(), "some-audience"); !ok || err != nil {
		t.Fatalf("Detect = %v, %v", ok, err)
	}
	equalLines(t, "requests", got, []string{"GET " + identityPath + "?" + identityQuery + " Metadata-Flavor=Google"})
}

func ptr[T any](v T) *T { return &v }
