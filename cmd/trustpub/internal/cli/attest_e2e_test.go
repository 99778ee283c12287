package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pep740"
)

const attestConfig = `
audience = "pypi"

[[publishers.gitlab]]
project = "hello-attest"
namespace = "example-group"
repository = "hello"
workflow_filepath = ".gitlab-ci.yml"

[[publishers.github]]
project = "hello-attest"
owner = "octo"
repository = "hello"
workflow = "release.yml"
`

// provenance reads a file's provenance from the Integrity API; nil on 404.
func provenance(t *testing.T, s *server, project, version, filename string) *pep740.Provenance {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+"/integrity/"+project+"/"+version+"/"+filename+"/provenance", nil)
	req.Header.Set("Accept", pep740.MediaTypeIntegrity)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 404 {
		return nil
	}
	var p pep740.Provenance
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&p) != nil {
		t.Fatalf("provenance of %s: %d", filename, resp.StatusCode)
	}
	return &p
}

// checkProvenance asserts that every dist in dir has provenance whose
// statement names it with its sha256, from a publisher of kind.
func checkProvenance(t *testing.T, s *server, dir, version, kind string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".whl") && !strings.HasSuffix(name, ".tar.gz") {
			continue
		}
		n++
		p := provenance(t, s, "hello-attest", version, name)
		if p == nil || len(p.AttestationBundles) != 1 || len(p.AttestationBundles[0].Attestations) != 1 {
			t.Fatalf("%s: provenance %+v", name, p)
		}
		if p.AttestationBundles[0].Publisher.Kind != kind {
			t.Errorf("%s: publisher %+v", name, p.AttestationBundles[0].Publisher)
		}
		st, err := pep740.DecodeStatement(p.AttestationBundles[0].Attestations[0].Envelope.Statement)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if st.Subject[0].Name != name || st.Subject[0].Digest["sha256"] != sha256Hex(b) || st.PredicateType != pep740.PredicatePublishV1 {
			t.Errorf("%s: statement %+v", name, st)
		}
	}
	if n != 2 {
		t.Fatalf("%d dists in %s", n, dir)
	}
}

