package filehash_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/internal/filehash"
)

func TestSHA256(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "abc")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// FIPS 180-2's example digest of "abc".
	if got, err := filehash.SHA256(p); err != nil || got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("got %q, %v", got, err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := filehash.SHA256(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("a missing file: %v, want an error naming it", err)
	}
}
