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
// ≥ 90 %).
func BenchmarkHashParallel(b *testing.B) {
	path := benchWheelFile(b)
	const bufs = 4
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sha := sha256.New()
		b2, _ := blake2b.New256(nil)
		free := make(chan []byte, bufs)
		for range bufs {
			free <- make([]byte, chunkSize)
		}
		ins := [2]chan []byte{make(chan []byte, bufs), make(chan []byte, bufs)}
		var wg sync.WaitGroup
		var mu sync.Mutex
		refs := map[*byte]int{}
		done := func(buf []byte) {
			mu.Lock()
			refs[&buf[:1][0]]--
			last := refs[&buf[:1][0]] == 0
			mu.Unlock()
			if last {
				free <- buf[:cap(buf)]
			}
		}
		for i, h := range []interface{ Write([]byte) (int, error) }{sha, b2} {
			wg.Go(func() {
				for buf := range ins[i] {
					h.Write(buf)
					done(buf)
				}
			})
		}
		for {
			buf := <-free
			n, err := io.ReadFull(f, buf)
			if n > 0 {
				mu.Lock()
				refs[&buf[:1][0]] = 2
				mu.Unlock()
				ins[0] <- buf[:n]
				ins[1] <- buf[:n]
			}
			if err != nil {
				break
			}
		}
		close(ins[0])
		close(ins[1])
		wg.Wait()
		f.Close()
		sha.Sum(nil)
		b2.Sum(nil)
	}
}
