package cli_test

// End-to-end tests of the trustpub binary: a real `trustpub serve` process
// on loopback, real wheels and sdists, and the CLI run as a subprocess with
// a controlled environment (a simulated CI job).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/pydist/disttest"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trustpub-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "trustpub")
	out, err := exec.Command("go", "build", "-o", binPath, "github.com/trustpub/trustpub/cmd/trustpub").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building trustpub: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running `trustpub serve`.
type server struct {
	base string
	data string
	log  *testutil.Buffer
}

const gitlabConfig = `
audience = "pypi"

[[publishers.gitlab]]
project = "hello-e2e"
namespace = "example-group"
repository = "hello"
workflow_filepath = ".gitlab-ci.yml"
`

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	data := filepath.Join(dir, "data")
	cmd := exec.Command(binPath, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--ready-file", ready}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	// The server logs "serving" before it writes the ready file, but its
	// standard error reaches the log through a pipe: wait for both, so that
	// the start-up lines are there to read.
	srv := testutil.StartServer(t, cmd, ready, func(log string) bool { return strings.Contains(log, "msg=serving") })
	return &server{base: srv.URL, data: data, log: srv.Log}
}

// processBound bounds each run of the binary in these tests: far above
// what any run takes on a loaded machine, so that only a hang reaches it.
const processBound = 2 * time.Minute

