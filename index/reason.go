package index

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Warehouse puts an upload's refusal in the status line's reason phrase
// ("400 File already exists (...)"), and that is what twine prints: without
// it a twine user sees only "400 Bad Request". net/http always writes the
// standard phrase, so for HTTP/1.x error answers the connection is taken
// over (hijacked) and the whole answer written here: status line with the
// message, the headers the handler set, Content-Length, and the same body
// and X-PyPI-Error header as before; then the connection is closed. HTTP/2
// has no reason phrase: there, and wherever the connection cannot be taken
// over, the answer goes through net/http as usual.

// Bounds of an answer written on a taken-over connection.
const (
	// maxReasonPhrase bounds the status line (Python's http.client refuses
	// lines over 64 KiB).
	maxReasonPhrase = 8 << 10
	// reasonWriteTimeout bounds writing the answer.
	reasonWriteTimeout = 30 * time.Second
	// lingerTimeout and lingerBytes bound how long and how much of a body
	// the client is still sending is read and discarded after the answer,
	// so that the client reads the answer instead of a connection reset.
	lingerTimeout = 5 * time.Second
	lingerBytes   = 64 << 20
)

// statusNoter is a ResponseWriter wrapper (the request log's) told the
// status and size of an answer written on a taken-over connection.
type statusNoter interface {
	noteStatus(code int, bytes int64)
}

// noteStatus implements statusNoter for the request log: the line is
// written now, before the client can see the answer.
func (r *statusRecorder) noteStatus(code int, n int64) {
	if r.status == 0 {
		r.status = code
	}
	r.bytes += n
	r.logOnce()
}

// logOnce writes the request's log line the first time it is called.
func (r *statusRecorder) logOnce() {
	if r.logged || r.logLine == nil {
		return
	}
	r.logged = true
	r.logLine()
}

// withReason wraps an upload handler so that a refusal written with
// writeUploadError goes out with its reason phrase once the handler has
// returned (its deferred clean-up done, as for an answer net/http sends).
func withReason(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rw := &reasonWriter{ResponseWriter: w}
		h(rw, r)
		rw.finish()
	}
}

// reasonWriter holds back an error answer that should carry a reason
// phrase until the handler has returned.
type reasonWriter struct {
	http.ResponseWriter
	pending bool
	code    int
	reason  string
	body    []byte
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *reasonWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// deferWithReason finds the reasonWriter under w and hands it the answer;
// it returns false when there is none (w then answers as usual).
func deferWithReason(w http.ResponseWriter, code int, reason string, body []byte) bool {
	for {
		if rw, ok := w.(*reasonWriter); ok {
			rw.pending, rw.code, rw.reason, rw.body = true, code, reason, body
			return true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
}

// finish sends the held-back answer: on the taken-over connection when it
// can be had, else through net/http without the reason phrase.
func (rw *reasonWriter) finish() {
	if !rw.pending {
		return
	}
	if writeWithReason(rw.ResponseWriter, rw.code, rw.reason, rw.body) {
		return
	}
	rw.ResponseWriter.WriteHeader(rw.code)
	rw.ResponseWriter.Write(rw.body)
}

// writeWithReason writes an answer whose status line carries reason, with
// w's headers and body, on w's connection taken over from net/http. It
// returns false, having written nothing, when the connection cannot be
// taken over (HTTP/2, a test recorder).
func writeWithReason(w http.ResponseWriter, code int, reason string, body []byte) bool {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	h := w.Header().Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Connection", "close")
	h.Del("Transfer-Encoding")
	// The request log's line is written before the client can see the
	// answer, as for any other answer.
	for rw := w; rw != nil; {
		if n, ok := rw.(statusNoter); ok {
			n.noteStatus(code, int64(len(body)))
			break
		}
		u, ok := rw.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		rw = u.Unwrap()
	}
	_ = conn.SetWriteDeadline(time.Now().Add(reasonWriteTimeout))
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", code, statusLinePhrase(code, reason))
	_ = h.Write(bw)
	bw.WriteString("\r\n")
	bw.Write(body)
	if bw.Flush() == nil {
		lingerClose(conn, brw.Reader)
	}
	return true
}

// statusLinePhrase is reason made fit for a status line: PyPI's messages
// are one line; any control character becomes '?', the text stays ASCII
// (bytes beyond it are read differently by different clients) and bounded.
// An empty reason gives the standard phrase.
func statusLinePhrase(code int, reason string) string {
	p := headerSafe(reason)
	if len(p) > maxReasonPhrase {
		p = p[:maxReasonPhrase]
	}
	if p == "" {
		p = http.StatusText(code)
	}
	return p
}

// lingerClose half-closes the connection and reads what the client still
// sends (bounded in time and size), so that a client still sending its
// upload reads the answer rather than a reset; the caller then closes it.
func lingerClose(conn net.Conn, r io.Reader) {
	if tc, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	_ = conn.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.CopyN(io.Discard, r, lingerBytes)
}
