package trustedpublishing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/trustedpublishing"
)

// Exchange a CI job's identity for an upload token. Here the whole release
// is rehearsed on loopback: a dev issuer stands in for GitLab, the index
// side is publisher.Endpoint, and the job's environment is simulated.
func ExampleExchanger_Exchange() {
	// A development OIDC issuer, standing in for a self-managed GitLab.
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	key, _ := devissuer.GenerateKey()
	iss, _ := devissuer.New(srv.URL+"/_/dev-issuer", key)
	mux.Handle("/_/dev-issuer/", iss)

	// The index: one GitLab publisher for project "sample".
	v, _ := publisher.NewVerifier(publisher.Config{Publishers: publisher.Publishers{GitLab: []publisher.GitLab{{
		Project: "sample", Namespace: "group", Repository: "sample", WorkflowFilepath: ".gitlab-ci.yml", Issuer: iss.URL(),
	}}}})
	mux.Handle("/_/oidc/", &publisher.Endpoint{Verifier: v, Mint: func(_ context.Context, m *publisher.Match, life time.Duration) (secret.String, time.Time, error) {
		return secret.New("pypi-for-" + strings.Join(m.Projects, ",")), time.Now().Add(life), nil
	}})

	// The job: GITLAB_CI=true and the ID token in PYPI_ID_TOKEN.
	jwt, _ := iss.GitLabToken(devissuer.GitLabIdentity{Namespace: "group", Project: "sample"})
	env := map[string]string{"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	x := &trustedpublishing.Exchanger{Detect: (&ambient.Detector{LookupEnv: lookup}).Detect, LookupEnv: lookup}
	tok, err := x.Exchange(context.Background(), srv.URL+"/legacy/")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token printed:", tok.Token)
	fmt.Println("token value:", tok.Token.Reveal())
	fmt.Println("valid for about 15 minutes:", time.Until(tok.Expires).Round(time.Minute))
	// Output:
	// token printed: [REDACTED]
	// token value: pypi-for-sample
	// valid for about 15 minutes: 15m0s
}
