package upload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/trustpub/trustpub/internal/bufpool"
	"github.com/trustpub/trustpub/internal/parallelhash"
	"github.com/trustpub/trustpub/pydist"
)

// formField is one non-file field of the upload form.
type formField struct{ name, value string }

// formFields returns the upload form's fields for f, in the order sent
// before the content part: protocol fields, then metadata (multi-use fields
// repeated, as PyPI reads them). Empty values are not sent (PyPI treats ""
// as absent), as twine does.
func formFields(f *pydist.File) ([]formField, error) {
	if f.Metadata == nil {
		return nil, fmt.Errorf("%s: no metadata was read; open the file with dist.Open", f.Path)
	}
	ft := fileType(f)
	if ft == "" {
		return nil, fmt.Errorf("%s: unknown distribution kind (want a .whl wheel or a .tar.gz sdist)", f.Path)
	}
	py := pyVersion(f)
	if py == "" {
		return nil, fmt.Errorf("%s: no python tag in the wheel filename (pyversion is required for wheels)", f.Path)
	}
	fields := []formField{
		{":action", "file_upload"},
		{"protocol_version", "1"},
		{"filetype", ft},
		{"pyversion", py},
	}
	seen := map[string]bool{}
	for _, ff := range f.Metadata.FormFields() {
		if ff.Value == "" || isProtocolField(ff.Name) {
			continue
		}
		seen[ff.Name] = true
		fields = append(fields, formField{ff.Name, ff.Value})
	}
	// The three fields PyPI requires, from the headers, if FormFields did
	// not already include them.
	for _, req := range []struct{ form, header string }{
		{"metadata_version", "Metadata-Version"}, {"name", "Name"}, {"version", "Version"},
	} {
		if seen[req.form] {
			continue
		}
		v := f.Metadata.Get(req.header)
		if v == "" {
			return nil, fmt.Errorf("%s: metadata has no %s field; rebuild the distribution with a current build backend", f.Path, req.header)
		}
		fields = append(fields, formField{req.form, v})
	}
	return fields, nil
}

// isProtocolField reports whether a form name is set by the upload client
// itself and must not come from metadata.
func isProtocolField(name string) bool {
	switch name {
	case ":action", "protocol_version", "filetype", "pyversion", "content",
		"sha256_digest", "blake2_256_digest", "md5_digest", "attestations", "gpg_signature":
		return true
	}
	return false
}

// fileType is the form's filetype; it falls back on the Kind when the dist
// package returns nothing.
func fileType(f *pydist.File) string {
	if ft := f.Filename.Kind.FileType(); ft != "" {
		return ft
	}
	switch f.Filename.Kind {
	case pydist.Wheel:
		return "bdist_wheel"
	case pydist.Sdist:
		return "sdist"
	}
	return ""
}

// pyVersion is the form's pyversion: "source" for an sdist, the wheel's
// python tag otherwise.
func pyVersion(f *pydist.File) string {
	if f.Filename.Kind == pydist.Sdist {
		return "source"
	}
	if py := f.Filename.PyVersion(); py != "" {
		return py
	}
	return strings.Join(f.Filename.PythonTags, ".")
}

// digestHexLen is the length of a sha256 or blake2b-256 hex digest.
const digestHexLen = 64

// contentPartHeader is the MIME header of the content part.
func contentPartHeader(filename string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	// multipart.FileContentDisposition quotes and escapes the name.
	h.Set("Content-Disposition", multipart.FileContentDisposition("content", filename))
	h.Set("Content-Type", "application/octet-stream")
	return h
}

// countWriter counts bytes written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// bodyPlan is the framing of one upload request, computed before the file
// is read: the bytes before the content, and the exact total length.
type bodyPlan struct {
	boundary    string
	prefix      []byte // fields and the content part header
	fileName    string
	size        int64
	totalLength int64
}

// planBody lays out the multipart body for a file of the given size and
// computes its exact length, so the request carries a Content-Length.
func planBody(fields []formField, filename string, size int64) (*bodyPlan, error) {
	// One allocation for the prefix: each part's framing (boundary,
	// Content-Disposition, blank line) is under 160 bytes.
	want := 256 + 2*len(filename)
	for _, f := range fields {
		want += 160 + len(f.name) + len(f.value)
	}
	buf := bytes.NewBuffer(make([]byte, 0, want))
	mw := multipart.NewWriter(buf)
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			return nil, fmt.Errorf("encoding form field %s: %w", f.name, err)
		}
	}
	if _, err := mw.CreatePart(contentPartHeader(filename)); err != nil {
		return nil, fmt.Errorf("encoding content part: %w", err)
	}
	p := &bodyPlan{boundary: mw.Boundary(), prefix: buf.Bytes(), fileName: filename, size: size}
	// The trailer's length does not depend on the digests' values (they are
	// fixed-length hex), so write it once with placeholders to measure it.
	var tail countWriter
	if err := writeTrailer(&tail, p.boundary, strings.Repeat("0", digestHexLen), strings.Repeat("0", digestHexLen)); err != nil {
		return nil, err
	}
	p.totalLength = int64(len(p.prefix)) + size + tail.n
	return p, nil
}

