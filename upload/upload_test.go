package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/bufpool"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
)

// assertNoCanary fails if any text contains the test token.
func assertNoCanary(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, canaryToken) || strings.Contains(s, "CANARY") {
			t.Fatalf("credential leaked into output: %q", s)
		}
	}
}

func TestUploadSendsEveryFieldAndDigests(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		path     string
		filetype string
		pyver    string
	}{
		{"wheel", buildWheel(t, dir, "demo-pkg", "1.0.0", 0), "bdist_wheel", "py3"},
		{"wheel with payload", buildWheel(t, dir, "big.pkg", "2.0", 300<<10), "bdist_wheel", "py3"},
		{"sdist", buildSdist(t, dir, "demo-pkg", "1.0.0"), "sdist", "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pypi := newFakePyPI(t)
			srv := httptest.NewServer(pypi)
			defer srv.Close()
			c, sleeps, logs := testClient(srv.URL + "/legacy/")
			f := openDist(t, tt.path)
			obs := &recObserver{}
			res, err := c.Upload(context.Background(), f, WithObserver(obs))
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			wantSHA, wantBlake, err := fileDigests(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if res.SHA256 != wantSHA || res.Blake2b256 != wantBlake || res.Attempts != 1 || res.Size != f.Size || res.StatusCode != 200 {
				t.Errorf("result = %+v, want sha %s blake %s, 1 attempt, size %d", res, wantSHA, wantBlake, f.Size)
			}
			st := pypi.file(f.Filename.Raw)
			if st == nil {
				t.Fatalf("index did not store %s", f.Filename.Raw)
			}
			if st.sha256 != wantSHA || st.size != f.Size {
				t.Errorf("stored sha %s size %d, want %s %d", st.sha256, st.size, wantSHA, f.Size)
			}
			for k, want := range map[string]string{":action": "file_upload", "protocol_version": "1", "filetype": tt.filetype, "pyversion": tt.pyver, "metadata_version": "2.4", "version": f.Metadata.Get("Version"), "sha256_digest": wantSHA, "blake2_256_digest": wantBlake} {
				if got := st.fields[k]; len(got) != 1 || got[0] != want {
					t.Errorf("field %s = %q, want [%q]", k, got, want)
				}
			}
			// Every metadata field, multi-use ones repeated in order.
			want := map[string][]string{}
			for _, ff := range f.Metadata.FormFields() {
				want[ff.Name] = append(want[ff.Name], ff.Value)
			}
			if len(want["classifiers"]) != 2 || len(want["requires_dist"]) != 2 || len(want["project_urls"]) != 2 {
				t.Fatalf("test metadata lost multi-use fields: %v", want)
			}
			for k, vs := range want {
				if fmt.Sprint(st.fields[k]) != fmt.Sprint(vs) {
					t.Errorf("form %s = %q, want %q", k, st.fields[k], vs)
				}
			}
			// Digests follow the content part (computed in the same pass).
			pos := map[string]int{}
			for i, n := range st.order {
				pos[n] = i
			}
			if !(pos["content"] < pos["sha256_digest"] && pos["content"] < pos["blake2_256_digest"]) {
				t.Errorf("part order %v: digests must follow content", st.order)
			}
			if obs.progress[f.Filename.Raw] != f.Size || obs.total[f.Filename.Raw] != f.Size {
				t.Errorf("progress %d/%d, want %d/%d", obs.progress[f.Filename.Raw], obs.total[f.Filename.Raw], f.Size, f.Size)
			}
			if len(sleeps.got()) != 0 {
				t.Errorf("unexpected retries: %v", sleeps.got())
			}
			assertNoCanary(t, logs.String(), fmt.Sprintf("%+v %#v", res, c))
		})
	}
}