type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary with exactly env (plus PATH) and a private HOME.
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), processBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("trustpub %s still running after %v\n%s", strings.Join(args, " "), processBound, errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func sampleDists(t *testing.T, name, version string) string {
	dir := t.TempDir()
	disttest.BuildWheel(t, dir, name, version, disttest.Options{})
	disttest.BuildSdist(t, dir, name, version, disttest.Options{})
	return dir
}

func devToken(t *testing.T, s *server, args ...string) string {
	t.Helper()
	r := run(t, nil, append([]string{"dev-token", "--issuer", s.base + "/_/dev-issuer"}, args...)...)
	if r.code != 0 {
		t.Fatalf("dev-token: %d %s", r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func projectFiles(t *testing.T, s *server, project string) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+"/simple/"+project+"/", nil)
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 404 {
		return nil
	}
	var page struct {
		Files []struct{ Filename string } `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range page.Files {
		names = append(names, f.Filename)
	}
	return names
}

func writeConfig(t *testing.T, text string) string {
	p := filepath.Join(t.TempDir(), "index.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGitLabJobPublishesThroughTrustedPublishing(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, gitlabConfig), "--dev-issuer")
	jwt := devToken(t, s, "--gitlab", "example-group/hello", "--workflow", ".gitlab-ci.yml")
	dists := sampleDists(t, "hello-e2e", "1.0.0")

	r := run(t, []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + jwt}, "publish", "--publish-url", s.base+"/legacy/", "--json", "-", dists)
	if r.code != 0 {
		t.Fatalf("publish exit %d\nstdout:%s\nstderr:%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		OK    bool `json:"ok"`
		Files []struct {
			Name, Outcome, SHA256 string
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, r.stdout)
	}
	if !rep.OK || len(rep.Files) != 2 || rep.Files[0].Outcome != "uploaded" || !strings.HasSuffix(rep.Files[0].Name, ".whl") {
		t.Fatalf("report: %+v", rep)
	}
	got := projectFiles(t, s, "hello-e2e")
	if len(got) != 2 {
		t.Fatalf("index has %v", got)
	}
	for _, out := range []string{r.stdout, r.stderr, s.log.String()} {
		if strings.Contains(out, jwt) || strings.Contains(out, "pypi-") && strings.Contains(out, "token=pypi-") {
			t.Fatalf("a token was printed:\n%s", out)
		}
	}

	// The GitLab job's ID token has been used: a second exchange is refused as replay.
	dists2 := sampleDists(t, "hello-e2e", "1.0.1")
	r = run(t, []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + jwt}, "publish", "--publish-url", s.base+"/legacy/", dists2)
	if r.code != 4 || !strings.Contains(r.stderr, "invalid-reuse-token") {
		t.Fatalf("replayed token: exit %d\n%s", r.code, r.stderr)
	}
}

func TestGitLabJobWithoutIDTokenSaysHowToFix(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, gitlabConfig), "--dev-issuer")
	dists := sampleDists(t, "hello-e2e", "1.0.0")
	r := run(t, []string{"GITLAB_CI=true"}, "publish", "--publish-url", s.base+"/legacy/", dists)
	if r.code == 0 {
		t.Fatalf("publish succeeded without a token: %s", r.stderr)
	}
	for _, want := range []string{"PYPI_ID_TOKEN", "id_tokens:", "aud: pypi"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := projectFiles(t, s, "hello-e2e"); len(got) != 0 {
		t.Fatalf("files uploaded: %v", got)
	}

	// `trustpub token` in the same broken job: non-zero, same fix.
	r = run(t, []string{"GITLAB_CI=true"}, "token", "testpypi")
	if r.code == 0 || !strings.Contains(r.stderr, "TESTPYPI_ID_TOKEN") || r.stdout != "" {
		t.Fatalf("token: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestTrustedPublishingRefusalExplainsClaims(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, gitlabConfig), "--dev-issuer")
	// A job of another project: the index has no publisher for it.
	jwt := devToken(t, s, "--gitlab", "example-group/other", "--workflow", ".gitlab-ci.yml")
	dists := sampleDists(t, "hello-e2e", "1.0.0")
	r := run(t, []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + jwt}, "publish", "--publish-url", s.base+"/legacy/", dists)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"invalid-publisher", "project_path", "example-group/other", "ci_config_ref_uri", "troubleshooting"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, jwt) {
		t.Fatal("OIDC token printed")
	}
}

func TestTokenCommand(t *testing.T) {
	// Outside any CI: exit 0, nothing on stdout, a message on stderr.
	r := run(t, nil, "token", "pypi")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no supported CI") {
		t.Fatalf("no CI: %d %q %q", r.code, r.stdout, r.stderr)
	}
	s := startServer(t, "--dev-issuer")
	jwt := devToken(t, s, "--gitlab", "g/p", "--audience", "sigstore")
	r = run(t, []string{"GITLAB_CI=true", "SIGSTORE_ID_TOKEN=" + jwt}, "token", "sigstore")
	if r.code != 0 || strings.TrimSpace(r.stdout) != jwt {
		t.Fatalf("token: %d %q", r.code, r.stderr)
	}
	r = run(t, []string{"GITLAB_CI=true", "SIGSTORE_ID_TOKEN=" + jwt}, "token", "sigstore", "--claims")
	var claims map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &claims) != nil {
		t.Fatalf("claims: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if claims["project_path"] != "g/p" || claims["aud"] != "sigstore" {
		t.Fatalf("claims: %v", claims)
	}
	sig := jwt[strings.LastIndex(jwt, ".")+1:]
	if strings.Contains(r.stdout, sig) {
		t.Fatal("--claims printed the signature")
	}
	// Wrong audience in the job's token: a clear error, no token printed.
	r = run(t, []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + jwt}, "token", "pypi")
	if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "audience") {
		t.Fatalf("aud mismatch: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestExchangeCommand(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, gitlabConfig), "--dev-issuer")
	jwt := devToken(t, s, "--gitlab", "example-group/hello")
	r := run(t, []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + jwt}, "exchange", "--publish-url", s.base+"/legacy/")
	tok := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(tok, "pypi-") {
		t.Fatalf("exchange: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// The minted token uploads, for the publisher's project only.
	dists := sampleDists(t, "hello-e2e", "2.0.0")
	r = run(t, []string{"TRUSTPUB_TOKEN=" + tok}, "publish", "--publish-url", s.base+"/legacy/", dists)
	if r.code != 0 {
		t.Fatalf("publish with minted token: %d %s", r.code, r.stderr)
	}
	other := sampleDists(t, "someone-else", "1.0")
	r = run(t, []string{"TRUSTPUB_TOKEN=" + tok}, "publish", "--publish-url", s.base+"/legacy/", other)
	if r.code != 1 || !strings.Contains(r.stderr, "403") {
		t.Fatalf("publish other project: %d %s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, tok) {
		t.Fatal("token printed")
	}
	// Exchange is HTTPS-only except on loopback.
	r = run(t, []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + jwt}, "exchange", "--publish-url", "http://pypi.example.invalid/legacy/")
	if r.code == 0 || !strings.Contains(r.stderr, "https") {
		t.Fatalf("plain http: %d %s", r.code, r.stderr)
	}
}

// TestCanaryNeverPrinted runs a canary credential through every command
// path that handles one, successes and failures, and checks that it appears
// in no output and in no file the run wrote.
func TestCanaryNeverPrinted(t *testing.T) {
	const canary = "pypi-CANARY0123456789abcdef"
	s := startServer(t, "--token-file", writeTokenFile(t, canary))
	dists := sampleDists(t, "canary-proj", "1.0")
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "broken-1.0-py3-none-any.whl"), []byte("not a zip"), 0o644)
	report := filepath.Join(t.TempDir(), "report.json")
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, ".pypirc"), []byte("[local]\nrepository = "+s.base+"/legacy/\nusername = __token__\npassword = "+canary+"\n"), 0o600)

	cases := []struct {
		name string
		env  []string
		args []string
	}{
		{"success verbose json", []string{"TRUSTPUB_TOKEN=" + canary}, []string{"publish", "-v", "--json", report, "--publish-url", s.base + "/legacy/", dists}},
		{"re-upload", []string{"TRUSTPUB_TOKEN=" + canary}, []string{"publish", "-v", "--publish-url", s.base + "/legacy/", dists}},
		{"flag token", nil, []string{"publish", "-v", "--token", canary, "--publish-url", s.base + "/legacy/", dists}},
		{"wrong token", []string{"TRUSTPUB_TOKEN=" + canary + "x"}, []string{"publish", "-v", "--publish-url", s.base + "/legacy/", dists}},
		{"plain http remote", []string{"TRUSTPUB_TOKEN=" + canary}, []string{"publish", "--publish-url", "http://upload.example.invalid/legacy/", dists}},
		{"unreachable", []string{"TRUSTPUB_TOKEN=" + canary}, []string{"publish", "-v", "--publish-url", "http://127.0.0.1:1/legacy/", dists}},
		{"check failure", []string{"TRUSTPUB_TOKEN=" + canary}, []string{"publish", "-v", "--publish-url", s.base + "/legacy/", bad}},
		{"dry run", []string{"TRUSTPUB_TOKEN=" + canary}, []string{"publish", "--dry-run", "-v", "--publish-url", s.base + "/legacy/", dists}},
		{"twine env", []string{"TWINE_USERNAME=__token__", "TWINE_PASSWORD=" + canary, "TWINE_REPOSITORY_URL=" + s.base + "/legacy"}, []string{"publish", "-v", dists}},
		{"pypirc", []string{"HOME=" + home}, []string{"publish", "-v", "-r", "local", dists}},
		{"url with password", nil, []string{"publish", "--publish-url", "https://u:" + canary + "@example.invalid/legacy/", dists}},
		{"token in GitLab var", []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + canary}, []string{"token", "pypi"}},
		{"exchange", []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + canary}, []string{"exchange", "--publish-url", s.base + "/legacy/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.env, tc.args...)
			for _, out := range []string{r.stdout, r.stderr} {
				if strings.Contains(out, "CANARY") {
					t.Errorf("canary printed (exit %d):\n%s", r.code, out)
				}
			}
		})
	}
	if strings.Contains(s.log.String(), "CANARY") {
		t.Errorf("canary in the server log")
	}
	if b, err := os.ReadFile(report); err != nil || bytes.Contains(b, []byte("CANARY")) {
		t.Errorf("report: %v %s", err, b)
	}
	filepath.Walk(s.data, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("CANARY")) {
				t.Errorf("canary written to %s", p)
			}
		}
		return nil
	})
}

// echoingIndex is a trusted-publishing index that mints minted for any OIDC
// token and refuses every upload with an answer that repeats the upload
// token it was sent and the OIDC token it exchanged, as a careless index
// might. It returns the index's base URL and the number of uploads refused.
func echoingIndex(t *testing.T, minted string) (base string, uploads *atomic.Int32) {
	uploads = new(atomic.Int32)
	var mu sync.Mutex
	var oidc string
	base = httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_/oidc/audience":
			json.NewEncoder(w).Encode(map[string]string{"audience": "pypi"})
		case "/_/oidc/mint-token":
			var req struct{ Token string }
			json.NewDecoder(r.Body).Decode(&req)
			mu.Lock()
			oidc = req.Token
			mu.Unlock()
			json.NewEncoder(w).Encode(map[string]any{"success": true, "token": minted, "expires": time.Now().Add(15 * time.Minute).Unix()})
		case "/legacy/":
			io.Copy(io.Discard, r.Body)
			uploads.Add(1)
			_, pass, _ := r.BasicAuth()
			mu.Lock()
			defer mu.Unlock()
			http.Error(w, "Invalid API Token: "+pass+" is not valid for this project (exchanged from "+oidc+")", http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	})
	return base, uploads
}

// TestMintedTokenNeverPrinted runs a canary OIDC token and the canary
// upload token it is exchanged for through publish and exchange against an
// index that echoes them back, and checks that neither appears in any
// output or report, except the minted token on exchange's stdout, which is
// that command's purpose.
func TestMintedTokenNeverPrinted(t *testing.T) {
	const minted = "pypi-MINTEDCANARY0123456789abcdef"
	b64 := base64.RawURLEncoding.EncodeToString
	jwt := b64([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." +
		b64([]byte(fmt.Sprintf(`{"aud":"pypi","iss":"https://gitlab.example","project_path":"g/p","exp":%d}`, time.Now().Add(time.Hour).Unix()))) +
		".OIDCCANARYsignature"
	base, uploads := echoingIndex(t, minted)
	gitlab := []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + jwt}
	dists := sampleDists(t, "minted-proj", "1.0")
	report := filepath.Join(t.TempDir(), "report.json")

	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"verbose json file", []string{"publish", "-v", "--json", report, "--publish-url", base + "/legacy/", dists}, 1},
		{"json stdout", []string{"publish", "--json", "-", "--publish-url", base + "/legacy/", dists}, 1},
		{"quiet", []string{"publish", "-q", "--publish-url", base + "/legacy/", dists}, 1},
		{"dry run", []string{"publish", "--dry-run", "-v", "--json", "-", "--publish-url", base + "/legacy/", dists}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := uploads.Load()
			r := run(t, gitlab, tc.args...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:%s\nstderr:%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			for _, out := range []string{r.stdout, r.stderr} {
				if strings.Contains(out, "CANARY") {
					t.Errorf("canary printed (exit %d):\n%s", r.code, out)
				}
			}
			// The index's echo reached the output, redacted.
			if tc.wantCode != 0 && (uploads.Load() == before || !strings.Contains(r.stdout+r.stderr, "Invalid API Token: [REDACTED]")) {
				t.Errorf("the refusal was not shown (%d uploads):\nstdout:%s\nstderr:%s", uploads.Load()-before, r.stdout, r.stderr)
			}
		})
	}
	if b, err := os.ReadFile(report); err != nil || bytes.Contains(b, []byte("CANARY")) || !bytes.Contains(b, []byte("exchanged from [REDACTED]")) {
		t.Errorf("report: %v %s", err, b)
	}

	// exchange prints the minted token on stdout, and nothing else anywhere.
	r := run(t, gitlab, "exchange", "--publish-url", base+"/legacy/")
	if r.code != 0 || r.stdout != minted+"\n" || strings.Contains(r.stderr, "CANARY") {
		t.Fatalf("exchange: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func writeTokenFile(t *testing.T, tok string) string {
	p := filepath.Join(t.TempDir(), "token")
	os.WriteFile(p, []byte(tok+"\n"), 0o600)
	return p
}

func TestCheckCommandReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	disttest.BuildWheel(t, dir, "good", "1.0", disttest.Options{})
	disttest.BuildWheel(t, dir, "localver", "1.0+dev", disttest.Options{})
	os.WriteFile(filepath.Join(dir, "corrupt-1.0-py3-none-any.whl"), []byte("PK\x03\x04garbage"), 0o644)
	os.WriteFile(filepath.Join(dir, "old-1.0.zip"), []byte("zip sdist"), 0o644)
	r := run(t, nil, "check", dir)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"localver", "corrupt-1.0-py3-none-any.whl", "old-1.0.zip"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "good-1.0-py3-none-any.whl: ok") {
		t.Errorf("stdout: %s", r.stdout)
	}
	// publish refuses the same set before any byte is sent.
	s := startServer(t, "--token-file", writeTokenFile(t, "pypi-x"))
	r = run(t, []string{"TRUSTPUB_TOKEN=pypi-x"}, "publish", "--json", "-", "--publish-url", s.base+"/legacy/", dir)
	if r.code != 3 {
		t.Fatalf("publish exit %d\n%s", r.code, r.stderr)
	}
	// The JSON report says which files were refused and that none was sent.
	var rep struct {
		OK       bool `json:"ok"`
		ExitCode int  `json:"exit_code"`
		Files    []struct{ Name, Outcome, Error string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, r.stdout)
	}
	outcomes := map[string]string{}
	for _, f := range rep.Files {
		outcomes[f.Name] = f.Outcome
	}
	if rep.OK || rep.ExitCode != 3 || outcomes["good-1.0-py3-none-any.whl"] != "not-attempted" || outcomes["corrupt-1.0-py3-none-any.whl"] != "failed" {
		t.Fatalf("report: %+v", rep)
	}
	if got := projectFiles(t, s, "good"); len(got) != 0 {
		t.Fatalf("uploaded despite refused files: %v", got)
	}
}

// TestNoCredentialOutsideCI: outside any CI, publish without a credential
// stops at once with the ways to give one (automatic), or says no CI was
// found (always), and never asks the index for its audience. "Outside any
// CI" is the environment the test gives the binary, except for the one
// thing it cannot: the machine's DMI product name, by which a Compute
// Engine VM is Google Cloud (the metadata server is then asked, as it
// should be). On such a host the premise does not hold, and the test says
// so instead of failing on, or waiting for, the metadata server.
func TestNoCredentialOutsideCI(t *testing.T) {
	if name, err := os.ReadFile(ambient.DefaultProductNamePath); err == nil {
		if n := strings.TrimSpace(string(name)); n == "Google" || n == "Google Compute Engine" {
			t.Skipf("this host is a Compute Engine VM (DMI product name %q): trustpub rightly takes it for Google Cloud, so it cannot be run outside a CI here", n)
		}
	}
	s := startServer(t, "--token-file", writeTokenFile(t, "pypi-x"))
	dists := sampleDists(t, "nocred", "1.0")
	r := run(t, nil, "publish", "--publish-url", s.base+"/legacy/", dists)
	if r.code != 4 || !strings.Contains(r.stderr, "no credential") || !strings.Contains(r.stderr, "TRUSTPUB_TOKEN") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// automatic outside a CI never asks the index for its audience.
	if strings.Contains(s.log.String(), "/_/oidc/audience") {
		t.Fatalf("audience requested outside CI:\n%s", s.log)
	}
	r = run(t, nil, "publish", "--trusted-publishing", "always", "--publish-url", s.base+"/legacy/", dists)
	if r.code != 4 || !strings.Contains(r.stderr, "no supported CI") {
		t.Fatalf("always: exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, []string{"TRUSTPUB_TOKEN=pypi-x"}, "publish", "--trusted-publishing", "always", "--publish-url", s.base+"/legacy/", dists)
	if r.code != 2 {
		t.Fatalf("always with a token: exit %d\n%s", r.code, r.stderr)
	}
}

const rehearsalConfig = `
[[publishers.gitlab]]
project = "rehearse"
namespace = "group"
repository = "proj"
workflow_filepath = ".gitlab-ci.yml"

[[publishers.gitlab]]
project = "taken"
namespace = "group"
repository = "pending"
workflow_filepath = ".gitlab-ci.yml"
pending = true

[[tokens]]
name = "maintainer"
token = "pypi-maintainer-token"

[[publishers.github]]
project = "rehearse"
owner = "octo"
repository = "repo"
workflow = "release.yml"
environment = "pypi"
`

// fakeGitHubTokenService answers like GitHub's ACTIONS_ID_TOKEN_REQUEST_URL,
// handing out the token minted by the dev issuer for the job.
func fakeGitHubTokenService(t *testing.T, jwt string) (url, requestToken string) {
	requestToken = "gh-request-token"
	srv := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+requestToken || r.URL.Query().Get("audience") != "pypi" {
			http.Error(w, `{"message":"bad request"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"value": jwt})
	})
	return srv + "/idtoken?api-version=2.0", requestToken
}

