package index

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/blake2b"

	"github.com/trustpub/trustpub/pydist"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// PyPI's help and documentation links used in its messages.
const (
	helpURL      = "https://pypi.org/help/"
	coreMetaURL  = "https://packaging.python.org/specifications/core-metadata"
	localVerURL  = "https://packaging.python.org/en/latest/specifications/version-specifiers/#local-version-identifiers"
	sizeLimitURL = "https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase"
)

// Fixed PyPI messages (warehouse/forklift/legacy.py, forms.py).
const (
	msgNoSlash  = "An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)"
	msgSubmit   = "Project pre-registration is no longer required or supported, upload your files instead."
	msgDocs     = "Uploading documentation is no longer supported, we recommend using https://readthedocs.org/."
	msgNoFile   = "Upload payload does not have a file."
	msgDigest   = "The digest supplied does not match a digest calculated from the uploaded file."
	msgOneSdist = "Only one sdist may be uploaded per release."
	msgProtocol = "Unknown protocol version."
)

// maxFormBytes bounds the non-file form fields of one upload (description
// included); the file itself is bounded by Options.MaxFileSize.
const maxFormBytes = 16 << 20

// uploadError is a refusal with its HTTP status and PyPI's message.
type uploadError struct {
	code int
	msg  string
}

func (e *uploadError) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func badRequest(format string, a ...any) *uploadError {
	return &uploadError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// writeUploadError answers like Warehouse: the message in the status line's
// reason phrase (over HTTP/1.x, see writeWithReason; HTTP/2 has none), as
// the whole body (one line), and in the X-PyPI-Error header (ASCII-safe, as
// PyPI's reason phrase). Clients read the reason phrase or, when it is the
// standard one, the header or the body.
func writeUploadError(w http.ResponseWriter, e *uploadError) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-PyPI-Error", headerSafe(e.msg))
	if deferWithReason(w, e.code, e.msg, []byte(e.msg+"\n")) {
		return
	}
	w.WriteHeader(e.code)
	io.WriteString(w, e.msg+"\n")
}

