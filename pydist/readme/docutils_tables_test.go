package readme

import (
	"slices"
	"strings"
	"testing"
)

// TestDocutilsTables checks the embedded docutils_tables.json as the
// checker relies on it: every table present, the lexers sorted for binary
// search, the character ranges sorted and disjoint for inRanges, each
// opener with its closer.
func TestDocutilsTables(t *testing.T) {
	d, err := parseDocutilsTables(docutilsTablesJSON)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.openers) == 0 || len(d.openers) != len(d.closers) {
		t.Errorf("%d openers, %d closers", len(d.openers), len(d.closers))
	}
	if len(d.quotePairs) == 0 || len(d.directives) == 0 || len(d.lexers) == 0 {
		t.Errorf("%d quote pairs, %d directives, %d lexers", len(d.quotePairs), len(d.directives), len(d.lexers))
	}
	if !slices.IsSorted(d.lexers) {
		t.Error("lexers are not sorted")
	}
	for name, rs := range map[string][][2]rune{"start_prefix": d.startPrefix, "end_suffix": d.endSuffix} {
		if len(rs) == 0 {
			t.Errorf("%s is empty", name)
		}
		for i, r := range rs {
			if r[0] > r[1] || (i > 0 && rs[i-1][1] >= r[0]) {
				t.Errorf("%s[%d] = %x is out of order", name, i, r)
			}
		}
	}
	if s, ok := d.directives["code"]; !ok || s.canon != "code" || !s.content {
		t.Errorf("directive code: %+v, %v", s, ok)
	}
}

func TestParseDocutilsTablesRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"openers": 1}`, "docutils_tables.json"},
		{`{"quote_pairs": {"ab": "c"}}`, `quote_pairs key "ab" is not one character`},
		{`not json`, "docutils_tables.json"},
	} {
		if _, err := parseDocutilsTables([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}
