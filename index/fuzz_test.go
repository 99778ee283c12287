package index

import (
	"bytes"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"
)

// FuzzLoadConfig: any configuration text either parses into consistent
// options or fails with an error naming the file; it never panics.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(fullConfig))
	f.Add([]byte("max_file_size = \"1GiB\"\n[[tokens]]\nname = \"a\"\ntoken = \"t\"\n"))
	f.Add([]byte("[[tokens]]\nname = \"a\"\ntoken_file = \"t.token\"\nprojects = [\"x\"]\n"))
	f.Add([]byte("[[publishers.gitlab]]\nproject = \"p\"\nnamespace = \"n\"\nrepository = \"r\"\nworkflow_filepath = \"ci.yml\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		readFile := func(p string) ([]byte, error) {
			if filepath.Base(p) == "t.token" {
				return []byte("pypi-file-token"), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		opts, err := ParseConfig("fuzz.toml", data, readFile)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if opts.MaxFileSize < 0 {
			t.Fatalf("negative MaxFileSize %d", opts.MaxFileSize)
		}
		for _, tok := range opts.Tokens {
			if tok.Name == "" || tok.Token.IsZero() || strings.ContainsAny(tok.Token.Reveal(), " \t\r\n") {
				t.Fatalf("invalid token accepted: %q", tok.Name)
			}
		}
	})
}

// FuzzUploadFilename sends a real wheel under fuzzed filenames and form
// values: the index never fails with a 5xx, and whatever it accepts is
// stored inside its project directory under the exact name given.
func FuzzUploadFilename(f *testing.F) {
	dir := f.TempDir()
	whl, err := os.ReadFile(disttest.BuildWheel(f, f.TempDir(), "fuzz", "1.0", disttest.Options{}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("fuzz-1.0-py3-none-any.whl", "fuzz", "1.0", "bdist_wheel")
	f.Add("../fuzz-1.0-py3-none-any.whl", "fuzz", "1.0", "bdist_wheel")
	f.Add("fuzz-1.0.tar.gz", "fuzz", "1.0", "sdist")
	f.Add("fuzz-1.0-py3-none-any.whl.json", "fuzz", "1.0", "bdist_wheel")
	f.Add(".lock", "x", "1", "sdist")
	f.Fuzz(func(t *testing.T, filename, name, version, filetype string) {
		data := filepath.Join(dir, "data")
		srv, err := New(Options{DataDir: data, Tokens: []APIToken{{Name: "all", Token: secret.New(tokAll)}}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		u := &uploadReq{
			fields: []field{{"name", name}, {"version", version}, {"metadata_version", "2.1"}, {"filetype", filetype},
				{"pyversion", "py3"}, {"sha256_digest", sha256Hex(whl)}, {":action", "file_upload"}},
			filename: filename, content: whl, contentType: "application/octet-stream", auth: basic("__token__", tokAll),
		}
		ct, body := u.body()
		req := httptest.NewRequest("POST", "/legacy/", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", u.auth)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if w.Code == http.StatusOK {
			if strings.ContainsAny(filename, "/\\") {
				t.Fatalf("accepted %q", filename)
			}
			p := srv.store.project(normalizeForTest(name))
			if p == nil || p.find(filename) == nil {
				t.Fatalf("accepted %q but not indexed", filename)
			}
			if _, err := os.Stat(filepath.Join(data, "projects", p.normalized, filename)); err != nil {
				t.Fatalf("accepted %q but not stored: %v", filename, err)
			}
		}
	})
}

// FuzzNegotiate: any Accept header yields one of the offered types or 406.
func FuzzNegotiate(f *testing.F) {
	f.Add("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01")
	f.Add("*/*;q=0")
	f.Add("text/html;q=0.5;level=1, */*;q=0.1")
	f.Fuzz(func(t *testing.T, accept string) {
		mt, ok := negotiate(accept)
		if ok != (mt != "") {
			t.Fatalf("negotiate(%q) = %q, %v", accept, mt, ok)
		}
		if ok && mt != MediaTypeJSON && mt != MediaTypeHTML && mt != MediaTypeText {
			t.Fatalf("negotiate(%q) = %q", accept, mt)
		}
	})
}
