package sink

import (
	"net/http"
	"strings"
	"testing"
)

func TestSinkDiscardsAndCounts(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Post(s.URL, "application/octet-stream", strings.NewReader(strings.Repeat("x", 1000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || s.Received() != 1000 {
		t.Fatalf("status %d, received %d", resp.StatusCode, s.Received())
	}
	resp, err = http.Get(strings.TrimSuffix(s.URL, "legacy/") + "simple/x/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}