// TestUploadIdenticalTwice checks PyPI's rule: an identical re-upload is
// accepted (200) and stored once.
func TestUploadIdenticalTwice(t *testing.T) {
	pypi := newFakePyPI(t)
	srv := httptest.NewServer(pypi)
	defer srv.Close()
	c, _, _ := testClient(srv.URL + "/legacy/")
	f := openDist(t, buildWheel(t, t.TempDir(), "twice", "1.0", 0))
	for i := range 2 {
		if _, err := c.Upload(context.Background(), f); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	if pypi.count() != 1 || pypi.postCount() != 2 {
		t.Errorf("stored %d files from %d posts, want 1 from 2", pypi.count(), pypi.postCount())
	}
}

func TestUploadServerErrors(t *testing.T) {
	dir := t.TempDir()
	path := buildWheel(t, dir, "errs", "1.0", 0)
	tests := []struct {
		name       string
		path       string // URL path
		creds      CredentialSource
		seed       bool // a different file of that name is on the index
		wantCode   int
		wantReason string
		wantHint   string
		wantExists bool
	}{
		{"wrong token", "/legacy/", StaticCredentials(TokenCredentials(secret.New("pypi-CANARY-wrong"))), false, 403, "Invalid API Token", "token", false},
		{"username and password", "/legacy/", StaticCredentials{Username: "bob", Password: secret.New("CANARY-pw")}, false, 403, "Username/Password authentication is no longer supported", "API token", false},
		{"no credentials", "/legacy/", nil, false, 403, "Invalid or non-existent authentication information", "needs a credential", false},
		{"missing trailing slash", "/legacy", nil, false, 308, "An upload was attempted to /legacy", "missing its trailing slash: use http://", false},
		{"wrong path", "/upload/", nil, false, 404, "page not found", "/legacy/", false},
		{"different file exists", "/legacy/", nil, true, 400, "File already exists ('errs-1.0-py3-none-any.whl'", "could not be checked", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pypi := newFakePyPI(t)
			srv := httptest.NewServer(pypi)
			defer srv.Close()
			c, sleeps, logs := testClient(srv.URL + tt.path)
			if tt.creds != nil || tt.name == "no credentials" {
				c.Credentials = tt.creds
			}
			if tt.seed {
				pypi.seed("errs-1.0-py3-none-any.whl", "errs", "1.0", []byte("another build"))
			}
			_, err := c.Upload(context.Background(), openDist(t, path))
			var se *ServerError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *ServerError", err, err)
			}
			if se.StatusCode != tt.wantCode || !strings.Contains(se.Reason, tt.wantReason) || !strings.Contains(se.Hint.String(), tt.wantHint) {
				t.Errorf("got %d %q hint %q; want %d %q hint containing %q", se.StatusCode, se.Reason, se.Hint, tt.wantCode, tt.wantReason, tt.wantHint)
			}
			if se.FileExists() != tt.wantExists || IsFileExists(err) != tt.wantExists {
				t.Errorf("FileExists = %v, want %v", se.FileExists(), tt.wantExists)
			}
			if !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("error text %q lacks the server's reason", err)
			}
			if tt.wantCode == 308 && !strings.HasSuffix(se.Location, "/legacy/") && se.Location != "" {
				t.Errorf("Location = %q", se.Location)
			}
			if len(sleeps.got()) != 0 || pypi.count() != btoi(tt.seed) {
				t.Errorf("retried %v / stored %d: a %d must not be retried", sleeps.got(), pypi.count(), tt.wantCode)
			}
			assertNoCanary(t, err.Error(), logs.String())
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRedirectNeverFollowed: a POST answered with a redirect to another
// host must not reach it (credentials stay home).
func TestRedirectNeverFollowed(t *testing.T) {
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer other.Close()
	for _, code := range []int{301, 302, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				http.Redirect(w, r, other.URL+"/legacy/", code)
			}))
			defer srv.Close()
			c, _, _ := testClient(srv.URL + "/legacy/")
			_, err := c.Upload(context.Background(), openDist(t, buildWheel(t, t.TempDir(), "redir", "1.0", 0)))
			var se *ServerError
			if !errors.As(err, &se) || se.StatusCode != code || se.Location != other.URL+"/legacy/" || !strings.Contains(se.Hint.String(), "if you trust") {
				t.Fatalf("err = %v", err)
			}
			if reached.Load() != 0 {
				t.Fatal("the redirect target was contacted")
			}
		})
	}
}