// githubTokenService answers GitHub's token request for the audiences
// pypi and sigstore with the dev issuer's tokens for the job.
func githubTokenService(t *testing.T, s *server, args ...string) []string {
	tokens := map[string]string{}
	for _, aud := range []string{"pypi", "sigstore"} {
		tokens[aud] = devToken(t, s, append([]string{"--github", "octo/hello", "--workflow", "release.yml", "--audience", aud}, args...)...)
	}
	const rt = "gh-request-token"
	url := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		tok, ok := tokens[r.URL.Query().Get("audience")]
		if r.Header.Get("Authorization") != "bearer "+rt || !ok {
			http.Error(w, `{"message":"bad request"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"value": tok})
	})
	return []string{"GITHUB_ACTIONS=true", "ACTIONS_ID_TOKEN_REQUEST_URL=" + url + "/idtoken?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + rt}
}

// TestPublishSignsAttestations: a GitLab and a GitHub job publish with
// attestations signed through the dev Sigstore; the index verifies them and
// serves each file's provenance.
func TestPublishSignsAttestations(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, attestConfig), "--dev-issuer")
	signing := s.base + "/_/dev-sigstore/signing_config.json"
	gitlab := func() []string {
		return []string{"GITLAB_CI=true",
			"PYPI_ID_TOKEN=" + devToken(t, s, "--gitlab", "example-group/hello"),
			"SIGSTORE_ID_TOKEN=" + devToken(t, s, "--gitlab", "example-group/hello", "--audience", "sigstore")}
	}
	for _, c := range []struct {
		name, version, kind string
		env                 []string
	}{
		{"gitlab", "1.0.0", "GitLab", gitlab()},
		{"github", "1.0.1", "GitHub", githubTokenService(t, s)},
	} {
		t.Run(c.name, func(t *testing.T) {
			dists := sampleDists(t, "hello-attest", c.version)
			r := run(t, c.env, "publish", "--publish-url", s.base+"/legacy/", "--sigstore-signing-config", signing, dists)
			if r.code != 0 || !strings.Contains(r.stderr, "signed publish attestations for 2 file(s)") {
				t.Fatalf("publish: exit %d\n%s", r.code, r.stderr)
			}
			checkProvenance(t, s, dists, c.version, c.kind)
		})
	}
	// --no-attestations: uploaded without provenance.
	dists := sampleDists(t, "hello-attest", "1.0.2")
	if r := run(t, gitlab(), "publish", "--publish-url", s.base+"/legacy/", "--sigstore-signing-config", signing, "--no-attestations", dists); r.code != 0 || strings.Contains(r.stderr, "signed") {
		t.Fatalf("--no-attestations: exit %d\n%s", r.code, r.stderr)
	}
	if p := provenance(t, s, "hello-attest", "1.0.2", "hello_attest-1.0.2.tar.gz"); p != nil {
		t.Errorf("--no-attestations sent provenance: %+v", p)
	}
}

// TestPublishWithoutSigstoreToken: the GitLab job lacks SIGSTORE_ID_TOKEN;
// publish says how to declare it and uploads nothing.
func TestPublishWithoutSigstoreToken(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, attestConfig), "--dev-issuer")
	dists := sampleDists(t, "hello-attest", "1.0.0")
	env := []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + devToken(t, s, "--gitlab", "example-group/hello")}
	r := run(t, env, "publish", "--publish-url", s.base+"/legacy/", "--sigstore-signing-config", s.base+"/_/dev-sigstore/signing_config.json", dists)
	if r.code != 4 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"SIGSTORE_ID_TOKEN", "id_tokens:", "aud: sigstore", "Nothing was uploaded", "--no-attestations"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := projectFiles(t, s, "hello-attest"); len(got) != 0 {
		t.Fatalf("files uploaded: %v", got)
	}
}

// TestAttestThenUpload: `trustpub attest` writes <file>.publish.attestation
// files, which a later publish (no signing: the target is not PyPI and no
// signing config is given) or twine's `upload --attestations` finds beside
// the dists and sends, without reporting them as skipped inputs; twine's
// `upload` without --attestations and `publish --no-attestations` send none
// and say that they skip them.
func TestAttestThenUpload(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, attestConfig), "--dev-issuer")
	signing := s.base + "/_/dev-sigstore/signing_config.json"
	for i, c := range []struct {
		name string
		args []string
		sent bool
	}{
		{"publish", []string{"publish", "--publish-url", s.base + "/legacy/"}, true},
		{"twine upload --attestations", []string{"upload", "--repository-url", s.base + "/legacy/", "--attestations"}, true},
		{"twine upload", []string{"upload", "--repository-url", s.base + "/legacy/"}, false},
		{"publish --no-attestations", []string{"publish", "--publish-url", s.base + "/legacy/", "--no-attestations"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			version := "2.0." + string(rune('0'+i))
			dists := sampleDists(t, "hello-attest", version)
			sig := []string{"GITLAB_CI=true", "SIGSTORE_ID_TOKEN=" + devToken(t, s, "--gitlab", "example-group/hello", "--audience", "sigstore")}
			r := run(t, sig, "attest", "--sigstore-signing-config", signing, dists)
			if r.code != 0 || strings.Count(r.stdout, ".publish.attestation") != 2 {
				t.Fatalf("attest: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
			}
			if i == 0 {
				// Again: the files exist.
				if r := run(t, sig, "attest", "--sigstore-signing-config", signing, dists); r.code != 2 || !strings.Contains(r.stderr, "already has a publish attestation") {
					t.Fatalf("attest over existing files: exit %d %s", r.code, r.stderr)
				}
			}
			env := []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + devToken(t, s, "--gitlab", "example-group/hello")}
			r = run(t, env, append(c.args, dists)...)
			if r.code != 0 {
				t.Fatalf("%s: exit %d\n%s", c.name, r.code, r.stderr)
			}
			skipped := strings.Count(r.stderr, ".publish.attestation: attestation file")
			if c.sent {
				checkProvenance(t, s, dists, version, "GitLab")
				if skipped != 0 {
					t.Errorf("attestation files sent with their dists reported as skipped:\n%s", r.stderr)
				}
				return
			}
			for _, f := range []string{"hello_attest-" + version + "-py3-none-any.whl", "hello_attest-" + version + ".tar.gz"} {
				if p := provenance(t, s, "hello-attest", version, f); p != nil {
					t.Errorf("%s: provenance sent: %+v", f, p)
				}
			}
			if skipped != 2 {
				t.Errorf("%d attestation files reported as skipped, want 2:\n%s", skipped, r.stderr)
			}
		})
	}
}

// TestAttestationFilesChecked: attestation files beside the dists are
// checked before anything is sent, and sent with an API token to an index
// other than PyPI (which then refuses them as PyPI would), skipped with a
// warning for PyPI.
func TestAttestationFilesChecked(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, attestConfig+"\n[[tokens]]\nname = \"ci\"\ntoken = \"pypi-e2e-token\"\n"), "--dev-issuer")
	good := `{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[{}]},"envelope":{"statement":"AAAA","signature":"AAAA"}}`
	cases := []struct {
		name  string
		files map[string]string // kind -> content
		args  []string
		code  int
		want  string
	}{
		{"not JSON", map[string]string{"publish": "{"}, nil, 3, ".publish.attestation: invalid PEP 740 attestation: not a PEP 740 attestation object"},
		{"wrong version", map[string]string{"publish": strings.Replace(good, `"version":1`, `"version":3`, 1)}, nil, 3, "version is 3, must be 1"},
		{"three files", map[string]string{"publish": good, "slsa": good, "other": good}, nil, 3, "3 attestation files"},
		{"sent with an API token", map[string]string{"publish": good}, nil, 1, "Attestations are only supported when using Trusted Publishing"},
		{"skipped with --no-attestations", map[string]string{"publish": "{"}, []string{"--no-attestations"}, 0, "uploaded"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			version := "3.0." + string(rune('0'+i))
			dists := sampleDists(t, "hello-attest", version)
			entries, _ := os.ReadDir(dists)
			for _, e := range entries {
				for kind, content := range c.files {
					os.WriteFile(pep740.FileFor(filepath.Join(dists, e.Name()), kind), []byte(content), 0o644)
				}
			}
			r := run(t, []string{"TRUSTPUB_TOKEN=pypi-e2e-token"}, append(append([]string{"publish", "--publish-url", s.base + "/legacy/"}, c.args...), dists)...)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s", r.code, c.code, c.want, r.stderr)
			}
		})
	}
	// PyPI with an API token: not sent, with a warning (a dry run sends nothing).
	dists := sampleDists(t, "hello-attest", "4.0.0")
	entries, _ := os.ReadDir(dists)
	for _, e := range entries {
		os.WriteFile(pep740.FileFor(filepath.Join(dists, e.Name()), "publish"), []byte(good), 0o644)
	}
	r := run(t, []string{"TRUSTPUB_TOKEN=pypi-e2e-token"}, "publish", "--index", "pypi", "--dry-run", dists)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: not sending 2 attestation file(s): upload.pypi.org accepts attestations only with trusted publishing") {
		t.Fatalf("PyPI with a token: exit %d\n%s", r.code, r.stderr)
	}
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// download saves url's body to a file and returns its path.
func download(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(url))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPrivateSigstoreInstance: a private Sigstore instance (here another
// server's dev Sigstore) given by files: the publisher signs with its
// signing configuration, and an index that trusts only its trusted root
// (--sigstore-trusted-root, no --dev-issuer) verifies.
func TestPrivateSigstoreInstance(t *testing.T) {
	ca := startServer(t, "--dev-issuer")
	cfg := strings.NewReplacer(`workflow_filepath = ".gitlab-ci.yml"`,
		`workflow_filepath = ".gitlab-ci.yml"`+"\nissuer = \""+ca.base+"/_/dev-issuer/gitlab\"").Replace(attestConfig)
	cfg = cfg[:strings.Index(cfg, "[[publishers.github]]")]
	s := startServer(t, "--config", writeConfig(t, cfg), "--sigstore-trusted-root", download(t, ca.base+"/_/dev-sigstore/trusted_root.json"))
	dists := sampleDists(t, "hello-attest", "5.0.0")
	env := []string{"GITLAB_CI=true",
		"PYPI_ID_TOKEN=" + devToken(t, ca, "--gitlab", "example-group/hello"),
		"SIGSTORE_ID_TOKEN=" + devToken(t, ca, "--gitlab", "example-group/hello", "--audience", "sigstore")}
	r := run(t, env, "publish", "--publish-url", s.base+"/legacy/", "--sigstore-signing-config", download(t, ca.base+"/_/dev-sigstore/signing_config.json"), dists)
	if r.code != 0 {
		t.Fatalf("publish: exit %d\n%s", r.code, r.stderr)
	}
	checkProvenance(t, s, dists, "5.0.0", "GitLab")
}

// TestAttestOutsideCI: no CI identity, no attestation, exit 4, no file.
func TestAttestOutsideCI(t *testing.T) {
	dists := sampleDists(t, "hello-attest", "6.0.0")
	r := run(t, nil, "attest", "--sigstore-signing-config", "http://127.0.0.1:9/none.json", dists)
	if r.code != 2 || !strings.Contains(r.stderr, "--sigstore-signing-config") {
		t.Fatalf("unreachable signing config: exit %d %s", r.code, r.stderr)
	}
	r = run(t, nil, "attest", dists)
	if r.code != 4 || !strings.Contains(r.stderr, "no supported CI was detected") {
		t.Fatalf("outside CI: exit %d %s", r.code, r.stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(dists, "*.attestation")); len(m) != 0 {
		t.Fatalf("attestation files written: %v", m)
	}
}
