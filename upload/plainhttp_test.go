package upload

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
)

// TestAllowPlainHTTP: credentials go over plain http to a non-loopback
// host only when that host is opted in; the index reached is the real one,
// under a private name (the dialer sends index.internal to loopback).
func TestAllowPlainHTTP(t *testing.T) {
	srv, _ := realIndex(t, nil)
	addr := strings.TrimPrefix(srv.URL, "http://")
	hc := DefaultHTTPClient()
	hc.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	f := openDist(t, buildWheel(t, t.TempDir(), "plain", "1.0", 0))
	for _, tc := range []struct {
		name  string
		allow []string
		ok    bool
	}{
		{"not opted in", nil, false},
		{"another host opted in", []string{"other.internal"}, false},
		{"opted in", []string{"index.internal"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{URL: "http://index.internal:8080/legacy/", HTTPClient: hc, AllowPlainHTTP: tc.allow,
				Credentials: StaticCredentials(TokenCredentials(secret.New(canaryToken)))}
			rep, err := c.Publish(context.Background(), []*pydist.File{f}, PublishOptions{})
			if tc.ok {
				if err != nil || rep.Files[0].Outcome != OutcomeUploaded {
					t.Fatalf("err %v", err)
				}
				return
			}
			var ie *urlpolicy.InsecureError
			var pe *PublishError
			if !errors.As(err, &ie) || !errors.As(err, &pe) || pe.Stage != StageCredentials || ie.Host != "index.internal:8080" {
				t.Fatalf("err %v", err)
			}
		})
	}
}
