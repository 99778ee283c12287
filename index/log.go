package index

import (
	"io"
	"net/http"
	"os"
)

// statusRecorder captures the status and size of a response for the log.
// It passes io.ReaderFrom through to the connection's writer, so that
// http.ServeContent can send a stored file with sendfile(2) (a ReaderFrom
// hidden by a wrapper makes it copy the file through 32 KiB buffers, a
// read and a write per buffer), and Unwrap, so that http.ResponseController
// reaches the connection (deadlines, flushes).
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	// logLine writes the request's log line; logOnce calls it once, when
	// the handler returns or before an answer written on a taken-over
	// connection is sent (see writeWithReason).
	logLine func()
	logged  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom implements io.ReaderFrom with the underlying writer's ReadFrom
// when it has one (net/http's does: sendfile for an *os.File on a TCP
// connection), counting the bytes for the log.
func (r *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok && isFile(src) {
		n, err = rf.ReadFrom(src)
	} else {
		// A body in memory is written through the response's buffer,
		// headers and body in one write, as without this method.
		n, err = io.Copy(writerOnly{r}, src)
		return n, err // Write counted the bytes
	}
	r.bytes += n
	return n, err
}

// isFile reports whether src reads a file (as http.ServeContent passes
// one: an *os.File, possibly behind an io.LimitedReader), which the
// connection can send with sendfile.
func isFile(src io.Reader) bool {
	if lr, ok := src.(*io.LimitedReader); ok {
		src = lr.R
	}
	_, ok := src.(*os.File)
	return ok
}

// writerOnly hides every method but Write, so that io.Copy does not loop
// back into ReadFrom.
type writerOnly struct{ io.Writer }

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request: method, path, status, bytes and
// duration. It never logs headers, so no Authorization value can leak, and
// it logs the path without the query string.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		rec := &statusRecorder{ResponseWriter: w}
		rec.logLine = func() {
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			s.log.InfoContext(r.Context(), "request",
				"method", r.Method,
				"path", r.URL.Path,
				"status", rec.status,
				"bytes", rec.bytes,
				"duration", s.now().Sub(start),
				"remote", r.RemoteAddr,
			)
		}
		next.ServeHTTP(rec, r)
		rec.logOnce()
	})
}
