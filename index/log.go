package index

import "net/http"

// statusRecorder captures the status and size of a response for the log.
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
