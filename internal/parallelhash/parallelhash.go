// Package parallelhash reads a file once and computes the two digests that
// an upload to PyPI carries, sha256 and blake2b-256, each on its own
// goroutine over a ring of buffers read ahead: the upload client's hashing
// without the sending, and so the ceiling that the benchmarks (the bench
// harness's hashrate, the upload package's BenchmarkUploadVsCeiling) judge
// the client's throughput against. Its Hasher is the one home of parallel
// hashing: the upload client and the index hash through it too, so the
// ceiling is the client's own hashing without the sending.
package parallelhash

import (
	"context"
	"fmt"
	"io"
	"os"
)

const (
	// BufSize is the size of one read: large enough that system calls do
	// not matter, as the client's chunks.
	BufSize = 1 << 20
	// ringBuffers is how many buffers are read ahead.
	ringBuffers = 4
)

// Sums are a file's digests, in lower-case hex, and its length.
type Sums struct {
	SHA256, BLAKE2b256 string
	Bytes              int64
}

// File hashes the file at path: a reader fills a ring of buffers ahead,
// and a Hasher hashes each buffer in file order, one digest per goroutine;
// a buffer is read into again once both digests have taken it. Errors name
// the file.
func File(ctx context.Context, path string) (Sums, error) {
	f, err := os.Open(path)
	if err != nil {
		return Sums{}, fmt.Errorf("hashing: %w", err)
	}
	defer f.Close()
	free := make(chan []byte, ringBuffers)
	for range ringBuffers {
		free <- make([]byte, BufSize)
	}
	h := NewHasher(ringBuffers)
	defer h.Stop()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Sums{}, err
		}
		buf := <-free
		k, err := io.ReadFull(f, buf)
		n += int64(k)
		if k > 0 {
			h.Feed(buf[:k], func() { free <- buf })
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return Sums{}, fmt.Errorf("hashing %s: %w", path, err)
		}
	}
	sha, b2 := h.Sums()
	return Sums{SHA256: sha, BLAKE2b256: b2, Bytes: n}, nil
}
