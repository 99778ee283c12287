package main

// Simulated CI jobs: the GitHub Action (action.yml), the GitLab component
// (templates/publish.yml) and the project's own release workflow
// (.github/workflows/release.yml) are read from their YAML and their shell
// steps run with bash/sh in the environment the CI gives them, against a real
// `trustpub serve --dev-issuer` on loopback. Only what cannot run here is
// simulated: GitHub's OIDC token service (a loopback server answering as
// GitHub's does, with tokens the dev issuer signs), GitLab's injection of
// the id_tokens, and actions/checkout and actions/download-artifact (files
// copied into the workspace).

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/trustpub/trustpub/internal/release"
	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// hostBinary is trustpub built for this machine, for `serve` and `dev-token`.
func hostBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trustpub")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/trustpub/trustpub/cmd/trustpub").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// index is a running `trustpub serve --dev-issuer`.
type index struct {
	bin, base string
}

func startIndex(t *testing.T, bin, config string) *index {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "index.toml")
	os.WriteFile(cfg, []byte(config), 0o600)
	ready := filepath.Join(dir, "ready")
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--config", cfg, "--dev-issuer", "--ready-file", ready)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	return &index{bin: bin, base: testutil.StartServer(t, cmd, ready, nil).URL}
}

// devToken mints an OIDC token from the index's dev issuer.
func (ix *index) devToken(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(ix.bin, append([]string{"dev-token", "--issuer", ix.base + "/_/dev-issuer"}, args...)...).Output()
	if err != nil {
		t.Fatalf("dev-token %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// files returns the project's files on the index, filename → sha256.
func (ix *index) files(t *testing.T, project string) map[string]string {
	t.Helper()
	return testutil.SimpleFiles(t, ix.base, project)
}

// fileHashes returns the .whl and .tar.gz files in dir, filename → sha256.
func fileHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".whl") || strings.HasSuffix(de.Name(), ".tar.gz") {
			b, _ := os.ReadFile(filepath.Join(dir, de.Name()))
			sum := sha256.Sum256(b)
			got[de.Name()] = hex.EncodeToString(sum[:])
		}
	}
	return got
}

// sampleDists writes a wheel and an sdist of a sample project into dir.
func sampleDists(t *testing.T, dir, name, version string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	disttest.BuildWheel(t, dir, name, version, disttest.Options{})
	disttest.BuildSdist(t, dir, name, version, disttest.Options{})
}

