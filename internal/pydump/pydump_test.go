package pydump_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/internal/pydump"
)

// TestDecode runs scripts under /bin/sh, which takes `-c script` as Python
// does, so that the test needs no Python.
func TestDecode(t *testing.T) {
	type data struct {
		Version string   `json:"version"`
		Names   []string `json:"names"`
	}
	for _, tc := range []struct {
		name, script string
		want         data
		wantErr      []string
	}{
		{"decoded", `echo '{"version": "1.0", "names": ["a", "b"]}'`, data{"1.0", []string{"a", "b"}}, nil},
		{"script fails", `echo 'No module named docutils' >&2; exit 1`, data{}, []string{"/bin/sh", "apt-get install -y x", "exit status 1", "No module named docutils"}},
		{"not JSON", `echo 'Traceback'`, data{}, []string{"reading what /bin/sh printed"}},
		{"unknown field", `echo '{"version": "1.0", "extra": 1}'`, data{}, []string{"unknown field", "extra"}},
		{"two values", `echo '{"version": "1.0"} {"version": "2.0"}'`, data{}, []string{"more than one JSON value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got data
			err := pydump.Decode(context.Background(), "/bin/sh", tc.script, "apt-get install -y x", &got)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != tc.want.Version || strings.Join(got.Names, ",") != strings.Join(tc.want.Names, ",") {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; decoded %+v", got)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
