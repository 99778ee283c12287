package release

import (
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

func TestVersionFromDescribe(t *testing.T) {
	for _, tc := range []struct {
		describe string
		commits  int
		want     string
		wantErr  string
	}{
		{"", 42, "0.0.0.dev42", ""},
		{"v1.2.3-0-g603a3ffddd49", 0, "1.2.3", ""},
		{"v1.2.3-5-g603a3ffddd49\n", 0, "1.2.4.dev5", ""},
		{"v2.0-1-g603a3ffddd49", 0, "2.1.dev1", ""},
		{"v1.3.0-rc.1-0-g603a3ffddd49", 0, "1.3.0rc1", ""},
		{"v1.3.0rc1-0-g603a3ffddd49", 0, "1.3.0rc1", ""},
		{"v1.3.0-beta.2-7-g603a3ffddd49", 0, "1.3.0b3.dev7", ""},
		{"v01.02.03-0-gabc", 0, "1.2.3", ""},
		{"v1.2.3.post1-3-gabc", 0, "", "neither a final release nor a pre-release"},
		{"v1.2.3+local-0-gabc", 0, "", "local version"},
		{"vnext-0-gabc", 0, "", "not a PEP 440 version"},
		{"v1.2.3", 0, "", "not TAG-N-gHASH"},
		{"1.2.3-0-gabc", 0, "", "not TAG-N-gHASH"},
	} {
		t.Run(tc.describe, func(t *testing.T) {
			got, err := VersionFromDescribe(tc.describe, tc.commits)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			// Every version produced is canonical PEP 440 without a local part.
			v, err := pydist.ParseVersion(got)
			if err != nil || v.String() != got || v.Local() != "" {
				t.Fatalf("%q is not a canonical public PEP 440 version: %v", got, err)
			}
		})
	}
}

func TestCheckVersion(t *testing.T) {
	for _, tc := range []struct{ in, want, wantErr string }{
		{"1.2.3", "1.2.3", ""},
		{"1.2.3-RC1", "1.2.3rc1", ""},
		{"0.0.0.dev3", "0.0.0.dev3", ""},
		{"1.0+g603a3ff", "", "local part"},
		{"latest", "", "version \"latest\""},
	} {
		got, err := CheckVersion(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("CheckVersion(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("CheckVersion(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
