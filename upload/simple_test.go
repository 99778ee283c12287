package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustpub/trustpub/internal/testutil/fakepypiserver"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"
)

const sha = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

func TestParseProjectPageHTML(t *testing.T) {
	page, _ := url.Parse("https://index.example.org/simple/demo/")
	tests := []struct {
		name string
		html string
		want map[string]IndexFile
		err  string
	}{
		{"pypiserver", "<!DOCTYPE html>\n<html lang=\"en\">\n    <body>\n            <a href=\"/packages/demo-1.0.tar.gz#sha256=" + sha + "\">demo-1.0.tar.gz</a><br>\n    </body>\n</html>\n    ",
			map[string]IndexFile{"demo-1.0.tar.gz": {Filename: "demo-1.0.tar.gz", URL: "https://index.example.org/packages/demo-1.0.tar.gz", SHA256: sha}}, ""},
		{"relative link, upper-case hex, PEP 714", `<a href="../../files/demo-1.0-py3-none-any.whl#sha256=` + strings.ToUpper(sha) + `" data-core-metadata="sha256=` + sha + `" data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</a>`,
			map[string]IndexFile{"demo-1.0-py3-none-any.whl": {Filename: "demo-1.0-py3-none-any.whl", URL: "https://index.example.org/files/demo-1.0-py3-none-any.whl", SHA256: sha, CoreMetadata: "sha256=" + sha}}, ""},
		{"PEP 658 attribute without a value", `<a href="demo-1.0-py3-none-any.whl" data-dist-info-metadata>x</a>`,
			map[string]IndexFile{"demo-1.0-py3-none-any.whl": {Filename: "demo-1.0-py3-none-any.whl", URL: "https://index.example.org/simple/demo/demo-1.0-py3-none-any.whl", CoreMetadata: "true"}}, ""},
		{"md5 only, several fragments", `<a href="https://cdn.example/d/demo-1.0.tar.gz#md5=abc&amp;sha256=` + sha + `">demo-1.0.tar.gz</a><a href="x.tar.gz#md5=00">x</a>`,
			map[string]IndexFile{"demo-1.0.tar.gz": {Filename: "demo-1.0.tar.gz", URL: "https://cdn.example/d/demo-1.0.tar.gz", SHA256: sha}, "x.tar.gz": {Filename: "x.tar.gz", URL: "https://index.example.org/simple/demo/x.tar.gz"}}, ""},
		{"base href", `<html><head><base href="https://mirror.example/pkgs/"></head><body><a href="demo-1.0.tar.gz">demo-1.0.tar.gz</a></body></html>`,
			map[string]IndexFile{"demo-1.0.tar.gz": {Filename: "demo-1.0.tar.gz", URL: "https://mirror.example/pkgs/demo-1.0.tar.gz"}}, ""},
		{"percent-encoded name, anchors without href", `<a name="top"></a><a href="demo-1.0%2Blocal.tar.gz">demo-1.0+local.tar.gz</a>`,
			map[string]IndexFile{"demo-1.0+local.tar.gz": {Filename: "demo-1.0+local.tar.gz", URL: "https://index.example.org/simple/demo/demo-1.0%2Blocal.tar.gz"}}, ""},
		{"repository version 1.1 read", `<meta name="pypi:repository-version" content="1.1"><a href="demo-1.0.tar.gz">x</a>`,
			map[string]IndexFile{"demo-1.0.tar.gz": {Filename: "demo-1.0.tar.gz", URL: "https://index.example.org/simple/demo/demo-1.0.tar.gz"}}, ""},
		{"repository version 2 refused", `<meta name="pypi:repository-version" content="2.0"><a href="demo-1.0.tar.gz">x</a>`, nil, `simple API version "2.0"`},
		{"empty page", ``, map[string]IndexFile{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProjectPageHTML(page, strings.NewReader(tt.html))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Files) != len(tt.want) {
				t.Fatalf("files %+v, want %+v", got.Files, tt.want)
			}
			for name, w := range tt.want {
				if got.Files[name] != w {
					t.Errorf("%s = %+v\nwant %+v", name, got.Files[name], w)
				}
			}
		})
	}
}

