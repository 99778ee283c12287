package ambient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustpub/trustpub/ambient"
)

// TestDetectOutcomes checks that the three outcomes are told apart without
// reading messages, and mirrors id's test_detect_credential* cases.
func TestDetectOutcomes(t *testing.T) {
	sigstore := makeJWT(githubClaims("sigstore"))
	tests := []struct {
		name     string
		env      map[string]string
		audience string
		wantTok  string // expected token; "" when none
		wantErr  string // "" when no error
		wantIs   error
	}{
		{name: "detect_credential_none", env: map[string]string{}, audience: "some-audience"},
		{name: "ci_vars_unrelated_to_providers", env: map[string]string{"CI": "true", "TRAVIS": "true", "GITHUB_ACTIONS": ""}, audience: "pypi"},
		{name: "detect_credential", env: map[string]string{"GITLAB_CI": "true", "SIGSTORE_ID_TOKEN": sigstore}, audience: "sigstore", wantTok: sigstore},
		{name: "detect_credential_audience_mismatch", env: map[string]string{"GITLAB_CI": "true", "MY_AUDIENCE_ID_TOKEN": sigstore}, audience: "my-audience",
			wantErr: "Token audience claim mismatch (expected my-audience, got sigstore)", wantIs: ambient.ErrInvalidToken},
		{name: "detect_credential_malformed_token", env: map[string]string{"GITLAB_CI": "true", "MY_AUDIENCE_ID_TOKEN": "header.payload.sig"}, audience: "my-audience",
			wantErr: "GitLab: Malformed token", wantIs: ambient.ErrInvalidToken},
		{name: "aud_list_containing_audience", env: map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": makeJWT(map[string]any{"aud": []string{"other", "pypi"}})},
			audience: "pypi", wantTok: "PYPI_ID_TOKEN"},
		{name: "aud_list_without_audience", env: map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": makeJWT(map[string]any{"aud": []string{"other", "sigstore"}})},
			audience: "pypi", wantErr: `Token audience claim mismatch (expected pypi, got ["other","sigstore"])`, wantIs: ambient.ErrInvalidToken},
		{name: "aud_missing", env: map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": makeJWT(map[string]any{"iss": "https://gitlab.com"})},
			audience: "pypi", wantErr: "Malformed token payload (audience claim is missing)", wantIs: ambient.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if v, ok := tt.env[tt.wantTok]; ok {
				tt.wantTok = v // a variable name stands for its value
			}
			d, _ := testDetector(t, tt.env)
			tok, ok, err := d.Detect(context.Background(), tt.audience)
			var pe *ambient.ProviderError
			switch {
			case tt.wantErr != "":
				if !errors.As(err, &pe) || ok {
					t.Fatalf("Detect = %v, %v; want a *ProviderError", ok, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tt.wantIs) {
					t.Errorf("error %q: want %q matching %v", err, tt.wantErr, tt.wantIs)
				}
			case tt.wantTok != "":
				if err != nil || !ok || tok.Reveal() != tt.wantTok {
					t.Fatalf("Detect = %v, %v; want the token", ok, err)
				}
			default:
				if err != nil || ok || !tok.IsZero() {
					t.Fatalf("Detect = %v, %v, %v; want no CI (ok false, nil error)", tok, ok, err)
				}
			}
		})
	}
}

