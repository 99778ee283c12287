package publisher_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/trustpub/trustpub/publisher"
)

// BenchmarkParseMintRequest measures reading a typical mint-token body.
func BenchmarkParseMintRequest(b *testing.B) {
	body, _ := json.Marshal(map[string]string{"token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL2V4YW1wbGUifQ.c2ln"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := publisher.ParseMintRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures verifying and matching a GitHub token with the
// issuer's keys cached (RS256 verification dominates). Tokens are signed
// outside the timer; each is used once (jti).
func BenchmarkVerify(b *testing.B) {
	is := newIssuerServer(b, keyA())
	v, err := publisher.NewVerifier(githubConfig(is.srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	warm, _ := is.issuer().GitHubToken(githubID(nil))
	if _, err := v.Verify(ctx, warm); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tok, err := is.issuer().GitHubToken(githubID(nil))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
