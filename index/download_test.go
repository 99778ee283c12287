package index

import (
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// readFromConn is a loopback connection that records what net/http hands
// to its ReadFrom: an *os.File there is what the kernel sends with
// sendfile(2), with no copy through user space.
type readFromConn struct {
	*net.TCPConn
	mu    *sync.Mutex
	files *int64 // bytes handed over as files
}

func (c readFromConn) ReadFrom(r io.Reader) (int64, error) {
	src := r
	if lr, ok := r.(*io.LimitedReader); ok {
		src = lr.R
	}
	n, err := c.TCPConn.ReadFrom(r)
	if _, ok := src.(*os.File); ok {
		c.mu.Lock()
		*c.files += n
		c.mu.Unlock()
	}
	return n, err
}

type readFromListener struct {
	net.Listener
	mu    sync.Mutex
	files int64
}

func (l *readFromListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return readFromConn{TCPConn: c.(*net.TCPConn), mu: &l.mu, files: &l.files}, nil
}

// TestDownloadsReachSendfile: a download goes from the stored file to the
// connection's ReadFrom (sendfile), through the request-logging wrapper,
// for the whole file and for a range; a simple page does not (it is in
// memory and written with its headers); and the wrapper still lets
// http.ResponseController reach the connection.
func TestDownloadsReachSendfile(t *testing.T) {
	dir := t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	w := wheel(t, "sendme", "1.0", disttest.Options{PayloadSize: 1 << 20, Seed: 3})
	ti.mustUpload(t, w)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl := &readFromListener{Listener: ln}
	// served tells when the server is done with a request: its ReadFrom
	// counts the bytes after the client may have read them all.
	served := make(chan struct{}, 1)
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ti.srv.ServeHTTP(w, r)
		served <- struct{}{}
	})}
	go hs.Serve(rl)
	t.Cleanup(func() { hs.Close() })
	base := "http://" + ln.Addr().String()

	for _, tc := range []struct {
		name, path, rng string
		want            int64 // bytes sent as a file
	}{
		{"whole file", "/files/sendme/" + w.filename, "", int64(len(w.data))},
		{"range", "/files/sendme/" + w.filename, "bytes=1000-65535", 64536},
		{"metadata file", "/files/sendme/" + w.filename + ".metadata", "", int64(len(disttest.Metadata("sendme", "1.0", disttest.Options{})))},
		{"simple page", "/simple/sendme/", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rl.mu.Lock()
			rl.files = 0
			rl.mu.Unlock()
			req, _ := http.NewRequest("GET", base+tc.path, nil)
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			<-served
			if resp.StatusCode/100 != 2 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			rl.mu.Lock()
			files := rl.files
			rl.mu.Unlock()
			// net/http writes the first 512 bytes itself (it may sniff
			// them) and hands the rest to the connection's ReadFrom.
			if want := max(0, tc.want-512); files < want || tc.want == 0 && files != 0 {
				t.Errorf("%d of %d bytes reached the connection as a file, want %d", files, n, want)
			}
		})
	}

	// The wrapper's Unwrap: deadlines set through it reach the connection.
	// The handler's result comes back on a channel: the server's goroutine
	// and the test's are ordered by nothing else (the race detector sees no
	// order in bytes over a socket).
	rcErr := make(chan error, 1)
	h := ti.srv.logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rcErr <- http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-rcErr; err != nil {
		t.Errorf("ResponseController through the logging wrapper: %v", err)
	}
}

// BenchmarkDownload downloads the same 64 MiB file over loopback from the
// index and from a plain net/http file server (http.FileServer over the
// project directory), one after the other in each iteration, so that both
// see the same machine: "index-MB/s" and "fileserver-MB/s", and their ratio
// "index/fileserver" (target: ≥ 0.9).
func BenchmarkDownload(b *testing.B) {
	dir := b.TempDir()
	ti := newTestIndexAt(b, dir, nil)
	const size = 64 << 20
	data := make([]byte, size)
	rand.Read(data)
	// The file and its record, in place and in the index.
	filename := "dl-1.0.tar.gz"
	rec := &record{
		Filename: filename, Project: "dl", Normalized: "dl", Version: "1.0", FileType: "sdist", PyVersion: "source",
		Size: size, SHA256: sha256Hex(data), Blake2b256: blake2Hex(data), UploadTime: time.Now().UTC(),
	}
	pdir := filepath.Join(dir, "projects", "dl")
	os.MkdirAll(pdir, 0o755)
	if err := os.WriteFile(filepath.Join(pdir, filename), data, 0o644); err != nil {
		b.Fatal(err)
	}
	ti.srv.store.add(rec)
	fs := httptest.NewServer(http.FileServer(http.Dir(pdir)))
	defer fs.Close()
	urls := map[string]string{
		"index":      ti.url + "/files/dl/" + filename,
		"fileserver": fs.URL + "/" + filename,
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	fetch := func(u string) time.Duration {
		start := time.Now()
		resp, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != size || resp.StatusCode != 200 {
			b.Fatalf("%s: %d bytes, %v, %d", u, n, err, resp.StatusCode)
		}
		return time.Since(start)
	}
	fetch(urls["index"])
	fetch(urls["fileserver"])
	var idx, plain time.Duration
	i := 0
	for b.Loop() {
		// Alternate which goes first.
		if i%2 == 0 {
			idx += fetch(urls["index"])
			plain += fetch(urls["fileserver"])
		} else {
			plain += fetch(urls["fileserver"])
			idx += fetch(urls["index"])
		}
		i++
	}
	mbps := func(d time.Duration) float64 { return float64(size) * float64(i) / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(idx), "index-MB/s")
	b.ReportMetric(mbps(plain), "fileserver-MB/s")
	b.ReportMetric(plain.Seconds()/idx.Seconds(), "index/fileserver")
}
