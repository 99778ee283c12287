package publisher_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/secret"
)

// Serve trusted publishing on an index: GitHub's release.yml of
// octo/sample, in the "pypi" environment, may publish project "sample".
func ExampleEndpoint() {
	v, err := publisher.NewVerifier(publisher.Config{
		Audience: "pypi",
		Publishers: publisher.Publishers{GitHub: []publisher.GitHub{{
			Project: "sample", Owner: "octo", Repository: "sample", Workflow: "release.yml", Environment: "pypi",
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/_/oidc/", &publisher.Endpoint{Verifier: v, Mint: func(ctx context.Context, m *publisher.Match, lifetime time.Duration) (secret.String, time.Time, error) {
		// The index issues its own token, limited to m.Projects.
		return secret.New("pypi-..."), time.Now().Add(lifetime), nil
	}})
	fmt.Println("audience:", v.Audience())
	// Output: audience: pypi
}

// A configuration mistake is reported with the publisher and field.
func ExampleConfig_Validate() {
	cfg := publisher.Config{Publishers: publisher.Publishers{GitHub: []publisher.GitHub{{
		Project: "sample", Owner: "octo", Repository: "octo/sample", Workflow: "release.yml",
	}}}}
	fmt.Println(cfg.Validate())
	// Output: trusted publisher github[0] (project "sample"): repository "octo/sample" contains '/': give the owner in owner and only the name in repository
}
