package index

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// TestRefusalReasonInStatusLine checks that every refusal carries its
// message in the status line, as Warehouse does, with the body and the
// X-PyPI-Error header unchanged, and that the request log still records it.
func TestRefusalReasonInStatusLine(t *testing.T) {
	ti := newTestIndex(t, nil)
	w := wheel(t, "reason", "1.0", disttest.Options{})
	ti.mustUpload(t, w)
	other := wheel(t, "reason", "1.0", disttest.Options{Description: "other bytes"})
	badAuth := w.req()
	badAuth.auth = basic("__token__", "pypi-wrong")
	unicodeName := wheel(t, "reason", "2.0", disttest.Options{}).req()
	unicodeName.filename = "réason-2.0-py3-none-any.whl"

	tests := []struct {
		name   string
		req    *uploadReq
		path   string
		code   int
		prefix string
	}{
		{"bad credential", badAuth, "/legacy/", 403, "Invalid or non-existent authentication information."},
		{"file exists", other.req(), "/legacy/", 400, "File already exists ('reason-1.0-py3-none-any.whl', with blake2_256 hash"},
		{"no trailing slash", w.req(), "/legacy", 308, msgNoSlash},
		{"non-ASCII in the message", unicodeName, "/legacy/", 400, "Invalid project name: 'réason-2.0-py3-none-any'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct, body := tc.req.body()
			req, _ := http.NewRequest("POST", ti.url+tc.path, bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", tc.req.auth)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			msg := strings.TrimSuffix(string(b), "\n")
			if resp.StatusCode != tc.code || !strings.HasPrefix(msg, tc.prefix) {
				t.Fatalf("got %d %q, want %d %q…", resp.StatusCode, msg, tc.code, tc.prefix)
			}
			if want := fmt.Sprintf("%d %s", tc.code, headerSafe(msg)); resp.Status != want {
				t.Errorf("status line %q, want %q", resp.Status, want)
			}
			if resp.Header.Get("X-PyPI-Error") != headerSafe(msg) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", resp.Header)
			}
			if !resp.Close {
				t.Errorf("a taken-over connection must be announced as closed")
			}
			if want := fmt.Sprintf("method=POST path=%s status=%d bytes=%d", tc.path, tc.code, len(b)); !strings.Contains(ti.logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, ti.logs.String())
			}
		})
	}
}

// TestRefusalStatusLineBytes reads the answer off the wire: one status
// line with the message, well-formed headers, the body of Content-Length.
func TestRefusalStatusLineBytes(t *testing.T) {
	ti := newTestIndex(t, nil)
	r := wheel(t, "wire", "1.0", disttest.Options{}).req()
	r.auth = ""
	ct, body := r.body()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ti.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST /legacy/ HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ct, len(body))
	conn.Write(body)
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	want := "HTTP/1.1 403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.\r\n"
	if line != want {
		t.Fatalf("status line %q\nwant %q", line, want)
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(line), br)), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != strings.TrimPrefix(strings.TrimSuffix(want, "\r\n"), "HTTP/1.1 403 ")+"\n" {
		t.Errorf("body %q", b)
	}
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("bytes after the answer: %q", rest)
	}
}

// TestRefusalOverHTTP2 checks the fallback: HTTP/2 has no reason phrase,
// so the answer is net/http's, with the message in header and body.
func TestRefusalOverHTTP2(t *testing.T) {
	ti := newTestIndex(t, nil)
	hs := httptest.NewUnstartedServer(ti.srv)
	hs.EnableHTTP2 = true
	hs.StartTLS()
	defer hs.Close()
	c := hs.Client()
	c.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	c.Transport.(*http.Transport).TLSClientConfig.NextProtos = []string{"h2"}
	r := wheel(t, "h2", "1.0", disttest.Options{}).req()
	r.auth = basic("__token__", "pypi-wrong")
	ct, body := r.body()
	req, _ := http.NewRequest("POST", hs.URL+"/legacy/", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", r.auth)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	msg := "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."
	if resp.ProtoMajor != 2 || resp.StatusCode != 403 || string(b) != msg+"\n" || resp.Header.Get("X-PyPI-Error") != msg {
		t.Fatalf("got %s %s %q %v", resp.Proto, resp.Status, b, resp.Header)
	}
}

// TestUploadPartWithoutContentType: flit (and requests given no type)
// send the file part without a Content-Type, which RFC 7578 reads as
// text/plain and Warehouse accepts.
func TestUploadPartWithoutContentType(t *testing.T) {
	ti := newTestIndex(t, nil)
	for _, ct := range []string{"", "text/plain", "application/x-tar"} {
		f := wheel(t, "untyped", "1.0."+fmt.Sprint(len(ct)), disttest.Options{})
		r := f.req()
		r.contentType = ct
		if code, body, _ := r.send(t, ti.url+"/legacy/"); code != 200 {
			t.Fatalf("Content-Type %q: %d %q", ct, code, body)
		}
	}
}
