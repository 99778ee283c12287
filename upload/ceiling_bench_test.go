package upload

import (
	"context"
	"os"
	"testing"

	"github.com/trustpub/trustpub/internal/parallelhash"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// benchWheelFile builds the benchmarks' wheel (benchFileSize, 64 MiB by
// default) and sets the benchmark's bytes to its size.
func benchWheelFile(b *testing.B) string {
	size := benchFileSize(b, 64<<20)
	path := disttest.BuildWheel(b, b.TempDir(), "bench", "1.0", disttest.Options{PayloadSize: size})
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	return path
}

// BenchmarkHashParallel is the client's ceiling: sha256 and blake2b-256
// of the same file on two goroutines at once, the file read ahead into a
// ring of buffers, no network. BenchmarkUploadStream's throughput divided
// by this one's is the share of the ceiling an upload reaches (target:
// ≥ 90 %); BenchmarkUploadVsCeiling measures both in the same iterations.
func BenchmarkHashParallel(b *testing.B) {
	path := benchWheelFile(b)
	for b.Loop() {
		hashParallel(b, path)
	}
}

// hashParallel reads path once and hashes it with both digests on two
// goroutines (internal/parallelhash, the bench harness's ceiling too): the
// client's job without the network.
func hashParallel(b *testing.B, path string) {
	if _, err := parallelhash.File(context.Background(), path); err != nil {
		b.Fatal(err)
	}
}
