package trustedpublishing

import (
	"strings"
	"testing"

	"github.com/trustpub/trustpub/ambient"
)

// FuzzClaims checks that decoding and rendering the claims of any token
// never panics, lists exactly one line per claim a publisher must match,
// and never shows the token's signature.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2dpdGxhYi5jb20iLCJzdWIiOiJwcm9qZWN0X3BhdGg6Zy9wIn0.c2ln",
		"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwicmVwb3NpdG9yeSI6Im8vciIsImVudmlyb25tZW50IjpudWxsfQ.c2ln",
		"a.b.c", "e30.e30.e30", "e30.W10.", "..", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := ambient.NewToken(tok).Claims()
		if err != nil {
			if c != nil {
				t.Fatal("claims with an error")
			}
			return
		}
		out := renderClaims(c)
		lines := strings.Count(out, "\n* `")
		if want := len(claimNames(c)); lines != want {
			t.Fatalf("%d claim lines, want %d:\n%s", lines, want, out)
		}
		if sig := tok[strings.LastIndex(tok, ".")+1:]; len(sig) > 16 && strings.Contains(out, sig) {
			t.Fatalf("signature rendered:\n%s", out)
		}
	})
}