func TestClassifyCheckURL(t *testing.T) {
	for _, tt := range []struct {
		url, project string
		want         CheckURLKind
		page         string
	}{
		{"https://pypi.org/simple/", "demo", CheckURLIndexRoot, "https://pypi.org/simple/demo/"},
		{"https://pypi.org/simple", "My_Pkg", CheckURLIndexRoot, "https://pypi.org/simple/my-pkg/"},
		{"https://pypi.org/simple/my-pkg/", "My.Pkg", CheckURLProjectPage, "https://pypi.org/simple/my-pkg/"},
		{"https://pypi.org/simple/My_Pkg", "my-pkg", CheckURLProjectPage, "https://pypi.org/simple/My_Pkg/"},
		{"https://index.example/demo/", "demo", CheckURLProjectPage, "https://index.example/demo/"},
		{"https://demo.example/", "demo", CheckURLIndexRoot, "https://demo.example/demo/"},
		{"https://pypi.org/simple/other/", "demo", CheckURLIndexRoot, "https://pypi.org/simple/other/demo/"},
	} {
		u, _ := url.Parse(tt.url)
		if got := ClassifyCheckURL(u, tt.project); got != tt.want {
			t.Errorf("ClassifyCheckURL(%s, %s) = %s, want %s", tt.url, tt.project, got, tt.want)
		}
		if got := ProjectPageURL(u, tt.project).String(); got != tt.page {
			t.Errorf("ProjectPageURL(%s, %s) = %s, want %s", tt.url, tt.project, got, tt.page)
		}
	}
}

// TestFetchProjectNegotiates reads the same project from trustpub's own
// index (which answers PEP 691 JSON to the Accept header pip sends) and
// from pypiserver (HTML only): the same files and digests come out, from
// the index root or the project's page.
func TestFetchProjectNegotiates(t *testing.T) {
	dir := t.TempDir()
	whl := disttest.BuildWheel(t, dir, "nego", "1.0", disttest.Options{})
	ours, _ := realIndex(t, nil)
	c := &Client{URL: ours.URL + "/legacy/", Credentials: StaticCredentials(TokenCredentials(secret.New(canaryToken)))}
	if _, err := c.Upload(context.Background(), openDist(t, whl)); err != nil {
		t.Fatal(err)
	}
	ps := fakepypiserver.New("peer", "peerpass")
	theirs := httptest.NewServer(ps)
	defer theirs.Close()
	pc := &Client{URL: theirs.URL + "/", Credentials: StaticCredentials{Username: "peer", Password: secret.New("peerpass")}}
	if _, err := pc.Upload(context.Background(), openDist(t, whl)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(whl)
	sum := sha256.Sum256(b)
	want := hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name, url, format string
		c                 *Client
	}{
		{"trustpub serve, root", ours.URL + "/simple/", simpleJSON, c},
		{"trustpub serve, project page", ours.URL + "/simple/nego/", simpleJSON, c},
		{"pypiserver, root", theirs.URL + "/simple/", "text/html", pc},
		{"pypiserver, project page", theirs.URL + "/simple/nego", "text/html", pc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.c.FetchProject(context.Background(), tc.url, "Nego")
			if err != nil {
				t.Fatal(err)
			}
			f := p.Files[filepath.Base(whl)]
			if !p.Exists || p.Format != tc.format || f.SHA256 != want || !strings.HasPrefix(f.URL, "http://127.0.0.1:") {
				t.Fatalf("page %+v", p)
			}
		})
	}
	t.Run("pypiserver's fallback redirect is not followed", func(t *testing.T) {
		var reached atomic.Int32
		elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
		defer elsewhere.Close()
		ps.FallbackURL = strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1) + "/simple"
		p, err := pc.FetchProject(context.Background(), theirs.URL+"/simple/", "brand-new")
		if err != nil || p.Exists || len(p.Files) != 0 || reached.Load() != 0 {
			t.Fatalf("page %+v, err %v, other index reached %d times", p, err, reached.Load())
		}
	})
}

