package index

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept string
		want   string // "" means 406
	}{
		{"", MediaTypeText},
		{"*/*", MediaTypeText},
		{"text/html", MediaTypeText},
		{"application/vnd.pypi.simple.v1+json", MediaTypeJSON},
		{"application/vnd.pypi.simple.v1+html", MediaTypeHTML},
		{"application/vnd.pypi.simple.latest+json", MediaTypeJSON},
		{"application/vnd.pypi.simple.latest+html", MediaTypeHTML},
		// pip's header
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", MediaTypeJSON},
		// uv's header
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01", MediaTypeJSON},
		{"text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.9", MediaTypeJSON},
		{"application/*;q=0.8, text/html;q=0.9", MediaTypeText},
		{"application/*", MediaTypeHTML}, // v1+html is offered before v1+json
		{"*/*;q=0.1, application/vnd.pypi.simple.v1+json;q=0", MediaTypeText},
		{"application/vnd.pypi.simple.v1+json;q=0, */*", MediaTypeText},
		{"text/html;q=0", ""},
		{"application/json", ""},
		{"image/png, text/plain", ""},
		{"application/vnd.pypi.simple.v2+json", ""},
		{"text/html;q=abc", ""},
		{"garbage;;;", ""},
	}
	for _, tc := range tests {
		got, ok := negotiate(tc.accept)
		if tc.want == "" {
			if ok {
				t.Errorf("negotiate(%q) = %q, want not acceptable", tc.accept, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("negotiate(%q) = %q, %v; want %q", tc.accept, got, ok, tc.want)
		}
	}
}

type projectJSON struct {
	Meta     map[string]any `json:"meta"`
	Name     string         `json:"name"`
	Versions []string       `json:"versions"`
	Files    []struct {
		Filename         string            `json:"filename"`
		URL              string            `json:"url"`
		Hashes           map[string]string `json:"hashes"`
		RequiresPython   *string           `json:"requires-python"`
		CoreMetadata     any               `json:"core-metadata"`
		DistInfoMetadata any               `json:"dist-info-metadata"`
		Size             int64             `json:"size"`
		UploadTime       string            `json:"upload-time"`
		Yanked           bool              `json:"yanked"`
	} `json:"files"`
}

func TestSimpleProjectPage(t *testing.T) {
	clock := time.Date(2026, 3, 4, 5, 6, 7, 890123000, time.UTC)
	ti := newTestIndex(t, func(o *Options) { o.Now = func() time.Time { return clock } })
	rp := disttest.Options{Fields: []disttest.Field{{Name: "Requires-Python", Value: ">=3.8, <4"}}}
	w1 := wheel(t, "Demo.Pkg", "1.0", rp)
	s1 := sdist(t, "Demo.Pkg", "1.0", rp)
	w2 := wheel(t, "Demo.Pkg", "2.0rc1", disttest.Options{})
	for _, f := range []dfile{w1, s1} {
		code, body, _ := f.req().set("requires_python", ">=3.8, <4").send(t, ti.url+"/legacy/")
		if code != 200 {
			t.Fatalf("upload: %d %s", code, body)
		}
	}
	clock = clock.Add(time.Hour)
	ti.mustUpload(t, w2)
	files := map[string]dfile{w1.filename: w1, s1.filename: s1, w2.filename: w2}
	pageURL := ti.url + "/simple/demo-pkg/"

	t.Run("json", func(t *testing.T) {
		resp, body := get(t, pageURL, MediaTypeJSON)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != MediaTypeJSON {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept") {
			t.Errorf("Vary = %q, want Accept", resp.Header.Get("Vary"))
		}
		var pj projectJSON
		if err := json.Unmarshal(body, &pj); err != nil {
			t.Fatal(err)
		}
		if pj.Meta["api-version"] != "1.1" || pj.Name != "demo-pkg" { // PEP 691: the normalized name
			t.Errorf("meta %v name %q", pj.Meta, pj.Name)
		}
		if strings.Join(pj.Versions, ",") != "1.0,2.0rc1" {
			t.Errorf("versions = %v", pj.Versions)
		}
		if len(pj.Files) != 3 {
			t.Fatalf("%d files, want 3", len(pj.Files))
		}
		for _, f := range pj.Files {
			want, ok := files[f.Filename]
			if !ok {
				t.Fatalf("unexpected file %q", f.Filename)
			}
			if f.Hashes["sha256"] != sha256Hex(want.data) || f.Size != int64(len(want.data)) {
				t.Errorf("%s: hashes %v size %d", f.Filename, f.Hashes, f.Size)
			}
			wantTime := "2026-03-04T05:06:07.890123Z"
			if f.Filename == w2.filename {
				wantTime = "2026-03-04T06:06:07.890123Z"
			}
			if f.UploadTime != wantTime {
				t.Errorf("%s: upload-time %q, want %q", f.Filename, f.UploadTime, wantTime)
			}
			if f.Filename == w2.filename {
				if f.RequiresPython != nil {
					t.Errorf("requires-python = %q, want null", *f.RequiresPython)
				}
			} else if f.RequiresPython == nil || *f.RequiresPython != "<4,>=3.8" { // stored canonical, as PyPI stores str(SpecifierSet)
				t.Errorf("%s: requires-python %v", f.Filename, f.RequiresPython)
			}
			// The URL resolves against the page and serves the exact bytes.
			u := resolve(t, pageURL, f.URL)
			fresp, fbody := get(t, u, "")
			if fresp.StatusCode != 200 || string(fbody) != string(want.data) {
				t.Fatalf("GET %s: %d, %d bytes", u, fresp.StatusCode, len(fbody))
			}
			if want.filetype == "sdist" {
				if f.CoreMetadata != false {
					t.Errorf("sdist core-metadata = %v, want false", f.CoreMetadata)
				}
				if r, _ := get(t, u+".metadata", ""); r.StatusCode != 404 {
					t.Errorf("sdist .metadata: %d, want 404", r.StatusCode)
				}
				continue
			}
			// PEP 658: the metadata file beside the wheel, with its hash.
			cm, ok := f.CoreMetadata.(map[string]any)
			if !ok {
				t.Fatalf("%s: core-metadata = %v", f.Filename, f.CoreMetadata)
			}
			mresp, mbody := get(t, u+".metadata", "")
			o := rp
			if f.Filename == w2.filename {
				o = disttest.Options{}
			}
			wantMeta := disttest.Metadata(want.name, want.version, o)
			if mresp.StatusCode != 200 || string(mbody) != string(wantMeta) {
				t.Fatalf("metadata: %d %q", mresp.StatusCode, mbody)
			}
			if cm["sha256"] != sha256Hex(mbody) {
				t.Errorf("core-metadata sha256 %v, file hashes to %s", cm["sha256"], sha256Hex(mbody))
			}
			if f.DistInfoMetadata != nil {
				t.Errorf("JSON has dist-info-metadata %v: pip 22.3-23.0 crash on it (PEP 714)", f.DistInfoMetadata)
			}
		}
	})

	t.Run("html", func(t *testing.T) {
		for _, accept := range []string{"", "text/html", MediaTypeHTML} {
			resp, body := get(t, pageURL, accept)
			wantCT := MediaTypeHTML
			if accept != MediaTypeHTML {
				wantCT = "text/html; charset=utf-8"
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != wantCT {
				t.Fatalf("Accept %q: %d %s", accept, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			page := string(body)
			for _, want := range []string{
				`<meta name="pypi:repository-version" content="1.1">`,
				`<title>Links for Demo.Pkg</title>`,
				`<a href="../../files/demo-pkg/` + w1.filename + `#sha256=` + sha256Hex(w1.data) + `" data-requires-python="&lt;4,&gt;=3.8" data-dist-info-metadata="sha256=`,
				`<a href="../../files/demo-pkg/` + s1.filename + `#sha256=` + sha256Hex(s1.data) + `" data-requires-python="&lt;4,&gt;=3.8">` + s1.filename + `</a><br />`,
				`<a href="../../files/demo-pkg/` + w2.filename + `#sha256=` + sha256Hex(w2.data) + `" data-dist-info-metadata="sha256=`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q:\n%s", want, page)
				}
			}
			// Every wheel anchor carries data-core-metadata with the
			// metadata file's hash.
			re := regexp.MustCompile(`href="([^"#]+)#sha256=[0-9a-f]{64}"[^>]*data-core-metadata="sha256=([0-9a-f]{64})"`)
			ms := re.FindAllStringSubmatch(page, -1)
			if len(ms) != 2 {
				t.Fatalf("found %d anchors with data-core-metadata, want 2", len(ms))
			}
			for _, m := range ms {
				_, mb := get(t, resolve(t, pageURL, m[1])+".metadata", "")
				if sha256Hex(mb) != m[2] {
					t.Errorf("%s: data-core-metadata %s, file hashes to %s", m[1], m[2], sha256Hex(mb))
				}
			}
		}
	})

	t.Run("format query", func(t *testing.T) {
		resp, _ := get(t, pageURL+"?format="+url.QueryEscape(MediaTypeJSON), "text/html")
		if resp.Header.Get("Content-Type") != MediaTypeJSON {
			t.Errorf("?format= gave %s", resp.Header.Get("Content-Type"))
		}
	})

	t.Run("conditional", func(t *testing.T) {
		resp, _ := get(t, pageURL, MediaTypeJSON)
		etag := resp.Header.Get("ETag")
		r, _ := http.NewRequest("GET", pageURL, nil)
		r.Header.Set("Accept", MediaTypeJSON)
		r.Header.Set("If-None-Match", etag)
		resp2, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if etag == "" || resp2.StatusCode != 304 {
			t.Errorf("ETag %q, conditional GET %d, want 304", etag, resp2.StatusCode)
		}
	})

	t.Run("page updates after upload", func(t *testing.T) {
		ti.mustUpload(t, wheel(t, "demo-pkg", "3.0", disttest.Options{}))
		_, body := get(t, pageURL, MediaTypeJSON)
		var pj projectJSON
		json.Unmarshal(body, &pj)
		if len(pj.Files) != 4 || pj.Name != "demo-pkg" {
			t.Errorf("after upload: %d files, name %q", len(pj.Files), pj.Name)
		}
	})
}

func resolve(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	return b.ResolveReference(r).String()
}

func TestSimpleRoutes(t *testing.T) {
	ti := newTestIndex(t, nil)
	w := wheel(t, "Demo_Pkg", "1.0", disttest.Options{})
	ti.mustUpload(t, w)
	ti.mustUpload(t, wheel(t, "alpha", "1.0", disttest.Options{}))
	tests := []struct {
		path, accept string
		code         int
		location     string
		ctype        string
	}{
		{"/simple/Demo_Pkg/", "", 301, "/simple/demo-pkg/", ""},
		{"/simple/demo.pkg/", "", 301, "/simple/demo-pkg/", ""},
		{"/simple/demo-pkg", "", 301, "/simple/demo-pkg/", ""},
		{"/simple/DEMO--PKG?format=text/html", "", 301, "/simple/demo-pkg/?format=text/html", ""},
		{"/simple", "", 301, "/simple/", ""},
		{"/simple/unknown/", "", 404, "", ""},
		{"/simple/Unknown/", "", 301, "/simple/unknown/", ""},
		{"/simple/demo-pkg/", "application/json", 406, "", ""},
		{"/simple/", "application/json", 406, "", ""},
		{"/simple/demo-pkg/", "", 200, "", "text/html; charset=utf-8"},
		{"/files/demo-pkg/" + w.filename, "", 200, "", "application/zip"},
		{"/files/demo-pkg/nope.whl", "", 404, "", ""},
		{"/files/demo-pkg/" + w.filename + ".json", "", 404, "", ""},
		{"/files/demo-pkg/..%2f..%2f.lock", "", 404, "", ""},
		{"/files/..%2fprojects/demo_pkg-1.0-py3-none-any.whl", "", 404, "", ""},
		{"/files/demo-pkg/%2e%2e", "", 404, "", ""},
		{"/nothing", "", 404, "", ""},
		{"/", "", 200, "", "text/html; charset=utf-8"},
	}
	for _, tc := range tests {
		resp, _ := get(t, ti.url+tc.path, tc.accept)
		if resp.StatusCode != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.code)
			continue
		}
		if tc.location != "" && resp.Header.Get("Location") != tc.location {
			t.Errorf("GET %s: Location %q, want %q", tc.path, resp.Header.Get("Location"), tc.location)
		}
		if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, resp.Header.Get("Content-Type"), tc.ctype)
		}
	}

	t.Run("index", func(t *testing.T) {
		resp, body := get(t, ti.url+"/simple/", MediaTypeJSON)
		var ij struct {
			Meta     map[string]any      `json:"meta"`
			Projects []map[string]string `json:"projects"`
		}
		if err := json.Unmarshal(body, &ij); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, err)
		}
		if ij.Meta["api-version"] != "1.1" || len(ij.Projects) != 2 || ij.Projects[0]["name"] != "alpha" || ij.Projects[1]["name"] != "Demo_Pkg" {
			t.Errorf("index = %s", body)
		}
		_, hb := get(t, ti.url+"/simple/", "")
		if !strings.Contains(string(hb), `<a href="demo-pkg/">Demo_Pkg</a>`) || !strings.Contains(string(hb), `<a href="alpha/">alpha</a>`) {
			t.Errorf("html index:\n%s", hb)
		}
	})

	t.Run("file headers and ranges", func(t *testing.T) {
		u := ti.url + "/files/demo-pkg/" + w.filename
		resp, body := get(t, u, "")
		if resp.Header.Get("ETag") != `"`+sha256Hex(w.data)+`"` || resp.ContentLength != int64(len(w.data)) || string(body) != string(w.data) {
			t.Errorf("ETag %q length %d", resp.Header.Get("ETag"), resp.ContentLength)
		}
		r, _ := http.NewRequest("GET", u, nil)
		r.Header.Set("Range", "bytes=0-3")
		rr, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Body.Close()
		part := make([]byte, 8)
		n, _ := rr.Body.Read(part)
		if rr.StatusCode != 206 || string(part[:n]) != "PK\x03\x04" {
			t.Errorf("range: %d %q", rr.StatusCode, part[:n])
		}
		sresp, _ := get(t, ti.url+"/files/alpha/alpha-1.0-py3-none-any.whl.metadata", "")
		if sresp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("metadata content type %q", sresp.Header.Get("Content-Type"))
		}
	})
}

