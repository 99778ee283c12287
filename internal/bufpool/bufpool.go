// Package bufpool recycles the byte buffers that files are read into and
// received into, so that a run of many uploads reuses a few buffers instead
// of allocating (and faulting in) fresh memory for each one. Buffers are kept
// by size class, powers of two from MinSize to MaxSize, so a small file takes
// a small buffer; like any sync.Pool, what goes back is kept until a garbage
// collection, so a pool holds about as many buffers as were in use at once.
package bufpool

import (
	"math/bits"
	"sync"
)

const (
	// MinSize is the smallest buffer handed out.
	MinSize = 4 << 10
	// MaxSize is the largest pooled buffer; larger requests are allocated
	// and never pooled.
	MaxSize = 1 << 20
	// classes is the number of size classes, MinSize to MaxSize.
	classes = 9
)

// Pool is a set of buffers by size class. The zero value is ready to use, a
// nil *Pool allocates every buffer, and a Pool must not be copied after
// first use.
type Pool struct {
	classes [classes]sync.Pool // of *[]byte
}

// class returns the size class of a buffer of size bytes (≤ MaxSize).
func class(size int) int {
	if size <= MinSize {
		return 0
	}
	return bits.Len(uint(size-1)) - bits.Len(MinSize-1)
}

// Get returns a buffer of at least size bytes: its length is the size of
// its class (or size itself above MaxSize); the caller reslices it. Its
// content is whatever its last user left in it.
func (p *Pool) Get(size int) []byte {
	if size > MaxSize {
		return make([]byte, size)
	}
	c := class(size)
	if p != nil {
		if b, ok := p.classes[c].Get().(*[]byte); ok {
			return *b
		}
	}
	return make([]byte, MinSize<<c)
}

// Put gives back a buffer that Get handed out (resliced or not); nobody may
// use it afterwards. Buffers of other sizes are dropped.
func (p *Pool) Put(b []byte) {
	if p == nil || cap(b) > MaxSize {
		return
	}
	b = b[:cap(b)]
	c := class(len(b))
	if len(b) != MinSize<<c {
		return
	}
	p.classes[c].Put(&b)
}
