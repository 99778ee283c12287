package index

import (
	"encoding/hex"
	"hash"
	"io"
	"os"
	"sync"

	"github.com/trustpub/trustpub/internal/bufpool"
	"github.com/trustpub/trustpub/internal/parallelhash"
)

// receiveChunk is how much of an upload is read, hashed and written at a
// time: the largest buffer the pool keeps.
const receiveChunk = bufpool.MaxSize

// inlineChunk is the size below which a chunk is hashed and written by the
// reading goroutine itself.
const inlineChunk = 128 << 10

// writebackEvery is how many written bytes trigger early write-back to disk,
// so that the fsync that makes an upload durable has little left to do.
const writebackEvery = 8 << 20

// chunkPair is the two buffers copyHashed alternates between.
type chunkPair [2][]byte

// received is what copyHashed learned of an upload's content.
type received struct {
	size           int64
	sha256, blake2 string
}

// copyHashed copies src to f, computing sha256 and blake2b-256 of what it
// copies. A chunk's disk write and its two digests (parallelhash.Hasher)
// run in parallel with each other and with the read of the next chunk, so a
// large upload is received at the speed of the slowest of them rather than
// of their sum. Written data is handed to the kernel's write-back as it
// goes (see startWriteback).
func copyHashed(f *os.File, src io.Reader, bufs *chunkPair) (received, error) {
	h := parallelhash.NewHasher(1)
	defer h.Stop()
	var (
		cur      int
		busy     sync.WaitGroup // the previous chunk's digests and write
		writeErr error
		total    int64
		synced   int64
	)
	write := func(chunk []byte, off int64) {
		if _, err := f.Write(chunk); err != nil {
			writeErr = err
			return
		}
		if end := off + int64(len(chunk)); end-synced >= writebackEvery {
			startWriteback(f, synced, end-synced)
			synced = end
		}
	}
	consume := func(chunk []byte, off int64) {
		busy.Add(1)
		h.Feed(chunk, busy.Done) // a small chunk is hashed before Feed returns
		if len(chunk) < inlineChunk {
			write(chunk, off) // a goroutine would cost more than it saves
			return
		}
		busy.Go(func() { write(chunk, off) })
	}
	for {
		n, rerr := io.ReadFull(src, bufs[cur])
		busy.Wait() // the previous chunk is done: its buffer may be reused next
		if writeErr != nil {
			return received{size: total}, writeErr
		}
		if n > 0 {
			consume(bufs[cur][:n], total)
			total += int64(n)
			cur = 1 - cur
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			busy.Wait()
			return received{size: total}, rerr
		}
	}
	busy.Wait()
	if writeErr != nil {
		return received{size: total}, writeErr
	}
	sha, b2 := h.Sums()
	return received{size: total, sha256: sha, blake2: b2}, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
