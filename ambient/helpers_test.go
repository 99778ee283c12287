package ambient_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
)

// makeJWT builds a JWT with the given claims, an RS256 header and random
// signature bytes: what a CI's token looks like to a client that does not
// verify signatures (ambient never does; the index does).
func makeJWT(claims map[string]any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"test","typ":"JWT"}`))
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err) // claims are test literals
	}
	sig := make([]byte, 256)
	rand.Read(sig) // never fails (crypto/rand)
	return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// githubClaims are the claims of a GitHub Actions token for audience.
func githubClaims(aud any) map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"aud": aud, "iss": "https://token.actions.githubusercontent.com",
		"sub":        "repo:sigstore-conformance/extremely-dangerous-public-oidc-beacon:ref:refs/heads/main",
		"repository": "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
		"ref":        "refs/heads/main", "workflow_ref": "sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
		"iat": now, "nbf": now, "exp": now + 300, "jti": "8d1c6b0e-test",
	}
}

// logRecorder is a slog handler that keeps the messages it is given.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
	all  strings.Builder // every message and attribute, for leak checks
}

// retries returns the retry lines.
func (h *logRecorder) retries() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, m := range h.msgs {
		if strings.Contains(m, "; retrying in ") {
			out = append(out, m)
		}
	}
	return out
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Message)
	h.all.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { h.all.WriteString(" " + a.String()); return true })
	h.all.WriteString("\n")
	return nil
}

// lines returns the recorded messages that start with prefix ("GCP:"),
// except the retry lines (which `id` does not have; see retries).
func (h *logRecorder) lines(prefix string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, m := range h.msgs {
		if strings.HasPrefix(m, prefix) && !strings.Contains(m, "; retrying in ") {
			out = append(out, m)
		}
	}
	return out
}

// testDetector returns a Detector over env (a map, so the test never sees
// the machine's own CI variables), with fast retries, a short timeout, no
// DMI product file unless the test writes one, and Google endpoints that
// refuse connections unless the test points them at a fake.
func testDetector(t *testing.T, env map[string]string) (*ambient.Detector, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	dir := t.TempDir()
	if _, ok := env["PATH"]; !ok {
		env["PATH"] = filepath.Join(dir, "empty-bin")
	}
	return &ambient.Detector{
		LookupEnv:            func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ProductNamePath:      filepath.Join(dir, "no-product-name"),
		GCPMetadataURL:       "http://127.0.0.1:1", // nothing listens on port 1
		GCPIAMCredentialsURL: "http://127.0.0.1:1",
		Logger:               slog.New(rec),
		Timeout:              2 * time.Second,
		Backoff:              func(int) time.Duration { return time.Millisecond },
	}, rec
}

// writeFile writes content to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// providerError asserts that err is a *ProviderError for provider whose
// message contains want, and returns it.
// outcome checks one of Detect's three outcomes against wantErr: "" is a
// token equal to want from provider, "no CI" is ok false without an error,
// anything else a *ProviderError of provider whose text contains wantErr
// and whose hint contains wantHint, which it returns (nil for the others).
func outcome(t *testing.T, tok ambient.Token, ok bool, err error, provider, want, wantErr, wantHint string) *ambient.ProviderError {
	t.Helper()
	switch wantErr {
	case "":
		if err != nil || !ok || tok.Reveal() != want || tok.Provider() != provider {
			t.Fatalf("Detect = %v, %v, %v (provider %q); want the %s token", tok.Reveal(), ok, err, tok.Provider(), provider)
		}
	case "no CI":
		if err != nil || ok {
			t.Fatalf("Detect = %v, %v; want no CI", ok, err)
		}
	default:
		pe := providerError(t, err, provider, wantErr)
		if !strings.Contains(pe.Hint, wantHint) {
			t.Errorf("hint %q does not contain %q", pe.Hint, wantHint)
		}
		return pe
	}
	return nil
}

func providerError(t *testing.T, err error, provider, want string) *ambient.ProviderError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s error containing %q", provider, want)
	}
	var pe *ambient.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T (%v) is not a *ProviderError", err, err)
	}
	if pe.Provider != provider {
		t.Errorf("Provider = %q, want %q", pe.Provider, provider)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if pe.Hint == "" || !strings.Contains(err.Error(), pe.Hint) {
		t.Errorf("error %q lacks its hint %q", err, pe.Hint)
	}
	return pe
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}
