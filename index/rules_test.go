package index

import (
	"archive/tar"
	"archive/zip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
)

type member struct {
	name     string
	data     []byte
	link     string // tar: a symlink to this target
	streamed bool   // zip: written with a data descriptor (archive/zip's CreateHeader)
}

// zipBytes builds a zip with the members in order (duplicates allowed),
// deflated as Python's zipfile writes them unless streamed.
func zipBytes(t testing.TB, ms []member) []byte {
	t.Helper()
	es := make([]disttest.ZipEntry, len(ms))
	for i, m := range ms {
		es[i] = disttest.ZipEntry{Name: m.name, Data: m.data, Method: zip.Deflate, Streamed: m.streamed}
	}
	return disttest.Zip(t, es)
}

// tgzBytes builds a .tar.gz with the members in order.
func tgzBytes(t testing.TB, ms []member) []byte {
	t.Helper()
	es := make([]disttest.TarEntry, len(ms))
	for i, m := range ms {
		es[i] = disttest.TarEntry{Hdr: tar.Header{Name: m.name}, Data: m.data}
		if m.link != "" {
			es[i].Hdr = tar.Header{Name: m.name, Mode: 0o777, Typeflag: tar.TypeSymlink, Linkname: m.link}
		}
	}
	return disttest.TarGz(t, es)
}

// wheelMembers are the members of a valid wheel of demo 2.0 plus extra.
func wheelMembers(meta []byte, extra ...member) []member {
	di := "demo-2.0.dist-info/"
	return append([]member{
		{name: "demo/__init__.py", data: []byte("")},
		{name: di + "METADATA", data: meta},
		{name: di + "WHEEL", data: []byte("Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")},
		{name: di + "RECORD", data: []byte("")},
	}, extra...)
}