// TestPlainHTTPRefusedBeforeDial: a token is never sent over plain http to
// a non-loopback host; nothing is dialled.
func TestPlainHTTPRefusedBeforeDial(t *testing.T) {
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("dial attempted")
	}}
	f := openDist(t, buildWheel(t, t.TempDir(), "plain", "1.0", 0))
	for _, u := range []string{"http://upload.example.org/legacy/", "http://10.0.0.1/legacy/"} {
		c, _, _ := testClient(u)
		c.HTTPClient = &http.Client{Transport: tr}
		_, err := c.Upload(context.Background(), f)
		if err == nil || !strings.Contains(err.Error(), "plain http") {
			t.Errorf("%s: err = %v, want plain-http refusal", u, err)
		}
		rep, err := c.Publish(context.Background(), []*pydist.File{f}, PublishOptions{DryRun: true})
		if err == nil || rep.Files[0].Outcome != OutcomeNotAttempted {
			t.Errorf("%s: dry run err = %v, outcome %s", u, err, rep.Files[0].Outcome)
		}
	}
	if dials.Load() != 0 {
		t.Errorf("%d dials to a refused URL", dials.Load())
	}
	c, _, _ := testClient("https://__token__:" + canaryToken + "@upload.example.org/legacy/")
	_, err := c.Upload(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "contains credentials") {
		t.Errorf("URL with credentials: err = %v", err)
	}
	assertNoCanary(t, err.Error())
}

// fault wraps the index and misbehaves on the first n upload POSTs.
type fault struct {
	next  http.Handler
	n     int32
	seen  atomic.Int32
	apply func(w http.ResponseWriter, r *http.Request, next http.Handler)
}

func (f *fault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && f.seen.Add(1) <= f.n {
		f.apply(w, r, f.next)
		return
	}
	f.next.ServeHTTP(w, r)
}

// hijackClose drops the connection without an answer.
func hijackClose(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, like a reset by a middlebox
		}
		conn.Close()
	}
}

