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

// TestMeasure builds the real hello world and measures it against this
// test binary standing in for trustpub.
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	ctx := context.Background()
	hello, err := BuildHello(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(hello).Output(); err != nil || string(out) != "hello\n" {
		t.Fatalf("hello world: %q %v", out, err)
	}
	exe, _ := os.Executable()
	// A stand-in for trustpub that answers "version" (via an env wrapper script).
	script := filepath.Join(t.TempDir(), "fake-trustpub")
	os.WriteFile(script, []byte("#!/bin/sh\nSTARTUP_HELPER=version exec "+exe+"\n"), 0o755)
	res, err := Measure(ctx, Programs{Trustpub: script, Hello: hello}, exe, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trustpub.N != 3 || res.Hello.N != 3 || res.Hello.Median <= 0 || res.Ratio <= 0 {
		t.Errorf("result %+v", res)
	}
	if res.Floor != nil || res.FloorRatio != 0 {
		t.Errorf("no floor was given, but the result has one: %+v", res)
	}
}

// TestFloor builds the real floor program from this module and measures the
// three programs: the floor links sigstore-go, so it must be larger than the
// hello world, print the same line and be timed as often as the others.
func TestFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	ctx := context.Background()
	dir := t.TempDir()
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	floor, err := BuildFloor(ctx, filepath.Dir(strings.TrimSpace(string(root))), dir)
	if err != nil {
		t.Fatal(err)
	}
	hello, err := BuildHello(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(floor).Output(); err != nil || string(out) != "hello\n" {
		t.Fatalf("floor: %q %v", out, err)
	}
	fi, _ := os.Stat(floor)
	hi, _ := os.Stat(hello)
	if fi.Size() < 4*hi.Size() {
		t.Errorf("the floor is %d bytes, the hello world %d: it does not link the Sigstore libraries", fi.Size(), hi.Size())
	}
	exe, _ := os.Executable()
	script := filepath.Join(dir, "fake-trustpub")
	os.WriteFile(script, []byte("#!/bin/sh\nSTARTUP_HELPER=version exec "+exe+"\n"), 0o755)
	res, err := Measure(ctx, Programs{Trustpub: script, Hello: hello, Floor: floor}, exe, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Floor == nil || res.Floor.N != 3 || res.Trustpub.N != 3 || res.Hello.N != 3 {
		t.Fatalf("result %+v", res)
	}
	if res.FloorRatio <= 0 || res.FloorOverHello <= 0 {
		t.Errorf("ratios missing: %+v", res)
	}
}