// writeTrailer writes the parts that follow the content: both digests and
// the closing boundary. The multipart writer is given the boundary in use;
// since it then believes it writes the first part, a CRLF is written first,
// which ends the content part as a multipart writer would.
func writeTrailer(w io.Writer, boundary, sha, blake string) error {
	if _, err := io.WriteString(w, "\r\n"); err != nil {
		return err
	}
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return fmt.Errorf("multipart boundary: %w", err)
	}
	if err := mw.WriteField("sha256_digest", sha); err != nil {
		return err
	}
	if err := mw.WriteField("blake2_256_digest", blake); err != nil {
		return err
	}
	return mw.Close()
}

// streamBody is the request body of one attempt: prefix, the file read
// once through both hashers, then the digest trailer. It implements
// io.ReadCloser for the transport, which reads it from one goroutine and may
// call Close from another while a Read is under way.
type streamBody struct {
	plan     *bodyPlan
	file     *os.File
	hasher   *parallelhash.Hasher // sha256 and blake2b-256 of the file, in parallel
	stage    int                  // 0 prefix, 1 file, 2 trailer, 3 done, stageClosed
	pending  []byte
	pool     *bufpool.Pool // where buf comes from and goes back to on Close
	buf      []byte        // one chunk of the file
	chunk    []byte        // the part of buf not yet handed to the transport
	ra       *readAhead    // for a file of more than one chunk (see readahead.go)
	cur      *raChunk      // the read-ahead chunk being sent
	nread    int64         // content bytes read from the file
	sent     int64         // content bytes handed to the transport
	onRead   func(sent, total int64)
	shaHex   string
	blakeHex string
	// writeSize bounds one write of writeTo (0: a chunk).
	writeSize int
	// readMu is held by Read and Close: net/http may close a body while its
	// writer goroutine still reads it, and buf goes back to the pool then.
	readMu sync.Mutex
	// mu guards the fields below it, which are read by the goroutine that
	// called Do while the transport's writer goroutine may still be reading
	// the body (net/http may finish with a body after Do returns).
	mu sync.Mutex
	// whole is true once the whole file went through the hashers.
	whole bool
	// err is the first failure of the body itself (file changed or
	// unreadable), as opposed to the connection's.
	err       error
	closeOnce sync.Once
	closed    chan struct{}
}

// openBody opens path for one attempt of the plan; the file's buffer comes
// from pool.
func openBody(plan *bodyPlan, path string, pool *bufpool.Pool, onRead func(sent, total int64)) (*streamBody, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if st.Size() != plan.size {
		fh.Close()
		return nil, fmt.Errorf("%s changed size (%d bytes, %d when it was checked): rebuild and upload again", path, st.Size(), plan.size)
	}
	return &streamBody{plan: plan, file: fh, pool: pool, hasher: parallelhash.NewHasher(readAheadBuffers), pending: plan.prefix, onRead: onRead, closed: make(chan struct{})}, nil
}

// stageClosed is a streamBody's stage once Close gave its buffer back.
const stageClosed = 4

// errBodyClosed is what a read of a closed body returns.
var errBodyClosed = errors.New("upload body read after it was closed")

