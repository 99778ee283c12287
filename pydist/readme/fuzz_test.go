package readme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzValidate: Validate never panics, its problems are well formed
// (a known code, a message, a line inside the description), and it is
// deterministic. Seeds: testdata/fuzz/FuzzValidate and the written cases.
func FuzzValidate(f *testing.F) {
	paths, _ := filepath.Glob("testdata/cases/*.rst")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("", string(b))
	}
	f.Add("text/markdown; variant=GFM", "# hi")
	f.Add("text/x-rst; charset=UTF-8", ".. |x| image:: y\n\n|x|_\n")
	codes := map[string]bool{CodeContentTypeInvalid: true, CodeCharsetInvalid: true, CodeVariantInvalid: true, CodeRSTInvalid: true, CodeRSTEmpty: true}
	f.Fuzz(func(t *testing.T, ct, body string) {
		ps := Validate(ct, body)
		lines := strings.Count(body, "\n") + strings.Count(body, "\r") + strings.Count(body, "\u2028") + strings.Count(body, "\u0085") + 2
		for _, p := range ps {
			if !codes[p.Code] || p.Message == "" || p.Line < 0 || p.Line > lines+len(body) {
				t.Fatalf("bad problem %+v for %q", p, body)
			}
			if utf8.ValidString(body) && !utf8.ValidString(p.Message) {
				t.Fatalf("message not UTF-8: %q", p.Message)
			}
		}
		again := Validate(ct, body)
		if len(again) != len(ps) {
			t.Fatalf("not deterministic: %v then %v", ps, again)
		}
	})
}

// TestHostileBounded: on 10 MB descriptions built to be slow, the checker
// stops at its work budget instead of running on (BenchmarkHostile gives
// the times).
func TestHostileBounded(t *testing.T) {
	for name, doc := range hostile(10 << 20) {
		c := &checker{targets: map[string]*target{}, loose: map[string]bool{}, substDefs: map[string]bool{}, substLower: map[string]bool{}, roles: map[string]customRole{}}
		c.body(splitLines(doc), 1, true)
		if c.work > maxWork+len(doc)+100 {
			t.Errorf("%s: %d units of work, budget %d", name, c.work, maxWork)
		}
		if len(c.probs) > 100 {
			t.Errorf("%s: %d problems kept, at most 100 expected", name, len(c.probs))
		}
	}
}
