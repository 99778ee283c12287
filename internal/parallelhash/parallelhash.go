// Package parallelhash reads a file once and computes the two digests that
// an upload to PyPI carries, sha256 and blake2b-256, each on its own
// goroutine over a ring of buffers read ahead: the upload client's hashing
// without the sending, and so the ceiling that the benchmarks (the bench
// harness's hashrate, the upload package's BenchmarkUploadVsCeiling) judge
// the client's throughput against. It is written apart from the client's
// read-ahead (upload/readahead.go), so that the ceiling does not share the
// client's faults.
package parallelhash

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"

	"golang.org/x/crypto/blake2b"
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

// File hashes the file at path: a reader fills the buffers ahead, and two
// goroutines hash each buffer in file order, one digest each; a buffer is
// read into again once both are done with it. Errors name the file.
func File(ctx context.Context, path string) (Sums, error) {
	sha := sha256.New()
	b2, err := blake2b.New256(nil)
	if err != nil {
		return Sums{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Sums{}, fmt.Errorf("hashing: %w", err)
	}
	defer f.Close()
	type chunk struct {
		b    []byte
		left *sync.WaitGroup // the two hashers
	}
	free := make(chan []byte, ringBuffers)
	for range ringBuffers {
		free <- make([]byte, BufSize)
	}
	ins := [2]chan chunk{make(chan chunk, ringBuffers), make(chan chunk, ringBuffers)}
	var hashers sync.WaitGroup
	for i, h := range []hash.Hash{sha, b2} {
		hashers.Go(func() {
			for c := range ins[i] {
				h.Write(c.b)
				c.left.Done()
			}
		})
	}
	var n int64
	var readErr error
	var pending []chunk // sent to the hashers, buffer not yet free
	for readErr == nil {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		var buf []byte
		select {
		case buf = <-free:
		default:
			// Every buffer is being hashed: wait for the oldest.
			c := pending[0]
			pending = pending[1:]
			c.left.Wait()
			buf = c.b[:cap(c.b)]
		}
		k, err := io.ReadFull(f, buf)
		n += int64(k)
		if k > 0 {
			c := chunk{b: buf[:k], left: &sync.WaitGroup{}}
			c.left.Add(2)
			ins[0] <- c
			ins[1] <- c
			pending = append(pending, c)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("hashing %s: %w", path, err)
		}
	}
	close(ins[0])
	close(ins[1])
	hashers.Wait()
	if readErr != nil {
		return Sums{}, readErr
	}
	return Sums{SHA256: hex.EncodeToString(sha.Sum(nil)), BLAKE2b256: hex.EncodeToString(b2.Sum(nil)), Bytes: n}, nil
}