// Read implements io.Reader.
func (b *streamBody) Read(p []byte) (int, error) {
	b.readMu.Lock()
	defer b.readMu.Unlock()
	if b.stage == stageClosed {
		// The transport gave up on the body (its error is the attempt's),
		// not a failure of the file.
		return 0, errBodyClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	next, err := b.take(len(p))
	if err != nil && err != io.EOF {
		b.fail(err)
	}
	return copy(p, next), err
}

// writeTo writes the body, at most limit bytes of it, to w straight from
// the file's buffers, in writes of at most writeSize: what the connection's
// ReadFrom does with an upload body (see uploadConn), instead of net/http
// copying it through a 32 KiB buffer. Like Read, it holds readMu, so a
// Close waits for a write under way; net/http closes the connection before
// or as it gives up on a body, which ends that write.
func (b *streamBody) writeTo(w io.Writer, limit int64) (int64, error) {
	b.readMu.Lock()
	defer b.readMu.Unlock()
	if b.stage == stageClosed {
		return 0, errBodyClosed
	}
	piece := int64(b.writeSize)
	if piece <= 0 {
		piece = chunkSize
	}
	var n int64
	for n < limit {
		next, err := b.take(int(min(piece, limit-n)))
		if err == io.EOF {
			break
		}
		if err != nil {
			b.fail(err)
			return n, err
		}
		k, err := w.Write(next)
		n += int64(k)
		if err != nil {
			return n, err // the connection's, not the body's
		}
	}
	return n, nil
}

// fail records err as the body's own failure, if it is the first.
func (b *streamBody) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

// take returns the next bytes of the body, at most max (> 0), or io.EOF
// at its end. The slice points into the body's buffers and stays valid
// until the next take; file bytes count as sent (onRead) once taken.
func (b *streamBody) take(max int) ([]byte, error) {
	for {
		if len(b.pending) > 0 {
			next := b.pending[:min(len(b.pending), max)]
			b.pending = b.pending[len(next):]
			return next, nil
		}
		switch b.stage {
		case 0:
			b.stage = 1
		case 1:
			if len(b.chunk) == 0 {
				if err := b.nextChunk(); err != nil {
					return nil, err
				}
				if b.stage != 1 {
					continue // the file is done: trailer next
				}
			}
			next := b.chunk[:min(len(b.chunk), max)]
			b.chunk = b.chunk[len(next):]
			b.sent += int64(len(next))
			if b.onRead != nil {
				b.onRead(b.sent, b.plan.size)
			}
			return next, nil
		case 2:
			b.stage = 3
		default:
			return nil, io.EOF
		}
	}
}

// chunkSize is how much of the file is read, hashed and sent at a time.
const chunkSize = 1 << 20

// nextChunk reads the next chunk of the file into the body's buffer and
// starts hashing it: sha256 and blake2b-256 run in parallel with each other
// and with sending the chunk, so the upload is not slower than the slowest
// of the three. The previous chunk's hashing is waited for first (hash
// state is sequential, and the buffer is reused).
func (b *streamBody) nextChunk() error {
	if b.plan.size > chunkSize {
		return b.nextChunkAhead()
	}
	b.hasher.Wait() // the buffer is reused
	if b.nread == b.plan.size {
		return b.finishFile()
	}
	if b.buf == nil {
		b.buf = b.pool.Get(int(min(int64(chunkSize), b.plan.size)))
	}
	want := min(int64(len(b.buf)), b.plan.size-b.nread)
	n, err := io.ReadFull(b.file, b.buf[:want])
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%s shrank while it was being uploaded (%d of %d bytes): rebuild and upload again", b.file.Name(), b.nread+int64(n), b.plan.size)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", b.file.Name(), err)
	}
	chunk := b.buf[:n]
	b.nread += int64(n)
	b.chunk = chunk
	b.hasher.Feed(chunk, nil)
	return nil
}

// finishFile checks the file ended where planned and queues the trailer.
func (b *streamBody) finishFile() error {
	var one [1]byte
	if n, _ := b.file.Read(one[:]); n > 0 {
		return fmt.Errorf("%s grew while it was being uploaded (more than %d bytes): rebuild and upload again", b.file.Name(), b.plan.size)
	}
	sha, blake := b.hasher.Sums()
	var tail bytes.Buffer
	if err := writeTrailer(&tail, b.plan.boundary, sha, blake); err != nil {
		return err
	}
	b.mu.Lock()
	b.shaHex, b.blakeHex, b.whole = sha, blake, true
	b.mu.Unlock()
	b.pending = tail.Bytes()
	b.stage = 2
	return nil
}

// Close closes the file and gives the buffer back. The transport calls it
// when it is done with the body, possibly after Do returned, possibly while
// its writer goroutine is still in Read.
func (b *streamBody) Close() error {
	var err error
	b.closeOnce.Do(func() {
		b.readMu.Lock()
		b.hasher.Stop()
		if b.ra != nil {
			b.ra.close()
			b.ra, b.cur, b.chunk = nil, nil, nil
		}
		b.stage = stageClosed
		if b.buf != nil {
			b.pool.Put(b.buf)
			b.buf, b.chunk = nil, nil
		}
		b.readMu.Unlock()
		err = b.file.Close()
		close(b.closed)
	})
	return err
}

// wait blocks until the transport closed the body (it no longer reads it),
// or d elapsed.
func (b *streamBody) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-b.closed:
	case <-t.C:
	}
}

// digests returns the hex digests and whether the whole file was read.
func (b *streamBody) digests() (sha, blake string, whole bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.shaHex, b.blakeHex, b.whole
}

// failure returns the body's own error, if any.
func (b *streamBody) failure() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// contentType is the request's Content-Type for the plan.
func (p *bodyPlan) contentType() string {
	return "multipart/form-data; boundary=" + p.boundary
}
