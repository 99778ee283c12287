package upload

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/trustpub/trustpub/internal/bufpool"
	"github.com/trustpub/trustpub/internal/parallelhash"
)

// readAheadBuffers is how many chunks of a large file are in memory at
// once: one being sent, one or two being hashed, the rest being read.
const readAheadBuffers = 4

// readAhead reads a file of more than one chunk ahead of the request
// body, into a few pooled buffers, and feeds each chunk to the body's
// Hasher (sha256 and blake2b-256, each on its own goroutine), so that
// reading the disk, the two hashes and sending all run at once: the upload
// goes at the speed of the slowest of them (blake2b, on two cores), and
// none of them waits for the disk. A buffer is reused once both digests
// and the sender are done with it.
type readAhead struct {
	pool   *bufpool.Pool
	bufs   [][]byte      // every buffer, for the pool at close
	free   chan []byte   // buffers to fill
	full   chan *raChunk // filled, in file order
	stop   chan struct{} // closed by close: the reader gives up
	hasher *parallelhash.Hasher

	reading sync.WaitGroup // the reader
}

// raChunk is one chunk of the file; refs counts its two users still holding
// its buffer: the sender and the Hasher.
type raChunk struct {
	buf  []byte
	err  error
	refs atomic.Int32
	ra   *readAhead
}

// release drops one user of the chunk's buffer; the last one hands it back
// to the reader (never blocking: free holds every buffer).
func (c *raChunk) release() {
	if c.refs.Add(-1) == 0 {
		c.ra.free <- c.buf[:cap(c.buf)]
	}
}

// startReadAhead starts reading size bytes of f (from its current offset),
// for hashing through h as they are sent.
func startReadAhead(f *os.File, size int64, pool *bufpool.Pool, h *parallelhash.Hasher) *readAhead {
	n := int(min(int64(readAheadBuffers), (size+chunkSize-1)/chunkSize))
	ra := &readAhead{
		pool: pool, free: make(chan []byte, n), full: make(chan *raChunk, n), stop: make(chan struct{}), hasher: h,
	}
	for range n {
		b := pool.Get(chunkSize)[:chunkSize]
		ra.bufs = append(ra.bufs, b)
		ra.free <- b
	}
	ra.reading.Go(func() {
		for off := int64(0); off < size; {
			var buf []byte
			select {
			case buf = <-ra.free:
			case <-ra.stop:
				return
			}
			k, err := io.ReadFull(f, buf[:min(int64(len(buf)), size-off)])
			off += int64(k)
			c := &raChunk{buf: buf[:k], err: err, ra: ra}
			select {
			case ra.full <- c:
			case <-ra.stop:
				return
			}
			if err != nil {
				return
			}
		}
	})
	return ra
}

// next returns the next chunk, already being hashed; the caller releases
// it once sent. A chunk with an error holds what was read before it.
func (ra *readAhead) next() *raChunk {
	c := <-ra.full
	if c.err != nil {
		return c
	}
	c.refs.Store(2)
	ra.hasher.Feed(c.buf, c.release)
	return c
}

// finish waits until every chunk is hashed and the reader has stopped.
func (ra *readAhead) finish() {
	ra.hasher.Wait()
	ra.reading.Wait()
}

// close stops the reader and the hashers and gives the buffers back.
func (ra *readAhead) close() {
	close(ra.stop)
	ra.finish()
	for _, b := range ra.bufs {
		ra.pool.Put(b)
	}
	ra.bufs = nil
}

// nextChunkAhead is nextChunk for a file of more than one chunk: the next
// chunk comes from the read-ahead, and the one just sent is released.
func (b *streamBody) nextChunkAhead() error {
	if b.ra == nil {
		b.ra = startReadAhead(b.file, b.plan.size, b.pool, b.hasher)
	}
	if b.cur != nil {
		b.cur.release()
		b.cur = nil
	}
	if b.nread == b.plan.size {
		b.ra.finish()
		return b.finishFile()
	}
	c := b.ra.next()
	if c.err == io.EOF || c.err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%s shrank while it was being uploaded (%d of %d bytes): rebuild and upload again", b.file.Name(), b.nread+int64(len(c.buf)), b.plan.size)
	}
	if c.err != nil {
		return fmt.Errorf("reading %s: %w", b.file.Name(), c.err)
	}
	b.nread += int64(len(c.buf))
	b.chunk = c.buf
	b.cur = c
	return nil
}