func TestRetries(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		n    int32 // faulty POSTs
		// apply misbehaves; nil means the fault lets the request through.
		apply        func(w http.ResponseWriter, r *http.Request, next http.Handler)
		strict       bool
		wantErr      string // "" for success
		wantAttempts int
		wantDelays   []time.Duration
		wantLanded   bool
	}{
		{
			name: "500 then OK", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.Copy(io.Discard, r.Body)
				http.Error(w, "boom", 500)
			},
			wantAttempts: 2, wantDelays: []time.Duration{900 * time.Millisecond},
		},
		{
			name: "502 twice then OK", n: 2,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.Copy(io.Discard, r.Body)
				w.WriteHeader(502)
			},
			wantAttempts: 3, wantDelays: []time.Duration{900 * time.Millisecond, 1800 * time.Millisecond},
		},
		{
			name: "429 Retry-After seconds", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(429)
			},
			wantAttempts: 2, wantDelays: []time.Duration{7 * time.Second},
		},
		{
			name: "429 Retry-After date", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Retry-After", now.Add(42*time.Second).Format(http.TimeFormat))
				w.WriteHeader(429)
			},
			wantAttempts: 2, wantDelays: []time.Duration{42 * time.Second},
		},
		{
			name: "429 Retry-After too long", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(429)
			},
			wantErr: "longer than", wantAttempts: 1,
		},
		{
			name: "connection reset mid-body", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.CopyN(io.Discard, r.Body, 1000)
				hijackClose(w)
			},
			wantAttempts: 2, wantDelays: []time.Duration{900 * time.Millisecond},
		},
		{
			name: "timeout waiting for the answer", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done() // never answers; the client gives up
			},
			wantAttempts: 2, wantDelays: []time.Duration{900 * time.Millisecond},
		},
		{
			name: "timeout mid-body (server stops reading)", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.CopyN(io.Discard, r.Body, 1000)
				// The server only notices a closed connection once it reads
				// again, so stall for longer than the client waits.
				time.Sleep(3 * time.Second)
			},
			wantAttempts: 2, wantDelays: []time.Duration{900 * time.Millisecond},
		},
		{
			name: "upload landed but the answer was lost", n: 1,
			apply: func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				next.ServeHTTP(httptest.NewRecorder(), r) // the index stores it
				hijackClose(w)
			},
			wantAttempts: 2, wantDelays: []time.Duration{900 * time.Millisecond},
		},
		{
			name: "landed, answer lost, index refuses identical re-upload", n: 1, strict: true,
			apply: func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				next.ServeHTTP(httptest.NewRecorder(), r)
				hijackClose(w)
			},
			wantAttempts: 2, wantDelays: []time.Duration{900 * time.Millisecond}, wantLanded: true,
		},
		{
			name: "landed every time, but every answer is a 502", n: 100,
			apply: func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				next.ServeHTTP(httptest.NewRecorder(), r)
				w.WriteHeader(502)
			},
			wantAttempts: 3, wantDelays: []time.Duration{900 * time.Millisecond, 1800 * time.Millisecond}, wantLanded: true,
		},
		{
			name: "503 every time", n: 100,
			apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
				io.Copy(io.Discard, r.Body)
				w.WriteHeader(503)
			},
			wantErr: "gave up after 3 attempts", wantAttempts: 3, wantDelays: []time.Duration{900 * time.Millisecond, 1800 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pypi := newFakePyPI(t)
			pypi.strictDuplicates = tt.strict
			srv := httptest.NewServer(&fault{next: pypi, n: tt.n, apply: tt.apply})
			defer srv.Close()
			c, sleeps, logs := testClient(srv.URL + "/legacy/")
			c.Retry = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second, MaxRetryAfter: time.Minute, Jitter: 0.2}
			c.Now = func() time.Time { return now }
			c.StallTimeout = 30 * time.Second
			if strings.HasPrefix(tt.name, "timeout") {
				c.StallTimeout = time.Second
			}
			payload := int64(200 << 10)
			if strings.Contains(tt.name, "mid-body") {
				payload = 32 << 20 // more than the socket buffers hold
			}
			f := openDist(t, buildWheel(t, t.TempDir(), "retry", "1.0", payload))
			obs := &recObserver{}
			res, err := c.Upload(context.Background(), f, WithObserver(obs))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			if res.Attempts != tt.wantAttempts || fmt.Sprint(sleeps.got()) != fmt.Sprint(tt.wantDelays) || res.LandedEarlier != tt.wantLanded {
				t.Errorf("attempts %d delays %v landed %v; want %d %v %v", res.Attempts, sleeps.got(), res.LandedEarlier, tt.wantAttempts, tt.wantDelays, tt.wantLanded)
			}
			if len(obs.retries) != len(tt.wantDelays) {
				t.Errorf("observer saw retries %v", obs.retries)
			}
			// Nothing uploaded twice, nothing lost.
			wantStored := 1
			if tt.wantErr != "" {
				wantStored = 0
			}
			if pypi.count() != wantStored || len(pypi.log) != wantStored {
				t.Errorf("index stored %d files (%v), want %d", pypi.count(), pypi.log, wantStored)
			}
			if tt.wantErr == "" {
				want, _, _ := fileDigests(f.Path)
				if st := pypi.file(f.Filename.Raw); st == nil || st.sha256 != want {
					t.Errorf("stored file does not match")
				}
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			assertNoCanary(t, msg, logs.String(), strings.Join(obs.retries, "\n"))
		})
	}
}

// TestLandedEarlierButDifferent: after a lost answer, "File already
// exists" for DIFFERENT content on the index is an error, not a success.
func TestLandedEarlierButDifferent(t *testing.T) {
	pypi := newFakePyPI(t)
	var once atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && once.CompareAndSwap(false, true) {
			io.Copy(io.Discard, r.Body)
			// Meanwhile, another build of the same name lands.
			pypi.seed("race-1.0-py3-none-any.whl", "race", "1.0", []byte("other build"))
			hijackClose(w)
			return
		}
		pypi.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, _, _ := testClient(srv.URL + "/legacy/")
	res, err := c.Upload(context.Background(), openDist(t, buildWheel(t, t.TempDir(), "race", "1.0", 0)))
	if err == nil || !IsFileExists(err) || res.LandedEarlier {
		t.Fatalf("err = %v landed = %v, want a File already exists error", err, res.LandedEarlier)
	}
}

func TestConnectionRefusedRetriedThenFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, sleeps, _ := testClient("http://" + addr + "/legacy/")
	c.Retry = RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 2 * time.Second, Jitter: -1}
	res, err := c.Upload(context.Background(), openDist(t, buildWheel(t, t.TempDir(), "refused", "1.0", 0)))
	if err == nil || !strings.Contains(err.Error(), "refused") || res.Attempts != 4 {
		t.Fatalf("err = %v attempts %d", err, res.Attempts)
	}
	if got := fmt.Sprint(sleeps.got()); got != "[1s 2s 2s]" {
		t.Errorf("delays %s, want exponential capped [1s 2s 2s]", got)
	}
	if strings.Contains(err.Error(), "may or may not") {
		t.Errorf("a refused connection never stored anything: %v", err)
	}
}

// TestCredentialsAskedPerRequest: a source that mints tokens is asked
// again for each attempt, so a token can be refreshed during retries.
func TestCredentialsAskedPerRequest(t *testing.T) {
	pypi := newFakePyPI(t)
	srv := httptest.NewServer(&fault{next: pypi, n: 2, apply: func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(500)
	}})
	defer srv.Close()
	c, _, _ := testClient(srv.URL + "/legacy/")
	var calls atomic.Int32
	c.Credentials = CredentialFunc(func(context.Context) (Credentials, error) {
		calls.Add(1)
		return TokenCredentials(secret.New(canaryToken)), nil
	})
	if _, err := c.Upload(context.Background(), openDist(t, buildWheel(t, t.TempDir(), "mint", "1.0", 0))); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("credentials asked %d times for 3 attempts", calls.Load())
	}
	c.Credentials = CredentialFunc(func(context.Context) (Credentials, error) {
		return Credentials{}, errors.New("minting failed: audience mismatch")
	})
	_, err := c.Upload(context.Background(), openDist(t, buildWheel(t, t.TempDir(), "mint2", "1.0", 0)))
	if err == nil || !strings.Contains(err.Error(), "audience mismatch") {
		t.Errorf("err = %v", err)
	}
}

// TestFileChangedDuringUpload: a file rewritten after it was checked is
// refused instead of sending a body that does not match its length.
func TestFileChangedDuringUpload(t *testing.T) {
	pypi := newFakePyPI(t)
	srv := httptest.NewServer(pypi)
	defer srv.Close()
	c, _, _ := testClient(srv.URL + "/legacy/")
	dir := t.TempDir()
	f := openDist(t, buildWheel(t, dir, "changed", "1.0", 0))
	f.Size += 10
	_, err := c.Upload(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "changed size") {
		t.Fatalf("err = %v", err)
	}
	if pypi.postCount() != 0 {
		t.Error("a changed file was sent")
	}
}

func TestServerErrorJSONHasNoSecrets(t *testing.T) {
	se := &ServerError{URL: "https://upload.pypi.org/legacy/", Filename: "x.whl", StatusCode: 403, Reason: "Invalid API Token", Hint: Hint{Kind: HintBadCredentials}}
	b, _ := json.Marshal(se)
	assertNoCanary(t, string(b), se.Error())
}

