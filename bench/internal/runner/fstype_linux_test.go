//go:build linux

package runner

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFSType(t *testing.T) {
	if got := FSType(t.TempDir()); got == "" || strings.HasPrefix(got, "filesystem 0x0") {
		t.Errorf("FSType(a temp dir) = %q, want a name or a magic number", got)
	}
	if got := FSType("/proc"); got != "filesystem 0x9fa0" {
		t.Errorf("FSType(/proc) = %q, want procfs's magic 0x9fa0 (not in the named list)", got)
	}
	if got := FSType(filepath.Join(t.TempDir(), "missing")); got != "" {
		t.Errorf("FSType(missing) = %q, want \"\"", got)
	}
}

func TestFreeBytes(t *testing.T) {
	if free, ok := FreeBytes(t.TempDir()); !ok || free <= 0 {
		t.Errorf("FreeBytes(a temp dir) = %d, %v", free, ok)
	}
	if _, ok := FreeBytes(filepath.Join(t.TempDir(), "missing")); ok {
		t.Error("FreeBytes(missing) says it knows")
	}
}
