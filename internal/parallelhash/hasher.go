package parallelhash

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/blake2b"
)

// InlineBelow is the chunk size under which Feed hashes a chunk in the
// caller's goroutine when nothing is queued: hashing a small chunk takes
// microseconds, less than handing it to two goroutines (on a release of
// many small wheels the hand-off dominated the client's time).
const InlineBelow = 256 << 10

// Hasher computes the sha256 and blake2b-256 digests of a stream of
// chunks, each digest on its own long-lived goroutine, so that both run at
// once beside the caller's reading, sending or writing: a stream is hashed
// at the speed of the slower digest, not of their sum. It is the one home
// of parallel hashing: the upload client's body, the index's receiving of
// an upload, and File, the benchmarks' ceiling, all hash through it.
//
// Feed, Wait and Sums are called from one goroutine, the one that orders
// the chunks. The zero value is not usable; use NewHasher.
type Hasher struct {
	sha, b2 hash.Hash
	queue   int
	in      [2]chan fedChunk // nil until the first chunk is queued
	pending atomic.Int64     // chunks fed and not yet taken by both digests
	idle    chan struct{}    // receives when pending drops to zero (buffered 1)
	workers sync.WaitGroup
	stopped bool
}

// fedChunk is one chunk on its way to the two digests; left counts the
// digests still to take it.
type fedChunk struct {
	b    []byte
	left *atomic.Int32
	done func()
}

// NewHasher returns a Hasher whose digests may each have up to queue
// chunks waiting (at least 1).
func NewHasher(queue int) *Hasher {
	b2, _ := blake2b.New256(nil) // cannot fail without a key
	return &Hasher{sha: sha256.New(), b2: b2, queue: max(queue, 1), idle: make(chan struct{}, 1)}
}

// Feed adds the next chunk of the stream. done, if not nil, runs once both
// digests have taken b (from a hashing goroutine, or before Feed returns
// when b was hashed inline); until then b must not change. Feed blocks
// while queue chunks are waiting.
func (h *Hasher) Feed(b []byte, done func()) {
	if len(b) < InlineBelow && h.pending.Load() == 0 {
		h.sha.Write(b)
		h.b2.Write(b)
		if done != nil {
			done()
		}
		return
	}
	if h.in[0] == nil {
		h.start()
	}
	left := new(atomic.Int32)
	left.Store(2)
	h.pending.Add(1)
	c := fedChunk{b: b, left: left, done: done}
	h.in[0] <- c
	h.in[1] <- c
}

// start starts the two digests' goroutines.
func (h *Hasher) start() {
	for i, d := range []hash.Hash{h.sha, h.b2} {
		h.in[i] = make(chan fedChunk, h.queue)
		in := h.in[i]
		h.workers.Go(func() {
			for c := range in {
				d.Write(c.b)
				if c.left.Add(-1) == 0 {
					if c.done != nil {
						c.done()
					}
					if h.pending.Add(-1) == 0 {
						select {
						case h.idle <- struct{}{}:
						default:
						}
					}
				}
			}
		})
	}
}

// Wait returns once every chunk fed so far has been taken by both digests
// (their buffers may then be reused).
func (h *Hasher) Wait() {
	for h.pending.Load() > 0 {
		<-h.idle
	}
}

// Sums waits for every chunk and returns the two digests in lower-case
// hex. It ends the Hasher: nothing may be fed after it.
func (h *Hasher) Sums() (sha256Hex, blake2b256Hex string) {
	h.Stop()
	return hex.EncodeToString(h.sha.Sum(nil)), hex.EncodeToString(h.b2.Sum(nil))
}

// Stop hashes what was fed and stops the goroutines, for a stream given up
// before its end; it may be called more than once, and after Sums.
func (h *Hasher) Stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	if h.in[0] != nil {
		close(h.in[0])
		close(h.in[1])
	}
	h.workers.Wait()
}
