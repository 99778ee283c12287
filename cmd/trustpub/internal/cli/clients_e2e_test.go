package cli_test

// Third-party clients against the real `trustpub serve`, and trustpub
// against a third-party index (pypiserver's answers): what a user switching
// from twine, flit, poetry or uv sees, asserted as printed.

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/internal/testutil/fakepypiserver"
	"github.com/trustpub/trustpub/pydist/disttest"
)

const clientToken = "pypi-clients-e2e-0123456789abcdef"

// runIn runs a program in dir with env and returns its combined output
// and exit code.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out.String(), 0
}

// writeFiles writes files (path relative to dir) and returns dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type clientCase struct {
	name     string
	args     []string
	env      []string
	wantCode int // 0, or non-zero for "fails"
	want     []string
	dontWant []string
}

// checkOutput fails the test unless out has every want and no dontWant.
func checkOutput(t *testing.T, out string, want, dontWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, w := range dontWant {
		if strings.Contains(out, w) {
			t.Errorf("output has %q:\n%s", w, out)
		}
	}
}

func runClientCases(t *testing.T, dir, tool string, base []string, cases []clientCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runIn(t, dir, testutil.PythonEnv(dir, append(base, tc.env...)...), tool, tc.args...)
			if (code == 0) != (tc.wantCode == 0) {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.wantCode, out)
			}
			checkOutput(t, out, tc.want, tc.dontWant)
		})
	}
}