// TestUploadHostileArchives sends archives that `trustpub check` refuses
// to the real index, which must refuse them too (issue 9 items 4, 5, 7).
func TestUploadHostileArchives(t *testing.T) {
	ti := newTestIndex(t, nil)
	meta := disttest.Metadata("demo", "2.0", disttest.Options{})
	big := disttest.Metadata("demo", "2.0", disttest.Options{Description: strings.Repeat("a", 16<<20)})
	asWheel := func(data []byte) dfile {
		return dfile{name: "demo", version: "2.0", filename: "demo-2.0-py3-none-any.whl", data: data, filetype: "bdist_wheel", pyversion: "py3"}
	}
	sdistTop := "demo-2.0/"
	tests := []struct {
		name string
		f    dfile
		set  map[string]string
		want string
	}{
		{"wheel with ../ member", asWheel(zipBytes(t, wheelMembers(meta, member{name: "../../evil.py", data: []byte("x")}))), nil,
			"Invalid distribution file. Member '../../evil.py' has an unsafe path"},
		{"wheel with absolute member", asWheel(zipBytes(t, wheelMembers(meta, member{name: "/etc/evil.py", data: []byte("x")}))), nil,
			"Invalid distribution file. Member '/etc/evil.py' has an unsafe path"},
		{"wheel with backslash member", asWheel(zipBytes(t, wheelMembers(meta, member{name: `..\evil.py`, data: []byte("x")}))), nil,
			`Invalid distribution file. Member '..\\evil.py' has an unsafe path`},
		{"wheel with duplicate member", asWheel(zipBytes(t, wheelMembers(meta, member{name: "demo/__init__.py", data: []byte("evil")}))), nil,
			"Invalid distribution file. Member 'demo/__init__.py' occurs more than once"},
		{"wheel written with data descriptors", asWheel(zipBytes(t, wheelMembers(meta, member{name: "demo/streamed.py", data: []byte("x"), streamed: true}))), nil,
			"Invalid distribution file. ZIP archive not accepted: ZIP contains a data descriptor. See https://docs.pypi.org/archives for more information"},
		{"wheel with two METADATA", asWheel(zipBytes(t, wheelMembers(meta, member{name: "demo-2.0.dist-info/METADATA", data: meta}))), nil,
			"Invalid distribution file. Member 'demo-2.0.dist-info/METADATA' occurs more than once"},
		{"sdist with symlink", dfile{name: "demo", version: "2.0", filename: "demo-2.0.tar.gz", filetype: "sdist", pyversion: "source",
			data: tgzBytes(t, []member{{name: sdistTop + "PKG-INFO", data: meta}, {name: sdistTop + "setup.py", link: "/etc/passwd"}})}, nil,
			"Invalid distribution file. Member 'demo-2.0/setup.py' is a link"},
		{"sdist with ../ member", dfile{name: "demo", version: "2.0", filename: "demo-2.0.tar.gz", filetype: "sdist", pyversion: "source",
			data: tgzBytes(t, []member{{name: sdistTop + "PKG-INFO", data: meta}, {name: sdistTop + "../../evil.py", data: []byte("x")}})}, nil,
			"Invalid distribution file. Member 'demo-2.0/../../evil.py' has an unsafe path"},
		{"wheel with a script named as a path", asWheel(zipBytes(t, wheelMembers(meta, member{name: "demo-2.0.dist-info/entry_points.txt", data: []byte("[console_scripts]\n../../bin/evil = demo:main\n")}))), nil,
			"Wheel 'demo-2.0-py3-none-any.whl' has invalid entry points defined in the entry_points.txt file"},
		{"wheel with entry points that are not INI", asWheel(zipBytes(t, wheelMembers(meta, member{name: "demo-2.0.dist-info/entry_points.txt", data: []byte("demo = demo:main\n")}))), nil,
			"Wheel 'demo-2.0-py3-none-any.whl' has invalid entry points defined in the entry_points.txt file"},
		{"small wheel with 16 MiB METADATA", asWheel(zipBytes(t, wheelMembers(big))), nil,
			"Invalid distribution file. demo-2.0.dist-info/METADATA is larger than this index accepts"},
		{"requires_python with markup", asWheel(zipBytes(t, wheelMembers(meta))), map[string]string{"requires_python": `>=3"><script>`},
			`'>=3"><script>' is invalid for 'requires-python'.`},
		{"requires_python with bidi override", asWheel(zipBytes(t, wheelMembers(meta))), map[string]string{"requires_python": ">=3.8\u202e"},
			"is invalid for 'requires-python'."},
		{"requires_python with ..", asWheel(zipBytes(t, wheelMembers(meta))), map[string]string{"requires_python": ">=3..8"},
			"'>=3..8' is invalid for 'requires-python'."},
		{"requires_python not in the file", asWheel(zipBytes(t, wheelMembers(meta))), map[string]string{"requires_python": ">=3.8"},
			"The upload's requires-python '>=3.8' does not match the distribution file's requires-python ''"},
	}
	// Wheel tags with markup, quotes and bidi overrides.
	for _, tag := range []string{"py3<b>", `py3"`, "py3\u202e", "py3 "} {
		fn := "demo-2.0-" + tag + "-none-any.whl"
		ms := wheelMembers(meta)
		tests = append(tests, struct {
			name string
			f    dfile
			set  map[string]string
			want string
		}{"wheel tag " + fmt.Sprintf("%q", tag), dfile{name: "demo", version: "2.0", filename: fn, data: zipBytes(t, ms), filetype: "bdist_wheel", pyversion: "py3"}, nil, "Invalid wheel filename"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.f.req()
			for k, v := range tc.set {
				req.set(k, v)
			}
			code, body, _ := req.send(t, ti.url+"/legacy/")
			if code != 400 || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d %q, want 400 containing %q", code, body, tc.want)
			}
			// trustpub check refuses the same file.
			p := filepath.Join(t.TempDir(), tc.f.filename)
			if err := os.WriteFile(p, tc.f.data, 0o644); err != nil {
				t.Skip("file system refuses the name")
			}
			if f, err := pydist.Open(p); err == nil && tc.set == nil && len(pydist.Errors(pydist.Check(f, pydist.CheckOptions{}))) == 0 {
				t.Errorf("check accepts what the index refuses")
			}
		})
	}
	if got := ti.srv.store.project("demo"); got != nil {
		t.Errorf("a refused upload created the project")
	}
}

// TestUploadCannotPreemptAnotherProject: an uploader of one project sends
// another project's exact sdist bytes under its own project's filename (to
// take the bytes, which an index keeps unique); the index refuses it, and
// the real project's upload of those bytes then succeeds (issue 9 item 7).
func TestUploadCannotPreemptAnotherProject(t *testing.T) {
	ti := newTestIndex(t, nil)
	victim := sdist(t, "victim", "1.0", disttest.Options{})
	stolen := victim
	stolen.name, stolen.filename = "demo", "demo-1.0.tar.gz"
	code, body, _ := stolen.req().send(t, ti.url+"/legacy/")
	if code != 400 || !strings.Contains(body, "The upload's name 'demo' does not match the distribution file's name 'victim'") {
		t.Fatalf("pre-emption: %d %q", code, body)
	}
	ti.mustUpload(t, victim)
}

// mutation is one change to a generated upload: metadata fields and
// filename or archive changes.
type mutation struct {
	fields []disttest.Field
	opts   func(*disttest.Options)
}

