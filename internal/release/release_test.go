package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist"
)

// debianPython returns Debian's Python with pip, skipping the test when it
// is not there, except under CI=true, where that fails the test.
func debianPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-m", "pip", "--version").Run(); err != nil {
		msg := "Debian's python3 with pip is not usable (" + err.Error() + "); install it with: apt-get install -y python3-pip"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

var testEpoch = time.Date(2026, 12, 1, 22, 43, 50, 0, time.UTC)

func testProject() Project {
	return Project{
		Summary:        "A test of the release writer.",
		Readme:         []byte("# trustpub\n\nA *test* README.\n"),
		License:        []byte("Apache License\nVersion 2.0\n"),
		LicenseName:    "Apache-2.0",
		RepoURL:        "https://github.com/trustpub/trustpub",
		Classifiers:    []string{"Environment :: Console", "License :: OSI Approved :: Apache Software License"},
		Keywords:       []string{"pypi", "oidc"},
		RequiresPython: ">=3.8",
	}
}

// fakeBinary stands in for trustpub: a script that prints its arguments.
const fakeBinary = "#!/bin/sh\necho \"fake-trustpub $*\"\n"

func testWheel(p Platform) Wheel {
	return Wheel{Project: testProject(), Version: "1.4.0.dev3", Platform: p, Binary: []byte(fakeBinary),
		Revision: "603a3ffddd496e99273b6055d02cefb24ba2ef9a", ModTime: testEpoch}
}

func writeWheel(t *testing.T, dir string, w Wheel) string {
	t.Helper()
	path := filepath.Join(dir, w.Name())
	var b bytes.Buffer
	if err := w.Write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWheelContents writes every platform's wheel and checks it with
// trustpub's own checks (as publish would) and against its RECORD.
func TestWheelContents(t *testing.T) {
	dir := t.TempDir()
	for _, p := range Platforms() {
		t.Run(p.String(), func(t *testing.T) {
			path := writeWheel(t, dir, testWheel(p))
			f, err := pydist.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if probs := pydist.Check(f, pydist.CheckOptions{}); len(probs) > 0 {
				t.Fatalf("pydist.Check: %v", probs)
			}
			zr, err := zip.OpenReader(path)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			info := "trustpub-1.4.0.dev3.dist-info/"
			want := []string{"trustpub/__init__.py", "trustpub/__main__.py", "trustpub-1.4.0.dev3.data/scripts/" + p.Exe(),
				info + "licenses/LICENSE", info + "METADATA", info + "WHEEL", info + "RECORD"}
			members := map[string][]byte{}
			var names []string
			for _, zf := range zr.File {
				names = append(names, zf.Name)
				rc, err := zf.Open()
				if err != nil {
					t.Fatal(err)
				}
				members[zf.Name], _ = io.ReadAll(rc)
				rc.Close()
				wantMode := os.FileMode(0o644)
				if strings.Contains(zf.Name, "/scripts/") {
					wantMode = 0o755
				}
				if zf.Mode().Perm() != wantMode || !zf.Modified.Equal(testEpoch) {
					t.Errorf("%s: mode %v, modified %v; want %v, %v", zf.Name, zf.Mode(), zf.Modified, wantMode, testEpoch)
				}
			}
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Fatalf("members %v, want %v", names, want)
			}
			// RECORD: every other member with its sha256 and size, itself unhashed.
			sc := bufio.NewScanner(bytes.NewReader(members[info+"RECORD"]))
			seen := 0
			for sc.Scan() {
				parts := strings.Split(sc.Text(), ",")
				if len(parts) != 3 {
					t.Fatalf("RECORD line %q", sc.Text())
				}
				if parts[0] == info+"RECORD" {
					if parts[1] != "" || parts[2] != "" {
						t.Errorf("RECORD's own line %q", sc.Text())
					}
					continue
				}
				data, ok := members[parts[0]]
				sum := sha256.Sum256(data)
				if !ok || parts[1] != "sha256="+base64.RawURLEncoding.EncodeToString(sum[:]) || parts[2] != fmt.Sprint(len(data)) {
					t.Errorf("RECORD line %q does not match the member", sc.Text())
				}
				seen++
			}
			if seen != len(want)-1 {
				t.Errorf("RECORD lists %d files, want %d", seen, len(want)-1)
			}
			wheel := string(members[info+"WHEEL"])
			for _, tag := range strings.Split(p.WheelTag, ".") {
				if !strings.Contains(wheel, "Tag: py3-none-"+tag+"\n") {
					t.Errorf("WHEEL lacks tag %s:\n%s", tag, wheel)
				}
			}
			if !strings.Contains(wheel, "Root-Is-Purelib: false\n") {
				t.Errorf("WHEEL:\n%s", wheel)
			}
			for _, field := range []string{"Metadata-Version: 2.2\n", "License: Apache-2.0\n", "Requires-Python: >=3.8\n",
				"Project-URL: Source, https://github.com/trustpub/trustpub/tree/603a3ffddd496e99273b6055d02cefb24ba2ef9a\n",
				"Description-Content-Type: text/markdown; charset=UTF-8\n\n# trustpub\n"} {
				if !strings.Contains(string(members[info+"METADATA"]), field) {
					t.Errorf("METADATA lacks %q", field)
				}
			}
		})
	}
}

