package jsonhttp

import (
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, 422, map[string]any{"message": "Token request failed"})
	if rec.Code != 422 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	if got := rec.Body.String(); got != "{\"message\":\"Token request failed\"}\n" {
		t.Fatalf("body %q", got)
	}
	rec = httptest.NewRecorder()
	Write(rec, 200, func() {}) // not encodable
	if rec.Code != 500 {
		t.Fatalf("unencodable value: %d", rec.Code)
	}
}
