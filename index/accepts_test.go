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
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		want bool
	}{
		{"tokens", nil, true},
		{"nothing", func(o *Options) { o.Tokens = nil }, false},
		{"trusted publisher only", func(o *Options) {
			o.Tokens = nil
			o.Publishers = publisher.Publishers{GitHub: []publisher.GitHub{{Project: "p", Owner: "o", Repository: "r", Workflow: "release.yml"}}}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