// TestTrustedPublishingOutcomes publishes through the CLI from simulated
// GitHub and GitLab jobs whose tokens the dev issuer signs, and checks each
// outcome: success for a matching publisher, PyPI's refusal codes otherwise.
func TestTrustedPublishingOutcomes(t *testing.T) {
	s := startServer(t, "--config", writeConfig(t, rehearsalConfig), "--dev-issuer")
	if !strings.Contains(s.log.String(), `trusted publisher github[0] (project \"rehearse\", octo/repo) has no owner_id`) {
		t.Errorf("the index does not warn of the GitHub publisher without owner_id:\n%s", s.log)
	}
	other := startServer(t, "--dev-issuer") // an issuer the index does not trust
	// The pending publisher's project is created by someone else first.
	if r := run(t, []string{"TRUSTPUB_TOKEN=pypi-maintainer-token"}, "publish", "--publish-url", s.base+"/legacy/", sampleDists(t, "taken", "0.1")); r.code != 0 {
		t.Fatalf("creating the project: %s", r.stderr)
	}

	gitlab := func(args ...string) []string {
		return []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + devToken(t, s, append([]string{"--gitlab", "group/proj"}, args...)...)}
	}
	github := func(args ...string) []string {
		jwt := devToken(t, s, append([]string{"--github", "octo/repo", "--workflow", "release.yml", "--environment", "pypi"}, args...)...)
		url, rt := fakeGitHubTokenService(t, jwt)
		return []string{"GITHUB_ACTIONS=true", "ACTIONS_ID_TOKEN_REQUEST_URL=" + url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + rt}
	}
	for i, tc := range []struct {
		name     string
		env      []string
		wantCode int
		want     string
	}{
		{"gitlab publisher", gitlab(), 0, "uploaded"},
		{"github publisher", github(), 0, "uploaded"},
		{"gitlab other workflow file", gitlab("--workflow", "ci/release.yml"), 4, "invalid-publisher"},
		{"github other environment", github("--environment", "staging"), 4, "invalid-publisher"},
		{"github other workflow", github("--workflow", "ci.yml"), 4, "invalid-publisher"},
		{"github pull_request_target", github("--event-name", "pull_request_target"), 4, "pull_request_target"},
		{"expired token", gitlab("--ttl=-10m"), 4, "invalid-token"},
		{"untrusted issuer", []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + devToken(t, other, "--gitlab", "group/proj")}, 4, "invalid-payload"},
		{"gitlab.com issuer not configured", gitlab("--claim-issuer", "https://gitlab.com"), 4, "not-enabled"},
		{"signed by an unknown key", []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + devToken(t, other, "--gitlab", "group/proj", "--claim-issuer", s.base+"/_/dev-issuer/gitlab")}, 4, "invalid-token"},
		{"pending publisher, project exists", []string{"GITLAB_CI=true", "PYPI_ID_TOKEN=" + devToken(t, s, "--gitlab", "group/pending")}, 4, "invalid-pending-publisher"},
		{"token for another audience", gitlab("--audience", "testpypi"), 4, "audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dists := sampleDists(t, "rehearse", fmt.Sprintf("1.0.%d", i))
			r := run(t, tc.env, "publish", "--publish-url", s.base+"/legacy/", dists)
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s", r.code, tc.wantCode, tc.want, r.stderr)
			}
			files := projectFiles(t, s, "rehearse")
			landed := false
			for _, f := range files {
				landed = landed || strings.Contains(f, fmt.Sprintf("1.0.%d", i))
			}
			if landed != (tc.wantCode == 0) {
				t.Fatalf("landed=%v with exit %d; index has %v", landed, r.code, files)
			}
		})
	}
}