// TestThirdPartyClientsAgainstServe: twine, flit, poetry upload to
// `trustpub serve` (upload, identical re-upload, conflict, bad credential),
// each user sees the index's reason, and pip installs what they uploaded.
func TestThirdPartyClientsAgainstServe(t *testing.T) {
	twine := testutil.RequireTool(t, ".ci/run installs it with apt-get (twine, flit, python3-poetry, python3-pip)", "twine", "--version")
	flit := testutil.RequireTool(t, ".ci/run installs it with apt-get (twine, flit, python3-poetry, python3-pip)", "flit", "--version")
	poetry := testutil.RequireTool(t, ".ci/run installs it with apt-get (twine, flit, python3-poetry, python3-pip)", "poetry", "--version")
	python := testutil.RequireTool(t, ".ci/run installs it with apt-get (twine, flit, python3-poetry, python3-pip)", "/usr/bin/python3", "-m", "pip", "--version")
	s := startServer(t, "--token-file", writeTokenFile(t, clientToken))
	legacy := s.base + "/legacy/"
	const alreadyThere = "File already exists ("
	const badAuth = "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."

	t.Run("twine", func(t *testing.T) {
		dir := t.TempDir()
		// Debian's twine 4.0.2 reads Metadata-Version up to 2.2.
		whl := disttest.BuildWheel(t, dir, "twine-user", "1.0", disttest.Options{MetadataVersion: "2.1"})
		sd := disttest.BuildSdist(t, dir, "twine-user", "1.0", disttest.Options{MetadataVersion: "2.1"})
		other := disttest.BuildWheel(t, t.TempDir(), "twine-user", "1.0", disttest.Options{MetadataVersion: "2.1", Description: "another build"})
		up := []string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", legacy, "-u", "__token__"}
		runClientCases(t, dir, twine, nil, []clientCase{
			{name: "upload", args: append(up, "-p", clientToken, whl, sd), want: []string{"Uploading twine_user-1.0-py3-none-any.whl", "Uploading twine_user-1.0.tar.gz"}},
			{name: "identical re-upload", args: append(up, "-p", clientToken, whl)},
			// Without --verbose twine prints the status code, its standard
			// phrase and, below, the reason phrase: the index's message
			// reaches the user only through the status line.
			{name: "conflict", args: append(up, "-p", clientToken, other), wantCode: 1,
				want: []string{"HTTPError: 400 Bad Request from " + legacy, alreadyThere + "'twine_user-1.0-py3-none-any.whl', with blake2_256 hash"}},
			{name: "bad credential", args: append(up, "-p", "pypi-wrong", whl), wantCode: 1, want: []string{"HTTPError: 403 Forbidden from " + legacy, badAuth}},
		})
	})

	t.Run("flit", func(t *testing.T) {
		// flit sends the file part without a Content-Type.
		proj := func(doc string) string {
			return writeFiles(t, t.TempDir(), map[string]string{
				"pyproject.toml":        "[build-system]\nrequires = [\"flit_core >=3.2,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"flit-user\"\nversion = \"0.1.0\"\ndescription = \"A demo\"\n",
				"flit_user/__init__.py": "\"\"\"" + doc + "\"\"\"\n",
			})
		}
		dir, changed := proj("Demo."), proj("Changed.")
		env := []string{"FLIT_INDEX_URL=" + legacy, "FLIT_USERNAME=__token__"}
		good := "FLIT_PASSWORD=" + clientToken
		runClientCases(t, dir, flit, env, []clientCase{
			{name: "upload wheel", args: []string{"publish", "--format", "wheel"}, env: []string{good}},
			{name: "identical re-upload", args: []string{"publish", "--format", "wheel"}, env: []string{good}},
			// flit 3.8 names its sdist flit-user-0.1.0.tar.gz, which PyPI
			// refuses (PEP 625): the user reads why.
			{name: "sdist name refused", args: []string{"publish", "--format", "sdist"}, env: []string{good}, wantCode: 1,
				want: []string{"400 Client Error: Filename 'flit-user-0.1.0.tar.gz' is invalid, should be 'flit_user-0.1.0.tar.gz'."}},
			{name: "bad credential", args: []string{"publish", "--format", "wheel"}, env: []string{"FLIT_PASSWORD=pypi-wrong"}, wantCode: 1,
				want: []string{"403 Client Error: " + badAuth}},
		})
		runClientCases(t, changed, flit, env, []clientCase{
			{name: "conflict", args: []string{"publish", "--format", "wheel"}, env: []string{good}, wantCode: 1,
				want: []string{"400 Client Error: " + alreadyThere + "'flit_user-0.1.0-py2.py3-none-any.whl'"}},
		})
	})

	t.Run("poetry", func(t *testing.T) {
		proj := func(doc string) string {
			dir := writeFiles(t, t.TempDir(), map[string]string{
				"pyproject.toml": "[tool.poetry]\nname = \"poetry-user\"\nversion = \"0.1.0\"\ndescription = \"A demo\"\nauthors = [\"A <a@example.org>\"]\n" +
					"packages = [{include = \"poetry_user\"}]\n\n[tool.poetry.dependencies]\npython = \">=3.8\"\n\n" +
					"[build-system]\nrequires = [\"poetry-core\"]\nbuild-backend = \"poetry.core.masonry.api\"\n",
				"poetry_user/__init__.py": "\"\"\"" + doc + "\"\"\"\n",
			})
			if out, code := runIn(t, dir, testutil.PythonEnv(dir), poetry, "build", "-n"); code != 0 {
				t.Fatalf("poetry build: %s", out)
			}
			return dir
		}
		dir, changed := proj("Demo."), proj("Changed.")
		env := []string{"POETRY_REPOSITORIES_LOCAL_URL=" + legacy, "POETRY_HTTP_BASIC_LOCAL_USERNAME=__token__"}
		good := "POETRY_HTTP_BASIC_LOCAL_PASSWORD=" + clientToken
		runClientCases(t, dir, poetry, env, []clientCase{
			{name: "upload", args: []string{"publish", "-r", "local", "-n"}, env: []string{good}, want: []string{"Uploading poetry_user-0.1.0-py3-none-any.whl 100%", "Uploading poetry_user-0.1.0.tar.gz 100%"}},
			{name: "identical re-upload", args: []string{"publish", "-r", "local", "-n"}, env: []string{good}},
			{name: "bad credential", args: []string{"publish", "-r", "local", "-n"}, env: []string{"POETRY_HTTP_BASIC_LOCAL_PASSWORD=pypi-wrong"}, wantCode: 1,
				want: []string{"HTTP Error 403: " + badAuth}},
		})
		runClientCases(t, changed, poetry, env, []clientCase{
			{name: "conflict", args: []string{"publish", "-r", "local", "-n"}, env: []string{good}, wantCode: 1,
				want: []string{"HTTP Error 400: " + alreadyThere + "'poetry_user-0.1.0-py3-none-any.whl'"}},
			{name: "conflict skipped", args: []string{"publish", "-r", "local", "-n", "--skip-existing"}, env: []string{good},
				want: []string{"File exists. Skipping"}},
		})
	})

	t.Run("raw requests", func(t *testing.T) {
		// A hand-written upload: the file part named after the open file,
		// no Content-Type, fields repeated as a list of pairs.
		dir := t.TempDir()
		whl := disttest.BuildWheel(t, dir, "raw-user", "1.0", disttest.Options{})
		script := `import hashlib, sys, requests
digest = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
data = [(":action", "file_upload"), ("protocol_version", "1"), ("metadata_version", "2.1"), ("name", "raw-user"),
        ("version", "1.0"), ("filetype", "bdist_wheel"), ("pyversion", "py3"), ("sha256_digest", digest),
        ("classifiers", "Programming Language :: Python"), ("classifiers", "Programming Language :: Python :: 3")]
with open(sys.argv[1], "rb") as f:
    r = requests.post(sys.argv[2], data=data, files={"content": f}, auth=("__token__", sys.argv[3]))
print(r.status_code, r.reason)
`
		runClientCases(t, dir, python, nil, []clientCase{
			{name: "upload", args: []string{"-c", script, whl, legacy, clientToken}, want: []string{"200 OK"}},
			{name: "identical re-upload", args: []string{"-c", script, whl, legacy, clientToken}, want: []string{"200 OK"}},
			{name: "bad credential", args: []string{"-c", script, whl, legacy, "pypi-wrong"}, want: []string{"403 " + badAuth}},
		})
	})

	t.Run("pip installs them", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "site")
		out, code := runIn(t, dir, testutil.PythonEnv(dir), python, "-m", "pip", "install", "--no-deps", "--no-cache-dir", "--target", target, "--index-url", s.base+"/simple/", "twine-user", "flit-user", "poetry-user", "raw-user")
		if code != 0 {
			t.Fatalf("pip install: %s", out)
		}
		for _, mod := range []string{"twine_user", "flit_user", "poetry_user", "raw_user"} {
			if _, err := os.Stat(filepath.Join(target, mod, "__init__.py")); err != nil {
				t.Errorf("%s not installed: %v\n%s", mod, err, out)
			}
		}
	})
}

