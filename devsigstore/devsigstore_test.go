package devsigstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/trustpub/trustpub/devissuer"
)

// TestInclusionPath checks every leaf's audit path in trees of 1 to 33
// leaves with the transparency-dev verifier.
func TestInclusionPath(t *testing.T) {
	var leaves [][]byte
	for n := 1; n <= 33; n++ {
		leaves = append(leaves, rfc6962.DefaultHasher.HashLeaf([]byte(fmt.Sprint("leaf ", n))))
		root := treeHash(leaves)
		for m := range leaves {
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(m), uint64(n), leaves[m], inclusionPath(m, leaves), root); err != nil {
				t.Fatalf("tree of %d, leaf %d: %v", n, m, err)
			}
		}
	}
}

// TestSigningCertRefusals drives the Fulcio endpoint with requests it must
// refuse, and one it must grant.
func TestSigningCertRefusals(t *testing.T) {
	key, err := devissuer.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	defer srv.Close()
	iss, err := devissuer.New(srv.URL+"/gitlab", key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Dir: t.TempDir(), BaseURL: srv.URL, Issuers: []Issuer{{URL: iss.URL(), Kind: GitLab, Keys: []crypto.PublicKey{&key.PublicKey}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s
	other, _ := devissuer.New(srv.URL+"/other", key)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	token := func(i *devissuer.Issuer, aud string) string {
		tok, err := i.GitLabToken(devissuer.GitLabIdentity{Namespace: "group", Project: "example", Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	sub := "project_path:group/example:ref_type:branch:ref:main"
	pop := func(msg string) string {
		h := sha256.Sum256([]byte(msg))
		sig, _ := ecdsa.SignASN1(rand.Reader, ec, h[:])
		return base64.StdEncoding.EncodeToString(sig)
	}
	body := func(p string) string {
		b, _ := json.Marshal(map[string]any{"publicKeyRequest": map[string]any{
			"publicKey": map[string]string{"algorithm": "ECDSA", "content": pubPEM}, "proofOfPossession": p}})
		return string(b)
	}
	cases := []struct {
		name, auth, body string
		status           int
		want             string
	}{
		{"granted", "Bearer " + token(iss, Audience), body(pop(sub)), 200, "signedCertificateEmbeddedSct"},
		{"no token", "", body(pop(sub)), 401, "There was an error processing the identity token"},
		{"audience pypi", "Bearer " + token(iss, "pypi"), body(pop(sub)), 401, "expected audience"},
		{"untrusted issuer", "Bearer " + token(other, Audience), body(pop(sub)), 401, "is not trusted"},
		{"proof over another subject", "Bearer " + token(iss, Audience), body(pop("someone else")), 400, "could not be verified"},
		{"not JSON", "Bearer " + token(iss, Audience), "{", 400, "not a CreateSigningCertificateRequest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+FulcioPath+"/api/v2/signingCert", strings.NewReader(c.body))
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			if resp.StatusCode != c.status || !strings.Contains(buf.String(), c.want) {
				t.Errorf("%d %s, want %d with %q", resp.StatusCode, buf.String(), c.status, c.want)
			}
		})
	}
	// The exported documents parse as what they claim to be.
	tr, err := s.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	if parsed, err := root.NewTrustedRootFromJSON(tr); err != nil || len(parsed.RekorLogs()) != 1 || len(parsed.FulcioCertificateAuthorities()) != 1 {
		t.Errorf("trusted root: %v %s", err, tr)
	}
	sc, err := s.SigningConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	if parsed, err := root.NewSigningConfigFromJSON(sc); err != nil || len(parsed.RekorLogURLs()) != 1 || parsed.RekorLogURLs()[0].URL != s.RekorURL() {
		t.Errorf("signing config: %v %s", err, sc)
	}
}

// TestCertificateAsFulcio pins the SAN and extensions issued for GitHub and
// GitLab tokens to what Fulcio v1.8.8 (sigstore/fulcio, with its
// config/identity templates) issued for the same dev-issuer tokens when run
// side by side in development: every Fulcio field the certificate summary
// holds is equal.
func TestCertificateAsFulcio(t *testing.T) {
	const iss = "http://127.0.0.1:8765/_/dev-issuer/"
	s := &Sigstore{now: time.Now}
	var err error
	if s.caKey, err = loadOrCreateKey(filepath.Join(t.TempDir(), "ca.pem")); err != nil {
		t.Fatal(err)
	}
	if s.caCert, err = loadOrCreateCA(filepath.Join(t.TempDir(), "ca.crt"), s.caKey, time.Now()); err != nil {
		t.Fatal(err)
	}
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	gh, _ := devissuer.GitHubClaims(devissuer.GitHubIdentity{Repository: "octo/hello", Workflow: "release.yml", Environment: "pypi", Issuer: iss + "github"})
	gl, _ := devissuer.GitLabClaims(devissuer.GitLabIdentity{Namespace: "example-group", Project: "hello", Environment: "pypi", Issuer: iss + "gitlab"})
	sha := func(c map[string]any) string { return c["sha"].(string) }
	cases := []struct {
		kind   Kind
		claims map[string]any
		want   map[string]string
	}{
		{GitHub, gh, map[string]string{
			"subjectAlternativeName":              "https://github.com/octo/hello/.github/workflows/release.yml@refs/heads/main",
			"issuer":                              iss + "github",
			"githubWorkflowTrigger":               "push",
			"githubWorkflowSHA":                   sha(gh),
			"githubWorkflowName":                  "release",
			"githubWorkflowRepository":            "octo/hello",
			"githubWorkflowRef":                   "refs/heads/main",
			"buildSignerURI":                      "https://github.com/octo/hello/.github/workflows/release.yml@refs/heads/main",
			"buildSignerDigest":                   sha(gh),
			"runnerEnvironment":                   "github-hosted",
			"sourceRepositoryURI":                 "https://github.com/octo/hello",
			"sourceRepositoryDigest":              sha(gh),
			"sourceRepositoryRef":                 "refs/heads/main",
			"sourceRepositoryIdentifier":          gh["repository_id"].(string),
			"sourceRepositoryOwnerURI":            "https://github.com/octo",
			"sourceRepositoryOwnerIdentifier":     gh["repository_owner_id"].(string),
			"buildConfigURI":                      "https://github.com/octo/hello/.github/workflows/release.yml@refs/heads/main",
			"buildConfigDigest":                   sha(gh),
			"buildTrigger":                        "push",
			"runInvocationURI":                    "https://github.com/octo/hello/actions/runs/" + gh["run_id"].(string) + "/attempts/1",
			"sourceRepositoryVisibilityAtSigning": "public",
		}},
		{GitLab, gl, map[string]string{
			"subjectAlternativeName":              "https://127.0.0.1:8765/_/dev-issuer/gitlab/example-group/hello//.gitlab-ci.yml@refs/heads/main",
			"issuer":                              iss + "gitlab",
			"buildSignerURI":                      "https://127.0.0.1:8765/_/dev-issuer/gitlab/example-group/hello//.gitlab-ci.yml@refs/heads/main",
			"buildSignerDigest":                   sha(gl),
			"runnerEnvironment":                   "gitlab-hosted",
			"sourceRepositoryURI":                 "https://gitlab.com/example-group/hello",
			"sourceRepositoryDigest":              sha(gl),
			"sourceRepositoryRef":                 "refs/heads/main",
			"sourceRepositoryIdentifier":          gl["project_id"].(string),
			"sourceRepositoryOwnerURI":            "https://gitlab.com/example-group",
			"sourceRepositoryOwnerIdentifier":     gl["namespace_id"].(string),
			"buildConfigURI":                      "https://127.0.0.1:8765/_/dev-issuer/gitlab/example-group/hello//.gitlab-ci.yml@refs/heads/main",
			"buildConfigDigest":                   sha(gl),
			"buildTrigger":                        "push",
			"runInvocationURI":                    "https://gitlab.com/example-group/hello/-/jobs/" + gl["job_id"].(string),
			"sourceRepositoryVisibilityAtSigning": "public",
		}},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			der, err := s.issue(&leafKey.PublicKey, c.claims, Issuer{URL: c.claims["iss"].(string), Kind: c.kind})
			if err != nil {
				t.Fatal(err)
			}
			cert, _ := x509.ParseCertificate(der)
			sum, err := certificate.SummarizeCertificate(cert)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(sum)
			var got map[string]any
			json.Unmarshal(b, &got)
			delete(got, "certificateIssuer")
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %q", k, got[k], v)
				}
			}
			for k := range got {
				if _, ok := c.want[k]; !ok {
					t.Errorf("unexpected field %s = %v", k, got[k])
				}
			}
			env, sub := false, false
			for _, e := range cert.Extensions {
				env = env || e.Id.Equal(oidDeploymentEnvironment)
				sub = sub || e.Id.Equal(oidTokenSubject)
			}
			if !env || !sub || cert.NotAfter.Sub(cert.NotBefore) != certLifetime {
				t.Errorf("deployment environment %v, token subject %v, lifetime %v", env, sub, cert.NotAfter.Sub(cert.NotBefore))
			}
		})
	}
}
