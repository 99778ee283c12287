package pydist_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

func TestParseFilename(t *testing.T) {
	tests := []struct {
		in                          string
		kind                        pydist.Kind
		name, version, build, pyver string
		python, abi, platform       []string
	}{
		{in: "pkg-1.0-py3-none-any.whl", kind: pydist.Wheel, name: "pkg", version: "1.0", pyver: "py3",
			python: []string{"py3"}, abi: []string{"none"}, platform: []string{"any"}},
		{in: "pkg-1.0-py2.py3-none-any.whl", kind: pydist.Wheel, name: "pkg", version: "1.0", pyver: "py2.py3",
			python: []string{"py2", "py3"}, abi: []string{"none"}, platform: []string{"any"}},
		{in: "my_pkg-2.0.1-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", kind: pydist.Wheel,
			name: "my_pkg", version: "2.0.1", build: "1", pyver: "cp311", python: []string{"cp311"}, abi: []string{"cp311"},
			platform: []string{"manylinux_2_17_x86_64", "manylinux2014_x86_64"}},
		{in: "pkg-1.0-1abc-py3-none-any.whl", kind: pydist.Wheel, name: "pkg", version: "1.0", build: "1abc", pyver: "py3",
			python: []string{"py3"}, abi: []string{"none"}, platform: []string{"any"}},
		{in: "Foo.Bar-1.0RC1-py3-none-any.whl", kind: pydist.Wheel, name: "Foo.Bar", version: "1.0rc1", pyver: "py3",
			python: []string{"py3"}, abi: []string{"none"}, platform: []string{"any"}},
		{in: "numpy-2.1.0-cp312-cp312-win_amd64.whl", kind: pydist.Wheel, name: "numpy", version: "2.1.0", pyver: "cp312",
			python: []string{"cp312"}, abi: []string{"cp312"}, platform: []string{"win_amd64"}},
		{in: "pkg-1.0.tar.gz", kind: pydist.Sdist, name: "pkg", version: "1.0", pyver: "source"},
		{in: "my-pkg-1.0.tar.gz", kind: pydist.Sdist, name: "my-pkg", version: "1.0", pyver: "source"},
		{in: "My.Pkg-1.0-1.tar.gz", kind: pydist.Sdist, name: "My.Pkg-1.0", version: "1", pyver: "source"},
		{in: "pkg-v2.0.post1.tar.gz", kind: pydist.Sdist, name: "pkg", version: "2.0.post1", pyver: "source"},
		{in: "pkg-1.0+local.tar.gz", kind: pydist.Sdist, name: "pkg", version: "1.0+local", pyver: "source"},
	}
	for _, tt := range tests {
		f, err := pydist.ParseFilename(tt.in)
		if err != nil {
			t.Errorf("ParseFilename(%q): %v", tt.in, err)
			continue
		}
		if f.Raw != tt.in || f.Kind != tt.kind || f.Name != tt.name || f.Version.String() != tt.version || f.Build != tt.build {
			t.Errorf("ParseFilename(%q) = %+v", tt.in, f)
		}
		if f.PyVersion() != tt.pyver {
			t.Errorf("ParseFilename(%q).PyVersion() = %q, want %q", tt.in, f.PyVersion(), tt.pyver)
		}
		if !slices.Equal(f.PythonTags, tt.python) || !slices.Equal(f.ABITags, tt.abi) || !slices.Equal(f.PlatformTags, tt.platform) {
			t.Errorf("ParseFilename(%q) tags = %v %v %v", tt.in, f.PythonTags, f.ABITags, f.PlatformTags)
		}
	}
}

func TestParseFilenameErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pkg-1.0.whl", "wrong number of parts"},
		{"pkg-1.0-a-b-py3-none-any.whl", "wrong number of parts"},
		{"pkg__x-1.0-py3-none-any.whl", "Invalid project name"},
		{"pk+g-1.0-py3-none-any.whl", "Invalid project name"},
		{"-1.0-py3-none-any.whl", "Invalid project name"},
		{"pkg-notaversion-py3-none-any.whl", "invalid version"},
		{"pkg-1.0-abc-py3-none-any.whl", "Invalid build number"},
		{"pkg-1.0-py3-none-.whl", "bad platform tag"},
		{"pkg-1.0-py3..py2-none-any.whl", "bad python tag"},
		{"pkg-1.0-py3-no ne-any.whl", "bad abi tag"},
		{"pkg-1.0.zip", "PEP 625"},
		{"pkg-1.0.ZIP", "PEP 625"},
		{"pkg-1.0.egg", "extension must be .whl"},
		{"pkg-1.0.tar.bz2", "extension must be .whl"},
		{"pkg-1.0.TAR.GZ", "extension must be .whl"},
		{"pkg-1.0.WHL", "extension must be .whl"},
		{"pkg.tar.gz", "Invalid sdist filename"},
		{"-1.0.tar.gz", "name part is empty"},
		{"pkg-1.0.0.0.x.tar.gz", "invalid version"},
		{"dir/pkg-1.0.tar.gz", "without '/'"},
		{`dir\pkg-1.0.tar.gz`, "without '/'"},
		{"pkg\x01-1.0.tar.gz", "control characters"},
		{"", "extension must be"},
	}
	for _, tt := range tests {
		f, err := pydist.ParseFilename(tt.in)
		if err == nil {
			t.Errorf("ParseFilename(%q) = %+v, want error containing %q", tt.in, f, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFilename(%q) error %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"pkg": "pkg", "My.Pkg": "my-pkg", "my__pkg": "my-pkg", "My-._Pkg": "my-pkg",
		"FOO_BAR.baz": "foo-bar-baz", "a": "a", "Django": "django", "zope.interface": "zope-interface",
	} {
		if got := pydist.NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidName(t *testing.T) {
	for in, want := range map[string]bool{
		"pkg": true, "a": true, "9": true, "My.Pkg_x-y": true, "-pkg": false, "pkg-": false,
		"pk g": false, "": false, "pkg.": false, "pkg!": false, "pkgé": false,
	} {
		if got := pydist.ValidName(in); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestKindFileType(t *testing.T) {
	if pydist.Wheel.FileType() != "bdist_wheel" || pydist.Sdist.FileType() != "sdist" || pydist.Kind(0).FileType() != "" {
		t.Fatal("FileType mapping wrong")
	}
	if pydist.Wheel.String() != "wheel" || pydist.Sdist.String() != "sdist" || pydist.Kind(7).String() != "Kind(7)" {
		t.Fatal("Kind.String wrong")
	}
}

func TestSdistFilename(t *testing.T) {
	v, _ := pydist.ParseVersion("1.0RC1")
	if got := pydist.SdistFilename("My.Pkg", v); got != "my_pkg-1.0rc1.tar.gz" {
		t.Fatalf("SdistFilename = %q", got)
	}
}
