package hashrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func writeRandom(t testing.TB, n int) (string, string) {
	t.Helper()
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{1}).Read(b)
	p := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return p, hex.EncodeToString(s[:])
}

func TestHash(t *testing.T) {
	sizes := []int{0, 1, bufSize - 1, bufSize, 3*bufSize + 5}
	for _, n := range sizes {
		path, want := writeRandom(t, n)
		for _, mode := range []Mode{SHA256, BLAKE2b, Both, Parallel} {
			p, err := Hash(context.Background(), path, mode)
			if err != nil {
				t.Fatalf("%d bytes, %v: %v", n, mode, err)
			}
			if p.Bytes != int64(n) {
				t.Errorf("%d bytes, %v: read %d", n, mode, p.Bytes)
			}
			wantDigest := want
			if mode == BLAKE2b {
				wantDigest = ""
			}
			if p.SHA256 != wantDigest {
				t.Errorf("%d bytes, %v: sha256 %q, want %q", n, mode, p.SHA256, wantDigest)
			}
		}
	}
}

func TestHashErrors(t *testing.T) {
	path, _ := writeRandom(t, 10)
	if _, err := Hash(context.Background(), filepath.Join(t.TempDir(), "missing"), SHA256); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Hash(context.Background(), path, Mode(42)); err == nil {
		t.Error("unknown mode accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, mode := range []Mode{Both, Parallel} {
		if _, err := Hash(ctx, path, mode); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled %v: %v", mode, err)
		}
	}
}

func TestMeasure(t *testing.T) {
	path, want := writeRandom(t, 4<<20)
	res, err := Measure(context.Background(), path, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != want || res.Bytes != 4<<20 {
		t.Errorf("digest %s bytes %d", res.Digest, res.Bytes)
	}
	for name, s := range map[string]float64{"sha256": res.SHA256.Median, "blake2b": res.BLAKE2b.Median, "both": res.Both.Median, "parallel": res.Parallel.Median} {
		if s <= 0 {
			t.Errorf("%s median throughput %v", name, s)
		}
	}
	if res.SHA256.N != 3 || res.Both.N != 3 || res.Parallel.N != 3 {
		t.Errorf("runs: %d, %d", res.SHA256.N, res.Both.N)
	}
}

// BenchmarkHash reports the single-pass ceiling as b.SetBytes throughput.
func BenchmarkHash(b *testing.B) {
	path, _ := writeRandom(b, 64<<20)
	for _, mode := range []Mode{SHA256, BLAKE2b, Both, Parallel} {
		b.Run(mode.String(), func(b *testing.B) {
			b.SetBytes(64 << 20)
			for b.Loop() {
				if _, err := Hash(context.Background(), path, mode); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
