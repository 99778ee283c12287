package publisher_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestKeyRefreshNegativeCache makes the issuer's JWKS fail and sends
// tokens with unknown key IDs: while the issuer fails, one fetch is made
// per cooldown (on the injected clock), not one per exchange, and the
// cached keys keep working; once the cooldown has passed the issuer is
// asked again, and a recovered issuer's keys are used.
func TestKeyRefreshNegativeCache(t *testing.T) {
	is := newIssuerServer(t, keyA())
	is.jwksFails.Store(true)
	ix := newIndex(t, githubConfig(is.srv.URL))
	unknown := func(i int) string {
		return signRaw(t, keyA(), jose.RS256, fmt.Sprintf("unknown-%d", i), claimsFor(t, is.issuer()))
	}
	steps := []struct {
		name     string
		advance  time.Duration
		requests int
		hits     int32 // JWKS fetches so far
	}{
		{"first miss fetches once", 0, 1, 1},
		{"misses within the cooldown fetch nothing", 30 * time.Second, 20, 1},
		{"just before the cooldown ends", 29 * time.Second, 5, 1},
		{"after the cooldown one more fetch", 2 * time.Second, 10, 2},
	}
	n := 0
	for _, st := range steps {
		ix.clock.Add(st.advance)
		for range st.requests {
			n++
			wantRefusal(t, ix.exchange(t, unknown(n)), "invalid-token", "malformed or invalid token")
		}
		if got := is.jwksHits.Load(); got != st.hits {
			t.Fatalf("%s: the JWKS was fetched %d times, want %d", st.name, got, st.hits)
		}
	}
	// The issuer recovers: after the cooldown its key is fetched and used.
	is.jwksFails.Store(false)
	ix.clock.Add(61 * time.Second)
	if a := ix.exchange(t, ghToken(t, is.issuer(), nil)); a.status != 200 {
		t.Fatalf("after recovery: %+v", a)
	}
	if got := is.jwksHits.Load(); got != 3 {
		t.Fatalf("JWKS fetched %d times, want 3", got)
	}
	if !strings.Contains(ix.logs.String(), "not retrying for the cooldown") {
		t.Errorf("the failed refresh was not logged:\n%s", ix.logs)
	}
}
