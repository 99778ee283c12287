package testutil

import (
	"encoding/json"
	"net/http"
	"testing"
)

// SimpleFiles reads a project's page of the PyPI simple API (JSON, PEP 691)
// from the index at base and returns its files, filename → sha256 digest;
// nil when the index has no such project (404). Any other failure fails
// the test.
func SimpleFiles(t testing.TB, base, project string) map[string]string {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/simple/"+project+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", req.URL, resp.Status)
	}
	var page struct {
		Files []struct {
			Filename string            `json:"filename"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
	files := map[string]string{}
	for _, f := range page.Files {
		files[f.Filename] = f.Hashes["sha256"]
	}
	return files
}
