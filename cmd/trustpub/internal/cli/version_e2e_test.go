package cli_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersion runs `trustpub --version` and `trustpub version` on a build
// without VCS information and on one stamped at link time as scripts/release
// stamps it.
func TestVersion(t *testing.T) {
	build := func(ldflags string) string {
		bin := filepath.Join(t.TempDir(), "trustpub")
		if out, err := exec.Command("go", "build", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, "github.com/trustpub/trustpub/cmd/trustpub").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		return bin
	}
	const pkg = "github.com/trustpub/trustpub/internal/version."
	plainBin := build("")
	stampedBin := build("-X " + pkg + "stampedVersion=1.4.0.dev3 -X " + pkg + "stampedRevision=603a3ffddd496e99273b6055d02cefb24ba2ef9a -X " + pkg + "stampedTime=2026-12-01T22:43:50Z")
	for _, tc := range []struct {
		name, bin, wantPrefix string
	}{
		{"build without VCS information", plainBin, "trustpub dev (go1."},
		{"stamped release build", stampedBin, "trustpub 1.4.0.dev3 (commit 603a3ffddd49, 2026-12-01T22:43:50Z, go1."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			for _, args := range [][]string{{"--version"}, {"version"}} {
				out, err := exec.Command(tc.bin, args...).Output()
				if err != nil {
					t.Fatalf("trustpub %s: %v", args[0], err)
				}
				lines = append(lines, string(out))
			}
			if lines[0] != lines[1] || !strings.HasPrefix(lines[0], tc.wantPrefix) || strings.Count(lines[0], "\n") != 1 {
				t.Errorf("--version printed %q, version printed %q; want one line starting %q", lines[0], lines[1], tc.wantPrefix)
			}
		})
	}
}
