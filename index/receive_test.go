package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"golang.org/x/crypto/blake2b"
)

func TestCopyHashed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, receiveChunk - 1, receiveChunk, receiveChunk + 1, 3*receiveChunk + 5, writebackEvery + 17} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		for _, half := range []bool{false, true} {
			f, err := os.Create(filepath.Join(t.TempDir(), "f"))
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = bytes.NewReader(data)
			if half {
				r = iotest.HalfReader(r) // short reads, as from a socket
			}
			got, err := copyHashed(f, r, &chunkPair{make([]byte, receiveChunk), make([]byte, receiveChunk)})
			f.Close()
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			s := sha256.Sum256(data)
			b := blake2b.Sum256(data)
			if got.size != int64(size) || got.sha256 != hex.EncodeToString(s[:]) || got.blake2 != hex.EncodeToString(b[:]) {
				t.Fatalf("size %d: got %+v", size, got)
			}
			written, _ := os.ReadFile(f.Name())
			if !bytes.Equal(written, data) {
				t.Fatalf("size %d: file content differs", size)
			}
		}
	}
}

func TestCopyHashedErrors(t *testing.T) {
	// A read error mid-stream is returned, not hidden.
	f, _ := os.Create(filepath.Join(t.TempDir(), "f"))
	defer f.Close()
	boom := errors.New("connection reset")
	_, err := copyHashed(f, iotest.ErrReader(boom), &chunkPair{make([]byte, receiveChunk), make([]byte, receiveChunk)})
	if !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	// A write error (closed file) is returned.
	g, _ := os.Create(filepath.Join(t.TempDir(), "g"))
	g.Close()
	if _, err := copyHashed(g, bytes.NewReader(make([]byte, 10)), &chunkPair{make([]byte, receiveChunk), make([]byte, receiveChunk)}); err == nil {
		t.Fatal("write to a closed file succeeded")
	}
}
