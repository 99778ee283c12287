package fakepypiserver

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestConflictPageBytes: the 409 page is the one observed from pypiserver
// 2.4.1 (810 bytes for this file at http://127.0.0.1:18080/).
func TestConflictPageBytes(t *testing.T) {
	s := New("peer", "peerpass")
	post := func(ua string) *http.Response {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField(":action", "file_upload")
		w, _ := mw.CreateFormFile("content", "wheel-0.38.4-py3-none-any.whl")
		w.Write([]byte("zip"))
		mw.Close()
		req := httptest.NewRequest("POST", "http://127.0.0.1:18080/", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("User-Agent", ua)
		req.SetBasicAuth("peer", "peerpass")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Result()
	}
	if r := post("curl/8"); r.StatusCode != 200 || r.Header.Get("Content-Length") != "0" {
		t.Fatalf("first upload: %d", r.StatusCode)
	}
	for ua, code := range map[string]int{"curl/8": 409, "twine/4.0.2 CPython/3.11": 400} {
		r := post(ua)
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != code || len(body) != 810 && code == 409 || r.Header.Get("Content-Type") != "text/html; charset=UTF-8" {
			t.Errorf("%s: %d, %d bytes, %s", ua, r.StatusCode, len(body), r.Header.Get("Content-Type"))
		}
		if !bytes.Contains(body, []byte("<pre>Package &#039;wheel-0.38.4-py3-none-any.whl&#039; already exists!\n  You may start server with `--overwrite` option.</pre>")) {
			t.Errorf("body:\n%s", body)
		}
	}
}

// TestAuthAnswers: 401 with the Basic challenge, 403 for a wrong
// password, both Bottle pages showing None (observed: 707 and 701 bytes at
// http://127.0.0.1:18080/).
func TestAuthAnswers(t *testing.T) {
	s := New("peer", "peerpass")
	for _, tc := range []struct {
		user, pass string
		code, size int
	}{{"", "", 401, 707}, {"peer", "nope", 403, 701}} {
		req := httptest.NewRequest("POST", "http://127.0.0.1:18080/", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if rec.Code != tc.code || len(body) != tc.size || !bytes.Contains(body, []byte("<pre>None</pre>")) || (tc.code == 401) != (rec.Header().Get("WWW-Authenticate") == `Basic realm="pypi"`) {
			t.Errorf("%d: got %d, %d bytes, %v\n%s", tc.code, rec.Code, len(body), rec.Header(), body)
		}
	}
}
