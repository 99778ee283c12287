package index

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestJSONFileEncoding holds jsonFile.appendJSON to json.Marshal, for
// every field of jsonFile (set through reflection, so that a field added
// to jsonFile but not to appendJSON fails here) and for strings that need
// escaping.
func TestJSONFileEncoding(t *testing.T) {
	for _, str := range []string{
		"plain-1.0-py3-none-any.whl", `quote"back\slash`, "<script>&amp;", "ctrl\x01\x1f\t\n", "ünïcödé ✓",
		"\u2028\u2029", "bad utf-8 \xff\xfe", "", "../../files/a%20b/c",
	} {
		for _, null := range []bool{true, false} {
			var jf jsonFile
			fill(t, reflect.ValueOf(&jf).Elem(), str, null)
			want, err := json.Marshal(jf)
			if err != nil {
				t.Fatal(err)
			}
			if got := jf.appendJSON(nil); string(got) != string(want) {
				t.Errorf("appendJSON for %q (null %v):\n got %s\nwant %s", str, null, got, want)
			}
		}
	}
}

// fill sets every field of v (recursively) from s; pointers are nil when
// null.
func fill(t *testing.T, v reflect.Value, s string, null bool) {
	if v.Type() == reflect.TypeFor[coreMetadata]() {
		// A digest, or none: its MarshalJSON writes it unescaped.
		if !null {
			v.SetString(sha256Hex([]byte(s)))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int64, reflect.Int:
		v.SetInt(int64(len(s)) * 1_000_003)
	case reflect.Bool:
		v.SetBool(!null)
	case reflect.Pointer:
		if !null {
			v.Set(reflect.New(v.Type().Elem()))
			fill(t, v.Elem(), s, null)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), s, null)
		}
	default:
		t.Fatalf("jsonFile has a field of kind %s: teach fill and appendJSON about it", v.Kind())
	}
}

// TestBigPageSegments renders the page of a project with thousands of
// files in both formats, compressed and not, then adds files (at the start,
// in the middle, at the end) and renders again: every time the gzip body
// must decompress (with Go and with Python's zlib, as pip reads it) to
// the identity body, the JSON must parse and list every file in order, and
// the ETag must change with the content and only with it.
func TestBigPageSegments(t *testing.T) {
	srv := benchServerT(t, 3000)
	fetch := func(accept, enc string) ([]byte, string) {
		req := httptest.NewRequest("GET", "/simple/big/", nil)
		req.Header.Set("Accept", accept)
		req.Header.Set("Accept-Encoding", enc)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		return w.Body.Bytes(), w.Header().Get("ETag")
	}
	p := srv.store.project("big")
	etags := map[string]bool{}
	check := func(step string, files int) {
		for _, accept := range []string{MediaTypeJSON, "text/html"} {
			plain, etag := fetch(accept, "")
			gz, gzEtag := fetch(accept, "gzip")
			if etags[etag] {
				t.Errorf("%s %s: ETag %s seen before with other content", step, accept, etag)
			}
			etags[etag] = true
			if gzEtag != strings.TrimSuffix(etag, `"`)+`-gzip"` {
				t.Errorf("%s %s: gzip ETag %s for %s", step, accept, gzEtag, etag)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatalf("%s %s: %v", step, accept, err)
			}
			zr.Multistream(false)
			un, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(un, plain) {
				t.Fatalf("%s %s: gzip body decodes to %d bytes (%v), identity is %d", step, accept, len(un), err, len(plain))
			}
			if py, err := exec.LookPath("python3"); err == nil {
				cmd := exec.Command(py, "-c", "import sys, zlib; d = zlib.decompressobj(16 + zlib.MAX_WBITS); sys.stdout.buffer.write(d.decompress(sys.stdin.buffer.read())); assert d.eof")
				cmd.Stdin = bytes.NewReader(gz)
				out, err := cmd.Output()
				if err != nil || !bytes.Equal(out, plain) {
					t.Fatalf("%s %s: Python's zlib decodes %d bytes (%v), identity is %d", step, accept, len(out), err, len(plain))
				}
			}
			if accept == MediaTypeJSON {
				var pj projectJSON
				if err := json.Unmarshal(plain, &pj); err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				if len(pj.Files) != files {
					t.Fatalf("%s: %d files listed, want %d", step, len(pj.Files), files)
				}
				// Versions in first-upload order, ties by version.
				first := map[string]time.Time{}
				p.mu.RLock()
				for _, r := range p.files {
					if t, ok := first[r.Version]; !ok || r.UploadTime.Before(t) {
						first[r.Version] = r.UploadTime
					}
				}
				p.mu.RUnlock()
				var want []string
				for v := range first {
					want = append(want, v)
				}
				sort.Slice(want, func(i, j int) bool {
					if !first[want[i]].Equal(first[want[j]]) {
						return first[want[i]].Before(first[want[j]])
					}
					return want[i] < want[j]
				})
				if strings.Join(pj.Versions, " ") != strings.Join(want, " ") {
					t.Errorf("%s: versions %v, want %v", step, pj.Versions, want)
				}
				for i := 1; i < len(pj.Files); i++ {
					if pj.Files[i-1].Filename >= pj.Files[i].Filename {
						t.Fatalf("%s: files out of order at %d", step, i)
					}
				}
			} else if n := strings.Count(string(plain), "<a href="); n != files {
				t.Fatalf("%s: %d links, want %d", step, n, files)
			}
		}
		// The same content again: the same ETag.
		if _, etag := fetch(MediaTypeJSON, ""); !etags[etag] {
			t.Errorf("%s: the ETag changed without a change", step)
		}
	}
	check("first", 3000)
	if n := len(p.segs[formatJSON]); n < 3 {
		t.Fatalf("a page of 3000 files in %d segments", n)
	}
	before := p.segs[formatJSON]
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // fillProject's first upload
	add := func(fn, version string, at time.Time) {
		srv.store.add(&record{Filename: fn, Project: "big", Normalized: "big", Version: version, FileType: "bdist_wheel",
			Size: 1, SHA256: sha256Hex([]byte(fn)), Blake2b256: blake2Hex([]byte(fn)), UploadTime: at})
	}
	add("big-5.0.0-py3-none-any.whl", "9.9", time.Now().UTC()) // in the middle, a new version
	check("middle", 3001)
	reused := 0
	for first, sg := range p.segs[formatJSON] {
		if before[first] == sg {
			reused++
		}
	}
	if reused < len(before)-2 {
		t.Errorf("after one upload, %d of %d segments were reused", reused, len(before))
	}
	add("aaa-0.1-py3-none-any.whl", "0.0.1", t0) // first, a version as old as the oldest
	check("first file", 3002)
	add("zzz-0.1-py3-none-any.whl", "9.9", time.Now().UTC()) // last, an existing version
	check("last file", 3003)
	add("zzz-0.2-py3-none-any.whl", "10.0", t0.Add(-time.Hour)) // the oldest upload of all
	check("oldest", 3004)
}

// benchServerT is benchServer for a test.
func benchServerT(t *testing.T, n int) *Server {
	ti := newTestIndex(t, nil)
	fillProject(ti.srv, "big", n)
	return ti.srv
}