// fakeGitHubTokenService answers as GitHub's ACTIONS_ID_TOKEN_REQUEST_URL
// does: GET with the job's bearer request token and ?audience=, answering
// {"value": JWT}, here a token the dev issuer signs for the job's claims.
func fakeGitHubTokenService(t *testing.T, ix *index, claims ...string) (env []string) {
	t.Helper()
	const requestToken = "gh-request-token-for-the-job"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		aud := r.URL.Query().Get("audience")
		if r.Header.Get("Authorization") != "bearer "+requestToken || aud == "" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"Unauthorized"}`)
			return
		}
		out, err := exec.Command(ix.bin, append([]string{"dev-token", "--issuer", ix.base + "/_/dev-issuer", "--audience", aud}, claims...)...).Output()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"value": strings.TrimSpace(string(out))})
	}))
	t.Cleanup(srv.Close)
	return []string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + srv.URL + "/idtoken?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + requestToken}
}

// ghExpr matches a GitHub Actions expression.
var ghExpr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// expandGitHub replaces the expressions this simulation knows (named in
// vars: "inputs.packages-dir", "github.action_path", …); any other fails the
// test, so the YAML cannot rely on something the simulation does not give.
func expandGitHub(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	return ghExpr.ReplaceAllStringFunc(s, func(m string) string {
		name := ghExpr.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("expression %s is not known to the simulated runner", m)
		}
		return v
	})
}

type ghStep struct {
	Name             string            `yaml:"name"`
	Uses             string            `yaml:"uses"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	With             map[string]string `yaml:"with"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
}

type ghAction struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Steps []ghStep `yaml:"steps"`
	} `yaml:"runs"`
}

type ghWorkflow struct {
	Jobs map[string]struct {
		Environment string            `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []ghStep          `yaml:"steps"`
	} `yaml:"jobs"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// ghRunner runs a job's steps as GitHub's runner does: `run` steps with
// `bash --noprofile --norc -eo pipefail FILE` in the workspace, with the
// job's environment plus the step's env; composite actions step by step
// with GITHUB_ACTION_PATH; GITHUB_PATH additions for the later steps.
type ghRunner struct {
	t         *testing.T
	workspace string
	env       []string
	pathFile  string
	log       strings.Builder
	// uses handles `uses:` steps other than local composite actions.
	uses func(step ghStep) error
}

func newGHRunner(t *testing.T, workspace string, env []string) *ghRunner {
	temp := t.TempDir()
	r := &ghRunner{t: t, workspace: workspace, pathFile: filepath.Join(temp, "github_path")}
	os.WriteFile(r.pathFile, nil, 0o644)
	r.env = append([]string{
		"CI=true", "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE=" + workspace, "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"RUNNER_TEMP=" + temp, "HOME=" + t.TempDir(), "GITHUB_PATH=" + r.pathFile,
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_EVENT_NAME=push",
	}, env...)
	return r
}

func (r *ghRunner) path() string {
	b, _ := os.ReadFile(r.pathFile)
	var dirs []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			dirs = append([]string{l}, dirs...)
		}
	}
	return strings.Join(append(dirs, "/usr/local/bin:/usr/bin:/bin"), ":")
}

func (r *ghRunner) runShell(script, shell, dir string, env []string) error {
	if shell != "bash" {
		r.t.Fatalf("step shell %q: the simulated runner runs bash steps only (set shell: bash)", shell)
	}
	f := filepath.Join(r.t.TempDir(), "step.sh")
	os.WriteFile(f, []byte(script), 0o644)
	cmd := exec.Command("/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", f)
	cmd.Dir = dir
	cmd.Env = append(append(slices.Clone(r.env), "PATH="+r.path()), env...)
	out, err := cmd.CombinedOutput()
	r.log.Write(out)
	return err
}

// runSteps runs a job's steps; overrides replace inputs of `uses: ./`.
func (r *ghRunner) runSteps(steps []ghStep, overrides map[string]string) error {
	for _, s := range steps {
		switch {
		case s.Run != "":
			shell := s.Shell
			if shell == "" {
				shell = "bash" // a workflow's default on Linux runners
			}
			var env []string
			for k, v := range s.Env {
				env = append(env, k+"="+expandGitHub(r.t, v, nil))
			}
			if err := r.runShell(expandGitHub(r.t, s.Run, nil), shell, filepath.Join(r.workspace, s.WorkingDirectory), env); err != nil {
				return fmt.Errorf("step %q: %w", s.Name, err)
			}
		case s.Uses == "./" || strings.HasPrefix(s.Uses, "./"):
			with := map[string]string{}
			for k, v := range s.With {
				with[k] = v
			}
			for k, v := range overrides {
				with[k] = v
			}
			if err := r.runAction(filepath.Join(r.workspace, s.Uses), with); err != nil {
				return err
			}
		default:
			if r.uses == nil {
				r.t.Fatalf("step uses %s, which the simulated runner does not have", s.Uses)
			}
			if err := r.uses(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// runAction runs a composite action with inputs (unknown ones fail, as
// GitHub warns and they would do nothing).
func (r *ghRunner) runAction(dir string, with map[string]string) error {
	var a ghAction
	readYAML(r.t, filepath.Join(dir, "action.yml"), &a)
	if a.Runs.Using != "composite" {
		r.t.Fatalf("action %s runs using %q, not composite", dir, a.Runs.Using)
	}
	vars := map[string]string{"github.action_path": dir}
	for name, in := range a.Inputs {
		vars["inputs."+name] = in.Default
	}
	for k, v := range with {
		if _, ok := a.Inputs[k]; !ok {
			r.t.Fatalf("input %q is not an input of the action", k)
		}
		vars["inputs."+k] = v
	}
	for _, s := range a.Runs.Steps {
		if s.Run == "" {
			r.t.Fatalf("composite step %q has no run: the simulation runs shell steps only", s.Name)
		}
		env := []string{"GITHUB_ACTION_PATH=" + dir}
		for k, v := range s.Env {
			env = append(env, k+"="+expandGitHub(r.t, v, vars))
		}
		if err := r.runShell(expandGitHub(r.t, s.Run, vars), s.Shell, r.workspace, env); err != nil {
			return fmt.Errorf("action step %q: %w", s.Name, err)
		}
	}
	return nil
}

// copyTree copies the checkout's files (tracked, and new ones not ignored:
// what a commit of this tree would hold) into dst, as actions/checkout would.
func copyTree(t *testing.T, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(repoRoot, name)
		st, err := os.Stat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the working tree
		}
		copyFile(t, src, filepath.Join(dst, name), st.Mode().Perm())
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(dst), 0o755)
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		copyFile(t, filepath.Join(src, de.Name()), filepath.Join(dst, de.Name()), 0o644)
	}
}

const ciIndexConfig = `
audience = "pypi"

