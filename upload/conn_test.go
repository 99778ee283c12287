package upload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/bufpool"
)

// writeRecorder keeps what is written to it and the size of every write.
type writeRecorder struct {
	bytes.Buffer
	sizes []int
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

// TestStreamBodyWriteTo: writing a body to the connection (what uploadConn
// does) gives the same bytes as reading it, in writes of at most writeSize,
// no more of them than the parts and pieces need; it stops exactly at its
// limit, where Read carries on; progress ends at the file's size.
func TestStreamBodyWriteTo(t *testing.T) {
	pool := &bufpool.Pool{}
	for _, tc := range []struct {
		payload   int64
		writeSize int
		limit     int64 // bytes of the body to write; -1: all
	}{
		{3*chunkSize + 17, 120 << 10, -1},
		{3*chunkSize + 17, 0, -1}, // 0: a chunk at a time
		{chunkSize - 1, 32 << 10, -1},
		{40 << 10, 120 << 10, -1},
		{0, 120 << 10, -1},
		{3*chunkSize + 17, 120 << 10, chunkSize + 5},
		{3*chunkSize + 17, 120 << 10, 100}, // within the form fields
	} {
		t.Run(fmt.Sprintf("%d-by-%d-limit-%d", tc.payload, tc.writeSize, tc.limit), func(t *testing.T) {
			f := openDist(t, buildWheel(t, t.TempDir(), "written", "1.0", tc.payload))
			_, plan := planFor(t, f)
			read, err := openBody(plan, f.Path, pool, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := io.ReadAll(read)
			read.Close()
			if err != nil {
				t.Fatal(err)
			}
			var progress []int64
			body, err := openBody(plan, f.Path, pool, func(sent, total int64) { progress = append(progress, sent) })
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			body.writeSize = tc.writeSize
			limit := tc.limit
			if limit < 0 {
				limit = plan.totalLength
			}
			var w writeRecorder
			n, err := body.writeTo(&w, limit)
			if err != nil || n != limit || int64(w.Len()) != limit {
				t.Fatalf("writeTo = %d, %v; wrote %d bytes, want %d", n, err, w.Len(), limit)
			}
			rest, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if got := append(w.Bytes(), rest...); !bytes.Equal(got, want) {
				t.Fatalf("written (+ read after the limit) differs from the body read (%d vs %d bytes)", len(got), len(want))
			}
			piece := tc.writeSize
			if piece == 0 {
				piece = chunkSize
			}
			for _, s := range w.sizes {
				if s > piece {
					t.Fatalf("a write of %d bytes, more than %d", s, piece)
				}
			}
			// Exactly the pieces of the prefix, of each chunk of the file
			// (a piece never spans two) and of the trailer.
			pieces := func(n int64) int { return int((n + int64(piece) - 1) / int64(piece)) }
			wantWrites := pieces(int64(len(plan.prefix))) + pieces(plan.totalLength-int64(len(plan.prefix))-f.Size)
			for left := f.Size; left > 0; left -= chunkSize {
				wantWrites += pieces(min(left, chunkSize))
			}
			if tc.limit < 0 && len(w.sizes) != wantWrites {
				t.Errorf("%d writes, want %d", len(w.sizes), wantWrites)
			}
			if tc.limit < 0 && (len(progress) == 0 && tc.payload > 0 || len(progress) > 0 && progress[len(progress)-1] != f.Size) {
				t.Errorf("progress ends at %v, want %d", progress, f.Size)
			}
		})
	}
}

// TestStreamBodyFileShrinks: a file cut short while it is sent fails the
// body, by Read and by writeTo alike, with the body's own error (not the
// connection's), naming the file.
func TestStreamBodyFileShrinks(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(b *streamBody) error
	}{
		{"read", func(b *streamBody) error { _, err := io.Copy(io.Discard, b); return err }},
		{"writeTo", func(b *streamBody) error { _, err := b.writeTo(io.Discard, b.plan.totalLength); return err }},
	} {
		for _, payload := range []int64{3 * chunkSize, 100 << 10} {
			t.Run(fmt.Sprintf("%s-%d", tc.name, payload), func(t *testing.T) {
				f := openDist(t, buildWheel(t, t.TempDir(), "shrinking", "1.0", payload))
				_, plan := planFor(t, f)
				body, err := openBody(plan, f.Path, &bufpool.Pool{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer body.Close()
				if err := os.Truncate(f.Path, f.Size/2); err != nil {
					t.Fatal(err)
				}
				err = tc.send(body)
				if err == nil || !strings.Contains(err.Error(), "shrank") || !strings.Contains(err.Error(), f.Path) {
					t.Fatalf("err = %v, want the file named as shrunk", err)
				}
				if body.failure() == nil {
					t.Error("the body does not report its own failure")
				}
			})
		}
	}
}

// countingConn records the size of every write to a connection.
type countingConn struct {
	net.Conn
	mu    *sync.Mutex
	sizes *[]int
}

func (c countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	*c.sizes = append(*c.sizes, len(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// TestUploadConnWritesBodyStraight: through DefaultHTTPClient's transport,
// net/http hands the upload body to the connection, which writes it in
// pieces of writeSize (not net/http's 32 KiB copies), and the real index
// accepts the file with its digests.
func TestUploadConnWritesBodyStraight(t *testing.T) {
	hs, _ := realIndex(t, nil)
	f := openDist(t, buildWheel(t, t.TempDir(), "straight", "1.0", 5<<20))
	var mu sync.Mutex
	var sizes []int
	hc := DefaultHTTPClient()
	d := &net.Dialer{Timeout: 10 * time.Second}
	hc.Transport.(*http.Transport).DialContext = dialUploadConns(func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, &mu, &sizes}, nil
	})
	c, _, _ := testClient(hs.URL + "/legacy/")
	c.HTTPClient = hc
	res, err := c.Upload(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	files := indexFiles(t, c, hs.URL, "straight")
	if got := files[f.Filename.Raw].SHA256; got == "" || got != res.SHA256 {
		t.Fatalf("the index lists sha256 %q, the upload sent %q", got, res.SHA256)
	}
	mu.Lock()
	defer mu.Unlock()
	piece := c.writeSize()
	largest, writes := 0, len(sizes)
	for _, s := range sizes {
		largest = max(largest, s)
	}
	if most := int(f.Size)/piece + int(f.Size/chunkSize) + 8; largest != piece || writes > most {
		t.Fatalf("%d writes, the largest %d bytes: want pieces of %d, at most %d writes", writes, largest, piece, most)
	}
}