// headerSafe makes s a valid header value the way PyPI makes its reason
// phrase one (characters that do not fit become "?"), keeping to ASCII.
func headerSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		// Beyond ASCII, header bytes are read differently by different
		// clients; keep the header ASCII (the body carries the UTF-8 text).
		if r < 0x20 || r >= 0x7f {
			b.WriteByte('?')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// handleLegacyNoSlash answers POST /legacy like PyPI: 308 to /legacy/.
func (s *Server) handleLegacyNoSlash(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Location", "/legacy/")
	writeUploadError(w, &uploadError{http.StatusPermanentRedirect, msgNoSlash})
}

// uploadedFile is the "content" part, streamed to a temp file.
type uploadedFile struct {
	tmpPath     string
	filename    string // raw, from Content-Disposition
	contentType string
	size        int64
	sha256      string
	blake2      string
	md5         string
}

// uploadForm is the parsed multipart form of an upload.
type uploadForm struct {
	values  map[string][]string
	order   []string // field names in first-seen order
	tuples  []string // non-file fields sent as file parts
	content *uploadedFile
}

func (f *uploadForm) add(name, value string) {
	if _, ok := f.values[name]; !ok {
		f.order = append(f.order, name)
	}
	f.values[name] = append(f.values[name], value)
}

// get returns the last value of a field, as WebOb's MultiDict does.
func (f *uploadForm) get(name string) string {
	v := f.values[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// first returns the first value of a field, as a WTForms field does.
func (f *uploadForm) first(name string) string {
	v := f.values[name]
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (f *uploadForm) cleanup() {
	if f.content != nil && f.content.tmpPath != "" {
		os.Remove(f.content.tmpPath)
	}
}

// handleUpload is POST /legacy/. The request is authenticated from its
// Authorization header before its body is read: an anonymous upload is
// answered without buffering any of its form.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	id, authMsg := s.authenticate(r)
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxFileSize+maxFormBytes)
	if authMsg != "" {
		s.refuseAnonymous(w, r, authMsg)
		return
	}
	form, uerr := s.readForm(r, id)
	if form != nil {
		defer form.cleanup()
	}
	if uerr == nil {
		uerr = s.upload(r, id, form)
	}
	if uerr != nil {
		// Read what is left of the body (bounded by MaxBytesReader), so that
		// the client, still sending, receives the answer instead of a reset.
		io.Copy(io.Discard, r.Body)
		s.log.InfoContext(r.Context(), "upload refused", "status", uerr.code, "reason", uerr.msg, "token", idName(id))
		writeUploadError(w, uerr)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// refuseAnonymous answers an upload that did not authenticate: 403, or 410
// for a retired :action (as PyPI, which routes on it before
// authenticating). Of the body only :action is kept (a few bytes); the rest
// is read and dropped, so that a client still sending gets the answer, and
// a flood of anonymous uploads costs no memory. A client that waits for
// "100 Continue" is answered without reading the body at all.
func (s *Server) refuseAnonymous(w http.ResponseWriter, r *http.Request, authMsg string) {
	uerr := &uploadError{http.StatusForbidden, authMsg}
	if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		if e := retiredActionError(scanAction(r)); e != nil {
			uerr = e
		}
		io.Copy(io.Discard, r.Body)
	}
	s.log.InfoContext(r.Context(), "upload refused", "status", uerr.code, "reason", uerr.msg)
	writeUploadError(w, uerr)
}

// maxActionBytes bounds the :action value kept by scanAction; the longest
// action is "submit_pkg_info".
const maxActionBytes = 64

// scanAction reads the multipart body of r to its end (or to its first
// error), keeping only the last :action field's first maxActionBytes.
func scanAction(r *http.Request) string {
	mr, err := r.MultipartReader()
	if err != nil {
		return ""
	}
	action := ""
	for {
		part, err := mr.NextPart()
		if err != nil {
			return action
		}
		if part.FormName() == ":action" && part.FileName() == "" {
			b, _ := io.ReadAll(io.LimitReader(part, maxActionBytes))
			action = string(b)
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return action
		}
	}
}

// retiredActionError is PyPI's 410 for a retired :action, or nil.
func retiredActionError(a string) *uploadError {
	switch a {
	case "submit", "submit_pkg_info":
		return &uploadError{http.StatusGone, msgSubmit}
	case "doc_upload":
		return &uploadError{http.StatusGone, msgDocs}
	}
	return nil
}

func idName(id *identity) string {
	if id == nil {
		return ""
	}
	return id.name
}

// Bounds of an upload form beside its file.
const (
	maxFormParts = 1000 // as Go's own ParseMultipartForm
	perPartCost  = 200  // bytes of bookkeeping charged per part
)

// readForm reads the multipart form of an authenticated upload, streaming
// "content" to a temp file in the data directory while hashing it. Every
// field must be UTF-8, the file's name must be one the data directory can
// store and give back unchanged (checked before the file is written), and
// an upload to a project the token may not publish is refused as soon as
// its name field arrives.
func (s *Server) readForm(r *http.Request, id *identity) (*uploadForm, *uploadError) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("Invalid upload request: the body must be multipart/form-data (%v).", err)
	}
	form := &uploadForm{values: map[string][]string{}}
	// budget bounds the memory the form's fields take: their values, their
	// names and a fixed cost per part, so that a body of many empty parts
	// cannot cost more than its fields could.
	budget := int64(maxFormBytes)
	parts := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return form, s.bodyError(err)
		}
		name := part.FormName()
		parts++
		budget -= int64(len(name)) + perPartCost
		if parts > maxFormParts || budget < 0 {
			return form, badRequest("Form has too many fields: at most %d parts, %d MiB in all.", maxFormParts, maxFormBytes>>20)
		}
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		filename, isFile := params["filename"]
		switch {
		case name == "content" && isFile:
			if form.content != nil {
				return form, badRequest("Upload payload has more than one file: send one distribution per request.")
			}
			if retiredAction(form.get(":action")) {
				// Answered 410 whatever the file: it is not stored.
				if _, err := io.Copy(io.Discard, part); err != nil {
					return form, s.bodyError(err)
				}
				continue
			}
			if e := checkStoredName(filename); e != nil {
				return form, e
			}
			uf, uerr := s.receiveFile(form, part, filename, r.ContentLength)
			if uf != nil {
				uf.contentType = partContentType(part.Header)
			}
			form.content = uf
			if uerr != nil {
				return form, uerr
			}
		case isFile:
			// Only content (and the ignored gpg_signature) may be files.
			if name != "gpg_signature" {
				form.tuples = append(form.tuples, name)
			}
			if _, err := io.Copy(io.Discard, part); err != nil {
				return form, s.bodyError(err)
			}
		default:
			b, err := io.ReadAll(io.LimitReader(part, budget+1))
			if err != nil {
				return form, s.bodyError(err)
			}
			// Charge the expansion of NUL to "\\x00" (see upload) before
			// it happens.
			budget -= int64(len(b)) + 3*int64(bytes.Count(b, []byte{0}))
			if budget < 0 {
				return form, badRequest("Form fields too large: the fields other than the file may total at most %d MiB.", maxFormBytes>>20)
			}
			if name == "content" {
				continue // a plain field is not a file: "does not have a file"
			}
			if !utf8.ValidString(name) || !utf8.Valid(b) {
				return form, badRequest("Invalid value for %s: it is not valid UTF-8. Send every form field as UTF-8 text.", pyrepr.Str(strings.ToValidUTF8(name, "\uFFFD")))
			}
			if name == "name" && projectNameRE().MatchString(string(b)) && !id.allows(pydist.NormalizeName(string(b))) {
				return form, s.notAllowed(string(b))
			}
			form.add(name, string(b))
		}
	}
	return form, nil
}