[[tokens]]
name = "action-password"
token = "pypi-action-password-token"
projects = ["sample-password"]

# trustpub's own release: this repository's release.yml, environment pypi.
[[publishers.github]]
project = "trustpub"
owner = "trustpub"
repository = "trustpub"
workflow = "release.yml"
environment = "pypi"

# A user's workflow using the Action.
[[publishers.github]]
project = "sample-action"
owner = "octo"
repository = "sample"
workflow = "publish.yml"

# A user's GitLab project including the component.
[[publishers.gitlab]]
project = "sample-component"
namespace = "group"
repository = "proj"
workflow_filepath = ".gitlab-ci.yml"
`

// TestReleaseWorkflowRehearsal runs the publish job of the project's own
// release workflow: its steps in order, the download-artifact step given the
// release scripts/release built, the Action installing trustpub from that
// release, and trusted publishing from a token with the job's claims (this
// repository, release.yml, the job's environment, the tag). The only change
// from the real job is the Action's repository-url: the local index, not PyPI.
func TestReleaseWorkflowRehearsal(t *testing.T) {
	dir := theRelease(t)
	version := releaseVersion(t, dir)
	bin := hostBinary(t)
	ix := startIndex(t, bin, ciIndexConfig)

	var wf ghWorkflow
	readYAML(t, filepath.Join(repoRoot, ".github", "workflows", "release.yml"), &wf)
	job, ok := wf.Jobs["publish"]
	if !ok {
		t.Fatal("release.yml has no publish job")
	}
	if job.Permissions["id-token"] != "write" {
		t.Fatalf("the publish job lacks permissions: id-token: write, without which GitHub gives no OIDC token: %v", job.Permissions)
	}
	tag := "v" + version
	workspace := t.TempDir()
	env := append(fakeGitHubTokenService(t, ix, "--github", "trustpub/trustpub", "--workflow", "release.yml", "--environment", job.Environment, "--ref", "refs/tags/"+tag),
		"GITHUB_REPOSITORY=trustpub/trustpub", "GITHUB_REF=refs/tags/"+tag, "GITHUB_REF_NAME="+tag)
	r := newGHRunner(t, workspace, env)
	r.uses = func(s ghStep) error {
		switch {
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
			copyTree(t, workspace)
		case strings.HasPrefix(s.Uses, "actions/download-artifact@") && s.With["name"] == "release":
			copyDir(t, dir, filepath.Join(workspace, s.With["path"]))
		default:
			t.Fatalf("step uses %s, which the simulated runner does not have", s.Uses)
		}
		return nil
	}
	if err := r.runSteps(job.Steps, map[string]string{"repository-url": ix.base + "/legacy/"}); err != nil {
		t.Fatalf("%v\n%s", err, r.log.String())
	}
	// Every wheel of the release is on the index, with its sha256.
	want := map[string]string{}
	for name, sum := range fileHashes(t, dir) {
		if strings.HasSuffix(name, ".whl") {
			want[name] = sum
		}
	}
	if got := ix.files(t, "trustpub"); len(want) != len(release.Platforms()) || !maps.Equal(got, want) {
		t.Fatalf("the index has %v\nwant %v\njob output:\n%s", got, want, r.log.String())
	}
	for _, w := range []string{"trustpub: error", "sha256"} {
		if strings.Contains(r.log.String(), w) != (w == "sha256") { // print-hash: true
			t.Errorf("job output (un)expectedly contains %q:\n%s", w, r.log.String())
		}
	}
	t.Logf("job output:\n%s", r.log.String())
}

// TestActionMapsEveryInput checks that action.yml hands every input to its
// script (an input left out would be silently ignored) and keeps
// pypa/gh-action-pypi-publish's inputs with their defaults.
func TestActionMapsEveryInput(t *testing.T) {
	var a ghAction
	readYAML(t, filepath.Join(repoRoot, "action.yml"), &a)
	env := map[string]string{}
	for _, s := range a.Runs.Steps {
		for k, v := range s.Env {
			env[k] = v
		}
	}
	for name := range a.Inputs {
		k := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if want := "${{ inputs." + name + " }}"; env[k] != want {
			t.Errorf("input %s: the step's env %s is %q, want %q", name, k, env[k], want)
		}
	}
	for name, def := range map[string]string{
		"user": "__token__", "password": "", "repository-url": "https://upload.pypi.org/legacy/", "packages-dir": "dist",
		"verify-metadata": "true", "skip-existing": "false", "verbose": "false", "print-hash": "false", "attestations": "true",
	} {
		in, ok := a.Inputs[name]
		if !ok || in.Default != def {
			t.Errorf("gh-action-pypi-publish's input %s: present %v, default %q, want %q", name, ok, in.Default, def)
		}
	}
}

// TestAction runs the Action in simulated GitHub jobs of a user's
// repository: trustpub installed from the release over HTTP (checksum
// verified), then published with each input mapped to trustpub.
func TestAction(t *testing.T) {
	dir := theRelease(t)
	version := releaseVersion(t, dir)
	bin := hostBinary(t)
	ix := startIndex(t, bin, ciIndexConfig)
	releases := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(releases.Close)
	// A copy of the release whose archive for this machine was altered.
	tampered := t.TempDir()
	copyDir(t, dir, tampered)
	host := filepath.Join(tampered, release.Platform{GOOS: "linux", GOARCH: "amd64"}.ArchiveName())
	b, _ := os.ReadFile(host)
	b[len(b)/2] ^= 1
	os.WriteFile(host, b, 0o644)
	tamperedSrv := httptest.NewServer(http.FileServer(http.Dir(tampered)))
	t.Cleanup(tamperedSrv.Close)

	oidc := fakeGitHubTokenService(t, ix, "--github", "octo/sample", "--workflow", "publish.yml")
	for _, tc := range []struct {
		name       string
		project    string
		dists      func(t *testing.T, dir string)
		oidc       bool
		inputs     map[string]string
		wantOK     bool
		wantOutput []string
		wantFiles  int
	}{
		{name: "trusted publishing", project: "sample-action", oidc: true,
			dists:  func(t *testing.T, d string) { sampleDists(t, d, "sample-action", "1.0.0") },
			inputs: map[string]string{"print-hash": "true", "verbose": "true"}, wantOK: true, wantFiles: 2,
			wantOutput: []string{"dist/sample_action-1.0.0.tar.gz: ok (sample-action 1.0.0, sdist)", "sha256 of the files to upload", "sample_action-1.0.0-py3-none-any.whl", "installed trustpub " + version}},
		{name: "a different file under a taken name fails", project: "sample-action", oidc: true,
			dists: func(t *testing.T, d string) {
				disttest.BuildWheel(t, d, "sample-action", "1.0.0", disttest.Options{Description: "other"})
			},
			inputs: map[string]string{}, wantOK: false, wantFiles: 2, wantOutput: []string{"File already exists"}},
		{name: "skip-existing skips it", project: "sample-action", oidc: true,
			dists: func(t *testing.T, d string) {
				disttest.BuildWheel(t, d, "sample-action", "1.0.0", disttest.Options{Description: "other"})
			},
			inputs: map[string]string{"skip-existing": "true"}, wantOK: true, wantFiles: 2, wantOutput: []string{"skipped"}},
		{name: "password instead of trusted publishing", project: "sample-password", oidc: false,
			dists:  func(t *testing.T, d string) { sampleDists(t, d, "sample-password", "2.0") },
			inputs: map[string]string{"password": "pypi-action-password-token"}, wantOK: true, wantFiles: 2},
		{name: "tampered archive is not installed", project: "sample-tampered", oidc: true,
			dists:  func(t *testing.T, d string) { sampleDists(t, d, "sample-tampered", "1.0") },
			inputs: map[string]string{"trustpub-download-url": tamperedSrv.URL}, wantOK: false,
			wantOutput: []string{"but SHA256SUMS says", "not installing it"}},
		{name: "wrong version is not installed", project: "sample-version", oidc: true,
			dists:  func(t *testing.T, d string) { sampleDists(t, d, "sample-version", "1.0") },
			inputs: map[string]string{"trustpub-version": "9.9.9"}, wantOK: false,
			wantOutput: []string{"is not version 9.9.9"}},
		{name: "bad boolean input", project: "sample-bool", oidc: true,
			dists:  func(t *testing.T, d string) { sampleDists(t, d, "sample-bool", "1.0") },
			inputs: map[string]string{"verbose": "yes"}, wantOK: false,
			wantOutput: []string{"::error title=trustpub::the input verbose must be true or false, not 'yes'"}},
		{name: "missing packages-dir", project: "sample-missing", oidc: true,
			dists:  func(t *testing.T, d string) {},
			inputs: map[string]string{"packages-dir": "build/dist"}, wantOK: false,
			wantOutput: []string{"packages-dir 'build/dist' is not a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
				t.Skip("the simulated runner is a Linux X64 one")
			}
			workspace := t.TempDir()
			os.MkdirAll(filepath.Join(workspace, "dist"), 0o755)
			tc.dists(t, filepath.Join(workspace, "dist"))
			copyFile(t, filepath.Join(repoRoot, "action.yml"), filepath.Join(workspace, "action", "action.yml"), 0o644)
			for _, s := range []string{"install-trustpub", "gh-action-publish"} {
				copyFile(t, filepath.Join(repoRoot, "scripts", s), filepath.Join(workspace, "action", "scripts", s), 0o755)
			}
			env := []string{"GITHUB_REPOSITORY=octo/sample", "GITHUB_REF=refs/heads/main"}
			if tc.oidc {
				env = append(env, oidc...)
			}
			r := newGHRunner(t, workspace, env)
			inputs := map[string]string{"repository-url": ix.base + "/legacy/", "trustpub-version": version, "trustpub-download-url": releases.URL}
			for k, v := range tc.inputs {
				inputs[k] = v
			}
			err := r.runSteps([]ghStep{{Uses: "./action", With: inputs}}, nil)
			out := r.log.String()
			if (err == nil) != tc.wantOK {
				t.Fatalf("job error %v, want success %v:\n%s", err, tc.wantOK, out)
			}
			for _, w := range tc.wantOutput {
				if !strings.Contains(out, w) {
					t.Errorf("job output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "pypi-action-password-token") {
				t.Errorf("the password is in the job's output:\n%s", out)
			}
			if got := ix.files(t, tc.project); len(got) != tc.wantFiles {
				t.Errorf("the index has %v for %s, want %d files\n%s", got, tc.project, tc.wantFiles, out)
			}
		})
	}
}

// gitlabInput matches GitLab's input interpolation.
var gitlabInput = regexp.MustCompile(`\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]`)

type gitlabJob struct {
	Stage     string                       `yaml:"stage"`
	Image     string                       `yaml:"image"`
	IDTokens  map[string]map[string]string `yaml:"id_tokens"`
	Variables map[string]string            `yaml:"variables"`
	Script    []string                     `yaml:"script"`
}

// includeComponent does what GitLab does with `include: component:` and
// inputs: the spec's defaults and types, the inputs interpolated into the
// second document, which is returned as jobs.
func includeComponent(t *testing.T, path string, inputs map[string]string) map[string]gitlabJob {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, body, ok := strings.Cut(string(b), "\n---\n")
	if !ok {
		t.Fatalf("%s: no --- between the spec and the jobs", path)
	}
	var spec struct {
		Spec struct {
			Inputs map[string]struct {
				Default any    `yaml:"default"`
				Type    string `yaml:"type"`
			} `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(header), &spec); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for name, in := range spec.Spec.Inputs {
		if in.Default == nil {
			t.Fatalf("input %s has no default", name)
		}
		values[name] = fmt.Sprint(in.Default)
	}
	for k, v := range inputs {
		in, ok := spec.Spec.Inputs[k]
		if !ok {
			t.Fatalf("GitLab refuses the unknown input %q", k)
		}
		if in.Type == "boolean" && v != "true" && v != "false" {
			t.Fatalf("GitLab refuses %q for the boolean input %s", v, k)
		}
		values[k] = v
	}
	body = gitlabInput.ReplaceAllStringFunc(body, func(m string) string {
		name := gitlabInput.FindStringSubmatch(m)[1]
		v, ok := values[name]
		if !ok {
			t.Fatalf("the component interpolates the undeclared input %s", name)
		}
		return v
	})
	var jobs map[string]gitlabJob
	if err := yaml.Unmarshal([]byte(body), &jobs); err != nil {
		t.Fatalf("the interpolated component is not YAML: %v\n%s", err, body)
	}
	return jobs
}