var mutations = []mutation{
	{}, {}, {}, // valid uploads are common
	{fields: []disttest.Field{{Name: "Requires-Python", Value: ">=3.9"}}},
	{fields: []disttest.Field{{Name: "Requires-Python", Value: ">=3.9,<4.0"}}},
	{fields: []disttest.Field{{Name: "Requires-Python", Value: ">= 3.9; os_name == 'nt'"}}},
	{fields: []disttest.Field{{Name: "Requires-Python", Value: "~=3"}}},
	{fields: []disttest.Field{{Name: "Requires-Dist", Value: "requests>=2; extra == 'http'"}, {Name: "Provides-Extra", Value: "http"}}},
	{fields: []disttest.Field{{Name: "Requires-Dist", Value: "requests>=2;"}}},
	{fields: []disttest.Field{{Name: "Requires-Dist", Value: "dep @ https://example.com/dep.whl"}}},
	{fields: []disttest.Field{{Name: "Provides-Extra", Value: "_bad"}}},
	{fields: []disttest.Field{{Name: "Summary", Value: "second"}}},
	{fields: []disttest.Field{{Name: "Keywords", Value: "a,b"}}},
	{fields: []disttest.Field{{Name: "Classifier", Value: "Programming Language :: Python :: 3"}}},
	{fields: []disttest.Field{{Name: "Classifier", Value: "Programming Language :: Klingon"}}},
	{fields: []disttest.Field{{Name: "Classifier", Value: "Private :: Do Not Upload"}}},
	{fields: []disttest.Field{{Name: "License-Expression", Value: "MIT OR Apache-2.0"}}},
	{fields: []disttest.Field{{Name: "License-Expression", Value: "MIT OR"}}},
	{fields: []disttest.Field{{Name: "License", Value: "MIT"}, {Name: "License-Expression", Value: "MIT"}}},
	{fields: []disttest.Field{{Name: "License-File", Value: "LICENSE"}}},
	{fields: []disttest.Field{{Name: "License-File", Value: "../LICENSE"}}},
	{fields: []disttest.Field{{Name: "Dynamic", Value: "Requires-Dist"}}},
	{fields: []disttest.Field{{Name: "Dynamic", Value: "Version"}}},
	{fields: []disttest.Field{{Name: "Home-Page", Value: "https://example.com/"}}},
	{fields: []disttest.Field{{Name: "Home-Page", Value: "example.com"}}},
	{fields: []disttest.Field{{Name: "Project-URL", Value: "Source, https://example.com/src"}}},
	{fields: []disttest.Field{{Name: "Project-URL", Value: strings.Repeat("L", 33) + ", https://example.com/"}}},
	{fields: []disttest.Field{{Name: "Author-Email", Value: "Ann <ann@example.com>"}}},
	{fields: []disttest.Field{{Name: "Author-Email", Value: "ann@localhost"}}},
	{fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/markdown"}}},
	{fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/html"}}},
	{fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/markdown; variant=Other"}}},
	{opts: func(o *disttest.Options) { o.MetadataVersion = "2.0" }},
	{opts: func(o *disttest.Options) { o.MetadataVersion = "1.0" }},
	{opts: func(o *disttest.Options) {
		o.MetadataVersion = "1.1"
		o.Fields = append(o.Fields, disttest.Field{Name: "Requires-Dist", Value: "a"})
	}},
	{opts: func(o *disttest.Options) { o.PlatformTag = "linux_x86_64" }},
	{opts: func(o *disttest.Options) { o.PlatformTag = "manylinux_2_17_x86_64" }},
	{opts: func(o *disttest.Options) { o.Omit = []string{"RECORD"} }},
	{opts: func(o *disttest.Options) { o.Omit = []string{"WHEEL"} }},
	{opts: func(o *disttest.Options) {
		addFiles(o, "LICENSE", "prop-%s.dist-info/licenses/LICENSE")
		o.Fields = append(o.Fields, disttest.Field{Name: "License-File", Value: "LICENSE"})
	}},
	{opts: func(o *disttest.Options) { addFiles(o, "../evil.py") }},
	{opts: func(o *disttest.Options) { addFiles(o, "/abs/evil.py") }},
	{opts: func(o *disttest.Options) { addFiles(o, "prop/ok.py") }},
	{opts: func(o *disttest.Options) { o.Description = "Title\n=====\n\nSee :ref:`install`.\n" }},
	{opts: func(o *disttest.Options) { o.Description = "Title\n=====\n\nText with *emphasis*.\n" }},
	{opts: func(o *disttest.Options) { o.Description = "Title\n===\n\n.. code-block:: python\n\n   x = 1\n" }},
}

func addFiles(o *disttest.Options, names ...string) {
	if o.Files == nil {
		o.Files = map[string][]byte{}
	}
	for _, n := range names {
		o.Files[n] = []byte("x")
	}
}

// TestCheckAgreesWithIndex is the property that `trustpub check` and the
// index judge every upload alike: seeded random combinations of metadata
// fields, metadata versions, tags and archive changes are built as real
// wheels and sdists, checked with PyPI's rules, and uploaded with the form
// twine would send; the file is refused by check exactly when the index
// refuses it.
func TestCheckAgreesWithIndex(t *testing.T) {
	ti := newTestIndex(t, nil)
	r := rand.New(rand.NewPCG(11, 9))
	const n = 240
	refused := 0
	for i := range n {
		ver := fmt.Sprintf("1.%d", i)
		o := disttest.Options{}
		for k := 1 + r.IntN(3); k > 0; k-- {
			m := mutations[r.IntN(len(mutations))]
			o.Fields = append(o.Fields, m.fields...)
			if m.opts != nil {
				m.opts(&o)
			}
		}
		if o.Files != nil {
			files := map[string][]byte{}
			for k, v := range o.Files {
				files[strings.ReplaceAll(k, "%s", ver)] = v
			}
			o.Files = files
		}
		dir := t.TempDir()
		var p string
		if r.IntN(3) == 0 {
			o.PlatformTag, o.Omit = "", nil
			p = disttest.BuildSdist(t, dir, "prop", ver, o)
		} else {
			p = disttest.BuildWheel(t, dir, "prop", ver, o)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// The client's verdict.
		var form []pydist.FormField
		clientOK := false
		if f, err := pydist.Open(p); err == nil {
			clientOK = len(pydist.Errors(pydist.Check(f, pydist.CheckOptions{}))) == 0
			form = f.Metadata.FormFields()
		} else if m, err := pydist.ParseMetadata(disttest.Metadata("prop", ver, o)); err == nil {
			form = m.FormFields()
		}
		// The index's verdict on the form twine would send.
		df := dfile{name: "prop", version: ver, filename: filepath.Base(p), data: data, filetype: "bdist_wheel", pyversion: "py3"}
		if strings.HasSuffix(p, ".tar.gz") {
			df.filetype, df.pyversion = "sdist", "source"
		}
		req := &uploadReq{filename: df.filename, content: data, contentType: "application/octet-stream", auth: basic("__token__", tokAll)}
		for _, ff := range form {
			req.fields = append(req.fields, field{ff.Name, ff.Value})
		}
		req.fields = append(req.fields, field{"filetype", df.filetype}, field{"pyversion", df.pyversion},
			field{"sha256_digest", sha256Hex(data)}, field{":action", "file_upload"}, field{"protocol_version", "1"})
		code, body, _ := req.send(t, ti.url+"/legacy/")
		indexOK := code == 200
		if code != 200 && code != 400 {
			t.Errorf("upload %d (%s): %d %s", i, df.filename, code, body)
		}
		if !indexOK {
			refused++
		}
		if clientOK != indexOK {
			var ps []pydist.Problem
			if f, err := pydist.Open(p); err == nil {
				ps = pydist.Check(f, pydist.CheckOptions{})
			}
			t.Errorf("upload %d (%s, fields %v): check ok=%v, index %d %q\ncheck: %v", i, df.filename, o.Fields, clientOK, code, strings.TrimSpace(body), ps)
		}
	}
	t.Logf("%d generated uploads: %d refused by both, %d accepted by both (unless reported)", n, refused, n-refused)
	if refused == 0 || refused == n {
		t.Errorf("the generator made %d refusals of %d: it must make both kinds", refused, n)
	}
}

// TestUploadDescriptionMustRender: the index refuses a reStructuredText
// description that PyPI would not render, with PyPI's message, after the
// permission check.
func TestUploadDescriptionMustRender(t *testing.T) {
	ti := newTestIndex(t, nil)
	f := wheel(t, "demo", "2.0", disttest.Options{})
	for _, tc := range []struct{ ct, want string }{
		{"", "The description failed to render in the default format of reStructuredText. See https://pypi.org/help/#description-content-type for more information."},
		{"text/x-rst", "The description failed to render for 'text/x-rst'. See https://pypi.org/help/#description-content-type for more information."},
	} {
		req := f.req().set("description", "Title\n=====\n\n.. automodule:: demo\n").set("description_content_type", tc.ct)
		code, body, _ := req.send(t, ti.url+"/legacy/")
		if code != 400 || strings.TrimSpace(body) != tc.want {
			t.Errorf("content type %q: %d %q, want %q", tc.ct, code, body, tc.want)
		}
	}
	// The scoped token's permission error comes first, as on PyPI.
	req := f.req().set("description", ".. automodule:: demo\n")
	req.auth = basic("__token__", tokScoped)
	if code, body, _ := req.send(t, ti.url+"/legacy/"); code != 403 {
		t.Errorf("scoped token: %d %q, want 403", code, body)
	}
}