func (s *Server) bodyError(err error) *uploadError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &uploadError{http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body too large: the limit is %d bytes.", mbe.Limit)}
	}
	return badRequest("Invalid upload request: malformed multipart body (%v).", err)
}

func retiredAction(a string) bool {
	return a == "submit" || a == "submit_pkg_info" || a == "doc_upload"
}

// receiveFile streams the file part to a temp file, hashing it and enforcing
// the size limit as it goes; it never holds the file in memory.
// The request's Content-Length (when known) bounds the file's size, so that
// a small upload gets buffers of its size class instead of megabytes.
func (s *Server) receiveFile(form *uploadForm, part io.Reader, filename string, requestSize int64) (*uploadedFile, *uploadError) {
	tmp, err := os.CreateTemp(s.store.tmpDir(), "upload-*")
	if err != nil {
		s.log.Error("cannot create temp file", "err", err)
		return nil, storageError(err)
	}
	uf := &uploadedFile{tmpPath: tmp.Name(), filename: filename}
	limit := s.opts.MaxFileSize
	n := receiveChunk
	if requestSize > 0 && requestSize < receiveChunk {
		n = int(requestSize) + 1 // the +1 sees the end of the part in one read
	}
	bufs := &chunkPair{s.bufs.Get(n)[:n], s.bufs.Get(n)[:n]}
	defer func() { s.bufs.Put(bufs[0]); s.bufs.Put(bufs[1]) }()
	got, err := copyHashed(tmp, io.LimitReader(part, limit+1), bufs)
	uf.size = got.size
	if err == nil && got.size > limit {
		tmp.Close()
		return uf, badRequest("File too large. Limit for project %s is %s. See %s for more information.",
			pyrepr.Str(s.projectDisplayName(form.get("name"))), formatLimit(limit), sizeLimitURL)
	}
	// The file is fsynced later, in parallel with staging its record.
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return uf, s.bodyError(err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || !isLocalError(err) {
			return uf, badRequest("Invalid upload request: the file part ended early (%v).", err)
		}
		s.log.Error("cannot write upload", "err", err)
		return uf, storageError(err)
	}
	uf.sha256, uf.blake2 = got.sha256, got.blake2
	return uf, nil
}

// syncFile fsyncs the file at path.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fileMD5 is the hex md5 of the file at path. MD5 is computed only when a
// client sends md5_digest (twine before 6.2 does), so that the common case
// streams through two hashes instead of three.
func fileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hexSum(h), nil
}

// isLocalError reports whether err comes from the file system rather than
// from reading the request.
func isLocalError(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe)
}

