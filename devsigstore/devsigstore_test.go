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
	"strings"
	"testing"

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