// TestGitLabComponent includes the component as a user's pipeline would and
// runs its job's script with sh (dash) in a GitLab job's environment: the
// id_tokens it declares minted by the dev issuer for the project with the
// audience it declares, trustpub installed with pip from the local index
// (where trustpub's release wheels were published first).
func TestGitLabComponent(t *testing.T) {
	requireTool(t, "/usr/bin/python3", "-m", "pip", "--version")
	dir := theRelease(t)
	version := releaseVersion(t, dir)
	bin := hostBinary(t)
	pypi := startIndex(t, bin, ciIndexConfig+"\n[[tokens]]\nname = \"release\"\ntoken = \"pypi-release-token\"\nprojects = [\"trustpub\"]\n")
	testpypi := startIndex(t, bin, strings.Replace(ciIndexConfig, `audience = "pypi"`, `audience = "testpypi"`, 1))
	// trustpub's wheels, where the component's pip finds them.
	wheels, _ := filepath.Glob(filepath.Join(dir, "*.whl"))
	pub := exec.Command(bin, append([]string{"publish", "--publish-url", pypi.base + "/legacy/"}, wheels...)...)
	pub.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "TRUSTPUB_TOKEN=pypi-release-token"}
	if out, err := pub.CombinedOutput(); err != nil {
		t.Fatalf("publishing trustpub's wheels: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		name    string
		ix      *index
		inputs  map[string]string
		version string
	}{
		{"PyPI audience", pypi, map[string]string{"job-name": "release-to-pypi"}, "1.0.0"},
		{"TestPyPI audience", testpypi, map[string]string{"audience": "testpypi", "skip-existing": "true", "attestations": "false"}, "1.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inputs := map[string]string{
				"index":             tc.ix.base + "/legacy/",
				"install-index-url": pypi.base + "/simple/",
				"trustpub-version":  version,
				"stage":             "release",
			}
			for k, v := range tc.inputs {
				inputs[k] = v
			}
			jobs := includeComponent(t, filepath.Join(repoRoot, "templates", "publish.yml"), inputs)
			jobName := inputs["job-name"]
			if jobName == "" {
				jobName = "publish-pypi"
			}
			job, ok := jobs[jobName]
			if !ok || len(jobs) != 1 {
				t.Fatalf("the component's jobs are %v, want one named %s", jobs, jobName)
			}
			aud := tc.inputs["audience"]
			if aud == "" {
				aud = "pypi"
			}
			if job.Stage != "release" || job.IDTokens["PYPI_ID_TOKEN"]["aud"] != aud || job.IDTokens["SIGSTORE_ID_TOKEN"]["aud"] != "sigstore" {
				t.Fatalf("job stage %q, id_tokens %v; want stage release, PYPI_ID_TOKEN for %s and SIGSTORE_ID_TOKEN for sigstore", job.Stage, job.IDTokens, aud)
			}
			work := t.TempDir()
			sampleDists(t, filepath.Join(work, "dist"), "sample-component", tc.version)
			env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir(), "CI=true", "GITLAB_CI=true",
				"CI_PROJECT_DIR=" + work, "CI_PROJECT_PATH=group/proj", "CI_JOB_NAME=" + jobName, "PIP_ROOT_USER_ACTION=ignore"}
			for name, tok := range job.IDTokens {
				env = append(env, name+"="+tc.ix.devToken(t, "--gitlab", "group/proj", "--audience", tok["aud"]))
			}
			for k, v := range job.Variables {
				env = append(env, k+"="+v)
			}
			cmd := exec.Command("/bin/sh", "-e", "-c", strings.Join(job.Script, "\n"))
			cmd.Dir = work
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the job's script: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "trustpub "+version+" (commit ") {
				t.Errorf("the job did not run trustpub %s from the index:\n%s", version, out)
			}
			if got := tc.ix.files(t, "sample-component"); !maps.Equal(got, fileHashes(t, filepath.Join(work, "dist"))) {
				t.Fatalf("the index has %v\njob output:\n%s", got, out)
			}
		})
	}
}