// formatLimit writes a size limit as PyPI does ("100 MB" for 100 MiB), or
// exactly when it is not a whole number of MiB.
func formatLimit(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// projectDisplayName is the stored name of a project, or name itself for a
// new project.
func (s *Server) projectDisplayName(name string) string {
	if p := s.store.project(pydist.NormalizeName(name)); p != nil {
		p.mu.RLock()
		defer p.mu.RUnlock()
		return p.name
	}
	return name
}

var (
	projectNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`) })
	hexDigestRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^[A-F0-9]{64}$`) })
	distFileRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)^.+?(\.(tar\.gz|zip|whl))$`) })
)

// upload runs PyPI's checks in PyPI's order and stores the file.
func (s *Server) upload(r *http.Request, id *identity, form *uploadForm) *uploadError {
	// Dispatch on :action (Warehouse routes on it before the upload view).
	a := form.get(":action")
	if e := retiredActionError(a); e != nil {
		return e
	}
	switch a {
	case "file_upload":
	default:
		return &uploadError{http.StatusNotFound, fmt.Sprintf("Unknown :action %s: this endpoint accepts ':action=file_upload'.", pyrepr.Str(a))}
	}
	// sanitize: fields that are files, UNKNOWN values, NUL characters.
	if len(form.tuples) > 0 {
		return badRequest("%s: Should not be a tuple.", form.tuples[0])
	}
	for _, k := range form.order {
		v := form.values[k]
		if len(v) > 0 && strings.TrimSpace(v[len(v)-1]) == "UNKNOWN" {
			delete(form.values, k)
			continue
		}
		for i := range v {
			v[i] = strings.ReplaceAll(v[i], "\x00", `\x00`)
		}
	}
	if pv := form.get("protocol_version"); pv != "" && pv != "1" {
		return badRequest(msgProtocol)
	}
	if e := checkNameLengths(form); e != nil {
		return e
	}
	if e := validateUploadForm(form); e != nil {
		return e
	}
	meta, e := s.checkFormMetadata(form)
	if e != nil {
		return e
	}
	if form.content == nil {
		return badRequest(msgNoFile)
	}
	// Project and permission.
	norm := pydist.NormalizeName(meta.name)
	displayName := s.projectDisplayName(meta.name)
	if !id.allows(norm) {
		return s.notAllowed(meta.name)
	}
	if e := s.pendingRefusal(norm, displayName, id, false); e != nil {
		return e
	}
	if meta.described != nil {
		return meta.described
	}
	uf := form.content
	filetype := form.first("filetype")
	if e := validateFilename(uf.filename, filetype); e != nil {
		return e
	}
	if uf.contentType == "" || strings.HasPrefix(uf.contentType, "image/") {
		return badRequest("Invalid distribution file.")
	}
	// Digests: every one supplied must match.
	if form.first("md5_digest") != "" {
		sum, err := fileMD5(uf.tmpPath)
		if err != nil {
			s.log.Error("cannot read upload", "err", err)
			return &uploadError{http.StatusInternalServerError, "Internal error: cannot read the upload."}
		}
		uf.md5 = sum
	}
	for _, d := range []struct{ field, got string }{
		{"md5_digest", uf.md5}, {"sha256_digest", uf.sha256}, {"blake2_256_digest", uf.blake2},
	} {
		want := strings.ToLower(form.first(d.field))
		if want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(d.got)) != 1 {
			return badRequest(msgDigest)
		}
	}
	rec := &record{
		Filename: uf.filename, Project: meta.name, Normalized: norm, Version: meta.version.String(),
		FileType: filetype, PyVersion: form.first("pyversion"), Size: uf.size,
		SHA256: uf.sha256, Blake2b256: uf.blake2, MD5: uf.md5,
		RequiresPython: meta.requiresPython, Comment: form.first("comment"), Uploader: id.name,
	}
	if rec.FileType == "sdist" && rec.PyVersion == "" {
		rec.PyVersion = "source"
	}
	// Duplicates and the one-sdist rule, checked here in PyPI's order and
	// again under the commit lock.
	if done, e := s.checkExisting(rec); done || e != nil {
		return e
	}
	metaBytes, e := s.checkFile(uf.tmpPath, uf.size, rec, meta, displayName)
	if e != nil {
		return e
	}
	var provenance []byte
	if _, ok := form.values["attestations"]; ok {
		if provenance, e = s.checkAttestations(id, form.get("attestations"), rec); e != nil {
			return e
		}
	}
	if len(metaBytes) > 0 {
		h := sha256.Sum256(metaBytes)
		rec.MetadataSHA256 = hex.EncodeToString(h[:])
		b := blake2b.Sum256(metaBytes)
		rec.MetadataBlake2 = hex.EncodeToString(b[:])
	}
	rec.UploadTime = s.now().UTC()
	rec.Serial = s.store.nextSerial()
	// The content's fsync and the staging of its record (another fsync)
	// overlap: an upload's latency is that of one fsync, not two.
	syncErr := make(chan error, 1)
	go func() { syncErr <- syncFile(uf.tmpPath) }()
	st, err := s.store.stage(metaBytes, rec)
	if err == nil {
		if err = s.store.stageProvenance(st, provenance); err != nil {
			st.remove()
		}
	}
	if serr := <-syncErr; err == nil && serr != nil {
		st.remove()
		err = fmt.Errorf("syncing upload: %w", serr)
	}
	if err != nil {
		s.log.Error("storing upload failed", "file", rec.Filename, "err", err)
		return storageError(err)
	}
	defer st.remove()
	res, e := s.reserve(r.Context(), rec, id, displayName)
	if res == nil {
		return e // nil: an identical file is stored already
	}
	err = s.store.commitFile(uf.tmpPath, st, rec)
	s.store.release(res, err == nil)
	if err != nil {
		s.log.Error("storing upload failed", "file", rec.Filename, "err", err)
		return storageError(err)
	}
	uf.tmpPath = ""
	s.log.InfoContext(r.Context(), "stored upload", "project", rec.Project, "file", rec.Filename, "size", rec.Size, "sha256", rec.SHA256, "token", id.name)
	return nil
}

// reserve checks rec against stored and pending files and reserves it for
// commit. It waits for a pending upload of the same filename, content or
// release sdist to end, then checks again, so that exactly one of
// concurrent uploads wins and the others get PyPI's answer for a stored
// file. A nil reservation with a nil error means an identical file is
// already stored.
func (s *Server) reserve(ctx context.Context, rec *record, id *identity, displayName string) (*reservation, *uploadError) {
	for {
		s.store.commitMu.Lock()
		if other := s.store.conflicting(rec); other != nil {
			s.store.commitMu.Unlock()
			select {
			case <-other.done:
				continue
			case <-ctx.Done():
				return nil, &uploadError{http.StatusServiceUnavailable, "The upload was cancelled while another upload of the same file was being stored; try again."}
			}
		}
		defer s.store.commitMu.Unlock()
		if e := s.pendingRefusal(rec.Normalized, displayName, id, true); e != nil {
			return nil, e
		}
		if done, e := s.checkExisting(rec); done || e != nil {
			return nil, e
		}
		return s.store.reserve(rec), nil
	}
}

// checkExisting applies PyPI's duplicate rules: an identical file (same
// name and digests) is a silent success (done, nil); the same name or the
// same content otherwise is "File already exists"; a second sdist for a
// release is refused.
func (s *Server) checkExisting(rec *record) (done bool, e *uploadError) {
	if old := s.store.existing(rec.Normalized, rec.Filename, rec.Blake2b256); old != nil {
		if old.Filename == rec.Filename && old.SHA256 == rec.SHA256 && old.Blake2b256 == rec.Blake2b256 {
			return true, nil
		}
		return false, badRequest("File already exists (%s, with blake2_256 hash %s). See %s#file-name-reuse for more information.",
			pyrepr.Str(rec.Filename), pyrepr.Str(rec.Blake2b256), helpURL)
	}
	if window := s.opts.ReleaseUploadWindow; window > 0 {
		if created, ok := s.store.releaseCreated(rec.Normalized, releaseKey(rec.Version)); ok && s.now().Sub(created) > window {
			return false, badRequest("Uploading new files to releases older than %s is not allowed.", formatWindow(window))
		}
	}
	if rec.FileType == "sdist" && s.store.hasSdist(rec.Normalized, releaseKey(rec.Version)) {
		return false, badRequest(msgOneSdist)
	}
	return false, nil
}

// formatWindow writes the release upload window as PyPI does ("14 days").
func formatWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if d == 24*time.Hour {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
