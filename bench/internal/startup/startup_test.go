package startup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
	res, err := Measure(ctx, script, hello, exe, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trustpub.N != 3 || res.Hello.N != 3 || res.Hello.Median <= 0 || res.Ratio <= 0 {
		t.Errorf("result %+v", res)
	}
}
