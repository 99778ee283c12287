package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"

	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// canaryToken is the token every test uses: no output may ever contain it.
const canaryToken = "pypi-CANARY-d6f1a0c2e9b84c7f"

// testMetadata is the core metadata written into test distributions:
// single-use and multi-use fields, a body description.
func testMetadata(name, version string) string {
	return fmt.Sprintf(`Metadata-Version: 2.4
Name: %s
Version: %s
Summary: A test distribution for trustpub
Author-email: Test Author <author@example.org>
License-Expression: MIT
Keywords: upload,test
Project-URL: Homepage, https://example.org/%s
Project-URL: Source, https://example.org/%s/src
Classifier: Programming Language :: Python :: 3
Classifier: License :: OSI Approved :: MIT License
Requires-Python: >=3.9
Requires-Dist: requests>=2
Requires-Dist: idna; extra == "extra"
Provides-Extra: extra
Description-Content-Type: text/markdown

# %s

A description with *markdown*.
`, name, version, name, name, name)
}

// buildWheel builds a real wheel (pydist/disttest) with testMetadata and
// payload pseudo-random bytes into dir and returns its path.
func buildWheel(t testing.TB, dir, name, version string, payload int64) string {
	t.Helper()
	return buildWheelTag(t, dir, name, version, "py3", payload)
}

// buildWheelTag is buildWheel with the python tag given. Each build has its
// own payload bytes (a fresh seed), so two builds of one name differ.
func buildWheelTag(t testing.TB, dir, name, version, pytag string, payload int64) string {
	t.Helper()
	return disttest.BuildWheel(t, dir, name, version, disttest.Options{
		PythonTag: pytag, Metadata: []byte(testMetadata(name, version)), PayloadSize: payload, Seed: mrand.Uint64(),
	})
}

// buildSdist builds a real sdist (pydist/disttest) with testMetadata into
// dir and returns its path.
func buildSdist(t testing.TB, dir, name, version string) string {
	t.Helper()
	return disttest.BuildSdist(t, dir, name, version, disttest.Options{Metadata: []byte(testMetadata(name, version))})
}

// openDist opens a built file with the dist package, as the CLI does.
func openDist(t testing.TB, path string) *pydist.File {
	t.Helper()
	f, err := pydist.Open(path)
	if err != nil {
		t.Fatalf("dist.Open(%s): %v", path, err)
	}
	return f
}

// release builds n wheels (different python tags) and one sdist of
// name==version, opened.
func release(t testing.TB, dir, name, version string, wheels int) []*pydist.File {
	t.Helper()
	var out []*pydist.File
	out = append(out, openDist(t, buildSdist(t, dir, name, version)))
	for i := range wheels {
		tag := "py3"
		if i > 0 {
			tag = fmt.Sprintf("cp3%d", 9+i) // each wheel distinct
		}
		out = append(out, openDist(t, buildWheelTag(t, dir, name, version, tag, 0)))
	}
	return out
}

// storedFile is a file the fake index accepted.
type storedFile struct {
	name, project, version string
	sha256, blake          string
	size                   int64
	fields                 map[string][]string
	order                  []string // part names in body order
}

// fakePyPI is a PyPI-like legacy upload endpoint and PEP 691 simple API,
// checking every field and both digests the way Warehouse does, and
// answering errors with the message in the status line.
type fakePyPI struct {
	t     testing.TB
	token string
	// strictDuplicates answers even an identical re-upload with 400 "File
	// already exists" (as some non-PyPI indexes do), instead of 200.
	strictDuplicates bool
	// hideSHA omits sha256 from the simple API.
	hideSHA bool

	mu       sync.Mutex
	files    map[string]*storedFile // by filename
	posts    int                    // upload POSTs received
	inFlight int
	maxConc  int
	log      []string // "name" per accepted upload, in order of arrival
}

func newFakePyPI(t testing.TB) *fakePyPI {
	return &fakePyPI{t: t, token: canaryToken, files: map[string]*storedFile{}}
}

func (p *fakePyPI) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.files)
}

func (p *fakePyPI) postCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.posts
}

func (p *fakePyPI) file(name string) *storedFile {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.files[name]
}

// seed puts a file on the index directly (e.g. a different build).
func (p *fakePyPI) seed(name, project, version string, content []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := sha256.Sum256(content)
	b := blake2b.Sum256(content)
	p.files[name] = &storedFile{name: name, project: pydist.NormalizeName(project), version: version, sha256: hex.EncodeToString(s[:]), blake: hex.EncodeToString(b[:]), size: int64(len(content))}
}

