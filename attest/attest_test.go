package attest_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/attest"
	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devsigstore"
	"github.com/trustpub/trustpub/pep740"
)

// rig is a dev GitHub and GitLab issuer and a dev Sigstore on loopback.
type rig struct {
	github, gitlab *devissuer.Issuer
	sigstore       *devsigstore.Sigstore
	verifier       *attest.Verifier
}

var rsaKey *rsa.PrivateKey

func newRig(t *testing.T) *rig {
	t.Helper()
	if rsaKey == nil {
		k, err := devissuer.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rsaKey = k
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r := &rig{}
	var err error
	if r.github, err = devissuer.New(srv.URL+"/github", rsaKey); err != nil {
		t.Fatal(err)
	}
	if r.gitlab, err = devissuer.New(srv.URL+"/gitlab", rsaKey); err != nil {
		t.Fatal(err)
	}
	r.sigstore, err = devsigstore.New(devsigstore.Options{
		Dir: t.TempDir(), BaseURL: srv.URL + "/sigstore",
		Issuers: []devsigstore.Issuer{
			{URL: r.github.URL(), Kind: devsigstore.GitHub, Keys: []crypto.PublicKey{&rsaKey.PublicKey}},
			{URL: r.gitlab.URL(), Kind: devsigstore.GitLab, Keys: []crypto.PublicKey{&rsaKey.PublicKey}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/sigstore/", http.StripPrefix("/sigstore", r.sigstore))
	tr, err := r.sigstore.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	if r.verifier, err = attest.NewVerifier(tr); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) signer(t *testing.T, token func() (string, error)) *attest.Signer {
	t.Helper()
	s, err := attest.NewSigner(attest.SignerOptions{
		Services: attest.Services{FulcioURL: r.sigstore.FulcioURL(), RekorURL: r.sigstore.RekorURL()},
		Token:    func(context.Context) (string, error) { return token() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (r *rig) githubToken(repo, workflow string) func() (string, error) {
	return func() (string, error) {
		return r.github.GitHubToken(devissuer.GitHubIdentity{Repository: repo, Workflow: workflow, Audience: attest.Audience})
	}
}

func (r *rig) gitlabToken(ns, project, file string) func() (string, error) {
	return func() (string, error) {
		return r.gitlab.GitLabToken(devissuer.GitLabIdentity{Namespace: ns, Project: project, WorkflowFilepath: file, Audience: attest.Audience})
	}
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const wheel = "example_pkg-1.0-py3-none-any.whl"

func TestRoundTrip(t *testing.T) {
	r := newRig(t)
	sha := digest("wheel bytes")
	cases := []struct {
		name  string
		token func() (string, error)
		id    attest.Identity
		san   string
	}{
		{"github", r.githubToken("octo/example", "release.yml"),
			attest.GitHub("octo/example", "release.yml", "", r.github.URL()),
			"https://github.com/octo/example/.github/workflows/release.yml@refs/heads/main"},
		{"gitlab", r.gitlabToken("group/sub", "example", ".gitlab-ci.yml"),
			attest.GitLab("group/sub/example", ".gitlab-ci.yml", "", r.gitlab.URL()),
			"https://" + strings.TrimPrefix(r.gitlab.URL(), "http://") + "/group/sub/example//.gitlab-ci.yml@refs/heads/main"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := r.signer(t, c.token).Sign(context.Background(), wheel, sha)
			if err != nil {
				t.Fatal(err)
			}
			// Through PyPI's JSON and back, as an index receives it.
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			back, err := pep740.Parse(b)
			if err != nil {
				t.Fatalf("Parse(own output): %v\n%s", err, b)
			}
			pt, err := r.verifier.Verify(back, c.id, wheel, sha)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if pt != pep740.PredicatePublishV1 {
				t.Errorf("predicate type %q", pt)
			}
			st, err := pep740.DecodeStatement(back.Envelope.Statement)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Subject) != 1 || st.Subject[0].Name != wheel || st.Subject[0].Digest["sha256"] != sha {
				t.Errorf("statement subject %+v", st.Subject)
			}
			var entry map[string]any
			json.Unmarshal(back.VerificationMaterial.TransparencyEntries[0], &entry)
			kv, _ := entry["kindVersion"].(map[string]any)
			if kv["kind"] != "dsse" || kv["version"] != "0.0.1" || entry["inclusionProof"] == nil || entry["inclusionPromise"] == nil {
				t.Errorf("transparency entry is not a dsse 0.0.1 entry with proof and promise: %v", entry)
			}
			if !strings.Contains(string(mustCert(t, back)), c.san) {
				t.Errorf("certificate does not name %s", c.san)
			}
		})
	}
}

// mustCert returns the certificate's DER, in which the SAN URI appears as
// plain text.
func mustCert(t *testing.T, a *pep740.Attestation) []byte {
	t.Helper()
	return a.VerificationMaterial.Certificate
}

// TestRefusals tampers with a good attestation in each way PyPI refuses,
// and checks the message pypi-attestations gives.
func TestRefusals(t *testing.T) {
	r := newRig(t)
	sha := digest("wheel bytes")
	s := r.signer(t, r.githubToken("octo/example", "release.yml"))
	good, err := s.Sign(context.Background(), wheel, sha)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Sign(context.Background(), "other-1.0.tar.gz", digest("other"))
	if err != nil {
		t.Fatal(err)
	}
	id := attest.GitHub("octo/example", "release.yml", "", r.github.URL())
	clone := func() *pep740.Attestation {
		b, _ := json.Marshal(good)
		a, err := pep740.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cases := []struct {
		name   string
		mutate func(a *pep740.Attestation)
		id     attest.Identity
		file   string
		sha    string
		want   string
	}{
		{"tampered statement", func(a *pep740.Attestation) {
			a.Envelope.Statement = []byte(strings.Replace(string(a.Envelope.Statement), "1.0", "2.0", 1))
		}, id, wheel, sha, "Verification failed: failed to verify log inclusion: transparency log dsse/intoto entry payload hash"},
		{"subject digest of another file", nil, id, wheel, digest("another file"),
			"Verification failed: subject does not match distribution digest"},
		{"subject name of another file", nil, id, "example_pkg-1.1-py3-none-any.whl", sha,
			"Verification failed: subject does not match distribution name: example_pkg-1.0-py3-none-any.whl != example_pkg-1.1-py3-none-any.whl"},
		{"another repository", nil, attest.GitHub("octo/other", "release.yml", "", r.github.URL()), wheel, sha,
			"Verification failed: Certificate's OIDCSourceRepositoryURI does not match (got 'https://github.com/octo/example', expected 'https://github.com/octo/other')"},
		{"another workflow", nil, attest.GitHub("octo/example", "ci.yml", "", r.github.URL()), wheel, sha,
			"Verification failed: Certificate's Build Config URI (https://github.com/octo/example/.github/workflows/release.yml@refs/heads/main) does not match expected Trusted Publisher (ci.yml @ octo/example)"},
		{"another issuer", nil, attest.GitHub("octo/example", "release.yml", "", devissuer.GitHubIssuer), wheel, sha,
			"Verification failed: Certificate's OIDCIssuerV2 does not match (got '" + r.github.URL() + "', expected 'https://token.actions.githubusercontent.com')"},
		{"log entry of another signature", func(a *pep740.Attestation) {
			a.VerificationMaterial.TransparencyEntries = other.VerificationMaterial.TransparencyEntries
		}, id, wheel, sha, "Verification failed: failed to verify log inclusion: transparency log signature does not match"},
		{"signature replaced", func(a *pep740.Attestation) {
			a.Envelope.Signature = other.Envelope.Signature
		}, id, wheel, sha, "Verification failed: failed to verify log inclusion: transparency log signature does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := clone()
			if c.mutate != nil {
				c.mutate(a)
			}
			_, err := r.verifier.Verify(a, c.id, c.file, c.sha)
			var ve *attest.VerificationError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify = %v, want a *VerificationError", err)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Verify error:\n got %s\nwant %s…", err, c.want)
			}
		})
	}
	// A certificate from another instance's CA does not chain.
	t.Run("another trusted root", func(t *testing.T) {
		r2 := newRig(t)
		_, err := r2.verifier.Verify(clone(), id, wheel, sha)
		if err == nil {
			t.Fatal("verified against another instance's trusted root")
		}
	})
}

func TestCheckUpload(t *testing.T) {
	r := newRig(t)
	sha := digest("wheel bytes")
	s := r.signer(t, r.gitlabToken("group", "example", ".gitlab-ci.yml"))
	good, err := s.Sign(context.Background(), wheel, sha)
	if err != nil {
		t.Fatal(err)
	}
	id := attest.GitLab("group/example", ".gitlab-ci.yml", "", r.gitlab.URL())
	list := func(as ...*pep740.Attestation) []byte {
		b, _ := json.Marshal(as)
		return b
	}
	cases := []struct {
		name  string
		field []byte
		want  string
	}{
		{"one", list(good), ""},
		{"not JSON", []byte("{"), "Malformed attestations: attestation 0: the value must be a JSON array"},
		{"empty", []byte("[]"), "Malformed attestations: an empty attestation set is not permitted"},
		{"wrong version", []byte(`[{"version":2}]`), "Malformed attestations: attestation 0: version is 2, must be 1"},
		{"too many", list(good, good, good), "A maximum of 2 attestations per file are supported"},
		{"same predicate twice", list(good, good), "Multiple attestations for the same file with the same predicate type (https://docs.pypi.org/attestations/publish/v1) are not supported"},
		{"bad entry", []byte(`[{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[{"logIndex":"x"}]},"envelope":{"statement":"AAAA","signature":"AAAA"}}]`),
			"Unknown error while trying to verify included attestations: invalid transparency log entry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.verifier.CheckUpload(c.field, id, wheel, sha)
			if c.want == "" {
				if err != nil || len(got) != 1 {
					t.Fatalf("CheckUpload = %d, %v", len(got), err)
				}
				return
			}
			var ue *attest.UploadError
			if !errors.As(err, &ue) || !strings.HasPrefix(ue.Reason, c.want) {
				t.Errorf("CheckUpload error:\n got %v\nwant %s…", err, c.want)
			}
		})
	}
}
