package upload_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/index"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/trustedpublishing"
	"github.com/trustpub/trustpub/upload"
)

// A Go program publishes a release with trusted publishing: the CI's OIDC
// token is exchanged at the index for an upload token, minted again before
// it expires, and every file goes to the index. Here the index is trustpub's
// own, on loopback, trusting a development OIDC issuer; in a CI job the
// Exchanger's zero value finds the CI's token itself (ambient.Detect).
func Example_trustedPublishing() {
	ctx := context.Background()
	publishURL, ciToken, cleanup := exampleIndex()
	defer cleanup()

	x := &trustedpublishing.Exchanger{
		// In a CI job leave Detect nil: ambient.Detect finds the job's token.
		Detect: func(context.Context, string) (ambient.Token, bool, error) {
			return ambient.NewToken(ciToken), true, nil
		},
	}
	client := &upload.Client{
		URL:         publishURL,
		Credentials: upload.TrustedPublishing(trustedpublishing.NewTokenSource(x, publishURL)),
	}
	dir, _ := os.MkdirTemp("", "dist")
	defer os.RemoveAll(dir)
	path, _ := disttest.WriteWheel(dir, "example", "1.0", disttest.Options{})
	f, err := pydist.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := client.Publish(ctx, []*pydist.File{f}, upload.PublishOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rep.Files {
		fmt.Println(r.Name, r.Outcome)
	}
	// Output: example-1.0-py3-none-any.whl uploaded
}

// exampleIndex starts a dev OIDC issuer and an index that trusts it for
// the project "example" published from octo/example's release.yml, and
// returns the index's publish URL and a token the issuer signed for that
// workflow.
func exampleIndex() (publishURL, ciToken string, cleanup func()) {
	key, err := devissuer.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	var iss *devissuer.Issuer
	issSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { iss.ServeHTTP(w, r) }))
	if iss, err = devissuer.New(issSrv.URL, key); err != nil {
		log.Fatal(err)
	}
	data, _ := os.MkdirTemp("", "index")
	srv, err := index.New(index.Options{
		DataDir: data,
		Logger:  slog.New(slog.DiscardHandler),
		Publishers: publisher.Publishers{GitHub: []publisher.GitHub{{
			Project: "example", Owner: "octo", Repository: "example", Workflow: "release.yml", Issuer: issSrv.URL,
		}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	idx := httptest.NewServer(srv)
	ciToken, err = iss.GitHubToken(devissuer.GitHubIdentity{Owner: "octo", Repository: "example", Workflow: "release.yml", Issuer: issSrv.URL})
	if err != nil {
		log.Fatal(err)
	}
	return idx.URL + "/legacy/", ciToken, func() {
		idx.Close()
		srv.Close()
		issSrv.Close()
		os.RemoveAll(data)
	}
}
