package index_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/trustpub/trustpub/index"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/upload"
)

// An index over a data directory, served by net/http: an upload with an
// API token, then the project's page on the simple API (PEP 691 JSON).
func Example() {
	data, _ := os.MkdirTemp("", "index")
	defer os.RemoveAll(data)
	srv, err := index.New(index.Options{
		DataDir: data,
		Tokens:  []index.APIToken{{Name: "ci", Token: secret.New("pypi-example-token")}},
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	dir, _ := os.MkdirTemp("", "dist")
	defer os.RemoveAll(dir)
	path, _ := disttest.WriteWheel(dir, "example", "1.0", disttest.Options{})
	f, err := pydist.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	client := &upload.Client{
		URL:         hs.URL + "/legacy/",
		Credentials: upload.StaticCredentials(upload.TokenCredentials(secret.New("pypi-example-token"))),
	}
	if _, err := client.Upload(context.Background(), f); err != nil {
		log.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/simple/example/", nil)
	req.Header.Set("Accept", index.MediaTypeJSON)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Name  string `json:"name"`
		Files []struct {
			Filename string `json:"filename"`
		} `json:"files"`
		Versions []string `json:"versions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.Name, page.Versions, page.Files[0].Filename)
	// Output: example [1.0] example-1.0-py3-none-any.whl
}
