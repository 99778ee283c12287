package pydist_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
)

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.0", "v1!2.0rc1.post3.dev4+ubuntu.1", "1.0-1", "1.0.post-1", "1.0a", "01.02", "1.0+ABC-007_x", " 1.0 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := pydist.ParseVersion(s)
		if err != nil {
			return
		}
		// The canonical form is valid, stable and lower-case ASCII.
		again, err := pydist.ParseVersion(v.String())
		if err != nil || again != v {
			t.Fatalf("%q -> %q does not round-trip: %v %q", s, v, err, again)
		}
		if strings.ToLower(v.String()) != v.String() || strings.ContainsAny(v.String(), " -_") {
			t.Fatalf("%q -> non-canonical %q", s, v)
		}
		if v.Local() != "" && v.Public()+"+"+v.Local() != v.String() {
			t.Fatalf("%q: public %q local %q", v, v.Public(), v.Local())
		}
	})
}

func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{"pkg-1.0-py3-none-any.whl", "my_pkg-2.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"pkg-1.0.tar.gz", "My.Pkg-1.0-1.tar.gz", "pkg-1.0.zip", "pkg-1.0-py3-none-.whl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := pydist.ParseFilename(s)
		if err != nil {
			return
		}
		if fn.Raw != s || fn.Version.IsZero() || fn.Name == "" {
			t.Fatalf("%q parsed to %+v", s, fn)
		}
		switch fn.Kind {
		case pydist.Wheel:
			if len(fn.PythonTags) == 0 || len(fn.ABITags) == 0 || len(fn.PlatformTags) == 0 || fn.PyVersion() == "" {
				t.Fatalf("%q: missing tags %+v", s, fn)
			}
			// Re-assembling the parts gives the input back.
			parts := []string{fn.Name, fn.VersionText}
			if fn.Build != "" {
				parts = append(parts, fn.Build)
			}
			parts = append(parts, strings.Join(fn.PythonTags, "."), strings.Join(fn.ABITags, "."), strings.Join(fn.PlatformTags, "."))
			if got := strings.Join(parts, "-") + ".whl"; got != s {
				t.Fatalf("%q re-assembles to %q", s, got)
			}
		case pydist.Sdist:
			if fn.Name+"-"+fn.VersionText+".tar.gz" != s || fn.PyVersion() != "source" {
				t.Fatalf("%q re-assembles wrongly: %+v", s, fn)
			}
		default:
			t.Fatalf("%q: kind %v", s, fn.Kind)
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		"Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nClassifier: A\nClassifier: B\n\n# Title\n",
		"Metadata-Version: 2.1\r\nName: pkg\r\nDescription: l1\r\n       |l2\r\n        l3\r\n",
		"Name: pkg\nSummary: a\n b\n\n",
		"\ufeffName: x\n\nbody",
		"Name: pkg\nKeywords: a, b ,c\nProject-URL: Home, https://x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := pydist.ParseMetadata(b)
		if err != nil {
			return
		}
		if len(m.Fields) == 0 {
			t.Fatal("parsed with no fields")
		}
		for _, fl := range m.Fields {
			if fl.Name == "" || strings.ContainsAny(fl.Name, ": \t\r\n") {
				t.Fatalf("bad field name %q", fl.Name)
			}
			if strings.ContainsAny(fl.Value, "\r\x00") {
				t.Fatalf("field %s value %q keeps CR or NUL", fl.Name, fl.Value)
			}
			if got := m.Get(fl.Name); got != m.GetAll(fl.Name)[0] {
				t.Fatalf("Get/GetAll disagree for %s", fl.Name)
			}
		}
		for _, ff := range m.FormFields() {
			if ff.Name == "" || ff.Value == "" {
				t.Fatalf("empty form field %+v", ff)
			}
		}
	})
}

// openFuzzed opens b as the distribution file name; nil when Open
// refuses it, with an error that must name the file.
func openFuzzed(t *testing.T, b []byte, name string) *pydist.File {
	t.Helper()
	file, err := pydist.OpenReader(bytes.NewReader(b), int64(len(b)), name)
	if err != nil {
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("error does not name the file: %v", err)
		}
		return nil
	}
	return file
}

func FuzzOpenWheel(f *testing.F) {
	dir := f.TempDir()
	for _, o := range []disttest.Options{{}, {Omit: []string{"RECORD"}}, {MetadataVersion: "2.0"}} {
		p := disttest.BuildWheel(f, dir, "pkg", "1.0", o)
		b, err := readFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, b []byte) {
		file := openFuzzed(t, b, "pkg-1.0-py3-none-any.whl")
		if file == nil {
			return
		}
		if len(file.MetadataBytes) > pydist.MaxMetadataSize || file.Metadata == nil {
			t.Fatalf("metadata %d bytes", len(file.MetadataBytes))
		}
		_ = pydist.Check(file, pydist.CheckOptions{})
	})
}

func FuzzOpenSdist(f *testing.F) {
	dir := f.TempDir()
	for _, o := range []disttest.Options{{}, {Omit: []string{"PKG-INFO"}}, {Fields: []disttest.Field{{Name: "Description", Value: "x"}}}} {
		b, err := readFile(disttest.BuildSdist(f, dir, "pkg", "1.0", o))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(sparseTarGz(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		file := openFuzzed(t, b, "pkg-1.0.tar.gz")
		if file == nil {
			return
		}
		if len(file.Archive.TopLevel) != 1 || file.Metadata == nil || len(file.MetadataBytes) > pydist.MaxMetadataSize {
			t.Fatalf("accepted sdist with top-level %q", file.Archive.TopLevel)
		}
		_ = pydist.Check(file, pydist.CheckOptions{})
	})
}
