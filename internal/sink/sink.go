// Package sink is a loopback HTTP server that receives whatever is uploaded
// to it, counts it and throws it away, answering 200 as an index would after
// storing a file. Timing an upload client against it measures the client
// alone, without an index competing for the same cores and disk: the bench
// harness's "client alone" figure and the upload package's benchmarks.
//
// It costs the cores it shares with the client as little as receiving can:
// a body of known length goes from the socket to /dev/null with splice(2)
// (os.File.ReadFrom on Linux), so every byte is received by TCP and counted
// but none is copied to user space. Reading with io.Copy into io.Discard
// (32 KiB at a time), as it did before, cost 0.5–0.7 CPU-seconds per GiB on
// the 2-core bench machine, a fifth of what the client itself needs there;
// spliced, about 0.25.
package sink

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
)

// Sink is a running discarding server.
type Sink struct {
	// URL is the upload URL to give the client.
	URL string

	srv      *http.Server
	devNull  *os.File
	received atomic.Int64
}

// Start listens on 127.0.0.1 on a free port.
func Start() (*Sink, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		devNull.Close()
		return nil, fmt.Errorf("sink: %w", err)
	}
	s := &Sink{URL: "http://" + ln.Addr().String() + "/legacy/", devNull: devNull}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go s.srv.Serve(ln)
	return s, nil
}

// readSize is the read size for a body without a length (chunked).
const readSize = 1 << 20

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.NotFound(w, r) // the simple API: "not on the index yet"
		return
	}
	if r.ContentLength < 0 {
		// Chunked: net/http decodes it; read in large reads.
		buf := make([]byte, readSize)
		for {
			n, err := r.Body.Read(buf)
			s.received.Add(int64(n))
			if err != nil {
				break
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "sink: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	if strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		if _, err := io.WriteString(conn, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			return
		}
	}
	// What the server's reader already holds of the body, then the rest
	// straight from the socket.
	want := r.ContentLength
	k, _ := brw.Reader.Discard(int(min(int64(brw.Reader.Buffered()), want)))
	got := int64(k)
	if got < want {
		n, _ := s.devNull.ReadFrom(io.LimitReader(conn, want-got))
		got += n
	}
	s.received.Add(got)
	status := "200 OK"
	if got < want {
		status = "400 Bad Request" // the body ended before its Content-Length
	}
	fmt.Fprintf(conn, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status)
}

// Received is the number of request-body bytes received so far.
func (s *Sink) Received() int64 { return s.received.Load() }

// Close stops the server.
func (s *Sink) Close() error {
	err := s.srv.Close()
	s.devNull.Close()
	return err
}