// writeStatus answers with a custom reason phrase, as Warehouse does (Go's
// server always writes the standard phrase, so the response is written on
// the hijacked connection).
func writeStatus(w http.ResponseWriter, code int, reason, body string, headers ...string) {
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		http.Error(w, reason, code)
		return
	}
	defer conn.Close()
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", code, reason)
	for _, h := range headers {
		fmt.Fprintf(bw, "%s\r\n", h)
	}
	fmt.Fprintf(bw, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	bw.Flush()
}

var (
	hexDigest = regexp.MustCompile(`^[A-Fa-f0-9]{64}$`)
	validName = regexp.MustCompile(`(?i)^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`)
)

func (p *fakePyPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/simple/"):
		p.serveSimple(w, r)
	case r.URL.Path == "/legacy":
		io.Copy(io.Discard, r.Body)
		writeStatus(w, http.StatusPermanentRedirect, "An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)", "", "Location: /legacy/")
	case r.Method == http.MethodPost && r.URL.Path == "/legacy/":
		p.serveUpload(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *fakePyPI) serveSimple(w http.ResponseWriter, r *http.Request) {
	project := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
	p.mu.Lock()
	defer p.mu.Unlock()
	type jf struct {
		Filename string            `json:"filename"`
		URL      string            `json:"url"`
		Hashes   map[string]string `json:"hashes"`
	}
	var files []jf
	versions := map[string]bool{}
	for _, f := range p.files {
		if f.project != project {
			continue
		}
		h := map[string]string{}
		if !p.hideSHA {
			h["sha256"] = f.sha256
		}
		files = append(files, jf{f.name, "../../files/" + f.name, h})
		versions[f.version] = true
	}
	if len(files) == 0 {
		http.NotFound(w, r)
		return
	}
	var vs []string
	for v := range versions {
		vs = append(vs, v)
	}
	w.Header().Set("Content-Type", simpleJSON)
	json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": project, "files": files, "versions": vs})
}

func (p *fakePyPI) serveUpload(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.posts++
	p.inFlight++
	p.maxConc = max(p.maxConc, p.inFlight)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()
	fail := func(code int, msg string) {
		io.Copy(io.Discard, r.Body) // Warehouse reads the whole form first
		writeStatus(w, code, msg, msg+"\n")
	}

	user, pass, ok := r.BasicAuth()
	switch {
	case !ok:
		fail(403, "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.")
		return
	case user != "__token__":
		fail(403, "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead.")
		return
	case pass != p.token:
		fail(403, "Invalid API Token: InvalidMacaroonError('Macaroon not found')")
		return
	}
	if r.ContentLength <= 0 || len(r.TransferEncoding) > 0 {
		fail(400, fmt.Sprintf("test index requires Content-Length, got %d %v", r.ContentLength, r.TransferEncoding))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		fail(400, "Invalid content type "+mt)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		fail(400, "bad multipart: "+err.Error())
		return
	}
	st := &storedFile{fields: map[string][]string{}}
	var gotContent bool
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(400, "bad multipart: "+err.Error())
			return
		}
		name := part.FormName()
		st.order = append(st.order, name)
		if name == "content" {
			if gotContent {
				fail(400, "content: Should not be a tuple.")
				return
			}
			gotContent = true
			st.name = part.FileName()
			if ct := part.Header.Get("Content-Type"); ct == "" || strings.HasPrefix(ct, "image/") {
				fail(400, "Invalid distribution file.")
				return
			}
			sh, _ := blake2b.New256(nil)
			s2 := sha256.New()
			n, err := io.Copy(io.MultiWriter(sh, s2), part)
			if err != nil {
				fail(400, "reading content: "+err.Error())
				return
			}
			st.size, st.sha256, st.blake = n, hex.EncodeToString(s2.Sum(nil)), hex.EncodeToString(sh.Sum(nil))
			continue
		}
		if part.FileName() != "" {
			fail(400, name+": Should not be a tuple.")
			return
		}
		b, err := io.ReadAll(io.LimitReader(part, 1<<20))
		if err != nil {
			fail(400, "reading field: "+err.Error())
			return
		}
		st.fields[name] = append(st.fields[name], string(b))
	}
	one := func(k string) string {
		if v := st.fields[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for k, v := range st.fields {
		switch k {
		case "classifiers", "requires_dist", "project_urls", "provides_extra", "platform", "license_file", "dynamic", "supported_platform", "requires_external", "provides_dist", "obsoletes_dist":
		default:
			if len(v) > 1 {
				fail(400, fmt.Sprintf("'%s' has invalid data", k))
				return
			}
		}
	}
	switch {
	case one(":action") != "file_upload":
		fail(400, "Invalid value for :action")
	case one("protocol_version") != "1":
		fail(400, "Unknown protocol version.")
	case !gotContent:
		fail(400, "Upload payload does not have a file.")
	case !map[string]bool{"1.0": true, "1.1": true, "1.2": true, "2.1": true, "2.2": true, "2.3": true, "2.4": true, "2.5": true}[one("metadata_version")]:
		fail(400, "'"+one("metadata_version")+"' is an invalid value for Metadata-Version. Error: Use a known metadata version.")
	case !validName.MatchString(one("name")):
		fail(400, "'"+one("name")+"' is an invalid value for Name.")
	case one("version") == "":
		fail(400, "'' is an invalid value for Version.")
	case one("filetype") != "sdist" && one("filetype") != "bdist_wheel":
		fail(400, "Use a known file type.")
	case one("filetype") == "sdist" && one("pyversion") != "source":
		fail(400, "Use 'source' as Python version for an sdist.")
	case one("filetype") == "bdist_wheel" && one("pyversion") == "":
		fail(400, "Python version is required for binary distribution uploads.")
	case one("sha256_digest") == "" && one("blake2_256_digest") == "":
		fail(400, "Include at least one message digest.")
	case !hexDigest.MatchString(one("sha256_digest")):
		fail(400, "Use a valid, hex-encoded, SHA256 message digest.")
	case !hexDigest.MatchString(one("blake2_256_digest")):
		fail(400, "Use a valid, hex-encoded, BLAKE2 message digest.")
	case strings.ToLower(one("sha256_digest")) != st.sha256 || strings.ToLower(one("blake2_256_digest")) != st.blake:
		fail(400, "The digest supplied does not match a digest calculated from the uploaded file.")
	case one("filetype") == "sdist" && !strings.HasSuffix(st.name, ".tar.gz"), one("filetype") == "bdist_wheel" && !strings.HasSuffix(st.name, ".whl"):
		fail(400, "Invalid file extension: Extension is invalid for filetype "+one("filetype")+".")
	default:
		st.project, st.version = pydist.NormalizeName(one("name")), one("version")
		p.mu.Lock()
		old := p.files[st.name]
		exists := old != nil && (old.sha256 != st.sha256 || old.blake != st.blake || p.strictDuplicates)
		if old == nil {
			p.files[st.name] = st
			p.log = append(p.log, st.name)
		}
		p.mu.Unlock()
		if exists {
			fail(400, fmt.Sprintf("File already exists ('%s', with blake2_256 hash '%s'). See https://pypi.org/help/#file-name-reuse for more information.", st.name, st.blake))
			return
		}
		// New file, or an identical re-upload: accepted (stored once).
		w.WriteHeader(http.StatusOK)
	}
}

// recObserver records events.
type recObserver struct {
	mu       sync.Mutex
	started  []string
	done     []FileReport
	retries  []string
	progress map[string]int64 // last sent per file
	total    map[string]int64
}

func (o *recObserver) FileStarted(f *pydist.File) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, distName(f))
}

func (o *recObserver) Progress(f *pydist.File, sent, total int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.progress == nil {
		o.progress, o.total = map[string]int64{}, map[string]int64{}
	}
	o.progress[distName(f)], o.total[distName(f)] = sent, total
}

func (o *recObserver) Retrying(f *pydist.File, attempt int, err error, delay time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries = append(o.retries, fmt.Sprintf("%s#%d after %s: %v", distName(f), attempt, delay, err))
}

func (o *recObserver) FileDone(r FileReport) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done = append(o.done, r)
}

// sleepRecorder replaces Client.Sleep: records delays, returns at once.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = append(s.delays, d)
	return nil
}

func (s *sleepRecorder) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// testClient returns a client for url with the canary token, instant
// sleeps and a debug logger into logs.
func testClient(url string) (*Client, *sleepRecorder, *testutil.Buffer) {
	sr := &sleepRecorder{}
	logs := &testutil.Buffer{}
	c := &Client{
		URL:          url,
		Credentials:  StaticCredentials(TokenCredentials(secret.New(canaryToken))),
		Sleep:        sr.sleep,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		StallTimeout: 30 * time.Second,
		Rand:         func() float64 { return 0.5 },
	}
	return c, sr, logs
}
