package trustedpublishing_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/ambient"
	tp "github.com/trustpub/trustpub/trustedpublishing"
)

// TestReservedAudiences: an index that is not PyPI (or TestPyPI) asking for
// PyPI's audience gets no token — such a token could be traded at PyPI for
// an upload token of the job's projects. The index answers over real TLS
// under names httptest's certificate covers; the client dials it on
// loopback whatever the name.
func TestReservedAudiences(t *testing.T) {
	for _, tc := range []struct {
		name, publishURL, audience string
		refused                    bool
	}{
		{"another host asks for pypi", "https://example.com/legacy/", "pypi", true},
		{"another host asks for testpypi", "https://example.com/legacy/", "testpypi", true},
		{"case does not hide it", "https://example.com/legacy/", "PyPI", true},
		{"another host with its own audience", "https://example.com/legacy/", "example-index", false},
		{"a loopback index asks for pypi (the local rehearsal)", "https://127.0.0.1/legacy/", "pypi", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			detected := false
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/_/oidc/audience":
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(`{"audience":"` + tc.audience + `"}`))
				default:
					http.Error(w, `{"message":"no"}`, http.StatusUnprocessableEntity)
				}
			}))
			defer srv.Close()
			client := srv.Client()
			client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
			}
			x := &tp.Exchanger{HTTPClient: client, Detect: func(ctx context.Context, aud string) (ambient.Token, bool, error) {
				detected = true
				return ambient.Token{}, false, nil
			}}
			_, err := x.Exchange(context.Background(), tc.publishURL)
			var re *tp.ReservedAudienceError
			if got := errors.As(err, &re); got != tc.refused {
				t.Fatalf("refused = %v (%v), want %v", got, err, tc.refused)
			}
			if tc.refused {
				if detected {
					t.Error("the CI's token was asked for although the audience was refused")
				}
				if !strings.Contains(err.Error(), "example.com") || !strings.Contains(err.Error(), "pypi.org") {
					t.Errorf("the error names neither the index nor the audience's owner: %v", err)
				}
			} else if !detected {
				t.Errorf("the CI's token was not asked for: %v", err)
			}
		})
	}
}