// TestTrustpubAgainstPypiserver: twine's command line, swapped for
// `trustpub upload`, against pypiserver's answers (HTML-only simple API,
// 409 page, its auth answers).
func TestTrustpubAgainstPypiserver(t *testing.T) {
	ps := fakepypiserver.New("peer", "peerpass")
	srv := httptest.NewServer(ps)
	defer srv.Close()
	root := srv.URL + "/"
	dists := sampleDists(t, "peer-proj", "1.0")
	other := t.TempDir()
	disttest.BuildWheel(t, other, "peer-proj", "1.0", disttest.Options{Description: "another build"})
	up := []string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", root, "-u", "peer"}
	runCLICases(t, []cliCase{
		{name: "upload", args: append(up, "-p", "peerpass", dists), want: []string{"uploaded peer_proj-1.0-py3-none-any.whl", "summary: 2 uploaded"}},
		// pypiserver refuses even an identical file (409): its HTML simple
		// API proves it is the same.
		{name: "identical re-upload", args: append(up, "-p", "peerpass", dists),
			want: []string{"skipped peer_proj-1.0-py3-none-any.whl: already on the index with the same sha256", "summary: 2 skipped-existing"}, dontWant: []string{"different"}},
		{name: "check URL of HTML only", args: []string{"publish", "--publish-url", root, "-u", "peer", "-p", "peerpass", "--check-url", srv.URL + "/simple/", dists},
			want: []string{"check URL " + srv.URL + "/simple/: the index root", "summary: 2 skipped-existing"}},
		{name: "check URL of the project page", args: []string{"publish", "--publish-url", root, "-u", "peer", "-p", "peerpass", "--check-url", srv.URL + "/simple/peer-proj/", dists},
			want: []string{"the page of project peer-proj (not the index root)", "summary: 2 skipped-existing"}},
		{name: "different file", args: append(up, "-p", "peerpass", other), code: 1,
			want:     []string{"409 Package 'peer_proj-1.0-py3-none-any.whl' already exists! You may start server with `--overwrite` option.", "hint: the index has a different file under this name (sha256 "},
			dontWant: []string{"PyPI never allows"}},
		{name: "wrong password", args: append(up, "-p", "wrong-pass", dists), code: 1,
			want: []string{"403 Forbidden", "hint: the index refused the username and password"}},
		{name: "twine's removed signing flags", args: append(up, "-p", "peerpass", "--sign", dists), code: 2,
			want: []string{"--sign, --sign-with and --identity are twine's GPG signing options"}},
		{name: "twine env", env: []string{"TWINE_REPOSITORY_URL=" + root, "TWINE_USERNAME=peer", "TWINE_PASSWORD=peerpass", "TWINE_NON_INTERACTIVE=1"}, args: []string{"upload", dists},
			want: []string{"summary: 2 skipped-existing"}},
	})
	if got := ps.Files(); len(got) != 2 {
		t.Errorf("pypiserver stores %v", got)
	}
}