// TestWheelRunsWherePipPutsIt installs a wheel with Debian's pip in each
// layout pip has (--target, --prefix, --user) and runs `python -m trustpub`,
// which must find the binary among that layout's scripts and exec it with
// the arguments.
func TestWheelRunsWherePipPutsIt(t *testing.T) {
	py := debianPython(t)
	linux := Platforms()[0]
	whl := writeWheel(t, t.TempDir(), testWheel(linux))
	for _, tc := range []struct {
		name string
		args func(dir string) []string
		env  func(dir string) []string
	}{
		{"target", func(dir string) []string { return []string{"--target", dir} },
			func(dir string) []string { return []string{"PYTHONPATH=" + dir} }},
		{"prefix", func(dir string) []string { return []string{"--prefix", dir} },
			func(dir string) []string {
				// Wherever the scheme put it (Debian: local/lib/python3.X/dist-packages).
				var lib string
				filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
					if err == nil && d.Name() == "__main__.py" && filepath.Base(filepath.Dir(path)) == "trustpub" {
						lib = filepath.Dir(filepath.Dir(path))
					}
					return nil
				})
				return []string{"PYTHONPATH=" + lib}
			}},
		{"user", func(dir string) []string { return []string{"--user", "--break-system-packages"} },
			func(dir string) []string { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "PYTHONUSERBASE=" + filepath.Join(dir, "userbase"), "PIP_NO_CACHE_DIR=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_ROOT_USER_ACTION=ignore"}
			install := exec.Command(py, append(append([]string{"-m", "pip", "install", "--no-index", "--no-deps", "--quiet"}, tc.args(dir)...), whl)...)
			install.Env = env
			if out, err := install.CombinedOutput(); err != nil {
				t.Fatalf("pip install: %v\n%s", err, out)
			}
			cmd := exec.Command(py, "-m", "trustpub", "publish", "--dry-run")
			cmd.Env = append(env, tc.env(dir)...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != "fake-trustpub publish --dry-run\n" {
				t.Fatalf("python -m trustpub: %v\n%s", err, out)
			}
		})
	}
	t.Run("binary missing", func(t *testing.T) {
		dir := t.TempDir()
		install := exec.Command(py, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet", "--target", dir, whl)
		install.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "PIP_ROOT_USER_ACTION=ignore", "PIP_DISABLE_PIP_VERSION_CHECK=1"}
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("pip install: %v\n%s", err, out)
		}
		os.Remove(filepath.Join(dir, "bin", "trustpub"))
		cmd := exec.Command(py, "-m", "trustpub", "--version")
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "PYTHONPATH=" + dir, "PYTHONUSERBASE=" + filepath.Join(dir, "nothing")}
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "the trustpub binary (trustpub) is not in any scripts directory") || !strings.Contains(string(out), filepath.Join(dir, "bin")) {
			t.Fatalf("want exit 2 naming the directories searched; got %v:\n%s", err, out)
		}
	})
}

