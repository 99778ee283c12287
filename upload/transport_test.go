package upload

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
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