// TestDetectOrder: providers announced by environment variables win over
// the Compute Engine heuristic, and an error stops the chain.
func TestDetectOrder(t *testing.T) {
	var metadataHits atomic.Int32
	metadata := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metadataHits.Add(1)
		w.Write([]byte(makeJWT(map[string]any{"aud": r.URL.Query().Get("audience"), "iss": "https://accounts.google.com"})))
	}))
	defer metadata.Close()
	gitlabTok := makeJWT(map[string]any{"aud": "pypi", "iss": "https://gitlab.com"})

	tests := []struct {
		name         string
		env          map[string]string
		onGCE        bool
		wantProvider string
		wantErr      string
		wantMetadata int32
	}{
		{name: "gitlab_runner_on_gce_gets_gitlab_token", env: map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": gitlabTok}, onGCE: true, wantProvider: ambient.ProviderGitLab},
		{name: "gitlab_error_on_gce_is_gitlab_error", env: map[string]string{"GITLAB_CI": "true"}, onGCE: true, wantErr: "GitLab: Environment variable PYPI_ID_TOKEN not found"},
		{name: "plain_gce_vm", env: map[string]string{}, onGCE: true, wantProvider: ambient.ProviderGCP, wantMetadata: 1},
		{name: "github_error_stops_chain", env: map[string]string{"GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "PYPI_ID_TOKEN": gitlabTok}, onGCE: true,
			wantErr: "GitHub: missing or insufficient OIDC token permissions"},
		{name: "buildkite_error_stops_chain", env: map[string]string{"BUILDKITE": "true", "CIRCLECI": "true"}, onGCE: true,
			wantErr: "Buildkite: could not find Buildkite agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metadataHits.Store(0)
			d, _ := testDetector(t, tt.env)
			d.GCPMetadataURL = metadata.URL
			if tt.onGCE {
				d.ProductNamePath = writeFile(t, t.TempDir(), "product_name", "Google Compute Engine\n", 0o444)
			}
			tok, ok, err := d.Detect(context.Background(), "pypi")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Detect error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil || !ok || tok.Provider() != tt.wantProvider {
				t.Fatalf("Detect = %q, %v, %v; want a token from %s", tok.Provider(), ok, err, tt.wantProvider)
			}
			if got := metadataHits.Load(); got != tt.wantMetadata {
				t.Errorf("metadata server hit %d times, want %d", got, tt.wantMetadata)
			}
		})
	}
}

func TestDetectEmptyAudience(t *testing.T) {
	d, _ := testDetector(t, map[string]string{"GITLAB_CI": "true"})
	_, ok, err := d.Detect(context.Background(), "")
	var pe *ambient.ProviderError
	if err == nil || ok || errors.As(err, &pe) || !strings.Contains(err.Error(), "empty audience") {
		t.Fatalf("Detect(\"\") = %v, %v; want a plain empty-audience error", ok, err)
	}
}

// TestDetectInvalidTokenHints: a GitLab token for the wrong audience gets
// the id_tokens fix; another provider's gets a generic one.
func TestDetectInvalidTokenHints(t *testing.T) {
	d, _ := testDetector(t, map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": makeJWT(map[string]any{"aud": "sigstore"})})
	_, _, err := d.Detect(context.Background(), "pypi")
	pe := providerError(t, err, ambient.ProviderGitLab, "GitLab: Token audience claim mismatch (expected pypi, got sigstore)")
	if !strings.Contains(pe.Hint, "PYPI_ID_TOKEN:\n        aud: pypi") {
		t.Errorf("hint %q lacks the id_tokens YAML", pe.Hint)
	}
}

// TestDefaultDetector runs the real defaults (os environment, os/exec,
// os.ReadFile) far enough to see they are wired: with the process's own
// environment cleared of every provider variable, there is no CI unless
// this machine is a Google VM.
func TestDefaultDetector(t *testing.T) {
	for _, k := range []string{"GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "GOOGLE_SERVICE_ACCOUNT_NAME"} {
		t.Setenv(k, "")
	}
	d := &ambient.Detector{ProductNamePath: t.TempDir() + "/absent"}
	if _, ok, err := d.Detect(context.Background(), "pypi"); ok || err != nil {
		t.Fatalf("Detect = %v, %v; want no CI", ok, err)
	}
	t.Setenv("GITLAB_CI", "true")
	t.Setenv("PYPI_ID_TOKEN", makeJWT(map[string]any{"aud": "pypi"}))
	if tok, ok, err := ambient.Detect(context.Background(), "pypi"); !ok || err != nil || tok.Provider() != ambient.ProviderGitLab {
		t.Fatalf("ambient.Detect = %v, %v; want the GitLab token", ok, err)
	}
	// exec.LookPath on the process PATH and os/exec run the agent.
	t.Setenv("GITLAB_CI", "")
	t.Setenv("BUILDKITE", "true")
	bin := t.TempDir()
	want := makeJWT(map[string]any{"aud": "pypi"})
	fakeTool(t, bin, "buildkite-agent", want+"\n", "", 0)
	t.Setenv("PATH", bin)
	if tok, ok, err := d.Detect(context.Background(), "pypi"); !ok || err != nil || tok.Reveal() != want {
		t.Fatalf("Detect = %v, %v; want the agent's token", ok, err)
	}
}
