package index

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"sync"

	"golang.org/x/crypto/blake2b"

	"github.com/trustpub/trustpub/internal/bufpool"
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
// copies. The three consumers of a chunk (disk write and the two hashes) run
// in parallel with each other and with the read of the next chunk, so a
// large upload is received at the speed of the slowest of them rather than
// of their sum. Written data is handed to the kernel's write-back as it
// goes (see startWriteback).
func copyHashed(f *os.File, src io.Reader, bufs *chunkPair) (received, error) {
	sha := sha256.New()
	b2, _ := blake2b.New256(nil) // cannot fail without a key
	var (
		cur      int
		busy     sync.WaitGroup
		writeErr error
		total    int64
		synced   int64
	)
	consume := func(chunk []byte, off int64) {
		if len(chunk) < inlineChunk {
			// Small: three goroutines would cost more than they save.
			sha.Write(chunk)
			b2.Write(chunk)
			if _, err := f.Write(chunk); err != nil {
				writeErr = err
			}
			return
		}
		busy.Add(3)
		go func() { defer busy.Done(); sha.Write(chunk) }()
		go func() { defer busy.Done(); b2.Write(chunk) }()
		go func() {
			defer busy.Done()
			if _, err := f.Write(chunk); err != nil {
				writeErr = err
				return
			}
			if end := off + int64(len(chunk)); end-synced >= writebackEvery {
				startWriteback(f, synced, end-synced)
				synced = end
			}
		}()
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
	return received{size: total, sha256: hexSum(sha), blake2: hexSum(b2)}, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
