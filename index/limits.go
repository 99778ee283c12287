package index

import (
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Limits bound what one client can hold of the server: connections, time
// between requests, and time to send a request or receive an answer. Zero
// fields take the Default* values, which suit a small public index.
type Limits struct {
	// ReadHeaderTimeout bounds the time to send a request's headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no new request.
	IdleTimeout time.Duration
	// StallTimeout is the longest a request body or a download may go
	// without progress, and the allowance before MinRate applies.
	StallTimeout time.Duration
	// MinRate is the slowest a request body or a download may flow, in
	// bytes per second, averaged from its start (after StallTimeout).
	MinRate int64
	// WriteTimeout bounds writing an answer other than a file download
	// (pages, errors); downloads get StallTimeout plus their size at MinRate.
	WriteTimeout time.Duration
	// MaxConnections caps the connections served at once; more wait in the
	// listen queue until one closes.
	MaxConnections int
}

// Defaults of Limits.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultStallTimeout      = 30 * time.Second
	DefaultMinRate           = 4 << 10 // bytes per second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultMaxConnections    = 256
)

// withDefaults returns l with zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&l.IdleTimeout, DefaultIdleTimeout)
	set(&l.StallTimeout, DefaultStallTimeout)
	set(&l.WriteTimeout, DefaultWriteTimeout)
	if l.MinRate <= 0 {
		l.MinRate = DefaultMinRate
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = DefaultMaxConnections
	}
	return l
}

// Limits returns the limits the server applies, defaults filled in.
func (s *Server) Limits() Limits { return s.opts.Limits }

// HTTPServer returns an http.Server that serves h (the Server itself, or a
// mux routing to it) with the server's Limits: header, idle and write
// timeouts, and the minimum transfer rate of request bodies. Serve it on a
// listener wrapped by LimitListener.
func (s *Server) HTTPServer(h http.Handler) *http.Server {
	l := s.opts.Limits
	return &http.Server{
		Handler:           s.transferRules(h),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		WriteTimeout:      l.WriteTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// LimitListener returns ln accepting at most Limits.MaxConnections
// connections at once.
func (s *Server) LimitListener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, s.opts.Limits.MaxConnections)
}

// transferRules wraps h: every answer carries X-Content-Type-Options:
// nosniff, and a request body must keep to the minimum rate (see
// rateReader).
func (s *Server) transferRules(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Body != nil && r.Body != http.NoBody {
			rr := &rateReader{body: r.Body, rc: http.NewResponseController(w), limits: s.opts.Limits, start: time.Now()}
			rr.extend()
			// net/http looks at the body it gave the handler once the
			// handler returns (to close a connection whose client waits for
			// "100 Continue" instead of asking for the body): give it back.
			orig := r.Body
			r.Body = rr
			defer func() { r.Body = orig }()
		}
		h.ServeHTTP(w, r)
	})
}

// rateReader is a request body held to Limits: the connection's read
// deadline moves as bytes arrive, to the earlier of StallTimeout after the
// last read and the time by which the bytes so far should have come at
// MinRate (plus StallTimeout). A body that stalls, or drips, is cut.
type rateReader struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	limits Limits
	start  time.Time // wall clock: connection deadlines are
	total  int64
	err    error // the body's end or failure, returned from then on
}

func (rr *rateReader) Read(p []byte) (int, error) {
	if rr.err != nil {
		return 0, rr.err
	}
	n, err := rr.body.Read(p)
	rr.total += int64(n)
	if err == nil {
		rr.extend()
		return n, nil
	}
	// Done with the body, or failed (a failure is final: the connection
	// is not read again). Give the answer WriteTimeout from now: the
	// server's WriteTimeout runs from the request's start, which a long
	// upload has passed.
	rr.err = err
	if err == io.EOF {
		// Lift the read deadline, so that the server's own read of the
		// connection after the body does not cut the handler's work.
		rr.rc.SetReadDeadline(time.Time{})
	}
	rr.rc.SetWriteDeadline(time.Now().Add(rr.limits.WriteTimeout))
	return n, err
}

// extend sets the read deadline for the bytes received so far.
func (rr *rateReader) extend() {
	l := rr.limits
	byRate := rr.start.Add(l.StallTimeout + time.Duration(float64(rr.total)/float64(l.MinRate)*float64(time.Second)))
	byStall := time.Now().Add(l.StallTimeout)
	// Without deadline support (a ResponseWriter that hides it) the body
	// is not rate-limited; the index's own servers always support it.
	rr.rc.SetReadDeadline(minTime(byRate, byStall))
}

func (rr *rateReader) Close() error { return rr.body.Close() }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// downloadDeadline gives a download of size bytes StallTimeout plus its
// size at MinRate, through the ResponseWriter's deadline (so that the
// writer keeps its io.ReaderFrom, and sendfile).
func (s *Server) downloadDeadline(w http.ResponseWriter, size int64) {
	l := s.opts.Limits
	d := l.StallTimeout + time.Duration(float64(size)/float64(l.MinRate)*float64(time.Second))
	if d > l.WriteTimeout {
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
	}
}

// nosniff sets X-Content-Type-Options: nosniff on every answer, so that no
// browser runs a stored file or an error text as a page or script.
func nosniff(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
