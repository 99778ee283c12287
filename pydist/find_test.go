package pydist_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "b-1.0.tar.gz", "b-1.0-py3-none-any.whl", "a-1.0.tar.gz", "a-1.0-py3-none-any.whl",
		"c-1.0.zip", "docs.zip", "a-1.0-py3-none-any.whl.publish.attestation", "a-1.0.tar.gz.asc",
		"old-1.0-py2.7.egg", "setup-1.0.win32.exe", "x-1.0.tar.bz2", "README.md", "sub/", "X-1.0-py3-none-any.WHL")
	j := func(n string) string { return filepath.Join(dir, n) }
	files, skipped, err := pydist.Find([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	// Wheels first, then sdists (a .zip sdist included so Open refuses it),
	// each group in directory order.
	wantFiles := []string{j("a-1.0-py3-none-any.whl"), j("b-1.0-py3-none-any.whl"), j("a-1.0.tar.gz"), j("b-1.0.tar.gz"), j("c-1.0.zip")}
	if !slices.Equal(files, wantFiles) {
		t.Errorf("files = %q\nwant    %q", files, wantFiles)
	}
	wantSkipped := map[string]string{
		"README.md": "not a distribution", "X-1.0-py3-none-any.WHL": "not lower case",
		"a-1.0-py3-none-any.whl.publish.attestation": "attestation", "a-1.0.tar.gz.asc": "signature",
		"docs.zip": "not named like an sdist", "old-1.0-py2.7.egg": "PEP 715", "setup-1.0.win32.exe": "PEP 527",
		"sub": "directory", "x-1.0.tar.bz2": "must be .tar.gz",
	}
	if len(skipped) != len(wantSkipped) {
		t.Errorf("skipped = %v", skipped)
	}
	for _, s := range skipped {
		want, ok := wantSkipped[filepath.Base(s.Path)]
		if !ok || !strings.Contains(s.Reason, want) {
			t.Errorf("skipped %s: %q, want reason containing %q", s.Path, s.Reason, want)
		}
	}
	// The .zip sdist is refused by Open with PyPI's reason.
	if _, err := pydist.Open(j("c-1.0.zip")); err == nil || !strings.Contains(err.Error(), "PEP 625") {
		t.Errorf("Open(.zip) = %v, want PEP 625 refusal", err)
	}
}

func TestFindArgs(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "pkg-1.0.tar.gz", "pkg-1.0-py3-none-any.whl", "other-2.0-py3-none-any.whl")
	j := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"explicit files, sdist first on the command line", []string{j("pkg-1.0.tar.gz"), j("pkg-1.0-py3-none-any.whl")},
			[]string{j("pkg-1.0-py3-none-any.whl"), j("pkg-1.0.tar.gz")}, ""},
		{"glob", []string{j("pkg-*")}, []string{j("pkg-1.0-py3-none-any.whl"), j("pkg-1.0.tar.gz")}, ""},
		{"duplicates once", []string{j("*.whl"), j("other-2.0-py3-none-any.whl"), dir},
			[]string{j("other-2.0-py3-none-any.whl"), j("pkg-1.0-py3-none-any.whl"), j("pkg-1.0.tar.gz")}, ""},
		{"glob matching nothing", []string{j("*.nothing")}, nil, "*.nothing"},
		{"missing path", []string{j("gone-1.0.tar.gz")}, nil, "gone-1.0.tar.gz"},
		{"bad pattern", []string{j("[")}, nil, "bad glob pattern"},
		{"empty arg", []string{""}, nil, "empty path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, _, err := pydist.Find(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(files, tt.want) {
				t.Errorf("files = %q\nwant    %q", files, tt.want)
			}
		})
	}
}

func TestFindDefault(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, _, err := pydist.Find(nil); err == nil || !strings.Contains(err.Error(), "dist/*") {
		t.Fatalf("Find with no dist/: %v", err)
	}
	os.Mkdir("dist", 0o755)
	touch(t, "dist", "pkg-1.0.tar.gz", "pkg-1.0-py3-none-any.whl")
	files, skipped, err := pydist.Find(nil)
	if err != nil || len(skipped) != 0 {
		t.Fatal(err, skipped)
	}
	if want := []string{"dist/pkg-1.0-py3-none-any.whl", "dist/pkg-1.0.tar.gz"}; !slices.Equal(files, want) {
		t.Fatalf("files = %q", files)
	}
}
