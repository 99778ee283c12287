package pydist_test

import (
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// problemWant is one expected problem: its field and a substring of its message.
type problemWant struct{ field, msg string }

func openOrFail(t *testing.T, p string) *pydist.File {
	t.Helper()
	f, err := pydist.Open(p)
	if err != nil {
		t.Fatalf("Open(%s): %v", p, err)
	}
	return f
}

// buildCase builds a table case's distribution in a fresh directory: a
// wheel, or with sdist an sdist, of pkg at ver ("pkg" and "1.0" when
// empty).
func buildCase(t *testing.T, sdist bool, pkg, ver string, opts disttest.Options) string {
	t.Helper()
	if pkg == "" {
		pkg = "pkg"
	}
	if ver == "" {
		ver = "1.0"
	}
	if sdist {
		return disttest.BuildSdist(t, t.TempDir(), pkg, ver, opts)
	}
	return disttest.BuildWheel(t, t.TempDir(), pkg, ver, opts)
}

// assertProblems compares the errors (not the warnings) of a check.
func assertProblems(t *testing.T, got []pydist.Problem, want []problemWant, path string) {
	t.Helper()
	got = pydist.Errors(got)
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), problemsText(got))
		return
	}
	for i, w := range want {
		p := got[i]
		if p.Field != w.field || !strings.Contains(p.Message, w.msg) {
			t.Errorf("problem %d = {%s: %s}, want field %q containing %q", i, p.Field, p.Message, w.field, w.msg)
		}
		if p.Path != path {
			t.Errorf("problem %d path = %q, want %q", i, p.Path, path)
		}
		if !strings.Contains(p.Error(), path) {
			t.Errorf("problem %d Error() %q does not name the file", i, p.Error())
		}
	}
}

func problemsText(ps []pydist.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.Field + ": " + p.Message + "\n")
	}
	return b.String()
}

func fields(kv ...string) []disttest.Field {
	var out []disttest.Field
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, disttest.Field{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestCheck(t *testing.T) {
	const mdHead = "Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\n"
	tests := []struct {
		name    string
		sdist   bool
		pkg     string // default "pkg"
		version string // default "1.0"
		opts    disttest.Options
		check   pydist.CheckOptions
		want    []problemWant
	}{
		{name: "valid wheel"},
		{name: "valid sdist", sdist: true},
		{name: "valid metadata 1.0 wheel", opts: disttest.Options{MetadataVersion: "1.0"}},
		{name: "valid metadata 2.5 sdist", sdist: true, opts: disttest.Options{MetadataVersion: "2.5"}},
		{name: "valid build tag and manylinux", opts: disttest.Options{Build: "7", PythonTag: "cp312", ABITag: "cp312", PlatformTag: "manylinux_2_17_x86_64.manylinux2014_x86_64"}},
		{name: "metadata 2.0 refused", opts: disttest.Options{MetadataVersion: "2.0"},
			want: []problemWant{{"Metadata-Version", "'2.0' is an invalid value"}}},
		{name: "metadata 3.0 refused", sdist: true, opts: disttest.Options{MetadataVersion: "3.0"},
			want: []problemWant{{"Metadata-Version", "PyPI accepts 1.0, 1.1, 1.2, 2.1, 2.2, 2.3, 2.4, 2.5"}}},
		{name: "metadata version missing", opts: disttest.Options{Metadata: []byte("Name: pkg\nVersion: 1.0\n")},
			want: []problemWant{{"Metadata-Version", "missing"}}},
		{name: "name missing", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nVersion: 1.0\n")},
			want: []problemWant{{"Name", "missing"}}},
		{name: "name invalid", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: pkg-\nVersion: 1.0\n")},
			want: []problemWant{{"Name", "'pkg-' is an invalid value for Name"}}},
		{name: "name does not match filename", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: other\nVersion: 1.0\n")},
			want: []problemWant{{"Name", "Start filename for 'other' with 'other'"}}},
		{name: "name repeated", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: pkg\nName: pkg\nVersion: 1.0\n")},
			want: []problemWant{{"Name", "appears 2 times"}}},
		{name: "version missing", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: pkg\n")},
			want: []problemWant{{"Version", "missing"}}},
		{name: "version invalid", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: pkg\nVersion: one\n")},
			want: []problemWant{{"Version", "'one' is an invalid value for Version"}}},
		{name: "version does not match filename", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: pkg\nVersion: 1.1\n")},
			want: []problemWant{{"Version", "Version in filename should be '1.1' not '1.0'"}}},
		{name: "equivalent version spelling matches", version: "1.0rc1", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0-RC-1\n")}},
		{name: "local version refused", version: "1.0+abc", opts: disttest.Options{},
			want: []problemWant{{"Version", "The use of local versions in '1.0+abc' is not allowed."}}},
		{name: "local version allowed", version: "1.0+abc", check: pydist.CheckOptions{AllowLocalVersions: true}},
		{name: "local version refused in sdist", sdist: true, version: "1.0+abc",
			want: []problemWant{{"Version", "local versions"}}},
		{name: "sdist PEP 625 name", sdist: true, pkg: "My.Pkg", opts: disttest.Options{Filename: "My.Pkg-1.0.tar.gz"},
			want: []problemWant{{"filename", "Filename 'My.Pkg-1.0.tar.gz' is invalid, should be 'my_pkg-1.0.tar.gz'."}}},
		{name: "sdist PEP 625 version", sdist: true, version: "1.0rc1", opts: disttest.Options{Filename: "pkg-1.0RC1.tar.gz"},
			want: []problemWant{{"filename", "should be 'pkg-1.0rc1.tar.gz'"}}},
		{name: "wheel name not normalised", pkg: "My.Pkg", opts: disttest.Options{Filename: "My.Pkg-1.0-py3-none-any.whl"},
			want: []problemWant{{"filename", "should contain the normalized project name 'my_pkg', not 'My.Pkg'"},
				{"METADATA", "does not contain the required METADATA file: My.Pkg-1.0.dist-info/METADATA (the wheel has my_pkg-1.0.dist-info/METADATA"},
				{"WHEEL", "WHEEL not found at My.Pkg-1.0.dist-info/WHEEL"}, {"RECORD", "My.Pkg-1.0.dist-info/RECORD"}}},
		{name: "wheel platform linux_x86_64", opts: disttest.Options{PythonTag: "cp312", ABITag: "cp312", PlatformTag: "linux_x86_64"},
			want: []problemWant{{"filename", "unsupported platform tag 'linux_x86_64'"}}},
		{name: "summary multi-line", opts: disttest.Options{Metadata: []byte(mdHead + "Summary: one\n two\n")},
			want: []problemWant{{"Summary", "Multiple lines are not allowed"}}},
		{name: "summary too long", opts: disttest.Options{Metadata: []byte(mdHead + "Summary: " + strings.Repeat("é", 513) + "\n")},
			want: []problemWant{{"Summary", "513 characters"}}},
		{name: "summary 512 is fine", opts: disttest.Options{Metadata: []byte(mdHead + "Summary: " + strings.Repeat("é", 512) + "\n")}},
		{name: "license and expression", opts: disttest.Options{Fields: fields("License", "MIT", "License-Expression", "MIT")},
			want: []problemWant{{"License", "License and License-Expression are both set"}}},
		{name: "description header and body", sdist: true, opts: disttest.Options{Fields: fields("Description", "old")},
			want: []problemWant{{"Description", "both as a Description header and as the message body"}}},
		{name: "project url label too long", opts: disttest.Options{Fields: fields("Project-URL", strings.Repeat("L", 33)+", https://x")},
			want: []problemWant{{"Project-URL", "longer than 32 characters"}}},
		{name: "project url without url", opts: disttest.Options{Fields: fields("Project-URL", "Home")},
			want: []problemWant{{"Project-URL", "must be 'Label, URL'"}}},
		{name: "fields newer than Metadata-Version", opts: disttest.Options{MetadataVersion: "1.0", Fields: fields("Requires-Dist", "a", "Requires-Dist", "b", "License-File", "LICENSE")},
			want: []problemWant{{"Requires-Dist", "introduced in Metadata-Version 1.2, but the file declares 1.0"}}},
		{name: "License-Expression in 2.1", opts: disttest.Options{MetadataVersion: "2.1", Fields: fields("License-Expression", "MIT")},
			want: []problemWant{{"License-Expression", "introduced in Metadata-Version 2.4"}}},
		{name: "direct URL dependency", opts: disttest.Options{Fields: fields("Requires-Dist", "dep[x] @ https://example.com/dep.whl ; python_version > '3'", "Requires-Dist", "ok>=1; extra == 'a@b'")},
			want: []problemWant{{"Requires-Dist", "Can't have direct dependency: 'dep[x] @ https://example.com/dep.whl"}}},
		{name: "dynamic name", opts: disttest.Options{Fields: fields("Dynamic", "Requires-Dist", "Dynamic", "Version", "Dynamic", "Bogus")},
			want: []problemWant{{"Dynamic", "'Version' may not be dynamic"}, {"Dynamic", "'Bogus' is not a field that may be dynamic"}}},
		{name: "description content type", opts: disttest.Options{Fields: fields("Description-Content-Type", "text/html")},
			want: []problemWant{{"Description-Content-Type", `"text/html" is not a supported media type`}}},
		{name: "description content type markdown variant", sdist: true, opts: disttest.Options{Fields: fields("Description-Content-Type", "text/markdown; charset=UTF-8; variant=GFM")}},
		{name: "description content type bad variant", sdist: true, opts: disttest.Options{Fields: fields("Description-Content-Type", "text/markdown; variant=Other")},
			want: []problemWant{{"Description-Content-Type", `names Markdown variant "Other"`}}},
		{name: "version with surrounding spaces is fine", opts: disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: pkg\nVersion:  1.0  \n")}},
		{name: "project url without scheme", opts: disttest.Options{Fields: fields("Project-URL", "Source, github.com/x/y", "Project-URL", "Docs, https://docs.example.com/")},
			want: []problemWant{{"Project-URL", "'github.com/x/y' is not a valid http(s) URL (it has no scheme"}}},
		{name: "home page not a URL", opts: disttest.Options{Fields: fields("Home-Page", "ftp://example.com", "Download-URL", "UNKNOWN")},
			want: []problemWant{{"Home-Page", "'ftp://example.com' is not a valid http(s) URL"}}},
		{name: "author email without @", sdist: true, opts: disttest.Options{Fields: fields("Author-Email", "Ann <ann@example.com>, Bob Smith", "Maintainer-Email", "\"Doe, J\" <j@example.org>")},
			want: []problemWant{{"Author-Email", "'Bob Smith' is not a valid email address"}}},
		{name: "private classifier", opts: disttest.Options{Fields: fields("Classifier", "Private :: Do Not Upload")},
			want: []problemWant{{"Classifier", "PyPI refuses every upload with a 'Private ::' classifier"}}},
		{name: "wheel without WHEEL", opts: disttest.Options{Omit: []string{"WHEEL"}},
			want: []problemWant{{"WHEEL", "WHEEL not found at pkg-1.0.dist-info/WHEEL"}}},
		{name: "wheel with a script named as a path", opts: disttest.Options{Files: map[string][]byte{"pkg-1.0.dist-info/entry_points.txt": []byte("[console_scripts]\nok = pkg:main\n../evil = pkg:main\n")}},
			want: []problemWant{{"entry_points.txt", "Wheel 'pkg-1.0-py3-none-any.whl' has invalid entry points defined in the entry_points.txt file (pkg-1.0.dist-info/entry_points.txt, Invalid entry point name '../evil' in 'console_scripts'"}}},
		{name: "wheel with entry points Python cannot read", opts: disttest.Options{Files: map[string][]byte{"pkg-1.0.dist-info/entry_points.txt": []byte("[console_scripts]\ntool: pkg:main\n")}},
			want: []problemWant{{"entry_points.txt", "line 2: 'tool: pkg:main' is not 'name = object reference'"}}},
		{name: "wheel with valid entry points", opts: disttest.Options{Files: map[string][]byte{"pkg-1.0.dist-info/entry_points.txt": []byte("[console_scripts]\ntool = pkg:main\n")}}},
		{name: "wheel without RECORD", opts: disttest.Options{Omit: []string{"RECORD"}},
			want: []problemWant{{"RECORD", "does not contain the required RECORD file: pkg-1.0.dist-info/RECORD"}}},
		{name: "every problem at once", version: "1.0+x", opts: disttest.Options{
			MetadataVersion: "2.0", Omit: []string{"WHEEL", "RECORD"}, PlatformTag: "linux_x86_64",
			Fields: fields("License", "MIT", "License-Expression", "MIT")},
			want: []problemWant{{"Metadata-Version", "2.0"}, {"Version", "local versions"}, {"License", "both set"},
				{"filename", "linux_x86_64"}, {"WHEEL", "WHEEL not found"}, {"RECORD", "RECORD file"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := buildCase(t, tt.sdist, tt.pkg, tt.version, tt.opts)
			f := openOrFail(t, p)
			assertProblems(t, pydist.Check(f, tt.check), tt.want, p)
		})
	}
}

func TestCheckWithoutMetadata(t *testing.T) {
	if ps := pydist.Check(nil, pydist.CheckOptions{}); len(ps) != 1 {
		t.Fatalf("Check(nil) = %v", ps)
	}
	ps := pydist.Check(&pydist.File{Path: "x.whl"}, pydist.CheckOptions{})
	if len(ps) != 1 || ps[0].Path != "x.whl" {
		t.Fatalf("Check without metadata = %v", ps)
	}
}

func TestValidPlatformTag(t *testing.T) {
	for tag, want := range map[string]bool{
		"any": true, "win32": true, "win_amd64": true, "win_arm64": true, "manylinux1_x86_64": true,
		"manylinux2014_aarch64": true, "manylinux_2_17_x86_64": true, "manylinux_2_28_ppc64": true,
		"musllinux_1_2_aarch64": true, "musllinux_1_1_ppc64": false, "macosx_10_9_x86_64": true,
		"macosx_11_0_arm64": true, "macosx_10_9_universal2": true, "macosx_11_0_sparc": false,
		"linux_x86_64": false, "linux_armv7l": true, "ios_13_0_arm64_iphoneos": true,
		"android_21_arm64_v8a": true, "android_21_mips": false, "cygwin_x86_64": false, "": false,
	} {
		if got := pydist.ValidPlatformTag(tag); got != want {
			t.Errorf("ValidPlatformTag(%q) = %v, want %v", tag, got, want)
		}
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    pydist.Problem
		want string
	}{
		{pydist.Problem{Path: "a.whl", Field: "Name", Message: "m"}, "a.whl: Name: m"},
		{pydist.Problem{Path: "a.whl", Message: "m"}, "a.whl: m"},
		{pydist.Problem{Field: "Name", Message: "m"}, "Name: m"},
		{pydist.Problem{Message: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestSupportedMetadataVersions(t *testing.T) {
	got := pydist.SupportedMetadataVersions()
	if strings.Join(got, " ") != "1.0 1.1 1.2 2.1 2.2 2.3 2.4 2.5" {
		t.Fatalf("got %v", got)
	}
	got[0] = "changed"
	if pydist.SupportedMetadataVersions()[0] != "1.0" {
		t.Fatal("the list can be changed through the returned slice")
	}
}
