package upload

import (
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"
)

// TestDefaultHTTPClientHTTP1OverTLS checks that the default client offers
// only HTTP/1.1 in the TLS handshake, so that a server able to speak HTTP/2
// answers in HTTP/1.1, whose status line carries PyPI's error messages.
func TestDefaultHTTPClientHTTP1OverTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	c := DefaultHTTPClient()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 1 || string(body) != "HTTP/1.1" {
		t.Fatalf("spoke %s, server saw %q", resp.Proto, body)
	}
}

// TestCheckURLRedirectDropsCredentials: a simple-API redirect to another
// port (or scheme) of the same host name must not carry the token.
func TestCheckURLRedirectDropsCredentials(t *testing.T) {
	var gotAuth []string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		http.NotFound(w, r)
	}))
	defer plain.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer origin.Close()

	c := &Client{URL: origin.URL + "/legacy/", Credentials: StaticCredentials(TokenCredentials(secret.New("pypi-REDIRECT-CANARY")))}
	if _, err := c.FetchProject(t.Context(), origin.URL+"/simple/", "demo"); err != nil {
		t.Fatal(err)
	}
	if len(gotAuth) != 2 || gotAuth[0] == "" || gotAuth[1] != "" {
		t.Fatalf("Authorization seen by origin, then redirect target: %q", gotAuth)
	}
}

// TestCheckURLFailureStages: a malformed --check-url is a usage error and
// an unreachable one a failure, neither a "file refused by the checks".
func TestCheckURLFailureStages(t *testing.T) {
	p := disttest.BuildWheel(t, t.TempDir(), "stage", "1.0", disttest.Options{})
	f, err := pydist.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{URL: "http://127.0.0.1:1/legacy/"}
	for _, tc := range []struct {
		checkURL string
		want     Stage
	}{
		{"ftp://user:SECRET@host/simple/", StageConfig},
		{"http://127.0.0.1:1/simple/", StageUpload},
	} {
		c.SimpleURL = tc.checkURL
		_, err := c.Publish(t.Context(), []*pydist.File{f}, PublishOptions{PreCheck: true})
		var pe *PublishError
		if !errors.As(err, &pe) || pe.Stage != tc.want {
			t.Errorf("check URL %s: %v (stage %v), want stage %s", tc.checkURL, err, pe, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("check URL password in the error: %v", err)
		}
	}
}
