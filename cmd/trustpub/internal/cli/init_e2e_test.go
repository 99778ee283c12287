package cli_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestOwnPackageInitIsLazy runs the built binary's `--version` under
// GODEBUG=inittrace=1 and checks that none of trustpub's own packages does
// real work at program start: each may allocate at most initBudget bytes in
// its initialisation (sync.OnceValue wrappers cost 72 bytes each), so
// regexps, lookup maps and generated tables are built on first use. The
// measure is the runtime's count of bytes allocated, not time, so it does
// not depend on the machine's load. The cli package is allowed its read of
// the build information, which `--version` prints.
func TestOwnPackageInitIsLazy(t *testing.T) {
	const initBudget = 4096
	exempt := map[string]string{
		"github.com/trustpub/trustpub/cmd/trustpub/internal/cli": "reads the build information for Version",
	}
	cmd := exec.Command(binPath, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("trustpub --version: %v\n%s", err, stderr.String())
	}
	seen := 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init github.com/x/y @0.5 ms, 0.012 ms clock, 1656 bytes, 46 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		pkg := f[1]
		if !strings.HasPrefix(pkg, "github.com/trustpub/trustpub/") {
			continue
		}
		seen++
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", sc.Text(), err)
		}
		if why, ok := exempt[pkg]; ok {
			t.Logf("%s allocates %d bytes at init (%s)", pkg, n, why)
			continue
		}
		if n > initBudget {
			t.Errorf("%s allocates %d bytes at init, more than %d: build its regexps, maps and tables on first use (sync.OnceValue) instead of in package variables", pkg, n, initBudget)
		}
	}
	if seen == 0 {
		t.Fatalf("no inittrace line for trustpub's packages in:\n%s", stderr.String())
	}
}
