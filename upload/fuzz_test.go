package upload

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// FuzzServerMessage: any error response yields a message without control
// characters other than newlines/tabs (it is printed to terminals and CI
// logs), bounded in size.
func FuzzServerMessage(f *testing.F) {
	f.Add("400 File already exists ('a.whl', with blake2_256 hash 'x').", "text/html", []byte("<html><title>400 x</title><body>File already exists</body></html>"), "")
	f.Add("400 Bad Request", "application/json", []byte(`{"code": "400 Invalid value for version", "message": "m"}`), "")
	f.Add("403 Forbidden", "text/plain", []byte("Invalid API Token\n"), "Invalid API Token: \x1b[31m")
	f.Fuzz(func(t *testing.T, status, ct string, body []byte, xerr string) {
		code := 400
		resp := &http.Response{Status: status, StatusCode: code, Header: http.Header{"Content-Type": {ct}, "X-Pypi-Error": {xerr}}}
		reason, text := serverMessage(resp, body)
		for _, s := range []string{reason, text} {
			for _, r := range s {
				if unicode.IsControl(r) && r != '\n' && r != '\t' {
					t.Fatalf("control character %q in %q", r, s)
				}
			}
		}
		if len(reason) > 1100 || len(text) > maxErrorBody+16 {
			t.Fatalf("unbounded: %d %d", len(reason), len(text))
		}
	})
}

// checkPageFiles fails the test for a file of p without a name or an
// absolute URL, or with a sha256 not in lower case; from an HTML page
// (html) a URL must also have no fragment, and the sha256 be hex or none.
func checkPageFiles(t *testing.T, p *ProjectPage, html bool) {
	t.Helper()
	for name, fl := range p.Files {
		u, err := url.Parse(fl.URL)
		if err != nil || !u.IsAbs() || name == "" || fl.SHA256 != strings.ToLower(fl.SHA256) ||
			(html && (u.Fragment != "" || (fl.SHA256 != "" && !isHex(fl.SHA256)))) {
			t.Fatalf("bad file %q: %+v", name, fl)
		}
	}
}

// FuzzParseProjectPage: a hostile simple-API page never panics, and every
// file it yields has an absolute URL and a lowercase sha256.
func FuzzParseProjectPage(f *testing.F) {
	f.Add([]byte(`{"meta":{"api-version":"1.1"},"name":"a","files":[{"filename":"a-1.0.tar.gz","url":"../../files/a-1.0.tar.gz","hashes":{"sha256":"AB"}}],"versions":["1.0"]}`))
	f.Add([]byte(`{"files":[{"filename":"x","url":"http://[::1"}]}`))
	f.Add([]byte(`{"files":null}`))
	page, _ := url.Parse("https://index.example.org/simple/a/")
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := parseProjectPage(page, bytes.NewReader(b)); err == nil {
			checkPageFiles(t, p, false)
		}
	})
}

// FuzzParseProjectPageHTML: a hostile PEP 503 page never panics, and every
// file it yields has a name, an absolute URL without fragment and a
// lowercase hex sha256 or none.
func FuzzParseProjectPageHTML(f *testing.F) {
	f.Add([]byte(`<a href="/packages/a-1.0.tar.gz#sha256=AB01" data-core-metadata="sha256=ab">a-1.0.tar.gz</a>`))
	f.Add([]byte(`<base href="http://[::1"><a href="x#md5=1&sha256=zz">x</a><meta name="pypi:repository-version" content="1.0">`))
	f.Add([]byte(`<a href="">`))
	page, _ := url.Parse("https://index.example.org/simple/a/")
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := parseProjectPageHTML(page, bytes.NewReader(b)); err == nil {
			checkPageFiles(t, p, true)
		}
	})
}