// TestPublishToPypiserver publishes to pypiserver's answers: the identical
// re-upload it refuses with 409 is settled through its HTML simple API as
// already there; a different file under the name is said to differ only
// because the hashes prove it; its auth answers get hints that fit the
// credential used.
func TestPublishToPypiserver(t *testing.T) {
	ps := fakepypiserver.New("peer", "peerpass")
	srv := httptest.NewServer(ps)
	defer srv.Close()
	dir := t.TempDir()
	files := []*pydist.File{
		openDist(t, disttest.BuildWheel(t, dir, "peer-pkg", "1.0", disttest.Options{})),
		openDist(t, disttest.BuildSdist(t, dir, "peer-pkg", "1.0", disttest.Options{})),
	}
	good := StaticCredentials{Username: "peer", Password: secret.New("peerpass")}
	// simpleURL, when given, is the client's check URL (else derived).
	publish := func(creds CredentialSource, files []*pydist.File, opts PublishOptions, simpleURL ...string) (*Report, error) {
		c, _, _ := testClient(srv.URL + "/")
		c.Credentials = creds
		if len(simpleURL) > 0 {
			c.SimpleURL = simpleURL[0]
		}
		return c.Publish(context.Background(), files, opts)
	}
	if _, err := publish(good, files, PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := ps.Files(); len(got) != 2 {
		t.Fatalf("stored %v", got)
	}

	t.Run("identical re-upload", func(t *testing.T) {
		rep, err := publish(good, files, PublishOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Files {
			if r.Outcome != OutcomeSkippedExisting || r.Note != "already on the index with the same sha256" {
				t.Errorf("%s: %s %q", r.Name, r.Outcome, r.Note)
			}
		}
	})
	t.Run("identical re-upload with the HTML check URL", func(t *testing.T) {
		rep, err := publish(good, files, PublishOptions{PreCheck: true}, srv.URL+"/simple/")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Files {
			if r.Outcome != OutcomeSkippedExisting || r.Attempts != 0 {
				t.Errorf("%s: %s after %d attempts", r.Name, r.Outcome, r.Attempts)
			}
		}
	})
	other := openDist(t, disttest.BuildWheel(t, t.TempDir(), "peer-pkg", "1.0", disttest.Options{Description: "another build"}))
	t.Run("different file", func(t *testing.T) {
		_, err := publish(good, []*pydist.File{other}, PublishOptions{})
		var se *ServerError
		if !errors.As(err, &se) || se.StatusCode != 409 || se.Hint.Kind != HintFileDiffers || se.Hint.PyPI {
			t.Fatalf("err %v, hint %+v", err, se)
		}
		if se.Reason != "Package 'peer_pkg-1.0-py3-none-any.whl' already exists! You may start server with `--overwrite` option." {
			t.Errorf("reason %q", se.Reason)
		}
		if h := se.Hint.String(); strings.Contains(h, "PyPI") || !strings.Contains(h, se.Hint.SHA256There) {
			t.Errorf("hint %q", h)
		}
	})
	t.Run("different file, listing unreadable", func(t *testing.T) {
		_, err := publish(good, []*pydist.File{other}, PublishOptions{PreCheck: true}, "http://127.0.0.1:1/simple/")
		if err == nil {
			t.Fatal("published")
		}
		c, _, _ := testClient(srv.URL + "/")
		c.Credentials, c.SimpleURL = good, "http://127.0.0.1:1/simple/"
		_, err = c.Upload(context.Background(), other)
		var se *ServerError
		if !errors.As(err, &se) || se.Hint.Kind != HintFileExists || strings.Contains(se.Hint.String(), "different") {
			t.Fatalf("without the index's hash the files are not called different: %v %+v", err, se)
		}
	})
	for _, tc := range []struct {
		name  string
		creds CredentialSource
		code  int
		kind  HintKind
		cred  CredentialKind
	}{
		{"no credential", nil, 401, HintNeedCredentials, CredentialNone},
		{"wrong password", StaticCredentials{Username: "peer", Password: secret.New("nope")}, 403, HintBadCredentials, CredentialPassword},
		{"token where a password is wanted", StaticCredentials(TokenCredentials(secret.New("pypi-xyz"))), 403, HintBadCredentials, CredentialToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := publish(tc.creds, []*pydist.File{other}, PublishOptions{})
			var se *ServerError
			if !errors.As(err, &se) || se.StatusCode != tc.code || se.Hint.Kind != tc.kind || se.Hint.Credential != tc.cred {
				t.Fatalf("err %v hint %+v", err, se)
			}
		})
	}
}