// TestShortPasswordKeepsFileNames: `-p pip` uploading pip's own wheel
// prints the file's name, not "[REDACTED]-23.0.1-…", warns that such a
// password cannot be redacted reliably only when it is under 3 characters,
// and an index answer repeating it is still redacted.
func TestShortPasswordKeepsFileNames(t *testing.T) {
	ps := fakepypiserver.New("peer", "pip")
	srv := httptest.NewServer(ps)
	defer srv.Close()
	dir := t.TempDir()
	disttest.BuildWheel(t, dir, "pip", "23.0.1", disttest.Options{})
	r := run(t, nil, "upload", "--disable-progress-bar", "-v", "--repository-url", srv.URL+"/", "-u", "peer", "-p", "pip", dir)
	out := r.stdout + r.stderr
	if r.code != 0 || !strings.Contains(out, "uploading pip-23.0.1-py3-none-any.whl") || !strings.Contains(out, "uploaded pip-23.0.1-py3-none-any.whl") || strings.Contains(out, "[REDACTED]-23") {
		t.Fatalf("exit %d:\n%s", r.code, out)
	}
	r = run(t, nil, "upload", "--repository-url", srv.URL+"/", "-u", "peer", "-p", "pi", dir)
	if !strings.Contains(r.stderr, "warning: the password from --password is too short") {
		t.Errorf("no warning for a 2-character password:\n%s", r.stderr)
	}
}

// TestUploadWithCert: twine's --cert and TWINE_CERT trust a private CA for
// the index (here `trustpub serve --tls-cert`).
func TestUploadWithCert(t *testing.T) {
	certFile, keyFile := writeCertFiles(t)
	s := startServer(t, "--token-file", writeTokenFile(t, clientToken), "--tls-cert", certFile, "--tls-key", keyFile)
	for i, tc := range []struct {
		env  []string
		args []string
		code int
	}{
		{nil, []string{"--cert", certFile}, 0},
		{[]string{"TWINE_CERT=" + certFile}, nil, 0},
		{nil, nil, 1},
		{nil, []string{"--cert", keyFile}, 2},
	} {
		args := append([]string{"upload", "--repository-url", s.base + "/legacy/", "-u", "__token__", "-p", clientToken}, tc.args...)
		r := run(t, tc.env, append(args, sampleDists(t, "cert-proj", "1."+string(rune('0'+i))))...)
		if r.code != tc.code {
			t.Errorf("case %d (%v %v): exit %d, want %d\n%s", i, tc.env, tc.args, r.code, tc.code, r.stderr)
		}
	}
}

