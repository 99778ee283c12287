package startup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/bench/internal/runner"
)

func TestMain(m *testing.M) {
	runner.WrapperMain()
	if os.Getenv("STARTUP_HELPER") == "version" {
		os.Stdout.WriteString("trustpub test\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMeasure builds the real hello world (and, in one case, the real floor
// from this module) and measures them against this test binary standing in
// for trustpub: each program is timed as often as asked, and the floor's
// ratios are there exactly when the floor is.
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	ctx := context.Background()
	dir := t.TempDir()
	hello, err := BuildHello(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	// A stand-in for trustpub that answers "version" (via an env wrapper script).
	script := filepath.Join(dir, "fake-trustpub")
	os.WriteFile(script, []byte("#!/bin/sh\nSTARTUP_HELPER=version exec "+exe+"\n"), 0o755)
	for _, withFloor := range []bool{false, true} {
		t.Run(map[bool]string{false: "hello world", true: "hello world and floor"}[withFloor], func(t *testing.T) {
			progs := Programs{Trustpub: script, Hello: hello}
			if withFloor {
				progs.Floor = buildFloor(t, dir, hello)
			}
			for _, bin := range []string{progs.Hello, progs.Floor} {
				if out, err := exec.Command(bin).Output(); bin != "" && (err != nil || string(out) != "hello\n") {
					t.Fatalf("%s: %q %v", bin, out, err)
				}
			}
			res, err := Measure(ctx, progs, exe, 3)
			if err != nil {
				t.Fatal(err)
			}
			if res.Trustpub.N != 3 || res.Hello.N != 3 || res.Hello.Median <= 0 || res.Ratio <= 0 {
				t.Errorf("result %+v", res)
			}
			hasFloor := res.Floor != nil && res.Floor.N == 3 && res.FloorRatio > 0 && res.FloorOverHello > 0
			if hasFloor != withFloor || (!withFloor && (res.Floor != nil || res.FloorRatio != 0)) {
				t.Errorf("floor given: %v; result %+v", withFloor, res)
			}
		})
	}
}

// buildFloor builds the real floor program from this module; it links
// sigstore-go, so it must be several times the hello world's size.
func buildFloor(t *testing.T, dir, hello string) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	floor, err := BuildFloor(context.Background(), filepath.Dir(strings.TrimSpace(string(gomod))), dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(floor)
	hi, _ := os.Stat(hello)
	if fi.Size() < 4*hi.Size() {
		t.Errorf("the floor is %d bytes, the hello world %d: it does not link the Sigstore libraries", fi.Size(), hi.Size())
	}
	return floor
}
