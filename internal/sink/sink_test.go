package sink

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func start(t *testing.T) *Sink {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSinkReceivesAndCounts: every byte of a body is received and counted,
// whatever its size (within what the server's reader buffered with the
// headers, and beyond it, spliced) and however it is framed; the answer is
// 200, and anything but a POST is 404.
func TestSinkReceivesAndCounts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		chunked bool
	}{
		{"empty", 0, false},
		{"within the header read", 1000, false},
		{"spliced", 3<<20 + 17, false},
		{"chunked", 3<<20 + 17, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			var body io.Reader = bytes.NewReader(bytes.Repeat([]byte{'x'}, tc.size))
			if tc.chunked {
				body = struct{ io.Reader }{body} // no length: chunked
			}
			resp, err := http.Post(s.URL, "application/octet-stream", body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || s.Received() != int64(tc.size) {
				t.Fatalf("status %d, received %d of %d", resp.StatusCode, s.Received(), tc.size)
			}
		})
	}
	s := start(t)
	resp, err := http.Get(strings.TrimSuffix(s.URL, "legacy/") + "simple/x/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}

// TestSinkRawRequests: a body that ends before its Content-Length is
// counted for what arrived and answered 400, not 200; a client that asks
// for 100-continue gets it before sending.
func TestSinkRawRequests(t *testing.T) {
	for _, tc := range []struct {
		name       string
		declared   int
		sent       int
		expect     bool
		wantStatus int
	}{
		{"short body", 100000, 10, false, 400},
		{"100-continue", 2 << 20, 2 << 20, true, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.URL, "/legacy/"), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			head := "POST /legacy/ HTTP/1.1\r\nHost: sink\r\nContent-Length: " + strconv.Itoa(tc.declared) + "\r\n"
			if tc.expect {
				head += "Expect: 100-continue\r\n"
			}
			if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			if tc.expect {
				line, err := br.ReadString('\n')
				if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
					t.Fatalf("before the body: %q, %v", line, err)
				}
				br.ReadString('\n') // the blank line
			}
			if _, err := conn.Write(bytes.Repeat([]byte{'y'}, tc.sent)); err != nil {
				t.Fatal(err)
			}
			if tc.sent < tc.declared {
				conn.(*net.TCPConn).CloseWrite()
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || s.Received() != int64(tc.sent) {
				t.Fatalf("status %d (want %d), received %d of %d sent", resp.StatusCode, tc.wantStatus, s.Received(), tc.sent)
			}
		})
	}
}