// TestPublishIndexFromPyproject: uv's `--index NAME` takes the publish URL
// from pyproject.toml's [[tool.uv.index]] and checks against its url; its
// credentials come from UV_INDEX_<NAME>_PASSWORD as uv reads them.
func TestPublishIndexFromPyproject(t *testing.T) {
	s := startServer(t, "--token-file", writeTokenFile(t, clientToken))
	proj := writeFiles(t, t.TempDir(), map[string]string{"pyproject.toml": "[project]\nname = \"uv-proj\"\n\n" +
		"[[tool.uv.index]]\nname = \"private\"\nurl = \"" + s.base + "/simple/\"\npublish-url = \"" + s.base + "/legacy/\"\n\n" +
		"[[tool.uv.index]]\nname = \"mirror\"\nurl = \"https://mirror.example/simple/\"\n"})
	dists := sampleDists(t, "uv-proj", "1.0")
	env := []string{"UV_INDEX_PRIVATE_PASSWORD=" + clientToken}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"publish", []string{"publish", "--index", "private", dists}, env, 0, "check URL " + s.base + "/simple/: the index root"},
		{"again: skipped by the check", []string{"publish", "--index", "private", dists}, env, 0, "summary: 2 skipped-existing"},
		{"from UV_PUBLISH_INDEX", []string{"publish", dists}, append(env, "UV_PUBLISH_INDEX=private"), 0, "summary: 2 skipped-existing"},
		{"no publish-url", []string{"publish", "--index", "mirror", dists}, env, 2, `the [[tool.uv.index]] entry "mirror" in ` + filepath.Join(proj, "pyproject.toml") + " has no publish-url"},
		{"unknown", []string{"publish", "--index", "nope", dists}, env, 2, "no such index: give pypi or testpypi, or add a [[tool.uv.index]] entry"},
		{"with -t", []string{"publish", "--publish-url", s.base + "/legacy/", "-t", clientToken, "--dry-run", dists}, nil, 0, "would upload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binPath, tc.args...)
			cmd.Dir = proj
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, tc.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tc.code || !strings.Contains(string(out), tc.want) {
				t.Fatalf("exit %d, want %d and %q:\n%s", code, tc.code, tc.want, out)
			}
		})
	}
}

// TestAllowPlainHTTP: credentials over plain http to a non-loopback host
// are refused with the way to opt in, and the opt-in warns on every run.
func TestAllowPlainHTTP(t *testing.T) {
	dists := sampleDists(t, "plain-proj", "1.0")
	r := run(t, []string{"TRUSTPUB_TOKEN=pypi-plain-0123456789"}, "publish", "--dry-run", "--publish-url", "http://index.internal/legacy/", dists)
	if r.code != 2 || !strings.Contains(r.stderr, "allow it explicitly with --allow-plain-http index.internal") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	for _, env := range [][]string{{"TRUSTPUB_ALLOW_PLAIN_HTTP=other.internal, index.internal"}, nil} {
		args := []string{"publish", "--dry-run", "--publish-url", "http://index.internal/legacy/", dists}
		if env == nil {
			args = append(args, "--allow-plain-http", "index.internal")
		}
		r = run(t, append(env, "TRUSTPUB_TOKEN=pypi-plain-0123456789"), args...)
		if r.code != 0 || !strings.Contains(r.stderr, "warning: sending credentials over plain http to index.internal") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
	}
}