// TestArchivesDeterministic checks that the archives' bytes depend only on
// their inputs, and reads back the headers they promise.
func TestArchivesDeterministic(t *testing.T) {
	entries := []Entry{{Name: "trustpub-linux-amd64/trustpub", Mode: 0o755, Data: []byte(fakeBinary)}, {Name: "trustpub-linux-amd64/LICENSE", Mode: 0o644, Data: []byte("license")}}
	for _, tc := range []struct {
		name  string
		write func(io.Writer, []Entry, time.Time) error
	}{{"tar.gz", WriteTarGz}, {"zip", WriteZip}} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b, c bytes.Buffer
			if err := tc.write(&a, entries, testEpoch); err != nil {
				t.Fatal(err)
			}
			tc.write(&b, entries, testEpoch.In(time.FixedZone("X", 3600)))
			tc.write(&c, entries, testEpoch.Add(time.Second))
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("the same inputs (the time in another zone) gave different bytes")
			}
			if bytes.Equal(a.Bytes(), c.Bytes()) {
				t.Error("another time gave the same bytes: the time is not in the archive")
			}
		})
	}
	var buf bytes.Buffer
	WriteTarGz(&buf, entries, testEpoch)
	gz, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header has name %q, time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	for _, e := range entries {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != e.Name || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(testEpoch) || os.FileMode(h.Mode) != e.Mode || h.Typeflag != tar.TypeReg {
			t.Errorf("tar header %+v for entry %s", h, e.Name)
		}
	}
	// Before the zip format's 1980 epoch the time is clamped, not wrapped.
	var old bytes.Buffer
	WriteZip(&old, entries, time.Unix(0, 0))
	zr, _ := zip.NewReader(bytes.NewReader(old.Bytes()), int64(old.Len()))
	if !zr.File[0].Modified.Equal(zipEpoch) {
		t.Errorf("SOURCE_DATE_EPOCH=0 gave zip time %v, want %v", zr.File[0].Modified, zipEpoch)
	}
}

func TestSelectPlatforms(t *testing.T) {
	for _, tc := range []struct {
		names   []string
		want    string
		wantErr string
	}{
		{nil, "linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64", ""},
		{[]string{"windows-arm64", "linux-amd64"}, "linux-amd64 windows-arm64", ""},
		{[]string{"linux-386"}, "", `unknown platform "linux-386"`},
	} {
		ps, err := SelectPlatforms(tc.names)
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("SelectPlatforms(%v) = %v, %v; want error %q", tc.names, got, err, tc.wantErr)
			}
		} else if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("SelectPlatforms(%v) = %v, %v; want %s", tc.names, got, err, tc.want)
		}
	}
	for _, p := range Platforms() {
		for _, tag := range strings.Split(p.WheelTag, ".") {
			if !pydist.ValidPlatformTag(tag) {
				t.Errorf("%s: PyPI refuses platform tag %s", p, tag)
			}
		}
	}
}

func TestWriteSHA256SUMS(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.whl"), []byte("b"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.tar.gz"), []byte("a"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := WriteSHA256SUMS(dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, SumsFile))
	want := "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.tar.gz\n3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  b.whl\n"
	if string(got) != want {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", got, want)
	}
	if path, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(path, "-c", "--strict", SumsFile)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
}

func TestAbsoluteLinks(t *testing.T) {
	const base = "https://github.com/trustpub/trustpub/blob/603a3ff/"
	for _, tc := range []struct{ in, want string }{
		{"see [bench](bench/README.md).", "see [bench](" + base + "bench/README.md)."},
		{"![ratios](./bench/ratios.png)", "![ratios](" + base + "bench/ratios.png)"},
		{"[PyPI](https://pypi.org/) [top](#install) [mail](mailto:a@example.org) [root](/x)", "[PyPI](https://pypi.org/) [top](#install) [mail](mailto:a@example.org) [root](/x)"},
		{"`f(x)` and [a] (b)", "`f(x)` and [a] (b)"},
	} {
		if got := string(AbsoluteLinks([]byte(tc.in), base)); got != tc.want {
			t.Errorf("AbsoluteLinks(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
