package upload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/trustpub/trustpub/internal/testutil/fakepypiserver"
	"github.com/trustpub/trustpub/secret"
)

// TestLostAnswerSettledThroughHTML: pypiserver stores the file but the
// answer is lost; the retry is refused (409, it refuses even identical
// files), and the HTML-only simple API derived from the publish URL proves
// the file landed.
func TestLostAnswerSettledThroughHTML(t *testing.T) {
	ps := fakepypiserver.New("peer", "peerpass")
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && posts.Add(1) == 1 {
			ps.ServeHTTP(httptest.NewRecorder(), r) // stored, then the answer is lost
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		ps.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, sleeps, _ := testClient(srv.URL + "/")
	c.Credentials = StaticCredentials{Username: "peer", Password: secret.New("peerpass")}
	res, err := c.Upload(context.Background(), openDist(t, buildWheel(t, t.TempDir(), "lost", "1.0", 0)))
	if err != nil {
		t.Fatal(err)
	}
	if !res.LandedEarlier || res.Attempts != 2 || len(sleeps.got()) != 1 || len(ps.Files()) != 1 {
		t.Fatalf("result %+v, sleeps %v, stored %v", res, sleeps.got(), ps.Files())
	}
}
