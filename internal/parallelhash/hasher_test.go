package parallelhash

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// TestHasher feeds streams of chunks of mixed sizes (inline, queued, and
// small ones behind queued ones) and checks the digests against the whole
// stream hashed at once, that every done runs once, and that a buffer
// handed back through done can be overwritten without changing the sums.
func TestHasher(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		queue int
	}{
		{"nothing", nil, 1},
		{"one small chunk, inline", []int{100}, 1},
		{"one large chunk, queued", []int{InlineBelow}, 1},
		{"small behind large keeps the order", []int{InlineBelow + 1, 10, 1, InlineBelow * 2, 3}, 2},
		{"empty chunks", []int{0, InlineBelow, 0, 5}, 1},
		{"many, deep queue", []int{1 << 20, 1 << 20, 7, 1 << 20, 300 << 10, 1 << 20, 1}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(len(tc.sizes)), 3))
			h := NewHasher(tc.queue)
			var all []byte
			var dones atomic.Int32
			for _, n := range tc.sizes {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				all = append(all, b...)
				h.Feed(b, func() {
					dones.Add(1)
					clear(b) // the caller may reuse the buffer now
				})
			}
			h.Wait()
			if got := int(dones.Load()); got != len(tc.sizes) {
				t.Fatalf("done ran %d times for %d chunks", got, len(tc.sizes))
			}
			sha, b2 := h.Sums()
			s, b := sha256.Sum256(all), blake2b.Sum256(all)
			if sha != hex.EncodeToString(s[:]) || b2 != hex.EncodeToString(b[:]) {
				t.Fatalf("sums %s %s, want %x %x", sha, b2, s, b)
			}
			h.Stop() // after Sums: no effect
		})
	}
}

// TestHasherStop: a stream given up halfway stops its goroutines, once or
// twice, and runs every done fed before it.
func TestHasherStop(t *testing.T) {
	h := NewHasher(2)
	var dones atomic.Int32
	for range 3 {
		h.Feed(make([]byte, InlineBelow), func() { dones.Add(1) })
	}
	h.Stop()
	h.Stop()
	if dones.Load() != 3 {
		t.Fatalf("%d of 3 done calls ran", dones.Load())
	}
}
