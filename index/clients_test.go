package index

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// These tests run real third-party clients (Debian packages twine and
// python3-pip) against the index over loopback. Without the tools they
// skip, except under CI=true, where a missing tool fails the test.

func requireTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testutil.RequireTool(t, name, args...)
}

// clientEnv is a clean environment for a Python client: no user config,
// no keyring, no prompts, no proxy.
func clientEnv(home string) []string { return testutil.PythonEnv(home) }

func run(t *testing.T, dir string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = clientEnv(dir)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func TestTwineUpload(t *testing.T) {
	twine := requireTool(t, "twine", "--version")
	ti := newTestIndex(t, nil)
	dir := t.TempDir()
	// Debian 12's twine 4.0.2 (pkginfo 1.8.2) reads Metadata-Version up to
	// 2.2 only ("Metadata is missing required fields: Name, Version" for
	// 2.4), so these files use 2.1.
	whl := disttest.BuildWheel(t, dir, "twine-demo", "1.0.0", disttest.Options{MetadataVersion: "2.1"})
	sd := disttest.BuildSdist(t, dir, "twine-demo", "1.0.0", disttest.Options{MetadataVersion: "2.1"})
	repo := ti.url + "/legacy/"

	out, err := run(t, dir, twine, "upload", "--disable-progress-bar", "--repository-url", repo, "-u", "__token__", "-p", tokAll, whl, sd)
	if err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
	for _, p := range []string{whl, sd} {
		want, _ := os.ReadFile(p)
		rec := ti.srv.store.lookup("twine-demo", filepath.Base(p))
		if rec == nil || rec.SHA256 != sha256Hex(want) {
			t.Fatalf("%s not stored correctly: %+v\ntwine said:\n%s", filepath.Base(p), rec, out)
		}
	}

	t.Run("identical re-upload succeeds", func(t *testing.T) {
		out, err := run(t, dir, twine, "upload", "--disable-progress-bar", "--repository-url", repo, "-u", "__token__", "-p", tokAll, whl)
		if err != nil {
			t.Fatalf("twine: %v\n%s", err, out)
		}
	})

	t.Run("refusals reach the user", func(t *testing.T) {
		changed := disttest.BuildWheel(t, t.TempDir(), "twine-demo", "1.0.0", disttest.Options{MetadataVersion: "2.1", Description: "other"})
		for _, tc := range []struct {
			name, token, file, want string
		}{
			{"bad token", "pypi-not-a-token", whl, "Invalid or non-existent authentication information."},
			{"file exists", tokAll, changed, "File already exists ('twine_demo-1.0.0-py3-none-any.whl', with blake2_256 hash"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out, err := run(t, dir, twine, "upload", "--verbose", "--disable-progress-bar", "--repository-url", repo, "-u", "__token__", "-p", tc.token, tc.file)
				if err == nil {
					t.Fatalf("twine succeeded:\n%s", out)
				}
				if !strings.Contains(out, tc.want) {
					t.Fatalf("twine output lacks %q:\n%s", tc.want, out)
				}
				if strings.Contains(out, tokAll) && tc.token == tokAll {
					t.Log("note: twine --verbose echoes the password it was given")
				}
			})
		}
	})

	t.Run("without trailing slash", func(t *testing.T) {
		out, err := run(t, dir, twine, "upload", "--disable-progress-bar", "--repository-url", ti.url+"/legacy", "-u", "__token__", "-p", tokAll, whl)
		if err == nil || !strings.Contains(out, "/legacy/") {
			t.Fatalf("want a redirect refusal naming /legacy/: %v\n%s", err, out)
		}
	})
}

func TestPipDownloadAndInstall(t *testing.T) {
	// Debian's pip (python3-pip, for /usr/bin/python3) is the client the
	// index must serve; another python3 on PATH is a stand-in outside CI.
	python := "/usr/bin/python3"
	if exec.Command(python, "-m", "pip", "--version").Run() != nil {
		python = requireTool(t, "python3", "-m", "pip", "--version")
	}
	ti := newTestIndex(t, nil)
	w := wheel(t, "pip-demo", "1.2.0", disttest.Options{})
	s := sdist(t, "pip-demo", "1.2.0", disttest.Options{})
	ti.mustUpload(t, w)
	ti.mustUpload(t, s)
	ti.mustUpload(t, wheel(t, "pip-demo", "0.9", disttest.Options{}))
	index := ti.url + "/simple/"

	t.Run("download wheel", func(t *testing.T) {
		dir := t.TempDir()
		out, err := run(t, dir, python, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--index-url", index, "pip-demo==1.2.0", "-d", dir)
		if err != nil {
			t.Fatalf("pip download: %v\n%s", err, out)
		}
		got, err := os.ReadFile(filepath.Join(dir, w.filename))
		if err != nil || !bytes.Equal(got, w.data) {
			t.Fatalf("downloaded %s: %v (same bytes: %v)\n%s", w.filename, err, bytes.Equal(got, w.data), out)
		}
	})

	t.Run("install", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		out, err := run(t, dir, python, "-m", "pip", "install", "--no-deps", "--no-cache-dir", "--target", target, "--index-url", index, "pip-demo")
		if err != nil {
			t.Fatalf("pip install: %v\n%s", err, out)
		}
		b, err := os.ReadFile(filepath.Join(target, "pip_demo", "__init__.py"))
		if err != nil || !strings.Contains(string(b), `"1.2.0"`) {
			t.Fatalf("installed package: %v %q\n%s", err, b, out)
		}
	})

	t.Run("pip checks the served hash", func(t *testing.T) {
		// Corrupt the stored 0.9 wheel behind the index's back: the page
		// still announces the original sha256, and pip must refuse.
		p := filepath.Join(ti.dir, "projects", "pip-demo", "pip_demo-0.9-py3-none-any.whl")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)-1] ^= 0xff
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		out, err := run(t, dir, python, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--index-url", index, "pip-demo==0.9", "-d", dir)
		if err == nil || !strings.Contains(out, "HASHES") {
			t.Fatalf("pip accepted a file whose hash differs from the served one: %v\n%s", err, out)
		}
	})
}
