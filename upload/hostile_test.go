package upload

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"
)

// hostileFile is a real wheel of size bytes of payload.
func hostileFile(t *testing.T, payload int64) *pydist.File {
	t.Helper()
	p := disttest.BuildWheel(t, t.TempDir(), "hostile", "1.0", disttest.Options{PayloadSize: payload, Seed: 5})
	f, err := pydist.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestHostileIndexTimeBounds runs the real client against indexes that
// hold it: one that takes the file and never answers, one that takes the
// body at a trickle, one that always answers 503, one that sends an
// endless simple-API page. Each is reported within the client's bounds
// (the test's own bound, 30 s, is never reached).
func TestHostileIndexTimeBounds(t *testing.T) {
	instant := func(context.Context, time.Duration) error { return nil }
	tests := []struct {
		name    string
		payload int64
		handler http.HandlerFunc
		client  func() *Client
		run     func(ctx context.Context, c *Client, f *pydist.File) (Result, error)
		want    string
		wantIs  error // if set, the error must match it with errors.Is
		check   func(t *testing.T, res Result, posts int32)
	}{
		{
			name: "silent after the body", payload: 1 << 10,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			},
			client: func() *Client {
				return &Client{StallTimeout: 300 * time.Millisecond, Retry: RetryPolicy{MaxAttempts: 3}, Sleep: instant}
			},
			want: "no answer after sending the file: no progress for 300ms",
			check: func(t *testing.T, res Result, posts int32) {
				if res.Attempts != 3 {
					t.Fatalf("%d attempts, want 3", res.Attempts)
				}
			},
		},
		{
			name: "body taken at a trickle", payload: 24 << 20,
			handler: func(w http.ResponseWriter, r *http.Request) {
				buf := make([]byte, 1024)
				// Bounded: the connection's buffers hold megabytes that a
				// trickle would take minutes to drain once the client left.
				for end := time.Now().Add(6 * time.Second); time.Now().Before(end); {
					if _, err := r.Body.Read(buf); err != nil {
						return
					}
					select {
					case <-r.Context().Done():
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
			},
			// The stall rule alone would not fire (the body moves); the
			// rate rule does: 20 KiB/s is far below 8 MiB/s.
			client: func() *Client {
				return &Client{StallTimeout: 3 * time.Second, MinRate: 8 << 20, Retry: RetryPolicy{MaxAttempts: 1}}
			},
			want: "slower than 8388608 bytes/s",
		},
		{
			name: "503 for ever", payload: 1 << 10,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				http.Error(w, "busy", http.StatusServiceUnavailable)
			},
			client: func() *Client {
				return &Client{FileTimeout: time.Second, Retry: RetryPolicy{MaxAttempts: 1000, BaseDelay: 50 * time.Millisecond, MaxDelay: 50 * time.Millisecond}}
			},
			want:   "the time allowed for one file",
			wantIs: ErrFileTimeout,
			check: func(t *testing.T, res Result, posts int32) {
				if res.Attempts >= 1000 || posts < 2 {
					t.Fatalf("%d attempts, %d requests", res.Attempts, posts)
				}
			},
		},
		{
			name: "507 is not retried", payload: 1 << 10,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				// As trustpub serve answers a full disk.
				w.Header().Set("X-PyPI-Error", "Insufficient storage: the index has no space left")
				http.Error(w, "Insufficient storage: the index has no space left (disk full or quota exceeded), so the file was not stored.", http.StatusInsufficientStorage)
			},
			client: func() *Client { return &Client{Retry: RetryPolicy{MaxAttempts: 5}, Sleep: instant} },
			want:   "507",
			check: func(t *testing.T, res Result, posts int32) {
				if res.Attempts != 1 || posts != 1 {
					t.Fatalf("%d attempts, %d requests: a 507 was retried", res.Attempts, posts)
				}
			},
		},
		{
			name: "endless simple page", payload: 1 << 10,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", simpleJSON)
				io.WriteString(w, `{"meta": {"api-version": "1.1"}, "files": [`)
				for {
					if _, err := io.WriteString(w, `{"filename": "x.whl", "url": "x", "hashes": {}},`); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			},
			client: func() *Client { return &Client{StallTimeout: 300 * time.Millisecond} },
			run: func(ctx context.Context, c *Client, f *pydist.File) (Result, error) {
				_, err := c.FetchProject(ctx, strings.TrimSuffix(c.URL, "legacy/")+"simple/", "hostile")
				return Result{}, err
			},
			want: "Client.Timeout",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					posts.Add(1)
				}
				tc.handler(w, r)
			}))
			defer srv.Close()
			c := tc.client()
			c.URL = srv.URL + "/legacy/"
			c.Credentials = StaticCredentials(TokenCredentials(secret.New("pypi-test")))
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			run := tc.run
			if run == nil {
				run = func(ctx context.Context, c *Client, f *pydist.File) (Result, error) { return c.Upload(ctx, f) }
			}
			start := time.Now()
			res, err := run(ctx, c, hostileFile(t, tc.payload))
			if ctx.Err() != nil {
				t.Fatalf("the client was still held after 30 s: %v", err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Fatalf("err = %v, want errors.Is(err, %v)", err, tc.wantIs)
			}
			t.Logf("reported after %s: %v", time.Since(start).Round(10*time.Millisecond), err)
			if tc.check != nil {
				tc.check(t, res, posts.Load())
			}
		})
	}
}

// TestProgressDeadline checks the rate rule's arithmetic on its own: the
// stall bound after progress, the rate bound when behind, and never less
// than zero.
func TestProgressDeadline(t *testing.T) {
	c := &Client{StallTimeout: 10 * time.Second, MinRate: 1000}
	now := time.Now()
	for _, tc := range []struct {
		name    string
		started time.Duration // ago
		sent    int64
		atMost  time.Duration
		atLeast time.Duration
	}{
		{"on time", 0, 0, 10 * time.Second, 9 * time.Second},
		{"ahead of the rate", 5 * time.Second, 100000, 10 * time.Second, 9 * time.Second},
		{"behind the rate", 15 * time.Second, 7000, 2 * time.Second, time.Second},
		{"far behind", time.Hour, 10, 0, 0},
	} {
		got := c.progressDeadline(now.Add(-tc.started), tc.sent)
		if got > tc.atMost || got < tc.atLeast {
			t.Errorf("%s: %s, want between %s and %s", tc.name, got, tc.atLeast, tc.atMost)
		}
	}
}

// TestFileTimeoutGrowsWithTheFile: the default per-file bound is 15 minutes,
// raised for a file that needs longer at DefaultFileRate; an explicit
// FileTimeout is kept as given, even for a large file.
func TestFileTimeoutGrowsWithTheFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  time.Duration
		size int64
		want time.Duration
	}{
		{"empty file", 0, 0, DefaultFileTimeout},
		{"100 MB", 0, 100 << 20, DefaultFileTimeout},
		{"just over 15 minutes at the rate", 0, 901 * DefaultFileRate, 901 * time.Second},
		{"1 GiB", 0, 1 << 30, 4096 * time.Second},
		{"explicit, small file", time.Minute, 1 << 10, time.Minute},
		{"explicit, 1 GiB", time.Minute, 1 << 30, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{FileTimeout: tc.set}
			if got := c.fileTimeout(tc.size); got != tc.want {
				t.Errorf("fileTimeout(%d) with FileTimeout %s = %s, want %s", tc.size, tc.set, got, tc.want)
			}
		})
	}
}
