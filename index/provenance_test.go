package index

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/attest"
	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devsigstore"
	"github.com/trustpub/trustpub/pep740"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// attestRig is an index with a GitHub and a GitLab trusted publisher whose
// dev issuers and a dev Sigstore run on another loopback server.
type attestRig struct {
	*testIndex
	github, gitlab *devissuer.Issuer
	sigstore       *devsigstore.Sigstore
}

func newAttestRig(t *testing.T, dir string) *attestRig {
	t.Helper()
	key, err := devissuer.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	side := httptest.NewServer(mux)
	t.Cleanup(side.Close)
	r := &attestRig{}
	if r.github, err = devissuer.New(side.URL+"/github", key); err != nil {
		t.Fatal(err)
	}
	if r.gitlab, err = devissuer.New(side.URL+"/gitlab", key); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/github/", r.github)
	mux.Handle("/gitlab/", r.gitlab)
	if r.sigstore, err = devsigstore.New(devsigstore.Options{
		Dir: filepath.Join(dir, "sigstore"), BaseURL: side.URL + "/sigstore",
		Issuers: []devsigstore.Issuer{
			{URL: r.github.URL(), Kind: devsigstore.GitHub, Keys: []crypto.PublicKey{&key.PublicKey}},
			{URL: r.gitlab.URL(), Kind: devsigstore.GitLab, Keys: []crypto.PublicKey{&key.PublicKey}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/sigstore/", http.StripPrefix("/sigstore", r.sigstore))
	tr, err := r.sigstore.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	v, err := attest.NewVerifier(tr)
	if err != nil {
		t.Fatal(err)
	}
	r.testIndex = newTestIndexAt(t, filepath.Join(dir, "index"), func(o *Options) {
		o.Attestations = v
		o.Publishers = publisher.Publishers{
			GitHub: []publisher.GitHub{{Project: "gh-demo", Owner: "octo", Repository: "gh-demo", Workflow: "release.yml", Issuer: r.github.URL()}},
			GitLab: []publisher.GitLab{{Project: "gl-demo", Namespace: "group", Repository: "gl-demo", WorkflowFilepath: ".gitlab-ci.yml", Issuer: r.gitlab.URL()}},
		}
	})
	return r
}

func (r *attestRig) gitlabToken(t *testing.T, aud, project, file string) string {
	t.Helper()
	tok, err := r.gitlab.GitLabToken(devissuer.GitLabIdentity{Namespace: "group", Project: project, WorkflowFilepath: file, Audience: aud})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (r *attestRig) githubToken(t *testing.T, aud, repo, workflow string) string {
	t.Helper()
	tok, err := r.github.GitHubToken(devissuer.GitHubIdentity{Owner: "octo", Repository: repo, Workflow: workflow, Audience: aud})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sign makes an attestation for filename/sha with a Sigstore token.
func (r *attestRig) sign(t *testing.T, sigstoreToken, filename, sha string) *pep740.Attestation {
	t.Helper()
	s, err := attest.NewSigner(attest.SignerOptions{
		Services: attest.Services{FulcioURL: r.sigstore.FulcioURL(), RekorURL: r.sigstore.RekorURL()},
		Token:    func(context.Context) (string, error) { return sigstoreToken, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Sign(context.Background(), filename, sha)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func attestField(as ...*pep740.Attestation) string {
	b, _ := json.Marshal(as)
	return string(b)
}

// TestAttestedUploadServed uploads a GitHub- and a GitLab-published file
// with attestations, then reads them back through the Integrity API and the
// simple API, before and after a restart.
func TestAttestedUploadServed(t *testing.T) {
	dir := t.TempDir()
	r := newAttestRig(t, dir)
	cases := []struct {
		project   string
		pypiTok   func() string
		sigTok    string
		publisher string
	}{
		{"gh-demo", func() string { return r.githubToken(t, "pypi", "gh-demo", "release.yml") }, r.githubToken(t, "sigstore", "gh-demo", "release.yml"),
			`{"kind":"GitHub","repository":"octo/gh-demo","workflow":"release.yml","environment":null}`},
		{"gl-demo", func() string { return r.gitlabToken(t, "pypi", "gl-demo", ".gitlab-ci.yml") }, r.gitlabToken(t, "sigstore", "gl-demo", ".gitlab-ci.yml"),
			`{"kind":"GitLab","repository":"group/gl-demo","workflow_filepath":".gitlab-ci.yml","environment":null}`},
	}
	type stored struct {
		url, filename string
		att           *pep740.Attestation
		publisher     string
	}
	var files []stored
	for _, c := range cases {
		f := wheel(t, c.project, "1.0", disttest.Options{})
		a := r.sign(t, c.sigTok, f.filename, sha256Hex(f.data))
		req := f.req().set("attestations", attestField(a))
		req.auth = basic("__token__", r.mint(t, c.pypiTok()))
		if code, body, _ := req.send(t, r.url+"/legacy/"); code != 200 {
			t.Fatalf("%s: upload with attestation: %d %s", c.project, code, body)
		}
		// A file of the same release without attestations has none.
		plain := sdist(t, c.project, "1.0", disttest.Options{})
		req = plain.req()
		req.auth = basic("__token__", r.mint(t, c.pypiTok()))
		if code, body, _ := req.send(t, r.url+"/legacy/"); code != 200 {
			t.Fatalf("%s: upload without attestation: %d %s", c.project, code, body)
		}
		files = append(files, stored{r.url + "/integrity/" + c.project + "/1.0/" + f.filename + "/provenance", f.filename, a, c.publisher})
		resp, body := get(t, r.url+"/integrity/"+c.project+"/1.0/"+plain.filename+"/provenance", "")
		if resp.StatusCode != 404 || strings.TrimSpace(string(body)) != `{"message":"No provenance available for `+plain.filename+`"}` {
			t.Errorf("file without provenance: %d %s", resp.StatusCode, body)
		}
	}
	check := func(t *testing.T, base string) {
		for _, f := range files {
			u := strings.Replace(f.url, r.url, base, 1)
			for _, accept := range []string{"", pep740.MediaTypeIntegrity, "application/json"} {
				resp, body := get(t, u, accept)
				want := pep740.MediaTypeIntegrity
				if accept != "" {
					want = accept
				}
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
					t.Fatalf("GET %s (Accept %q): %d %s %s", u, accept, resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
				var prov pep740.Provenance
				if err := json.Unmarshal(body, &prov); err != nil || prov.Version != 1 || len(prov.AttestationBundles) != 1 {
					t.Fatalf("provenance: %v %s", err, body)
				}
				pub, _ := json.Marshal(prov.AttestationBundles[0].Publisher)
				got := prov.AttestationBundles[0].Attestations
				if string(pub) != f.publisher || len(got) != 1 ||
					!bytes.Equal(got[0].Envelope.Statement, f.att.Envelope.Statement) ||
					!bytes.Equal(got[0].VerificationMaterial.Certificate, f.att.VerificationMaterial.Certificate) {
					t.Errorf("provenance of %s does not hold the uploaded attestation: %s", f.filename, body)
				}
			}
			if resp, body := get(t, u, "text/html"); resp.StatusCode != 406 || strings.TrimSpace(string(body)) != `{"message":"Request not acceptable"}` {
				t.Errorf("Accept text/html: %d %s", resp.StatusCode, body)
			}
		}
		// PEP 691 JSON and HTML name the provenance URL of attested files only.
		for i, project := range []string{"gh-demo", "gl-demo"} {
			_, body := get(t, base+"/simple/"+project+"/", MediaTypeJSON)
			var page struct {
				Files []struct{ Filename, Provenance string }
			}
			json.Unmarshal(body, &page)
			if len(page.Files) != 2 {
				t.Fatalf("simple JSON: %s", body)
			}
			for _, pf := range page.Files {
				want := ""
				if pf.Filename == files[i].filename {
					want = "../../integrity/" + project + "/1.0/" + pf.Filename + "/provenance"
				}
				if pf.Provenance != want {
					t.Errorf("%s: provenance %q, want %q", pf.Filename, pf.Provenance, want)
				}
			}
			_, body = get(t, base+"/simple/"+project+"/", MediaTypeHTML)
			if n := bytes.Count(body, []byte(` data-provenance="../../integrity/`+project+`/1.0/`+files[i].filename+`/provenance"`)); n != 1 {
				t.Errorf("HTML has %d data-provenance attributes for %s:\n%s", n, files[i].filename, body)
			}
			if n := bytes.Count(body, []byte("data-provenance")); n != 1 {
				t.Errorf("HTML has %d data-provenance attributes, want 1", n)
			}
		}
	}
	check(t, r.url)
	// Stored durably: a restarted index serves the same, from the catalog
	// after a clean stop, and from the record files after a crash.
	r.stop()
	ti := newTestIndexAt(t, filepath.Join(dir, "index"), nil)
	check(t, ti.url)
	ti.crash()
	ti = newTestIndexAt(t, filepath.Join(dir, "index"), nil)
	if !strings.Contains(ti.logs.String(), "rebuilt the catalog from the record files") {
		t.Fatalf("the start after a crash did not rebuild the catalog:\n%s", ti.logs)
	}
	check(t, ti.url)
	// Unknown file or version: 404.
	for _, u := range []string{"/integrity/gh-demo/1.0/nope-1.0-py3-none-any.whl/provenance", "/integrity/gh-demo/2.0/" + files[0].filename + "/provenance"} {
		if resp, _ := get(t, ti.url+u, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d", u, resp.StatusCode)
		}
	}
}

// TestAttestationRefusals checks every refusal with Warehouse's message,
// and that a refused upload stores nothing.
func TestAttestationRefusals(t *testing.T) {
	dir := t.TempDir()
	r := newAttestRig(t, dir)
	f := wheel(t, "gl-demo", "1.0", disttest.Options{})
	sha := sha256Hex(f.data)
	sigTok := r.gitlabToken(t, "sigstore", "gl-demo", ".gitlab-ci.yml")
	good := r.sign(t, sigTok, f.filename, sha)
	otherFile := r.sign(t, sigTok, f.filename, sha256Hex([]byte("another file")))
	otherRepo := r.sign(t, r.gitlabToken(t, "sigstore", "other", ".gitlab-ci.yml"), f.filename, sha)
	otherWorkflow := r.sign(t, r.gitlabToken(t, "sigstore", "gl-demo", "ci/other.yml"), f.filename, sha)
	tampered := *good
	tampered.Envelope.Statement = bytes.Replace(good.Envelope.Statement, []byte(`"_type"`), []byte(` "_type"`), 1)
	foreignEntry := *good
	foreignEntry.VerificationMaterial.TransparencyEntries = otherFile.VerificationMaterial.TransparencyEntries
	const p = "Invalid attestations supplied during upload: "
	cases := []struct {
		name, field string
		apiToken    bool
		want        string
	}{
		{"API token", attestField(good), true, p + "Attestations are only supported when using Trusted Publishing"},
		{"too many", attestField(good, good, good), false, p + "A maximum of 2 attestations per file are supported"},
		{"empty", "[]", false, p + "Malformed attestations: an empty attestation set is not permitted"},
		{"tampered statement", attestField(&tampered), false, p + "Could not verify the uploaded artifact using the included attestation: Verification failed: failed to verify log inclusion: transparency log dsse/intoto entry payload hash"},
		{"digest of another file", attestField(otherFile), false, p + "Could not verify the uploaded artifact using the included attestation: Verification failed: subject does not match distribution digest"},
		{"another repository", attestField(otherRepo), false, p + "Could not verify the uploaded artifact using the included attestation: Verification failed: Certificate's OIDCSourceRepositoryURI does not match (got 'https://gitlab.com/group/other', expected 'https://gitlab.com/group/gl-demo')"},
		{"another workflow", attestField(otherWorkflow), false, p + "Could not verify the uploaded artifact using the included attestation: Verification failed: Certificate's Build Config URI (https://" + strings.TrimPrefix(r.gitlab.URL(), "http://") + "/group/gl-demo//ci/other.yml@refs/heads/main) does not match expected Trusted Publisher (.gitlab-ci.yml @ group/gl-demo)"},
		{"log entry without the signature", attestField(&foreignEntry), false, p + "Could not verify the uploaded artifact using the included attestation: Verification failed: failed to verify log inclusion: transparency log signature does not match"},
		{"same type twice", attestField(good, good), false, p + "Multiple attestations for the same file with the same predicate type (https://docs.pypi.org/attestations/publish/v1) are not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := f.req().set("attestations", c.field)
			if !c.apiToken {
				req.auth = basic("__token__", r.mint(t, r.gitlabToken(t, "pypi", "gl-demo", ".gitlab-ci.yml")))
			}
			code, body, h := req.send(t, r.url+"/legacy/")
			if code != 400 || !strings.HasPrefix(body, c.want) {
				t.Errorf("upload: %d %s\nwant 400 %s…", code, body, c.want)
			}
			if !strings.HasPrefix(h.Get("X-PyPI-Error"), headerSafe(c.want)) {
				t.Errorf("X-PyPI-Error %q", h.Get("X-PyPI-Error"))
			}
		})
	}
	if resp, _ := get(t, r.url+"/simple/gl-demo/", ""); resp.StatusCode != 404 {
		t.Errorf("a refused upload was stored: %d", resp.StatusCode)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "index", "tmp"))
	if len(entries) != 0 {
		t.Errorf("temp files left: %v", entries)
	}
}

// TestAttestationsWithoutTrustedRoot: an index that cannot verify says so.
func TestAttestationsWithoutTrustedRoot(t *testing.T) {
	r := newAttestRig(t, t.TempDir())
	r.srv.opts.Attestations = nil
	f := wheel(t, "gh-demo", "1.0", disttest.Options{})
	a := r.sign(t, r.githubToken(t, "sigstore", "gh-demo", "release.yml"), f.filename, sha256Hex(f.data))
	req := f.req().set("attestations", attestField(a))
	req.auth = basic("__token__", r.mint(t, r.githubToken(t, "pypi", "gh-demo", "release.yml")))
	if code, body, _ := req.send(t, r.url+"/legacy/"); code != 400 || !strings.Contains(body, "no Sigstore trusted root") {
		t.Errorf("%d %s", code, body)
	}
}

func TestAcceptable(t *testing.T) {
	cases := []struct{ accept, want string }{
		{"", pep740.MediaTypeIntegrity},
		{"*/*", pep740.MediaTypeIntegrity},
		{"application/json", "application/json"},
		{"application/json, application/vnd.pypi.integrity.v1+json;q=0.5", "application/json"},
		{"application/*", pep740.MediaTypeIntegrity},
		{"text/html", ""},
		{"application/json;q=0", ""},
	}
	for _, c := range cases {
		if got := acceptable(c.accept, integrityOffers); got != c.want {
			t.Errorf("acceptable(%q) = %q, want %q", c.accept, got, c.want)
		}
	}
}

// TestProvenanceAfterCrash: a start removes a provenance file whose upload
// never got its record, and serves a file whose provenance file is missing
// or damaged without provenance, saying so in the log: at start-up after a
// crash (the catalog is rebuilt from the record files), and when the
// project is first asked for after a clean stop (its directory changed
// while no index ran, so its records are read again).
func TestProvenanceAfterCrash(t *testing.T) {
	for _, crash := range []bool{true, false} {
		t.Run(map[bool]string{true: "crash", false: "clean stop"}[crash], func(t *testing.T) {
			dir := t.TempDir()
			r := newAttestRig(t, dir)
			var files []string
			for _, v := range []string{"1.0", "2.0"} {
				f := wheel(t, "gl-demo", v, disttest.Options{})
				a := r.sign(t, r.gitlabToken(t, "sigstore", "gl-demo", ".gitlab-ci.yml"), f.filename, sha256Hex(f.data))
				req := f.req().set("attestations", attestField(a))
				req.auth = basic("__token__", r.mint(t, r.gitlabToken(t, "pypi", "gl-demo", ".gitlab-ci.yml")))
				if code, body, _ := req.send(t, r.url+"/legacy/"); code != 200 {
					t.Fatalf("upload: %d %s", code, body)
				}
				files = append(files, f.filename)
			}
			if crash {
				r.crash()
			} else {
				r.stop()
			}
			pdir := filepath.Join(dir, "index", "projects", "gl-demo")
			orphan := filepath.Join(pdir, "gl_demo-9.0-py3-none-any.whl"+provenanceSuffix)
			if err := os.WriteFile(orphan, []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(pdir, files[0]+provenanceSuffix))
			os.WriteFile(filepath.Join(pdir, files[1]+provenanceSuffix), []byte(`{"version":1,"attestation_bundles":[]}`), 0o644)

			ti := newTestIndexAt(t, filepath.Join(dir, "index"), nil)
			if _, err := os.Stat(orphan); crash && !os.IsNotExist(err) {
				t.Errorf("orphan provenance file kept by the rebuild: %v", err)
			}
			for i, f := range files {
				resp, body := get(t, ti.url+"/integrity/gl-demo/"+[]string{"1.0", "2.0"}[i]+"/"+f+"/provenance", "")
				if resp.StatusCode != 404 || !strings.Contains(string(body), "No provenance available for "+f) {
					t.Errorf("%s: %d %s", f, resp.StatusCode, body)
				}
			}
			if _, err := os.Stat(orphan); !os.IsNotExist(err) {
				t.Errorf("orphan provenance file kept: %v", err)
			}
			if n := strings.Count(ti.logs.String(), "serving a file without its provenance"); n != 2 {
				t.Errorf("%d log lines about lost provenance:\n%s", n, ti.logs)
			}
			for _, mt := range []string{MediaTypeJSON, MediaTypeHTML} {
				if _, body := get(t, ti.url+"/simple/gl-demo/", mt); bytes.Contains(body, []byte("provenance")) {
					t.Errorf("simple page (%s) still links provenance: %s", mt, body)
				}
			}
		})
	}
}

// TestProvenanceDamagedInPlace: a provenance file changed in place while
// the index was stopped (the directory's time unchanged, so the catalog is
// trusted) is not served as the file's provenance.
func TestProvenanceDamagedInPlace(t *testing.T) {
	dir := t.TempDir()
	r := newAttestRig(t, dir)
	f := wheel(t, "gh-demo", "1.0", disttest.Options{})
	a := r.sign(t, r.githubToken(t, "sigstore", "gh-demo", "release.yml"), f.filename, sha256Hex(f.data))
	req := f.req().set("attestations", attestField(a))
	req.auth = basic("__token__", r.mint(t, r.githubToken(t, "pypi", "gh-demo", "release.yml")))
	if code, body, _ := req.send(t, r.url+"/legacy/"); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	r.stop()
	pdir := filepath.Join(dir, "index", "projects", "gh-demo")
	info, err := os.Stat(pdir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pdir, f.filename+provenanceSuffix), []byte(`{"version":1,"attestation_bundles":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(pdir, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	ti := newTestIndexAt(t, filepath.Join(dir, "index"), nil)
	resp, body := get(t, ti.url+"/integrity/gh-demo/1.0/"+f.filename+"/provenance", "")
	if resp.StatusCode != 500 || bytes.Contains(body, []byte("attestation_bundles")) {
		t.Errorf("damaged provenance: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(ti.logs.String(), "stored provenance does not match its record") {
		t.Errorf("no log line about the damaged provenance:\n%s", ti.logs)
	}
}

func TestAttestIdentity(t *testing.T) {
	cases := []struct {
		name   string
		m      publisher.Match
		want   string // Publisher as JSON, "" for nil
		server string
	}{
		{"github", publisher.Match{Kind: "github", Issuer: "https://token.actions.githubusercontent.com", Claims: map[string]any{
			"repository": "Octo/Repo", "job_workflow_ref": "Octo/Repo/.github/workflows/release.yaml@refs/tags/v1", "environment": "pypi"}},
			`{"kind":"GitHub","repository":"Octo/Repo","workflow":"release.yaml","environment":"pypi"}`, "https://github.com"},
		{"github reusable workflow names the called file", publisher.Match{Kind: "github", Issuer: "https://token.actions.githubusercontent.com", Claims: map[string]any{
			"repository": "octo/repo", "job_workflow_ref": "octo/shared/.github/workflows/publish.yml@refs/heads/main"}},
			`{"kind":"GitHub","repository":"octo/repo","workflow":"publish.yml","environment":null}`, "https://github.com"},
		{"gitlab nested config", publisher.Match{Kind: "gitlab", Issuer: "https://gitlab.com", Claims: map[string]any{
			"project_path": "group/sub/proj", "ci_config_ref_uri": "gitlab.com/group/sub/proj//ci/release.yml@refs/heads/main"}},
			`{"kind":"GitLab","repository":"group/sub/proj","workflow_filepath":"ci/release.yml","environment":null}`, "https://gitlab.com"},
		{"github without job_workflow_ref", publisher.Match{Kind: "github", Claims: map[string]any{"repository": "o/r"}}, "", ""},
		{"gitlab without ci_config_ref_uri", publisher.Match{Kind: "gitlab", Claims: map[string]any{"project_path": "g/p"}}, "", ""},
		{"another kind", publisher.Match{Kind: "activestate"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := attestIdentity(&c.m)
			if c.want == "" {
				if id != nil {
					t.Fatalf("identity %+v, want none", id)
				}
				return
			}
			if id == nil {
				t.Fatal("no identity")
			}
			b, _ := json.Marshal(id.Publisher)
			if string(b) != c.want || id.RepositoryBase != c.server || id.ConfigBase != c.server || id.Issuer != c.m.Issuer {
				t.Errorf("identity %s bases %s %s issuer %s", b, id.RepositoryBase, id.ConfigBase, id.Issuer)
			}
		})
	}
}

// TestAttestedCommitRolledBack: when an attested upload's commit fails
// after its provenance was moved into place, the provenance is removed with
// the other names, no temp file is left, and the retry stores and serves it.
func TestAttestedCommitRolledBack(t *testing.T) {
	dir := t.TempDir()
	r := newAttestRig(t, dir)
	f := wheel(t, "gh-demo", "1.0", disttest.Options{})
	send := func() (int, string) {
		a := r.sign(t, r.githubToken(t, "sigstore", "gh-demo", "release.yml"), f.filename, sha256Hex(f.data))
		req := f.req().set("attestations", attestField(a))
		req.auth = basic("__token__", r.mint(t, r.githubToken(t, "pypi", "gh-demo", "release.yml")))
		code, body, _ := req.send(t, r.url+"/legacy/")
		return code, body
	}
	pdir := filepath.Join(dir, "index", "projects", "gh-demo")
	blocker := filepath.Join(pdir, f.filename+recordSuffix, "x")
	if err := os.MkdirAll(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, body := send(); code != 500 || !strings.Contains(body, "could not be stored") {
		t.Fatalf("upload with its record name taken: %d %s", code, body)
	}
	for _, suffix := range []string{"", metadataSuffix, provenanceSuffix} {
		if _, err := os.Stat(filepath.Join(pdir, f.filename+suffix)); !os.IsNotExist(err) {
			t.Errorf("%s%s left in place after the failed commit: %v", f.filename, suffix, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "index", tmpDirName)); len(entries) != 0 {
		t.Errorf("temp files left: %v", entries)
	}
	os.RemoveAll(filepath.Dir(blocker))
	if code, body := send(); code != 200 {
		t.Fatalf("retry: %d %s", code, body)
	}
	if resp, body := get(t, r.url+"/integrity/gh-demo/1.0/"+f.filename+"/provenance", ""); resp.StatusCode != 200 {
		t.Errorf("provenance after the retry: %d %s", resp.StatusCode, body)
	}
}