func TestServerMessage(t *testing.T) {
	const exists = "File already exists ('a-1.0.tar.gz', with blake2_256 hash 'ab'). See https://pypi.org/help/#file-name-reuse for more information."
	tests := []struct {
		name         string
		status       string
		header       http.Header
		body         string
		wantReason   string
		wantInBody   string
		wantExists   bool
		wantNoInBody string
	}{
		{"PyPI over HTTP/1.1: reason phrase", "400 " + exists, http.Header{"Content-Type": {"text/html"}}, "<html><head><title>400 " + exists + "</title></head><body><h1>400 Bad Request</h1>The server could not comply<br/><br/>\n" + exists + "\n</body></html>", exists, "The server could not comply", true, "<h1>"},
		{"trustpub serve: X-PyPI-Error", "400 Bad Request", http.Header{"X-Pypi-Error": {exists}, "Content-Type": {"text/plain"}}, exists + "\n", exists, exists, true, ""},
		{"Pyramid JSON (HTTP/2)", "400 Bad Request", http.Header{"Content-Type": {"application/json"}}, `{"message": "The server could not comply.\n\n` + exists + `", "code": "400 ` + exists + `", "title": "Bad Request"}`, exists, "could not comply", true, `"code"`},
		{"plain body, last line", "403 Forbidden", http.Header{"Content-Type": {"text/plain"}}, "403 Forbidden\n\nAccess was denied to this resource.\n\nInvalid API Token: token is expired\n", "Invalid API Token: token is expired", "Access was denied", false, ""},
		{"pypiserver 409 page", "409 Conflict", http.Header{"Content-Type": {"text/html; charset=UTF-8"}}, pypiserverPage("409 Conflict", "Package &#039;a-1.0.tar.gz&#039; already exists!\n  You may start server with `--overwrite` option."),
			"Package 'a-1.0.tar.gz' already exists! You may start server with `--overwrite` option.", "Sorry, the requested URL", true, "background-color"},
		{"pypiserver 403 page, <pre>None</pre>", "403 Forbidden", http.Header{"Content-Type": {"text/html; charset=UTF-8"}}, pypiserverPage("403 Forbidden", "None"), "Forbidden", "Error: 403 Forbidden", false, "<pre>"},
		{"RFC 9457 problem", "403 Forbidden", http.Header{"Content-Type": {"application/problem+json"}}, `{"type":"about:blank","title":"Forbidden","status":403,"detail":"token lacks the upload scope"}`,
			"Forbidden: token lacks the upload scope", "token lacks the upload scope", false, `"type"`},
		{"JSON detail (FastAPI)", "400 Bad Request", http.Header{"Content-Type": {"application/json"}}, `{"detail":"File already exists"}`, "File already exists", "File already exists", true, `"detail"`},
		{"Artifactory errors", "403 Forbidden", http.Header{"Content-Type": {"application/json"}}, `{"errors":[{"status":403,"message":"Not enough permissions to deploy"}]}`, "Not enough permissions to deploy", "Not enough permissions", false, `"status"`},
		{"terminal escapes removed", "500 Internal Server Error", http.Header{"Content-Type": {"text/plain"}}, "boom \x1b[2J\x1b]0;title\x07", "boom ?[2J?]0;title?", "boom", false, "\x1b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			fmt.Sscanf(tt.status, "%d", &code)
			resp := &http.Response{Status: tt.status, StatusCode: code, Header: tt.header}
			reason, body := serverMessage(resp, []byte(tt.body))
			if reason != tt.wantReason || !strings.Contains(body, tt.wantInBody) || tt.wantNoInBody != "" && strings.Contains(body, tt.wantNoInBody) {
				t.Errorf("reason %q\nbody %q", reason, body)
			}
			se := &ServerError{StatusCode: code, Reason: reason, Body: body}
			if se.FileExists() != tt.wantExists {
				t.Errorf("FileExists = %v", se.FileExists())
			}
		})
	}
}

// TestHTTPSUsesHTTP1: over TLS the default client speaks HTTP/1.1 even to
// a server offering HTTP/2, so PyPI's reason phrases arrive (as in twine).
func TestHTTPSUsesHTTP1(t *testing.T) {
	pypi := newFakePyPI(t)
	var proto atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(int32(r.ProtoMajor))
		pypi.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	hc := DefaultHTTPClient()
	hc.Transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	c, _, _ := testClient(srv.URL + "/legacy/")
	c.HTTPClient = hc
	f := openDist(t, buildWheel(t, t.TempDir(), "tls", "1.0", 0))
	if _, err := c.Upload(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if proto.Load() != 1 {
		t.Errorf("upload used HTTP/%d", proto.Load())
	}
	// PyPI's message arrives in the status line.
	pypi.seed("tls-1.0-py3-none-any.whl", "tls", "1.0", []byte("other"))
	pypi.files["tls-1.0-py3-none-any.whl"].sha256 = "0"
	_, err := c.Upload(context.Background(), f)
	var se *ServerError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Reason, "File already exists") {
		t.Errorf("err = %v", err)
	}
}

// planFor returns f's form fields and body plan.
func planFor(t *testing.T, f *pydist.File) ([]formField, *bodyPlan) {
	t.Helper()
	fields, err := formFields(f)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planBody(fields, f.Filename.Raw, f.Size)
	if err != nil {
		t.Fatal(err)
	}
	return fields, plan
}

// TestStreamBodyMatchesMultipartWriter: the streamed body is byte for
// byte what mime/multipart writes for the same parts, and its planned
// length is exact. Buffers come from one pool, which hands back each one
// dirty from the previous, larger file: no stale byte may reach a body.
func TestStreamBodyMatchesMultipartWriter(t *testing.T) {
	pool := &bufpool.Pool{}
	for _, payload := range []int64{3*chunkSize + 17, chunkSize, chunkSize - 1, 40 << 10, 1, 0, 40<<10 - 3} {
		t.Run(fmt.Sprint(payload), func(t *testing.T) {
			f := openDist(t, buildWheel(t, t.TempDir(), "frame", "1.0", payload))
			fields, plan := planFor(t, f)
			var progress []int64
			body, err := openBody(plan, f.Path, pool, func(sent, total int64) { progress = append(progress, sent) })
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(body)
			body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(got)) != plan.totalLength {
				t.Fatalf("body is %d bytes, planned %d", len(got), plan.totalLength)
			}
			content, _ := os.ReadFile(f.Path)
			sha, blake, _ := fileDigests(f.Path)
			var want bytes.Buffer
			mw := multipart.NewWriter(&want)
			mw.SetBoundary(plan.boundary)
			for _, ff := range fields {
				mw.WriteField(ff.name, ff.value)
			}
			pw, _ := mw.CreatePart(contentPartHeader(f.Filename.Raw))
			pw.Write(content)
			mw.WriteField("sha256_digest", sha)
			mw.WriteField("blake2_256_digest", blake)
			mw.Close()
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("streamed body differs from multipart.Writer's (%d vs %d bytes)", len(got), want.Len())
			}
			if s, b, whole := body.digests(); s != sha || b != blake || !whole {
				t.Errorf("digests %s %s %v", s, b, whole)
			}
			if len(progress) == 0 || progress[len(progress)-1] != f.Size {
				t.Errorf("progress ends at %v, want %d", progress, f.Size)
			}
		})
	}
}

// TestStreamBodyClose: net/http may close a body while its writer goroutine
// still reads it; the buffer goes back to the pool only once no Read is
// running, and a Read after Close fails instead of reading a buffer another
// body may own. Run with -race.
func TestStreamBodyClose(t *testing.T) {
	f := openDist(t, buildWheel(t, t.TempDir(), "closing", "1.0", 3*chunkSize))
	_, plan := planFor(t, f)
	pool := &bufpool.Pool{}
	for range 20 {
		body, err := openBody(plan, f.Path, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, body)
			done <- err
		}()
		body.Close()
		if err := <-done; err != nil && !errors.Is(err, errBodyClosed) {
			t.Fatalf("read during Close: %v", err)
		}
		if _, err := body.Read(make([]byte, 10)); !errors.Is(err, errBodyClosed) {
			t.Fatalf("Read after Close = %v, want errBodyClosed", err)
		}
		if err := body.failure(); err != nil {
			// Closing is the transport's decision, not a fault of the file:
			// the attempt must stay retryable.
			t.Fatalf("a closed body reports a failure of its own: %v", err)
		}
	}
}

// pypiserverPage is Bottle's error page as pypiserver 2.4.1 sends it (the
// body already HTML-escaped).
func pypiserverPage(status, pre string) string {
	return "\n    <!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n    <html>\n        <head>\n            <title>Error: " + status + "</title>\n" +
		"            <style type=\"text/css\">\n              html {background-color: #eee; font-family: sans;}\n            </style>\n        </head>\n        <body>\n" +
		"            <h1>Error: " + status + "</h1>\n            <p>Sorry, the requested URL <tt>&#039;http://127.0.0.1:18080/&#039;</tt>\n               caused an error:</p>\n" +
		"            <pre>" + pre + "</pre>\n        </body>\n    </html>\n"
}