func httptestServer(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestServeTLS runs the index over HTTPS with a certificate made here and
// publishes to it with a token, trusting the certificate the standard way
// (SSL_CERT_FILE), as a user with a private CA would.
func TestServeTLS(t *testing.T) {
	certFile, keyFile := writeCertFiles(t)
	s := startServer(t, "--token-file", writeTokenFile(t, "pypi-tls"), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(s.base, "https://127.0.0.1:") {
		t.Fatalf("base URL %q is not https", s.base)
	}
	dists := sampleDists(t, "tls-proj", "1.0")
	r := run(t, []string{"TRUSTPUB_TOKEN=pypi-tls", "SSL_CERT_FILE=" + certFile}, "publish", "--publish-url", s.base+"/legacy/", dists)
	if r.code != 0 {
		t.Fatalf("publish over https: %d\n%s", r.code, r.stderr)
	}
	// Without trusting the certificate the upload fails, and says why.
	r = run(t, []string{"TRUSTPUB_TOKEN=pypi-tls"}, "publish", "--publish-url", s.base+"/legacy/", sampleDists(t, "tls-proj", "1.1"))
	if r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("untrusted certificate: %d\n%s", r.code, r.stderr)
	}
	// --tls-cert without --tls-key is a usage error.
	r = run(t, nil, "serve", "--data", t.TempDir(), "--tls-cert", certFile)
	if r.code != 2 || !strings.Contains(r.stderr, "--tls-key") {
		t.Fatalf("half TLS config: %d %s", r.code, r.stderr)
	}
}

// writeCertFiles writes a self-signed certificate for 127.0.0.1 and its
// key to files.
func writeCertFiles(t *testing.T) (certFile, keyFile string) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSignedCert(t)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	return certFile, keyFile
}

func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "trustpub test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
}