func TestContentType(t *testing.T) {
	for name, want := range map[string]string{
		"a-1.0.tar.gz": "application/gzip", "a-1.0-py3-none-any.whl": "application/zip", "a-1.0.zip": "application/zip",
	} {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSimpleGzip(t *testing.T) {
	ti := newTestIndex(t, nil)
	fillProject(ti.srv, "many", 200)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	fetch := func(accept, encoding string) (*http.Response, []byte) {
		r, _ := http.NewRequest("GET", ti.url+"/simple/many/", nil)
		r.Header.Set("Accept", accept)
		if encoding != "" {
			r.Header.Set("Accept-Encoding", encoding)
		}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	for _, accept := range []string{MediaTypeJSON, "text/html"} {
		plainResp, plain := fetch(accept, "")
		resp, packed := fetch(accept, "gzip, deflate")
		if plainResp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: Content-Encoding %q / %q", accept, plainResp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(packed))
		if err != nil {
			t.Fatal(err)
		}
		unpacked, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(unpacked, plain) {
			t.Fatalf("%s: gzip body differs from the plain one (%v)", accept, err)
		}
		if len(packed) >= len(plain)/2 || resp.Header.Get("ETag") == plainResp.Header.Get("ETag") {
			t.Errorf("%s: %d compressed vs %d bytes, ETags %s / %s", accept, len(packed), len(plain), resp.Header.Get("ETag"), plainResp.Header.Get("ETag"))
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("Vary = %q", resp.Header.Get("Vary"))
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "gzip, deflate": true, "deflate, GZIP;q=0.5": true, "gzip;q=0": false,
		"br": false, "x-gzip": true, "identity, gzip ; q=1.0": true, "gzip;q=abc": false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

// TestSimplePageIgnoresIfModifiedSince: Last-Modified has whole seconds, so
// a page must never be answered 304 on a date alone — two uploads in one
// second would leave a revalidating client (curl -z, wget -N, a proxy)
// with the older page. Only the ETag decides.
func TestSimplePageIgnoresIfModifiedSince(t *testing.T) {
	ti := newTestIndex(t, nil)
	ti.mustUpload(t, wheel(t, "rvpkg", "1.2", disttest.Options{}))
	ti.mustUpload(t, wheel(t, "rvpkg", "1.3", disttest.Options{}))
	for _, path := range []string{"/simple/rvpkg/", "/simple/"} {
		r, _ := http.NewRequest("GET", ti.url+path, nil)
		r.Header.Set("If-Modified-Since", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
		resp, err := noRedirect.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "rvpkg") {
			t.Errorf("%s with a later If-Modified-Since: %d %q, want 200 and the page", path, resp.StatusCode, body)
		}
		if path == "/simple/rvpkg/" && !strings.Contains(string(body), "rvpkg-1.3-") {
			t.Errorf("%s lacks the newest file: %q", path, body)
		}
		// The ETag still revalidates.
		r2, _ := http.NewRequest("GET", ti.url+path, nil)
		r2.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		resp2, err := noRedirect.Do(r2)
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp.Header.Get("ETag") == "" || resp2.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d (ETag %q), want 304", path, resp2.StatusCode, resp.Header.Get("ETag"))
		}
	}
}
