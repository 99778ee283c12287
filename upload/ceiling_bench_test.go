package upload

import (
	"crypto/sha256"
	"io"
	"os"
	"sync"
	"testing"

	"golang.org/x/crypto/blake2b"

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

// hashParallel reads path once, in chunks, and hashes every chunk with
// sha256 and blake2b-256 each on its own goroutine, a chunk read again
// into once both are done with it: the client's job without the network,
// written apart from the client's code so that it stays a ceiling.
func hashParallel(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sha := sha256.New()
	b2, _ := blake2b.New256(nil)
	type chunk struct {
		buf  []byte
		done *sync.WaitGroup // the two hashers
	}
	const bufs = 4
	free := make(chan []byte, bufs)
	for range bufs {
		free <- make([]byte, chunkSize)
	}
	ins := [2]chan chunk{make(chan chunk, bufs), make(chan chunk, bufs)}
	var hashers sync.WaitGroup
	for i, h := range []io.Writer{sha, b2} {
		hashers.Go(func() {
			for c := range ins[i] {
				h.Write(c.buf)
				c.done.Done()
			}
		})
	}
	var inFlight []chunk // oldest first
	for {
		var buf []byte
		select {
		case buf = <-free:
		default:
			c := inFlight[0]
			inFlight = inFlight[1:]
			c.done.Wait()
			buf = c.buf[:cap(c.buf)]
		}
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			c := chunk{buf: buf[:n], done: &sync.WaitGroup{}}
			c.done.Add(2)
			ins[0] <- c
			ins[1] <- c
			inFlight = append(inFlight, c)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	close(ins[0])
	close(ins[1])
	hashers.Wait()
	sha.Sum(nil)
	b2.Sum(nil)
}
