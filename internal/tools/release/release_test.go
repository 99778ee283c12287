package main

// The done-when tests of shipping trustpub: scripts/release builds the
// release (twice, compared byte for byte), its wheels pass trustpub check and
// Debian's twine check and install with Debian's pip, SHA256SUMS verifies;
// then the GitHub Action, the GitLab component and the project's own release
// workflow run in simulated jobs (see ci_test.go) against `trustpub serve`.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trustpub/trustpub/internal/release"
	"github.com/trustpub/trustpub/internal/testutil"
)

var (
	tmpRoot  string // removed after the tests
	repoRoot string

	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

func TestMain(m *testing.M) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "trustpub-release-test"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if repoRoot, err = filepath.Abs("../../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// requireTool is testutil.RequireTool with the way to install it here.
func requireTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testutil.RequireTool(t, ".ci/run installs it with apt-get", name, args...)
}

// treeIsClean reports whether the checkout has no uncommitted changes.
func treeIsClean(t *testing.T, dir string) bool {
	out, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=normal").Output()
	if err != nil {
		t.Fatalf("git status: %v", err)
	}
	return len(out) == 0
}

// runRelease runs scripts/release of the checkout at dir into out; a
// working tree with changes (a developer's, never CI's clean checkout) is
// built with -allow-dirty.
func runRelease(t *testing.T, dir, out string) error {
	args := []string{filepath.Join(dir, "scripts", "release"), out}
	if !treeIsClean(t, dir) {
		args = append(args, "-allow-dirty")
	}
	cmd := exec.Command("bash", args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/release: %v\n%s", err, b)
	}
	return nil
}

// theRelease builds the release of this checkout once for all the tests.
func theRelease(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		releaseDir = filepath.Join(tmpRoot, "release")
		releaseErr = runRelease(t, repoRoot, releaseDir)
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseDir
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// releaseVersion is the version scripts/release stamped, read from the
// wheels' names.
func releaseVersion(t *testing.T, dir string) string {
	t.Helper()
	whls, _ := filepath.Glob(filepath.Join(dir, "*.whl"))
	if len(whls) == 0 {
		t.Fatalf("no wheel in %s", dir)
	}
	return strings.Split(filepath.Base(whls[0]), "-")[1]
}

// extract unpacks the host's archive of the release into a new directory
// with the system's tar and returns the binary's path.
func extract(t *testing.T, dir string) string {
	t.Helper()
	p := release.Platform{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	if p.GOOS == "windows" {
		t.Skip("the test extracts .tar.gz archives")
	}
	x := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(dir, p.ArchiveName()), "-C", x).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return filepath.Join(x, "trustpub-"+p.String(), p.Exe())
}

func command(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestRelease builds the release, checks its files, their checksums and
// every wheel with trustpub check and twine check, installs the Linux
// x86_64 wheel with Debian's pip and runs trustpub --version from it, and
// builds the release a second time to compare every byte.
func TestRelease(t *testing.T) {
	dir := theRelease(t)
	version := releaseVersion(t, dir)
	revision := gitOut(t, repoRoot, "rev-parse", "HEAD")

	t.Run("files", func(t *testing.T) {
		var want []string
		for _, p := range release.Platforms() {
			want = append(want, p.ArchiveName(), p.WheelName(version))
		}
		want = append(want, release.SumsFile)
		slices.Sort(want)
		des, _ := os.ReadDir(dir)
		var got []string
		for _, de := range des {
			got = append(got, de.Name())
		}
		if !slices.Equal(got, want) {
			t.Fatalf("release files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("SHA256SUMS", func(t *testing.T) {
		cmd := exec.Command(requireTool(t, "sha256sum", "--version"), "-c", "--strict", release.SumsFile)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Count(string(out), ": OK\n") != 2*len(release.Platforms()) {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	})

	bin := extract(t, dir)
	versionLine := fmt.Sprintf("trustpub %s (commit %s, ", version, revision[:12])
	t.Run("archive binary version", func(t *testing.T) {
		out, err := command(t, nil, bin, "--version")
		if err != nil || !strings.HasPrefix(out, versionLine) {
			t.Fatalf("trustpub --version: %v: %q, want %q…", err, out, versionLine)
		}
	})

	t.Run("same binary in archive and wheel", func(t *testing.T) {
		for _, p := range release.Platforms() {
			fromWheel := zipMember(t, filepath.Join(dir, p.WheelName(version)), "trustpub-"+version+".data/scripts/"+p.Exe())
			var fromArchive []byte
			if p.GOOS == "windows" {
				fromArchive = zipMember(t, filepath.Join(dir, p.ArchiveName()), "trustpub-"+p.String()+"/"+p.Exe())
			} else {
				x := t.TempDir()
				if out, err := exec.Command("tar", "-xzf", filepath.Join(dir, p.ArchiveName()), "-C", x).CombinedOutput(); err != nil {
					t.Fatalf("tar: %v\n%s", err, out)
				}
				fromArchive, _ = os.ReadFile(filepath.Join(x, "trustpub-"+p.String(), p.Exe()))
			}
			magic := map[string][]byte{"linux": []byte("\x7fELF"), "darwin": {0xcf, 0xfa, 0xed, 0xfe}, "windows": []byte("MZ")}[p.GOOS]
			if !bytes.Equal(fromWheel, fromArchive) || !bytes.HasPrefix(fromWheel, magic) {
				t.Errorf("%s: the wheel's binary (%d bytes) and the archive's (%d bytes) differ, or are not %s executables", p, len(fromWheel), len(fromArchive), p.GOOS)
			}
		}
	})

	wheels, _ := filepath.Glob(filepath.Join(dir, "*.whl"))
	t.Run("trustpub check", func(t *testing.T) {
		out, err := command(t, nil, bin, append([]string{"check"}, wheels...)...)
		if err != nil || strings.Count(out, ": ok (trustpub "+version+", bdist_wheel)") != len(wheels) {
			t.Fatalf("trustpub check: %v\n%s", err, out)
		}
	})

	t.Run("twine check", func(t *testing.T) {
		twine := requireTool(t, "twine", "--version")
		out, err := command(t, []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "NO_COLOR=1", "TERM=dumb"}, twine, append([]string{"check", "--strict"}, wheels...)...)
		if err != nil || strings.Count(out, "PASSED") != len(wheels) || strings.Contains(out, "WARNING") {
			t.Fatalf("twine check --strict: %v\n%s", err, out)
		}
	})

	t.Run("pip install --target and run", func(t *testing.T) {
		py := requireTool(t, "/usr/bin/python3", "-m", "pip", "--version")
		target := t.TempDir()
		env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_ROOT_USER_ACTION=ignore", "PIP_NO_CACHE_DIR=1"}
		linux := release.Platforms()[0]
		if out, err := command(t, env, py, "-m", "pip", "install", "--target", target, "--no-index", "--no-deps", filepath.Join(dir, linux.WheelName(version))); err != nil {
			t.Fatalf("pip install: %v\n%s", err, out)
		}
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			t.Skipf("installed; the binary is for linux/amd64, this is %s/%s", runtime.GOOS, runtime.GOARCH)
		}
		script, err := command(t, env, filepath.Join(target, "bin", "trustpub"), "--version")
		if err != nil || !strings.HasPrefix(script, versionLine) {
			t.Errorf("the installed script: trustpub --version: %v: %q, want %q…", err, script, versionLine)
		}
		module, err := command(t, append(env, "PYTHONPATH="+target), py, "-m", "trustpub", "--version")
		if err != nil || module != script {
			t.Errorf("python -m trustpub --version: %v: %q, want %q", err, module, script)
		}
	})

	t.Run("reproducible", func(t *testing.T) {
		// The second build comes from a fresh clone in another directory
		// (the checkout's path must not matter), sharing the Go build cache;
		// a developer's tree with uncommitted changes is rebuilt in place.
		src := repoRoot
		if treeIsClean(t, repoRoot) {
			src = filepath.Join(t.TempDir(), "clone")
			if out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", repoRoot, src).CombinedOutput(); err != nil {
				t.Fatalf("git clone: %v\n%s", err, out)
			}
		} else {
			t.Log("the working tree has uncommitted changes: rebuilding in place, not from a clone")
		}
		again := filepath.Join(t.TempDir(), "again")
		if err := runRelease(t, src, again); err != nil {
			t.Fatal(err)
		}
		des, _ := os.ReadDir(dir)
		compared := 0
		for _, de := range des {
			a, _ := os.ReadFile(filepath.Join(dir, de.Name()))
			b, err := os.ReadFile(filepath.Join(again, de.Name()))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs between the two builds (%v)", de.Name(), err)
			}
			compared++
		}
		if again, _ := os.ReadDir(again); len(again) != compared {
			t.Errorf("the second build has %d files, the first %d", len(again), compared)
		}
		t.Logf("compared %d files byte for byte (every file of the release)", compared)
	})
}

// zipMember returns the member name of the zip archive at path.
func zipMember(t *testing.T, path, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	b, err := fs.ReadFile(zr, name)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return b
}

// TestReleaseRefuses checks the release's refusals, which come before any
// build: a modified tree, a non-empty output directory, a bad version.
func TestReleaseRefuses(t *testing.T) {
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", repoRoot, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "stale.whl"), nil, 0o644)
	for _, tc := range []struct {
		name   string
		modify func()
		args   []string
		want   string
	}{
		{"modified tree", func() { os.WriteFile(filepath.Join(clone, "README.md"), []byte("changed"), 0o644) }, nil, "has uncommitted changes; a release is built from a clean checkout"},
		{"output not empty", func() { exec.Command("git", "-C", clone, "checkout", "--", "README.md").Run() }, []string{"OUT=" + full}, "is not empty"},
		{"local version", nil, []string{"-version", "1.0+local"}, "has a local part, which PyPI refuses"},
		{"unknown platform", nil, []string{"-platforms", "plan9-amd64"}, `unknown platform "plan9-amd64"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.modify != nil {
				tc.modify()
			}
			out := filepath.Join(t.TempDir(), "out")
			var args []string
			for _, a := range tc.args {
				if v, ok := strings.CutPrefix(a, "OUT="); ok {
					out = v
				} else {
					args = append(args, a)
				}
			}
			cmd := exec.Command("bash", append([]string{"scripts/release", out}, args...)...)
			cmd.Dir = clone
			b, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(b), tc.want) {
				t.Fatalf("scripts/release: %v, want a failure saying %q:\n%s", err, tc.want, b)
			}
		})
	}
}
