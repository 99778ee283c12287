package parallelhash

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// TestFile: both digests are those of the whole file, whatever its size
// against the buffers (none, less than one, exactly one, several and a
// part, more than the ring holds).
func TestFile(t *testing.T) {
	for _, n := range []int{0, 1, BufSize - 1, BufSize, 3*BufSize + 5, 9*BufSize + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			b := make([]byte, n)
			rand.NewChaCha8([32]byte{byte(n)}).Read(b)
			path := filepath.Join(t.TempDir(), "f.bin")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := File(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			s, b2 := sha256.Sum256(b), blake2b.Sum256(b)
			want := Sums{SHA256: hex.EncodeToString(s[:]), BLAKE2b256: hex.EncodeToString(b2[:]), Bytes: int64(n)}
			if got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestFileErrors: a missing file and a cancelled context are errors.
func TestFileErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, make([]byte, 3*BufSize), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := File(context.Background(), missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := File(ctx, path); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
