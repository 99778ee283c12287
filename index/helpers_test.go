package index

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"

	"github.com/trustpub/trustpub/internal/testutil"
)

// Test tokens. They are test values, not credentials.
const (
	tokAll    = "pypi-test-token-any-project"
	tokScoped = "pypi-test-token-scoped"
)

type testIndex struct {
	srv  *Server
	http *httptest.Server
	dir  string
	logs *testutil.Buffer
	url  string
}

// newTestIndex starts a Server over a fresh data dir on a loopback
// httptest server. mod may adjust the options.
func newTestIndex(t testing.TB, mod func(*Options)) *testIndex {
	t.Helper()
	dir := t.TempDir()
	return newTestIndexAt(t, dir, mod)
}

func newTestIndexAt(t testing.TB, dir string, mod func(*Options)) *testIndex {
	t.Helper()
	logs := &testutil.Buffer{}
	opts := Options{
		DataDir: dir,
		Tokens: []APIToken{
			{Name: "all", Token: secret.New(tokAll)},
			{Name: "scoped", Token: secret.New(tokScoped), Projects: []string{"Scoped_Proj"}},
		},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv)
	ti := &testIndex{srv: srv, http: hs, dir: dir, logs: logs, url: hs.URL}
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
		if strings.Contains(logs.String(), tokAll) || strings.Contains(logs.String(), tokScoped) {
			t.Errorf("a token appeared in the logs:\n%s", logs.String())
		}
	})
	return ti
}

// crash stops the index as a crash would leave its data directory: the
// Server's lock is released, but the catalog is not marked current, so the
// next start rebuilds it from the record files (what a crash leaves behind
// is what that start must handle).
func (ti *testIndex) crash() {
	ti.http.Close()
	ti.srv.Close()
	os.Remove(filepath.Join(ti.dir, cleanFile))
}

// mint exchanges an OIDC token at the index for an upload token
// (trusted publishing's mint-token), failing the test unless it gets one.
func (ti *testIndex) mint(t testing.TB, jwt string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"token": jwt})
	resp, err := http.Post(ti.url+"/_/oidc/mint-token", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 || out.Token == "" {
		t.Fatalf("mint-token: %d", resp.StatusCode)
	}
	return out.Token
}

// stop stops the index cleanly.
func (ti *testIndex) stop() {
	ti.http.Close()
	ti.srv.Close()
}

// dfile is a distribution built for a test, with the form that uploads it.
type dfile struct {
	name, version string
	filename      string
	data          []byte
	filetype      string
	pyversion     string
}

func wheel(t testing.TB, name, version string, o disttest.Options) dfile {
	t.Helper()
	return readDist(t, disttest.BuildWheel(t, t.TempDir(), name, version, o), name, version, "bdist_wheel", "py3")
}

func sdist(t testing.TB, name, version string, o disttest.Options) dfile {
	t.Helper()
	return readDist(t, disttest.BuildSdist(t, t.TempDir(), name, version, o), name, version, "sdist", "source")
}

// readDist reads the distribution file at p, to be uploaded with the
// filetype and pyversion fields given.
func readDist(t testing.TB, p, name, version, filetype, pyversion string) dfile {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return dfile{name: name, version: version, filename: filepath.Base(p), data: b, filetype: filetype, pyversion: pyversion}
}

func sha256Hex(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
func blake2Hex(b []byte) string { h := blake2b.Sum256(b); return hex.EncodeToString(h[:]) }

// field is one multipart form field.
type field struct{ name, value string }

// uploadReq is an upload request under construction.
type uploadReq struct {
	fields      []field
	filename    string
	content     []byte
	noContent   bool
	contentType string
	auth        string // full Authorization header; "" for none
	disposition string // raw Content-Disposition of the file part, if set
	extraParts  func(*multipart.Writer)
}

// form returns the fields twine would send for f.
func (f dfile) form() []field {
	return []field{
		{"name", f.name}, {"version", f.version}, {"metadata_version", "2.4"},
		{"summary", "Test distribution " + f.name},
		{"filetype", f.filetype}, {"pyversion", f.pyversion},
		{"sha256_digest", sha256Hex(f.data)}, {"blake2_256_digest", blake2Hex(f.data)},
		{":action", "file_upload"}, {"protocol_version", "1"},
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// req returns the standard authenticated upload of f.
func (f dfile) req() *uploadReq {
	return &uploadReq{fields: f.form(), filename: f.filename, content: f.data, contentType: "application/octet-stream", auth: basic("__token__", tokAll)}
}

// set replaces (or with value "" removes) a field.
func (u *uploadReq) set(name, value string) *uploadReq {
	var out []field
	for _, f := range u.fields {
		if f.name != name {
			out = append(out, f)
		}
	}
	if value != "" {
		out = append(out, field{name, value})
	}
	u.fields = out
	return u
}

func (u *uploadReq) body() (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range u.fields {
		mw.WriteField(f.name, f.value)
	}
	if u.extraParts != nil {
		u.extraParts(mw)
	}
	if !u.noContent {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="content"; filename="%s"`, strings.ReplaceAll(u.filename, `"`, `\"`)))
		if u.disposition != "" {
			h.Set("Content-Disposition", u.disposition)
		}
		if u.contentType != "" {
			h.Set("Content-Type", u.contentType)
		}
		pw, _ := mw.CreatePart(h)
		pw.Write(u.content)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// send posts the upload to url and returns the status code and body.
func (u *uploadReq) send(t testing.TB, url string) (int, string, http.Header) {
	t.Helper()
	code, body, h, err := u.trySend(url)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	return code, body, h
}

// trySend is send for goroutines other than the test's.
func (u *uploadReq) trySend(url string) (int, string, http.Header, error) {
	ct, b := u.body()
	r, err := http.NewRequest("POST", url, bytes.NewReader(b))
	if err != nil {
		return 0, "", nil, err
	}
	r.Header.Set("Content-Type", ct)
	if u.auth != "" {
		r.Header.Set("Authorization", u.auth)
	}
	resp, err := noRedirect.Do(r)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header, err
}

// noRedirect is the tests' client: it shows redirects instead of following
// them, and bounds every request in time.
var noRedirect = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// mustUpload uploads f and fails unless the index answers 200.
func (ti *testIndex) mustUpload(t testing.TB, f dfile) {
	t.Helper()
	code, body, _ := f.req().send(t, ti.url+"/legacy/")
	if code != 200 {
		t.Fatalf("upload %s: %d %s", f.filename, code, body)
	}
}

func get(t testing.TB, url, accept string) (*http.Response, []byte) {
	t.Helper()
	r, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	resp, err := noRedirect.Do(r)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func md5Hex(b []byte) string { h := md5.Sum(b); return hex.EncodeToString(h[:]) }

func secretOf(s string) secret.String { return secret.New(s) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func normalizeForTest(name string) string { return pydist.NormalizeName(name) }
