package pydist_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/pydist/readme"
)

// codesOf lists the codes of the problems with severity sev.
func codesOf(ps []pydist.Problem, sev pydist.Severity) []string {
	var out []string
	for _, p := range ps {
		if p.Severity == sev {
			out = append(out, p.Code)
		}
	}
	return out
}

// TestRuleCodes builds real files that break one rule each and checks the
// code, the severity under both profiles, and that the rule is listed.
func TestRuleCodes(t *testing.T) {
	dct := disttest.Field{Name: "Description-Content-Type", Value: "text/markdown"}
	f := func(kv ...string) []disttest.Field {
		out := []disttest.Field{dct}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, disttest.Field{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name      string
		sdist     bool
		pkg, ver  string
		opts      disttest.Options
		code      string // "" for no problem at all
		indexWarn bool   // a warning under ProfileIndex
	}{
		{name: "clean wheel", opts: disttest.Options{Fields: f()}},
		{name: "clean sdist", sdist: true, opts: disttest.Options{Fields: f()}},
		{name: "requires-python ok", opts: disttest.Options{Fields: f("Requires-Python", ">=3.9, <4")}},
		{name: "requires-python quotes", opts: disttest.Options{Fields: f("Requires-Python", `>=3.8,<"4"`)}, code: pydist.CodeRequiresPythonInvalid},
		{name: "requires-python markup", opts: disttest.Options{Fields: f("Requires-Python", `>=3<script>`)}, code: pydist.CodeRequiresPythonInvalid},
		{name: "requires-python bidi", opts: disttest.Options{Fields: f("Requires-Python", ">=3.8\u202e")}, code: pydist.CodeRequiresPythonInvalid},
		{name: "requires-python dots", opts: disttest.Options{Fields: f("Requires-Python", ">=3..8")}, code: pydist.CodeRequiresPythonInvalid},
		{name: "requires-dist syntax", opts: disttest.Options{Fields: f("Requires-Dist", "requests >= ")}, code: pydist.CodeRequirementInvalid},
		{name: "requires-dist marker", opts: disttest.Options{Fields: f("Requires-Dist", "requests; python_version >")}, code: pydist.CodeRequirementInvalid},
		{name: "requires-dist url", opts: disttest.Options{Fields: f("Requires-Dist", "dep @ https://example.com/dep.whl")}, code: pydist.CodeRequirementDirectURL, indexWarn: true},
		{name: "provides-dist bad", opts: disttest.Options{Fields: f("Provides-Dist", "x (")}, code: pydist.CodeRequirementInvalid},
		{name: "provides-extra bad", opts: disttest.Options{Fields: f("Provides-Extra", "-dev")}, code: pydist.CodeProvidesExtraInvalid},
		{name: "license expression ok", opts: disttest.Options{Fields: f("License-Expression", "mit OR (Apache-2.0 WITH LLVM-exception)")}},
		{name: "license expression licenseref", opts: disttest.Options{Fields: f("License-Expression", "LicenseRef-Proprietary")}},
		{name: "license expression unknown", opts: disttest.Options{Fields: f("License-Expression", "Use-it-after-midnight")}, code: pydist.CodeLicenseExpression},
		{name: "license expression syntax", opts: disttest.Options{Fields: f("License-Expression", "(MIT")}, code: pydist.CodeLicenseExpression},
		{name: "license expression bad exception", opts: disttest.Options{Fields: f("License-Expression", "MIT WITH MIT")}, code: pydist.CodeLicenseExpression},
		{name: "license file absolute", opts: disttest.Options{Fields: f("License-File", "/etc/passwd")}, code: pydist.CodeLicenseFileInvalid},
		{name: "license file parent", opts: disttest.Options{Fields: f("License-File", "../LICENSE")}, code: pydist.CodeLicenseFileInvalid},
		{name: "license file glob", opts: disttest.Options{Fields: f("License-File", "LICEN*")}, code: pydist.CodeLicenseFileInvalid},
		{name: "license file missing from wheel", opts: disttest.Options{Fields: f("License-File", "LICENSE")}, code: pydist.CodeLicenseFileMissing},
		{name: "license file in wheel", opts: disttest.Options{Fields: f("License-File", "LICENSE"), Files: map[string][]byte{"pkg-1.0.dist-info/licenses/LICENSE": []byte("MIT")}}},
		{name: "license file missing from sdist", sdist: true, opts: disttest.Options{Fields: f("License-File", "LICENSE")}, code: pydist.CodeLicenseFileMissing},
		{name: "license file in sdist", sdist: true, opts: disttest.Options{Fields: f("License-File", "LICENSE"), Files: map[string][]byte{"LICENSE": []byte("MIT")}}},
		{name: "dynamic license-file ok", opts: disttest.Options{Fields: f("Dynamic", "License-File")}},
		{name: "dynamic not a field", opts: disttest.Options{Fields: f("Dynamic", "Bogus")}, code: pydist.CodeDynamicInvalid},
		{name: "dynamic name", opts: disttest.Options{Fields: f("Dynamic", "name")}, code: pydist.CodeDynamicForbidden},
		{name: "import name keyword", opts: disttest.Options{MetadataVersion: "2.5", Fields: f("Import-Name", "pkg.class")}, code: pydist.CodeImportNameInvalid},
		{name: "import name private", opts: disttest.Options{MetadataVersion: "2.5", Fields: f("Import-Name", "pkg; private")}},
		{name: "import name option", opts: disttest.Options{MetadataVersion: "2.5", Fields: f("Import-Name", "pkg; public")}, code: pydist.CodeImportNameInvalid},
		{name: "classifier unknown", opts: disttest.Options{Fields: f("Classifier", "Programming Language :: Cobol :: 2099")}, code: pydist.CodeClassifierInvalid, indexWarn: true},
		{name: "classifier valid", opts: disttest.Options{Fields: f("Classifier", "Programming Language :: Python :: 3")}},
		{name: "classifier private", opts: disttest.Options{Fields: f("Classifier", "Private :: Do Not Upload")}, code: pydist.CodeClassifierPrivate, indexWarn: true},
		{name: "home page no scheme", opts: disttest.Options{Fields: f("Home-Page", "example.com")}, code: pydist.CodeURLInvalid},
		{name: "home page lenient like PyPI", opts: disttest.Options{Fields: f("Home-Page", "https://exa mple.com/")}},
		{name: "project url port", opts: disttest.Options{Fields: f("Project-URL", "Docs, https://example.com:70000/")}, code: pydist.CodeProjectURLInvalid},
		{name: "project url duplicate label", opts: disttest.Options{Fields: f("Project-URL", "Docs, https://a.example/", "Project-URL", "Docs, https://b.example/")}, code: pydist.CodeFieldRepeated},
		{name: "email localhost", opts: disttest.Options{Fields: f("Author-Email", "Ann <ann@localhost>")}, code: pydist.CodeEmailInvalid},
		{name: "summary field repeated", opts: disttest.Options{Fields: f("Summary", "again")}, code: pydist.CodeFieldRepeated},
		{name: "rst description broken", opts: disttest.Options{Description: "Title\n=====\n\n.. nosuchdirective::\n", Fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/x-rst"}}}, code: pydist.CodeDescriptionRST, indexWarn: true},
		{name: "markdown charset", opts: disttest.Options{Fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/markdown; charset=latin-1"}}}, code: pydist.CodeDescriptionCharset},
		{name: "wheel python tag markup", opts: disttest.Options{Fields: f(), PythonTag: "py3<b>"}, code: pydist.CodeWheelTagInvalid},
		{name: "wheel abi tag quote", opts: disttest.Options{Fields: f(), ABITag: `no"ne`}, code: pydist.CodeWheelTagInvalid},
		{name: "wheel platform bidi", opts: disttest.Options{Fields: f(), PlatformTag: "any\u202e"}, code: pydist.CodeWheelTagInvalid},
		{name: "wheel platform linux", opts: disttest.Options{Fields: f(), PlatformTag: "linux_x86_64"}, code: pydist.CodePlatformTagUnsupported, indexWarn: true},
		{name: "sdist not normalised", sdist: true, pkg: "My.Pkg", opts: disttest.Options{Fields: f(), Filename: "My.Pkg-1.0.tar.gz"}, code: pydist.CodeFilenameNotNormalized, indexWarn: true},
		{name: "wheel not normalised", pkg: "my-pkg", opts: disttest.Options{Fields: f(), Filename: "my.pkg-1.0-py3-none-any.whl", Files: map[string][]byte{
			"my.pkg-1.0.dist-info/METADATA": disttest.Metadata("my-pkg", "1.0", disttest.Options{Fields: f()}),
			"my.pkg-1.0.dist-info/WHEEL":    []byte("Wheel-Version: 1.0\n"), "my.pkg-1.0.dist-info/RECORD": []byte("")}},
			code: pydist.CodeFilenameNotNormalized, indexWarn: true},
		{name: "wheel filename too long", pkg: "p" + strings.Repeat("x", 230), opts: disttest.Options{Fields: f()}, code: pydist.CodeFilenameTooLong},
		{name: "sdist with a symlink", sdist: true, opts: disttest.Options{Fields: f()}, code: pydist.CodeArchiveLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p string
			if tt.name == "sdist with a symlink" {
				p = writeFile(t, t.TempDir(), "pkg-1.0.tar.gz", disttest.TarGz(t, []disttest.TarEntry{
					reg("pkg-1.0/PKG-INFO", string(disttest.Metadata("pkg", "1.0", tt.opts))),
					{Hdr: tar.Header{Name: "pkg-1.0/setup.py", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd", Mode: 0o777}},
				}))
			} else {
				p = buildCase(t, tt.sdist, tt.pkg, tt.ver, tt.opts)
			}
			f, err := pydist.Open(p)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if tt.code == pydist.CodeDescriptionRST && len(readme.Validate("text/x-rst", tt.opts.Description)) == 0 {
				t.Skip("pydist/readme does not check reStructuredText yet")
			}
			for _, prof := range []pydist.Profile{pydist.ProfilePyPI, pydist.ProfileIndex} {
				ps := pydist.Check(f, pydist.CheckOptions{Profile: prof})
				errs, warns := codesOf(ps, pydist.Error), codesOf(ps, pydist.Warning)
				if tt.code == "" {
					if len(ps) != 0 {
						t.Fatalf("profile %d: problems %v", prof, ps)
					}
					continue
				}
				wantErr := prof == pydist.ProfilePyPI || !tt.indexWarn
				list := errs
				if !wantErr {
					list = warns
					if len(errs) != 0 {
						t.Errorf("profile %d: errors %v, want only warnings", prof, ps)
					}
				}
				if len(list) == 0 || list[0] != tt.code {
					t.Errorf("profile %d: errors %v warnings %v, want %s first\n%v", prof, errs, warns, tt.code, ps)
				}
				if _, ok := pydist.LookupRule(tt.code); !ok {
					t.Errorf("code %s is not in Rules()", tt.code)
				}
			}
		})
	}
}

func TestMetadataBoundedByArchive(t *testing.T) {
	// A tiny wheel whose METADATA decompresses to 2 MiB: under the 4 MiB
	// cap, but 50 times the archive is far less.
	dir := t.TempDir()
	big := strings.Repeat("a", 2<<20)
	p := disttest.BuildWheel(t, dir, "pkg", "1.0", disttest.Options{Description: big})
	_, err := pydist.Open(p)
	if err == nil {
		t.Fatal("Open accepted a 2 MiB METADATA in a small wheel")
	}
	if pr := pydist.ProblemOf(err, p); pr.Code != pydist.CodeMetadataFileTooLarge {
		t.Fatalf("problem %+v, want %s", pr, pydist.CodeMetadataFileTooLarge)
	}
	// A 200 KiB description in a small wheel is fine (the floor).
	p = disttest.BuildWheel(t, t.TempDir(), "pkg", "1.0", disttest.Options{Description: strings.Repeat("b", 200<<10)})
	if _, err := pydist.Open(p); err != nil {
		t.Fatalf("Open refused a 200 KiB description: %v", err)
	}
}

func TestCompareForm(t *testing.T) {
	file := &pydist.Metadata{Fields: []pydist.Field{{Name: "Name", Value: "My.Pkg"}, {Name: "Version", Value: "1.0"}, {Name: "Requires-Python", Value: ">=3.9"}}}
	tests := []struct {
		form  map[string][]string
		field string
	}{
		{map[string][]string{"name": {"my-pkg"}, "version": {"1.0.0"}, "requires_python": {" >= 3.9 "}}, ""},
		{map[string][]string{"name": {"other"}, "version": {"1.0"}, "requires_python": {">=3.9"}}, "Name"},
		{map[string][]string{"name": {"my-pkg"}, "version": {"1.1"}, "requires_python": {">=3.9"}}, "Version"},
		{map[string][]string{"name": {"my-pkg"}, "version": {"1.0"}}, "Requires-Python"},
	}
	for _, tt := range tests {
		ps := pydist.CompareForm(pydist.MetadataFromForm(tt.form), file, "f.whl")
		switch {
		case tt.field == "" && len(ps) != 0:
			t.Errorf("%v: %v", tt.form, ps)
		case tt.field != "" && (len(ps) != 1 || ps[0].Field != tt.field || ps[0].Code != pydist.CodeFormMismatch):
			t.Errorf("%v: %v, want a %s mismatch", tt.form, ps, tt.field)
		}
	}
}

func TestCheckIndexState(t *testing.T) {
	dir := t.TempDir()
	f, err := pydist.Open(disttest.BuildWheel(t, dir, "pkg", "1.1", disttest.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	sdist, err := pydist.Open(disttest.BuildSdist(t, dir, "pkg", "1.1", disttest.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	old, recent := now.Add(-15*24*time.Hour), now.Add(-13*24*time.Hour)
	const mine, other = "aaaa", "bbbb"
	tests := []struct {
		name    string
		files   []pydist.IndexFile
		window  time.Duration
		want    []string
		ofSdist bool // the file checked is pkg-1.1.tar.gz, not the wheel
	}{
		{"new project", nil, pydist.PyPIReleaseWindow, nil, false},
		{"same file already there", []pydist.IndexFile{{Filename: f.Filename.Raw, SHA256: mine, UploadTime: old}}, pydist.PyPIReleaseWindow, nil, false},
		{"filename taken by other bytes", []pydist.IndexFile{{Filename: f.Filename.Raw, SHA256: other}}, 0, []string{pydist.CodeFileExists}, false},
		{"bytes under another name", []pydist.IndexFile{{Filename: "pkg-1.1-py2.py3-none-any.whl", SHA256: mine}}, 0, []string{pydist.CodeFileExists}, false},
		{"release older than 14 days", []pydist.IndexFile{{Filename: "pkg-1.1.tar.gz", SHA256: other, UploadTime: old}}, pydist.PyPIReleaseWindow, []string{pydist.CodeReleaseClosed}, false},
		{"release 13 days old", []pydist.IndexFile{{Filename: "pkg-1.1.tar.gz", SHA256: other, UploadTime: recent}}, pydist.PyPIReleaseWindow, nil, false},
		{"equal version spelled differently", []pydist.IndexFile{{Filename: "pkg-1.1.0.tar.gz", SHA256: other, UploadTime: old}}, pydist.PyPIReleaseWindow, []string{pydist.CodeReleaseClosed}, false},
		{"other release old", []pydist.IndexFile{{Filename: "pkg-1.0.tar.gz", SHA256: other, UploadTime: old}}, pydist.PyPIReleaseWindow, nil, false},
		{"no window", []pydist.IndexFile{{Filename: "pkg-1.1.tar.gz", SHA256: other, UploadTime: old}}, 0, nil, false},
		{"no upload time", []pydist.IndexFile{{Filename: "pkg-1.1.tar.gz", SHA256: other}}, pydist.PyPIReleaseWindow, nil, false},
		{"a second sdist for the release", []pydist.IndexFile{{Filename: "pkg-1.1.0.tar.gz", SHA256: other}}, 0, []string{pydist.CodeSdistExists}, true},
		{"a second sdist, name spelled differently", []pydist.IndexFile{{Filename: "PKG-1.1.tar.gz", SHA256: other}}, 0, []string{pydist.CodeSdistExists}, true},
		{"one problem for two sdists there", []pydist.IndexFile{{Filename: "PKG-1.1.tar.gz", SHA256: other}, {Filename: "pkg-1.1.0.tar.gz", SHA256: "cccc"}}, 0, []string{pydist.CodeSdistExists}, true},
		{"the same sdist already there", []pydist.IndexFile{{Filename: "pkg-1.1.tar.gz", SHA256: mine}}, 0, nil, true},
		{"the sdist's name taken by other bytes", []pydist.IndexFile{{Filename: "pkg-1.1.tar.gz", SHA256: other}}, 0, []string{pydist.CodeFileExists}, true},
		{"an sdist of another release", []pydist.IndexFile{{Filename: "pkg-1.0.tar.gz", SHA256: other}}, 0, nil, true},
		{"a wheel beside an sdist", []pydist.IndexFile{{Filename: "pkg-1.1.tar.gz", SHA256: other}}, 0, nil, false},
		{"an sdist beside a wheel", []pydist.IndexFile{{Filename: "pkg-1.1-py3-none-any.whl", SHA256: other}}, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f
			if tt.ofSdist {
				f = sdist
			}
			ps := pydist.CheckIndexState(f, mine, pydist.IndexState{Files: tt.files, Now: now, ReleaseWindow: tt.window}, pydist.CheckOptions{})
			var got []string
			for _, p := range ps {
				got = append(got, p.Code)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("codes %v, want %v (%v)", got, tt.want, ps)
			}
		})
	}
}

// TestZipFramingRefused: zips written with data descriptors (archive/zip's
// CreateHeader, streaming writers), member comments or control characters
// in names are refused under PyPI's rules, as its framing check does, and
// only warned about for another index.
func TestZipFramingRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		entry disttest.ZipEntry
		want  string
	}{
		{"data descriptor", disttest.ZipEntry{Name: "pkg/streamed.py", Data: []byte("x"), Method: zip.Deflate, Streamed: true}, "ZIP contains a data descriptor"},
		{"control character", disttest.ZipEntry{Name: "pkg/a\x01.py", Data: []byte("x"), Method: zip.Deflate}, "Invalid character in filename"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.entry
			e.Name = strings.ReplaceAll(e.Name, "\\x01", "\x01")
			p := writeFile(t, t.TempDir(), "pkg-1.0-py3-none-any.whl", disttest.Zip(t, append(validWheelEntries(), e)))
			f := openOrFail(t, p)
			ps := pydist.Errors(pydist.Check(f, pydist.CheckOptions{}))
			if len(ps) != 1 || ps[0].Code != pydist.CodeZipFraming || ps[0].Want != tc.want {
				t.Fatalf("problems %v, want %s %q", ps, pydist.CodeZipFraming, tc.want)
			}
			if ps := pydist.Errors(pydist.Check(f, pydist.CheckOptions{Profile: pydist.ProfileIndex})); len(ps) != 0 {
				t.Fatalf("another index: errors %v", ps)
			}
		})
	}
	// disttest's wheels (written through internal/zipwrite) pass.
	f := openOrFail(t, disttest.BuildWheel(t, t.TempDir(), "pkg", "1.0", disttest.Options{PayloadSize: 1 << 16}))
	for _, p := range pydist.Check(f, pydist.CheckOptions{}) {
		if p.Code == pydist.CodeZipFraming {
			t.Fatalf("disttest wheel: %v", p)
		}
	}
}

// TestPolyglotRefused: a file that is both a tar and a zip is refused, as
// Warehouse refuses it ("File is both a zip and a tar file").
func TestPolyglotRefused(t *testing.T) {
	dir := t.TempDir()
	whl, err := os.ReadFile(disttest.BuildWheel(t, dir, "pkg", "1.0", disttest.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var tarPart bytes.Buffer
	tw := tar.NewWriter(&tarPart)
	tw.WriteHeader(&tar.Header{Name: "hidden.py", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	p := writeFile(t, t.TempDir(), "pkg-1.0-py3-none-any.whl", append(tarPart.Bytes(), whl...))
	_, err = pydist.Open(p)
	if pr := pydist.ProblemOf(err, p); err == nil || pr.Code != pydist.CodeArchiveInvalid || !strings.Contains(pr.Message, "File is both a zip and a tar file") {
		t.Fatalf("Open = %v (%+v), want the polyglot refused", err, pr)
	}
}

// TestCheckUploadSet: a second sdist of one release in the same upload is
// refused under PyPI's rules (PyPI keeps the first), a warning for another
// index; sdists of different releases and wheels are not judged.
func TestCheckUploadSet(t *testing.T) {
	dir := t.TempDir()
	open := func(path string) *pydist.File {
		f, err := pydist.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	targz := open(disttest.BuildSdist(t, dir, "pkg", "1.1", disttest.Options{}))
	// 1.1.0 is the release 1.1 (PEP 440), under another filename.
	respelled := open(disttest.BuildSdist(t, dir, "pkg", "1.1.0", disttest.Options{}))
	other := open(disttest.BuildSdist(t, dir, "pkg", "1.2", disttest.Options{}))
	wheel := open(disttest.BuildWheel(t, dir, "pkg", "1.1", disttest.Options{}))
	for _, tc := range []struct {
		name     string
		files    []*pydist.File
		profile  pydist.Profile
		wantPath string // the file refused, "" for none
		severity pydist.Severity
	}{
		{"two sdists of one release", []*pydist.File{targz, wheel, respelled}, pydist.ProfilePyPI, respelled.Path, pydist.Error},
		{"the first given is kept", []*pydist.File{respelled, targz}, pydist.ProfilePyPI, targz.Path, pydist.Error},
		{"another index: a warning", []*pydist.File{targz, respelled}, pydist.ProfileIndex, respelled.Path, pydist.Warning},
		{"two releases", []*pydist.File{targz, other, wheel}, pydist.ProfilePyPI, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := pydist.CheckUploadSet(tc.files, pydist.CheckOptions{Profile: tc.profile})
			if tc.wantPath == "" {
				if len(ps) != 0 {
					t.Fatalf("problems %v, want none", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Code != pydist.CodeSdistExists || ps[0].Path != tc.wantPath || ps[0].Severity != tc.severity {
				t.Fatalf("problems %+v, want one %s on %s (severity %v)", ps, pydist.CodeSdistExists, tc.wantPath, tc.severity)
			}
		})
	}
}
