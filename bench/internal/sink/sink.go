// Package sink is a loopback HTTP server that reads and discards whatever
// is uploaded to it and answers 200, as an index would after storing a file.
// Timing the client against it measures the client alone, without an index
// competing for the same cores and disk.
package sink

import (
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// Sink is a running discarding server.
type Sink struct {
	// URL is the upload URL to give the client.
	URL string

	srv      *http.Server
	ln       net.Listener
	received atomic.Int64
}

// Start listens on 127.0.0.1 on a free port.
func Start() (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{URL: "http://" + ln.Addr().String() + "/legacy/", ln: ln}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.NotFound(w, r) // the simple API: "not on the index yet"
		return
	}
	n, _ := io.Copy(io.Discard, r.Body)
	s.received.Add(n)
	w.WriteHeader(http.StatusOK)
}

// Received is the number of request-body bytes read so far.
func (s *Sink) Received() int64 { return s.received.Load() }

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }
