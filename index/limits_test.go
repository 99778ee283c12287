package index

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// serveLimited runs the index the way `trustpub serve` does (HTTPServer on
// a LimitListener) on loopback with the given limits.
func serveLimited(t *testing.T, l Limits) *testIndex {
	t.Helper()
	ti := newTestIndex(t, func(o *Options) { o.Limits = l })
	ti.http.Close() // the httptest server has no limits: replace it
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := ti.srv.HTTPServer(ti.srv)
	go hs.Serve(ti.srv.LimitListener(ln))
	t.Cleanup(func() { hs.Close() })
	ti.url = "http://" + ln.Addr().String()
	return ti
}

// connBound bounds every read on a connection from dialIndex: far above
// every limit the tests set, so that only a server that never closes
// reaches it, however loaded the machine.
const connBound = 60 * time.Second

// dialIndex opens a raw loopback connection to the index. Every read on it
// is bounded (connBound), so a server that never closes fails the test
// instead of hanging it.
func dialIndex(t *testing.T, base string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(connBound))
	t.Cleanup(func() { c.Close() })
	return c
}

// readUntilClosed reads what the server sends until it closes the
// connection, and fails the test if the connection's bound passes first.
func readUntilClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the connection (got %.40q, %d bytes)", buf.String(), buf.Len())
	}
	return buf.String()
}

// uploadHead is the start of an authenticated upload of f whose file part
// is then sent by the test, declared as the whole file.
func uploadHead(f dfile) (head, fileHead, tail string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, fl := range f.form() {
		mw.WriteField(fl.name, fl.value)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="content"; filename="`+f.filename+`"`)
	h.Set("Content-Type", "application/octet-stream")
	mw.CreatePart(h)
	fields := buf.String()
	buf.Reset()
	mw.Close()
	tail = buf.String()
	n := len(fields) + len(f.data) + len(tail)
	head = fmt.Sprintf("POST /legacy/ HTTP/1.1\r\nHost: index\r\nAuthorization: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		basic("__token__", tokAll), mw.FormDataContentType(), n)
	return head, fields, tail
}

// TestSlowClientsAreCut holds connections the ways a hostile client would:
// headers never finished, a keep-alive connection left idle, an upload body
// that stalls or drips, a download never read. Each is closed by the
// server within its limit (bounded here by connBound per read), and an
// ordinary upload and download under the same limits work.
//
// The limits leave ordinary clients a wide margin, so that a loaded machine
// running the race detector stays clear of them: a 24 MiB upload is given
// stall+24 s (1 MiB/s; it takes about 3 s with -race on a loaded 2-core
// machine), a pause of 2 s without a byte, and 10 s to be stored and
// answered once its body is in. The hostile clients are far beyond them
// (a drip of 50 bytes/s, a stall or a download never read that last until
// connBound), so each case would fail if its limit were absent.
func TestSlowClientsAreCut(t *testing.T) {
	limits := Limits{
		ReadHeaderTimeout: time.Second,
		IdleTimeout:       time.Second,
		StallTimeout:      2 * time.Second,
		MinRate:           1 << 20,
		WriteTimeout:      10 * time.Second,
	}
	ti := serveLimited(t, limits)
	big := wheel(t, "slow", "1.0", disttest.Options{PayloadSize: 24 << 20, Seed: 3})
	// Ordinary clients are served.
	ti.mustUpload(t, big)
	resp, body := get(t, ti.url+"/files/slow/"+big.filename, "")
	if resp.StatusCode != 200 || len(body) != len(big.data) {
		t.Fatalf("ordinary download: %d, %d bytes", resp.StatusCode, len(body))
	}
	other := wheel(t, "slow", "2.0", disttest.Options{PayloadSize: 1 << 20, Seed: 4})
	// The download's deadline: StallTimeout plus its size at MinRate.
	downloadDeadline := limits.StallTimeout + time.Duration(len(big.data))*time.Second/time.Duration(limits.MinRate)

	tests := []struct {
		name string
		run  func(t *testing.T, c net.Conn) string // returns what the server sent
		want string                                // prefix of the answer ("" for none)
	}{
		{"headers never finished", func(t *testing.T, c net.Conn) string {
			io.WriteString(c, "GET /simple/ HTTP/1.1\r\nHost: index\r\n")
			return readUntilClosed(t, c)
		}, ""},
		{"keep-alive connection left idle", func(t *testing.T, c net.Conn) string {
			io.WriteString(c, "GET /simple/ HTTP/1.1\r\nHost: index\r\n\r\n")
			return readUntilClosed(t, c)
		}, "HTTP/1.1 200 OK"},
		{"upload body stalls", func(t *testing.T, c net.Conn) string {
			head, fields, _ := uploadHead(other)
			io.WriteString(c, head+fields)
			c.Write(other.data[:1000])
			return readUntilClosed(t, c)
		}, "HTTP/1.1 400 Invalid upload request: the file part ended early"}, // the refusal in the status line, as PyPI
		{"upload body drips", func(t *testing.T, c net.Conn) string {
			head, fields, _ := uploadHead(other)
			io.WriteString(c, head+fields)
			done := make(chan string)
			go func() { done <- readUntilClosed(t, c) }()
			tick := time.NewTicker(20 * time.Millisecond) // 50 bytes/s
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case got := <-done:
					return got
				case <-tick.C:
				}
				// Every byte comes well within StallTimeout: only the
				// minimum rate can cut this body. readUntilClosed fails the
				// test if the server still reads it after connBound.
				if i < len(other.data) {
					c.Write(other.data[i : i+1])
				}
			}
		}, "HTTP/1.1 400 Invalid upload request: the file part ended early"},
		{"download never read", func(t *testing.T, c net.Conn) string {
			// A small receive buffer, so that the kernel holds little of
			// the file for a client that does not read.
			c.(*net.TCPConn).SetReadBuffer(64 << 10)
			io.WriteString(c, "GET /files/slow/"+big.filename+" HTTP/1.1\r\nHost: index\r\n\r\n")
			// Read nothing until the download's deadline has long passed,
			// then read as fast as possible: a cut connection ends early,
			// one the server kept open delivers the whole file.
			time.Sleep(downloadDeadline + 3*time.Second)
			got := readUntilClosed(t, c)
			if len(got) >= len(big.data) {
				t.Fatalf("the whole file was delivered to a client that read nothing for %v, past its deadline", downloadDeadline+3*time.Second)
			}
			return got
		}, "HTTP/1.1 200 OK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.run(t, dialIndex(t, ti.url))
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("server sent %.40q (%d bytes), want it to begin %q", got, len(got), tc.want)
			}
		})
	}
	// Nothing of the cut uploads was kept.
	if files := dataFiles(t, ti.dir); strings.Contains(strings.Join(files, ","), "slow-2.0") {
		t.Fatalf("a cut upload left files: %v", files)
	}
}

// TestConnectionCap holds MaxConnections connections open and checks that
// another client is served only once one of them closes.
func TestConnectionCap(t *testing.T) {
	ti := serveLimited(t, Limits{MaxConnections: 2, ReadHeaderTimeout: time.Minute, IdleTimeout: time.Minute})
	held := []net.Conn{dialIndex(t, ti.url), dialIndex(t, ti.url)}
	for _, c := range held {
		// A request each, so that both connections are surely accepted.
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: index\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	answered := make(chan error, 1)
	go func() {
		c := &http.Client{Timeout: 20 * time.Second}
		resp, err := c.Get(ti.url + "/simple/")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	select {
	case err := <-answered:
		t.Fatalf("a third connection was served while two were held (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	if err := <-answered; err != nil {
		t.Fatalf("the waiting client after a slot freed: %v", err)
	}
}

// TestLimitsConfig reads the limits from the config file and fills the
// defaults in.
func TestLimitsConfig(t *testing.T) {
	opts, err := ParseConfig("index.toml", []byte(`
max_connections = 32
read_header_timeout = "5s"
idle_timeout = "2m"
stall_timeout = "20s"
min_transfer_rate = "8KiB"
write_timeout = "90s"
`), os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{MaxConnections: 32, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute,
		StallTimeout: 20 * time.Second, MinRate: 8 << 10, WriteTimeout: 90 * time.Second}
	if opts.Limits != want {
		t.Fatalf("limits = %+v, want %+v", opts.Limits, want)
	}
	if d := (Limits{}).withDefaults(); d.MaxConnections != DefaultMaxConnections || d.MinRate != DefaultMinRate || d.StallTimeout != DefaultStallTimeout {
		t.Fatalf("defaults = %+v", d)
	}
	for _, bad := range []struct{ toml, msg string }{
		{`max_connections = 0`, "index.toml:1: max_connections must be a whole number from 1 to 1048576"},
		{`max_connections = "many"`, "index.toml:1: max_connections must be a whole number"},
		{`min_transfer_rate = "fast"`, "index.toml:1:21: min_transfer_rate: size \"fast\" is not a number"},
		{`stall_timeout = 30`, "index.toml:1: stall_timeout must be a duration in quotes"},
	} {
		_, err := ParseConfig("index.toml", []byte(bad.toml), os.ReadFile)
		if err == nil || !strings.HasPrefix(err.Error(), bad.msg) {
			t.Errorf("%s: got %v, want %q", bad.toml, err, bad.msg)
		}
	}
}
