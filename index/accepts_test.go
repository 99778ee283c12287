package index

import (
	"net/http"
	"testing"

	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// AcceptsUploads says whether an upload can succeed at all, which a program
// running the index words for its user (trustpub serve names its flags);
// without a token or publisher a real upload is refused.
func TestAcceptsUploads(t *testing.T) {
	noTokens := func(o *Options) { o.Tokens = nil }
	publisherOnly := func(o *Options) {
		o.Tokens = nil
		o.Publishers = publisher.Publishers{GitHub: []publisher.GitHub{{Project: "p", Owner: "o", Repository: "r", Workflow: "release.yml"}}}
	}
	type acceptsCase struct {
		mod  func(*Options)
		want bool
	}
	for name, tc := range map[string]acceptsCase{
		"tokens":                 {nil, true},
		"nothing":                {noTokens, false},
		"trusted publisher only": {publisherOnly, true},
	} {
		t.Run(name, func(t *testing.T) {
			ti := newTestIndex(t, tc.mod)
			if got := ti.srv.AcceptsUploads(); got != tc.want {
				t.Fatalf("AcceptsUploads() = %v, want %v", got, tc.want)
			}
			if tc.want {
				return
			}
			code, body, _ := wheel(t, "nobody", "1.0", disttest.Options{}).req().send(t, ti.url+"/legacy/")
			if code != http.StatusForbidden && code != http.StatusUnauthorized {
				t.Fatalf("upload to an index without tokens: %d %s", code, body)
			}
		})
	}
}
