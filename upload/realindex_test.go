package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/index"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"

	"github.com/trustpub/trustpub/internal/testutil"
)

// realIndex starts trustpub's own index (the PyPI-compatible server) on
// loopback, optionally behind a fault-injecting handler, accepting the
// canary token.
func realIndex(t *testing.T, wrap func(http.Handler) http.Handler) (*httptest.Server, *testutil.Buffer) {
	t.Helper()
	logs := &testutil.Buffer{}
	srv, err := index.New(index.Options{
		DataDir: t.TempDir(),
		Tokens:  []index.APIToken{{Name: "test", Token: secret.New(canaryToken)}},
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs, logs
}

// indexFiles lists what the index has for project, via its simple API.
func indexFiles(t *testing.T, c *Client, base, project string) map[string]IndexFile {
	t.Helper()
	p, err := c.FetchProject(context.Background(), base+"/simple/", project)
	if err != nil {
		t.Fatalf("reading the index: %v", err)
	}
	return p.Files
}

// debianWheels are the real wheels of Debian's python3-pip-whl, when
// installed (.ci/run installs them).
func debianWheels(t *testing.T) []string {
	m, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	return m
}

func TestRealIndexPublish(t *testing.T) {
	hs, idxLogs := realIndex(t, nil)
	dir := t.TempDir()
	paths := []string{
		disttest.BuildSdist(t, dir, "Real.Pkg", "1.2.0", disttest.Options{}),
		disttest.BuildWheel(t, dir, "Real.Pkg", "1.2.0", disttest.Options{}),
		disttest.BuildWheel(t, dir, "Real.Pkg", "1.2.0", disttest.Options{PythonTag: "cp312", ABITag: "cp312", PlatformTag: "manylinux_2_17_x86_64", PayloadSize: 256 << 10}),
	}
	paths = append(paths, debianWheels(t)...)
	var files []*pydist.File
	for _, p := range paths {
		files = append(files, openDist(t, p))
	}
	c, _, logs := testClient(hs.URL + "/legacy/")
	obs := &recObserver{}
	c.SimpleURL = hs.URL + "/simple/"
	opts := PublishOptions{PreCheck: true, Observer: obs}
	rep, err := c.Publish(context.Background(), files, opts)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	for _, r := range rep.Files {
		want, _, _ := fileDigests(r.Path)
		if r.Outcome != OutcomeUploaded || r.SHA256 != want || !strings.HasPrefix(r.URL, hs.URL) {
			t.Errorf("%s: %+v", r.Name, r)
		}
		f := openDist(t, r.Path)
		have := indexFiles(t, c, hs.URL, f.Metadata.Get("Name"))[r.Name]
		if have.SHA256 != want {
			t.Errorf("%s: index has sha256 %q, want %q", r.Name, have.SHA256, want)
		}
	}
	if n := len(indexFiles(t, c, hs.URL, "real-pkg")); n != 3 {
		t.Errorf("index has %d files of real-pkg, want 3", n)
	}

	// Again with the check URL: everything is skipped, nothing sent.
	rep, err = c.Publish(context.Background(), files, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Files {
		if r.Outcome != OutcomeSkippedExisting {
			t.Errorf("second run: %s %s", r.Name, r.Outcome)
		}
	}
	// Again without: identical re-uploads are accepted, nothing doubles.
	rep, err = c.Publish(context.Background(), files, PublishOptions{})
	if err != nil {
		t.Fatalf("identical re-upload: %v", err)
	}
	if n := len(indexFiles(t, c, hs.URL, "real-pkg")); n != 3 {
		t.Errorf("index has %d files of real-pkg after re-upload, want 3", n)
	}
	assertNoCanary(t, logs.String(), idxLogs.String(), fmt.Sprintf("%+v", rep))
}

func TestRealIndexConflicts(t *testing.T) {
	hs, _ := realIndex(t, nil)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := openDist(t, disttest.BuildWheel(t, dirA, "clash", "1.0", disttest.Options{PayloadSize: 1000, Seed: 1}))
	b := openDist(t, disttest.BuildWheel(t, dirB, "clash", "1.0", disttest.Options{PayloadSize: 1000, Seed: 2}))
	sdist := openDist(t, disttest.BuildSdist(t, dirB, "clash", "1.0", disttest.Options{}))
	c, sleeps, _ := testClient(hs.URL + "/legacy/")
	if _, err := c.Upload(context.Background(), a); err != nil {
		t.Fatal(err)
	}

	// Same name, other content: PyPI's "File already exists", not retried.
	_, err := c.Upload(context.Background(), b)
	var se *ServerError
	if !errors.As(err, &se) || se.StatusCode != 400 || !strings.HasPrefix(se.Reason, "File already exists") || se.Hint.Kind != HintFileExists {
		t.Fatalf("err = %v", err)
	}
	if len(sleeps.got()) != 0 {
		t.Error("a 400 was retried")
	}

	// --skip-existing: skipped, the sdist still goes.
	rep, err := c.Publish(context.Background(), []*pydist.File{sdist, b}, PublishOptions{SkipExisting: true})
	if err != nil || rep.Files[0].Outcome != OutcomeSkippedExisting || rep.Files[1].Outcome != OutcomeUploaded {
		t.Fatalf("skip-existing: err %v report %+v", err, rep.Files)
	}

	// --check-url: the conflict is found before any byte is sent.
	c2, _, _ := testClient(hs.URL + "/legacy/")
	var posts int
	c2.HTTPClient = &http.Client{Transport: countPosts{http.DefaultTransport, &posts}}
	c2.SimpleURL = hs.URL + "/simple/"
	_, err = c2.Publish(context.Background(), []*pydist.File{b}, PublishOptions{PreCheck: true})
	var pe *PublishError
	if !errors.As(err, &pe) || pe.Stage != StageCheck || posts != 0 || !strings.Contains(err.Error(), "different content") {
		t.Fatalf("check-url: err %v posts %d", err, posts)
	}

	// Wrong token and the /legacy redirect, from the real server.
	c3, _, _ := testClient(hs.URL + "/legacy")
	if _, err := c3.Upload(context.Background(), a); !errors.As(err, &se) || se.StatusCode != 308 || !strings.Contains(se.Hint.String(), "trailing slash") {
		t.Errorf("/legacy: %v", err)
	}
	c4, _, _ := testClient(hs.URL + "/legacy/")
	c4.Credentials = StaticCredentials(TokenCredentials(secret.New("pypi-CANARY-wrong")))
	if _, err := c4.Upload(context.Background(), a); !errors.As(err, &se) || se.StatusCode != 403 || se.Hint.Kind == HintNone {
		t.Errorf("wrong token: %v", err)
	} else {
		assertNoCanary(t, err.Error())
	}
}

// countPosts counts POST requests through a transport.
type countPosts struct {
	next http.RoundTripper
	n    *int
}

func (c countPosts) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost {
		*c.n++
	}
	return c.next.RoundTrip(r)
}

// TestRealIndexFaults injects each transient failure in front of the real
// index and checks that the file ends up there exactly once.
func TestRealIndexFaults(t *testing.T) {
	tests := []struct {
		name   string
		n      int32
		apply  func(w http.ResponseWriter, r *http.Request, next http.Handler)
		landed bool // the faulty attempt reached the index
	}{
		{"500 then OK", 1, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(500)
		}, false},
		{"429 with Retry-After", 2, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(429)
		}, false},
		{"connection reset mid-body", 1, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			io.CopyN(io.Discard, r.Body, 64<<10)
			hijackClose(w)
		}, false},
		{"timeout", 1, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}, false},
		{"upload landed but the answer was lost", 1, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			next.ServeHTTP(httptest.NewRecorder(), r)
			hijackClose(w)
		}, true},
		{"landed, then a gateway 502", 1, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			next.ServeHTTP(httptest.NewRecorder(), r)
			w.WriteHeader(502)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, _ := realIndex(t, func(h http.Handler) http.Handler { return &fault{next: h, n: tt.n, apply: tt.apply} })
			c, sleeps, logs := testClient(hs.URL + "/legacy/")
			c.StallTimeout = 30 * time.Second
			if tt.name == "timeout" {
				c.StallTimeout = time.Second
			}
			f := openDist(t, disttest.BuildWheel(t, t.TempDir(), "faulty", "1.0", disttest.Options{PayloadSize: 512 << 10}))
			c.SimpleURL = hs.URL + "/simple/"
			rep, err := c.Publish(context.Background(), []*pydist.File{f}, PublishOptions{PreCheck: true})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			r := rep.Files[0]
			if r.Outcome != OutcomeUploaded || r.Attempts != int(tt.n)+1 || len(sleeps.got()) != int(tt.n) {
				t.Errorf("report %+v, sleeps %v", r, sleeps.got())
			}
			files := indexFiles(t, c, hs.URL, "faulty")
			want, _, _ := fileDigests(f.Path)
			if len(files) != 1 || files[f.Filename.Raw].SHA256 != want {
				t.Errorf("index has %v, want exactly %s with sha256 %s", files, f.Filename.Raw, want)
			}
			assertNoCanary(t, logs.String())
		})
	}
}
