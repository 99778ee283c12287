package testutil_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/testutil"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := testutil.NewClock(t0)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Add(time.Second) })
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(10*time.Second); !got.Equal(want) {
		t.Fatalf("Now() = %v, want %v", got, want)
	}
}

func TestRequireTool(t *testing.T) {
	t.Setenv("CI", "")
	for _, tc := range []struct {
		name     string
		args     []string
		wantSkip bool
	}{
		{"sh", []string{"-c", "exit 0"}, false},
		{"sh", []string{"-c", "exit 3"}, true}, // present but not working
		{"trustpub-no-such-tool", nil, true},
	} {
		t.Run(tc.name+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			defer func() {
				if t.Skipped() != tc.wantSkip {
					t.Errorf("skipped = %v, want %v", t.Skipped(), tc.wantSkip)
				}
			}()
			if p := testutil.RequireTool(t, "install it", tc.name, tc.args...); !filepath.IsAbs(p) {
				t.Errorf("path %q is not absolute", p)
			}
		})
	}
}

func TestStartServer(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	// A "server" that writes its URL, then logs that it serves, then waits.
	cmd := exec.Command("/bin/sh", "-c", `echo http://127.0.0.1:9/ > "$1"; sleep 0.2; echo msg=serving >&2; exec sleep 60`, "sh", ready)
	s := testutil.StartServer(t, cmd, ready, func(log string) bool { return strings.Contains(log, "msg=serving") })
	if s.URL != "http://127.0.0.1:9/" || !strings.Contains(s.Log.String(), "msg=serving") {
		t.Fatalf("URL %q, log %q", s.URL, s.Log)
	}
}

// fatalTB records a Fatal instead of failing the test that uses it.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) { f.msg = fmt.Sprint(args...); runtime.Goexit() }

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestStartServerExited: a server that exits before it is ready fails the
// test at once, showing its log, instead of being waited for.
func TestStartServerExited(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command("/bin/sh", "-c", `echo "address already in use" >&2; exit 1`)
	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testutil.StartServer(tb, cmd, ready, nil)
	}()
	<-done
	if !strings.Contains(tb.msg, "exited before it was ready") || !strings.Contains(tb.msg, "address already in use") {
		t.Fatalf("failure %q", tb.msg)
	}
}

func TestSimpleFiles(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/simple/sample/" || r.Header.Get("Accept") != "application/vnd.pypi.simple.v1+json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		w.Write([]byte(`{"meta":{"api-version":"1.1"},"name":"sample","files":[` +
			`{"filename":"sample-1.0.tar.gz","hashes":{"sha256":"aa"}},` +
			`{"filename":"sample-1.0-py3-none-any.whl","hashes":{"sha256":"bb"}}]}`))
	}))
	t.Cleanup(srv.Close)
	got := testutil.SimpleFiles(t, srv.URL, "sample")
	if len(got) != 2 || got["sample-1.0.tar.gz"] != "aa" || got["sample-1.0-py3-none-any.whl"] != "bb" {
		t.Fatalf("files %v", got)
	}
	if got := testutil.SimpleFiles(t, srv.URL, "missing"); got != nil {
		t.Fatalf("missing project: %v, want nil", got)
	}
}
