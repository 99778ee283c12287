package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/internal/release"
)

// TestPipx installs the Linux x86_64 wheel with Debian's pipx, as
// `pipx install trustpub` would from PyPI, and runs it, and runs it once
// with `pipx run` (the --spec form of `pipx run trustpub`).
func TestPipx(t *testing.T) {
	pipx := requireTool(t, "pipx", "--version")
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the wheel tested is the linux/amd64 one")
	}
	dir := theRelease(t)
	version := releaseVersion(t, dir)
	whl := filepath.Join(dir, release.Platforms()[0].WheelName(version))
	home := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "PIPX_HOME=" + filepath.Join(home, "pipx"), "PIPX_BIN_DIR=" + filepath.Join(home, "bin"),
		"PIP_NO_INDEX=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_CACHE_DIR=1", "USE_EMOJI=0"}
	if out, err := command(t, env, pipx, "install", whl); err != nil {
		t.Fatalf("pipx install: %v\n%s", err, out)
	}
	want := "trustpub " + version + " (commit "
	if out, err := command(t, env, filepath.Join(home, "bin", "trustpub"), "--version"); err != nil || !strings.HasPrefix(out, want) {
		t.Errorf("trustpub --version after pipx install: %v: %q, want %q…", err, out, want)
	}
	if out, err := command(t, env, pipx, "run", "--spec", whl, "trustpub", "--version"); err != nil || !strings.Contains(out, want) {
		t.Errorf("pipx run: %v:\n%s", err, out)
	}
}

// TestReadmeInstallArchive runs README.md's archive install block, line by
// line as written, with the GitHub release URL pointed at the release built
// here, and then the binary it installed.
func TestReadmeInstallArchive(t *testing.T) {
	requireTool(t, "curl", "--version")
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the README's block installs the linux-amd64 archive")
	}
	dir := theRelease(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://github.com/trustpub/trustpub/releases/latest/download"
	var block string
	for _, b := range strings.Split(string(readme), "```sh\n")[1:] {
		b, _, _ = strings.Cut(b, "```")
		if strings.Contains(b, url+"/SHA256SUMS") {
			block = b
		}
	}
	if block == "" {
		t.Fatal("README.md has no sh block downloading SHA256SUMS from the release")
	}
	home, work := t.TempDir(), t.TempDir()
	cmd := exec.Command("/bin/bash", "-e", "-c", strings.ReplaceAll(block, url, srv.URL))
	cmd.Dir = work
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "trustpub-linux-amd64.tar.gz: OK") {
		t.Fatalf("the README's block: %v\n%s", err, out)
	}
	if out, err := command(t, nil, filepath.Join(home, ".local", "bin", "trustpub"), "--version"); err != nil || !strings.HasPrefix(out, "trustpub "+releaseVersion(t, dir)+" ") {
		t.Fatalf("the installed trustpub: %v: %q", err, out)
	}
}
