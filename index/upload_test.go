package index

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/pydist/disttest"
)

const (
	seeCore = " See https://packaging.python.org/specifications/core-metadata for more information."
)

// TestUploadRefusals sends every kind of bad upload and checks PyPI's
// status and exact message, in the body and the X-PyPI-Error header.
func TestUploadRefusals(t *testing.T) {
	ti := newTestIndex(t, nil)
	// Existing state: demo 1.0 (wheel + sdist).
	w10 := wheel(t, "demo", "1.0", disttest.Options{})
	s10 := sdist(t, "demo", "1.0", disttest.Options{})
	ti.mustUpload(t, w10)
	ti.mustUpload(t, s10)

	w20 := wheel(t, "demo", "2.0", disttest.Options{})
	s20 := sdist(t, "demo", "2.0", disttest.Options{})
	// Same filename as w10, other content.
	w10b := wheel(t, "demo", "1.0", disttest.Options{Description: "changed"})
	// Same content as w10 under another (valid) name.
	w10renamed := w10
	w10renamed.filename = "demo-1.0-1-py3-none-any.whl"

	garbage := func(f dfile) dfile { f.data = []byte("this is not an archive at all"); return f }
	wheelWithout := func(member string) dfile {
		return wheel(t, "demo", "2.0", disttest.Options{Omit: []string{member}})
	}
	other := wheel(t, "other", "2.0", disttest.Options{})
	otherSdist := sdist(t, "other", "2.0", disttest.Options{})
	w21 := wheel(t, "demo", "2.1", disttest.Options{})
	linux := wheel(t, "demo", "2.0", disttest.Options{PythonTag: "cp312", ABITag: "cp312", PlatformTag: "linux_x86_64"})
	upperName := func() dfile {
		md := disttest.Metadata("demo", "2.0", disttest.Options{})
		f := wheel(t, "demo", "2.0", disttest.Options{
			Filename: "Demo-2.0-py3-none-any.whl",
			Files: map[string][]byte{
				"Demo-2.0.dist-info/WHEEL":    []byte("Wheel-Version: 1.0\nTag: py3-none-any\n"),
				"Demo-2.0.dist-info/RECORD":   []byte(""),
				"Demo-2.0.dist-info/METADATA": md,
			},
		})
		return f
	}()
	sdistUpper := sdist(t, "demo", "2.0", disttest.Options{Filename: "Demo-2.0.tar.gz"})
	zipSdist := s20
	zipSdist.filename = "demo-1.0.zip"
	noPKGINFO := sdist(t, "demo", "2.0", disttest.Options{Omit: []string{"PKG-INFO"}})

	hash := func(f dfile) string { return blake2Hex(f.data) }
	scopedAuth := basic("__token__", tokScoped)

	tests := []struct {
		name string
		req  *uploadReq
		url  string // default /legacy/
		code int
		msg  string
	}{
		{"anonymous", func() *uploadReq { r := w20.req(); r.auth = ""; return r }(), "", 403,
			"Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."},
		{"unknown token", func() *uploadReq { r := w20.req(); r.auth = basic("__token__", "pypi-wrong"); return r }(), "", 403,
			"Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."},
		{"username and password", func() *uploadReq { r := w20.req(); r.auth = basic("alice", tokAll); return r }(), "", 403,
			"Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers"},
		{"malformed basic", func() *uploadReq { r := w20.req(); r.auth = "Basic !!!"; return r }(), "", 403,
			"Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."},
		{"scoped token, other project", func() *uploadReq { r := w20.req(); r.auth = scopedAuth; return r }(), "", 403,
			"The given token isn't allowed to upload to project 'demo'. See https://pypi.org/help/#project-name for more information."},
		{"submit is gone (even anonymous)", func() *uploadReq { r := w20.req().set(":action", "submit"); r.auth = ""; return r }(), "", 410,
			"Project pre-registration is no longer required or supported, upload your files instead."},
		{"submit_pkg_info is gone", w20.req().set(":action", "submit_pkg_info"), "", 410,
			"Project pre-registration is no longer required or supported, upload your files instead."},
		{"doc_upload is gone", w20.req().set(":action", "doc_upload"), "", 410,
			"Uploading documentation is no longer supported, we recommend using https://readthedocs.org/."},
		{"unknown action", w20.req().set(":action", "frobnicate"), "", 404,
			"Unknown :action 'frobnicate': this endpoint accepts ':action=file_upload'."},
		{"no slash", w20.req(), "/legacy", 308,
			"An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)"},
		{"protocol version", w20.req().set("protocol_version", "2"), "", 400, "Unknown protocol version."},
		{"name missing", w20.req().set("name", ""), "", 400,
			"'' is an invalid value for Name. Error: This field is required." + seeCore},
		{"name invalid", w20.req().set("name", "-demo"), "", 400,
			"'-demo' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'." + seeCore},
		{"long name truncated", w20.req().set("name", "-"+strings.Repeat("a", 70)), "", 400,
			"'-" + strings.Repeat("a", 29) + "..." + strings.Repeat("a", 30) + "' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'." + seeCore},
		{"filetype missing", w20.req().set("filetype", ""), "", 400, "Invalid value for filetype. Error: This field is required."},
		{"filetype unknown", w20.req().set("filetype", "bdist_egg"), "", 400, "Invalid value for filetype. Error: Use a known file type."},
		{"sha256 format", w20.req().set("sha256_digest", "xyz"), "", 400,
			"Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest."},
		{"blake2 format", w20.req().set("blake2_256_digest", "abc"), "", 400,
			"Invalid value for blake2_256_digest. Error: Use a valid, hex-encoded, BLAKE2 message digest."},
		{"no digest", w20.req().set("sha256_digest", "").set("blake2_256_digest", ""), "", 400,
			"Error: Include at least one message digest."},
		{"wheel without pyversion", w20.req().set("pyversion", ""), "", 400,
			"Error: Python version is required for binary distribution uploads."},
		{"sdist with pyversion", s20.req().set("pyversion", "py3"), "", 400,
			"Error: Use 'source' as Python version for an sdist."},
		{"metadata version 2.0", w20.req().set("metadata_version", "2.0"), "", 400,
			"'2.0' is not a valid metadata version." + seeCore},
		{"metadata version missing", w20.req().set("metadata_version", ""), "", 400,
			"None is not a valid metadata version." + seeCore},
		{"version missing", w20.req().set("version", ""), "", 400, "'version' is a required field." + seeCore},
		{"version invalid", w20.req().set("version", "not-a-version"), "", 400, "'not-a-version' is invalid for 'version'." + seeCore},
		{"local version", w20.req().set("version", "2.0+local"), "", 400,
			"The use of local versions in '2.0+local' is not allowed. See https://packaging.python.org/en/latest/specifications/version-specifiers/#local-version-identifiers for more information."},
		{"repeated single field", func() *uploadReq {
			r := w20.req()
			r.fields = append(r.fields, field{"version", "2.0"})
			return r
		}(), "", 400, "'version' has invalid data." + seeCore},
		{"summary too long", w20.req().set("summary", strings.Repeat("x", 513)), "", 400,
			"'summary' field must be 512 characters or less." + seeCore},
		{"no file", func() *uploadReq { r := w20.req(); r.noContent = true; return r }(), "", 400, "Upload payload does not have a file."},
		{"file sent as a plain field", func() *uploadReq {
			r := w20.req()
			r.noContent = true
			r.fields = append(r.fields, field{"content", string(w20.data)})
			return r
		}(), "", 400, "Upload payload does not have a file."},
		{"field sent as a file", func() *uploadReq {
			r := w20.req()
			r.extraParts = func(mw *multipart.Writer) {
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", `form-data; name="classifiers"; filename="c.txt"`)
				h.Set("Content-Type", "text/plain")
				pw, _ := mw.CreatePart(h)
				pw.Write([]byte("License :: OSI Approved"))
			}
			return r
		}(), "", 400, "classifiers: Should not be a tuple."},
		// Go's MIME reader refuses most raw control characters in headers
		// (before the index sees them), so they arrive RFC 2231-encoded;
		// a raw tab passes.
		{"control character in filename", func() *uploadReq {
			r := w20.req()
			r.disposition = `form-data; name="content"; filename*=UTF-8''demo-2.0%01-py3-none-any.whl`
			return r
		}(), "", 400,
			"Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name."},
		{"tab in filename", func() *uploadReq { r := w20.req(); r.filename = "demo-2.0\t-py3-none-any.whl"; return r }(), "", 400,
			"Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name."},
		{"DEL in filename", func() *uploadReq {
			r := w20.req()
			r.disposition = `form-data; name="content"; filename*=UTF-8''demo-2.0%7F-py3-none-any.whl`
			return r
		}(), "", 400,
			"Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name."},
		{"slash in filename", func() *uploadReq { r := w20.req(); r.filename = "../../etc/demo-2.0-py3-none-any.whl"; return r }(), "", 400,
			`Cannot upload a file with '/' or '\' in the name.`},
		{"backslash in filename", func() *uploadReq { r := w20.req(); r.filename = `..\demo-2.0-py3-none-any.whl`; return r }(), "", 400,
			`Cannot upload a file with '/' or '\' in the name.`},
		{"bad extension", func() *uploadReq { r := w20.req(); r.filename = "demo-2.0.exe"; return r }(), "", 400,
			"Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information"},
		{"extension vs filetype", w20.req().set("filetype", "sdist").set("pyversion", "source"), "", 400,
			"Invalid file extension: Extension .whl is invalid for filetype sdist. See https://www.python.org/dev/peps/pep-0527 for more information."},
		{"upper-case extension", func() *uploadReq { r := w20.req(); r.filename = "demo-2.0-py3-none-any.WHL"; return r }(), "", 400,
			"Invalid file extension: Extension .WHL is invalid for filetype bdist_wheel. See https://www.python.org/dev/peps/pep-0527 for more information."},
		{"image content type", func() *uploadReq { r := w20.req(); r.contentType = "image/png"; return r }(), "", 400, "Invalid distribution file."},
		{"sha256 mismatch", w20.req().set("sha256_digest", sha256Hex([]byte("other"))), "", 400,
			"The digest supplied does not match a digest calculated from the uploaded file."},
		{"blake2 mismatch", w20.req().set("blake2_256_digest", blake2Hex([]byte("other"))), "", 400,
			"The digest supplied does not match a digest calculated from the uploaded file."},
		{"md5 mismatch", w20.req().set("md5_digest", "00000000000000000000000000000000"), "", 400,
			"The digest supplied does not match a digest calculated from the uploaded file."},
		{"same name, other content", w10b.req(), "", 400,
			fmt.Sprintf("File already exists ('demo-1.0-py3-none-any.whl', with blake2_256 hash '%s'). See https://pypi.org/help/#file-name-reuse for more information.", hash(w10b))},
		{"same content, other name", w10renamed.req(), "", 400,
			fmt.Sprintf("File already exists ('demo-1.0-1-py3-none-any.whl', with blake2_256 hash '%s'). See https://pypi.org/help/#file-name-reuse for more information.", hash(w10))},
		{"second sdist", zipSdist.req().set("version", "1.0"), "", 400, "Only one sdist may be uploaded per release."},
		{"wheel not a zip", garbage(w20).req(), "", 400, "Invalid distribution file. File is not a zipfile"},
		{"sdist not a tar", garbage(s20).req(), "", 400, "Invalid distribution file. File is not a tarfile"},
		{"wheel without WHEEL", wheelWithout("WHEEL").req(), "", 400, "Invalid distribution file. WHEEL not found at demo-2.0.dist-info/WHEEL"},
		{"wheel without RECORD", wheelWithout("RECORD").req(), "", 400,
			"Wheel 'demo-2.0-py3-none-any.whl' does not contain the required RECORD file: demo-2.0.dist-info/RECORD"},
		{"wheel without METADATA", wheelWithout("METADATA").req(), "", 400,
			"Wheel 'demo-2.0-py3-none-any.whl' does not contain the required METADATA file: demo-2.0.dist-info/METADATA"},
		{"sdist without PKG-INFO", noPKGINFO.req(), "", 400, "Invalid distribution file. PKG-INFO not found at demo-2.0/PKG-INFO"},
		{"wheel version differs", w21.req().set("version", "2.0"), "", 400, "Version in filename should be '2.0' not '2.1'."},
		{"wheel of another project", other.req().set("name", "demo"), "", 400, "Start filename for 'demo' with 'demo'."},
		{"wheel name not normalized", upperName.req(), "", 400,
			"Filename 'Demo-2.0-py3-none-any.whl' should contain the normalized project name 'demo', not 'Demo'."},
		{"unsupported platform", linux.req().set("pyversion", "cp312"), "", 400,
			"Binary wheel 'demo-2.0-cp312-cp312-linux_x86_64.whl' has an unsupported platform tag 'linux_x86_64'."},
		{"wheel filename parts", func() *uploadReq { f := w20; f.filename = "demo-2.0-py3.whl"; return f.req() }(), "", 400,
			"Invalid wheel filename (wrong number of parts): 'demo-2.0-py3'"},
		{"sdist name not normalized", sdistUpper.req(), "", 400, "Filename 'Demo-2.0.tar.gz' is invalid, should be 'demo-2.0.tar.gz'."},
		{"sdist of another project", otherSdist.req().set("name", "demo"), "", 400, "Start filename for 'demo' with 'demo'."},
		{"attestations without trusted publishing", w20.req().set("attestations", "[]"), "", 400,
			"Invalid attestations supplied during upload: Attestations are only supported when using Trusted Publishing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := ti.url + "/legacy/"
			if tc.url != "" {
				url = ti.url + tc.url
			}
			code, body, hdr := tc.req.send(t, url)
			if code != tc.code || body != tc.msg+"\n" {
				t.Fatalf("got %d %q\nwant %d %q", code, body, tc.code, tc.msg)
			}
			if got := hdr.Get("X-PyPI-Error"); got != headerSafe(tc.msg) {
				t.Errorf("X-PyPI-Error = %q, want %q", got, headerSafe(tc.msg))
			}
		})
	}
	// Nothing refused was stored: only the two files of demo 1.0 exist.
	entries, _ := os.ReadDir(filepath.Join(ti.dir, "projects", "demo"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"demo-1.0-py3-none-any.whl", "demo-1.0-py3-none-any.whl.json", "demo-1.0-py3-none-any.whl.metadata", "demo-1.0.tar.gz", "demo-1.0.tar.gz.json"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("stored files = %v, want %v", names, want)
	}
	if tmp, _ := os.ReadDir(filepath.Join(ti.dir, "tmp")); len(tmp) != 0 {
		t.Errorf("temp files left behind: %v", tmp)
	}
}

// TestUploadAccepted covers the uploads that succeed.
func TestUploadAccepted(t *testing.T) {
	ti := newTestIndex(t, nil)
	w := wheel(t, "Scoped.Proj", "1.0", disttest.Options{})
	tests := []struct {
		name string
		req  *uploadReq
	}{
		{"scoped token, its project (name spelled differently)", func() *uploadReq {
			r := w.req()
			r.auth = basic("__token__", tokScoped)
			return r
		}()},
		{"identical re-upload", w.req()},
		{"token scheme", func() *uploadReq { r := w.req(); r.auth = "token " + tokAll; return r }()},
		{"bearer scheme", func() *uploadReq { r := w.req(); r.auth = "Bearer " + tokAll; return r }()},
		{"token with spaces around", func() *uploadReq { r := w.req(); r.auth = basic("__token__", "  "+tokAll+"\n"); return r }()},
		{"sdist", sdist(t, "Scoped.Proj", "1.0", disttest.Options{}).req()},
		{"only md5", func() *uploadReq {
			f := wheel(t, "scoped-proj", "1.1", disttest.Options{})
			r := f.req().set("sha256_digest", "").set("blake2_256_digest", "")
			sum := md5Hex(f.data)
			return r.set("md5_digest", strings.ToUpper(sum))
		}()},
		{"UNKNOWN fields dropped", wheel(t, "scoped-proj", "1.2", disttest.Options{}).req().set("summary", " UNKNOWN ")},
		{"protocol_version absent", wheel(t, "scoped-proj", "1.3", disttest.Options{}).req().set("protocol_version", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := tc.req.send(t, ti.url+"/legacy/")
			if code != 200 || body != "" {
				t.Fatalf("got %d %q, want 200 and an empty body", code, body)
			}
		})
	}
	p := ti.srv.store.project("scoped-proj")
	if p == nil || len(p.files) != 5 {
		t.Fatalf("project scoped-proj has %v files, want 5", p)
	}
	if p.name != "scoped-proj" {
		t.Errorf("display name = %q, want the latest upload's name", p.name)
	}
}

func TestLocalVersionsOption(t *testing.T) {
	ti := newTestIndex(t, func(o *Options) { o.AllowLocalVersions = true })
	f := wheel(t, "demo", "1.0+local.1", disttest.Options{})
	ti.mustUpload(t, f)
	if ti.srv.store.lookup("demo", f.filename) == nil {
		t.Fatal("local version not stored")
	}
}

func TestFileTooLarge(t *testing.T) {
	ti := newTestIndex(t, func(o *Options) { o.MaxFileSize = 1 << 20 })
	ti.mustUpload(t, wheel(t, "Big.Project", "0.1", disttest.Options{}))
	for _, tc := range []struct {
		name, project string
		size          int64
		limitMsg      string
	}{
		{"existing project uses its stored name", "big-project", 2 << 20, "Limit for project 'Big.Project' is 1 MB."},
		{"new project", "newproj", 1<<20 + 1, "Limit for project 'newproj' is 1 MB."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := wheel(t, tc.project, "1.0", disttest.Options{PayloadSize: tc.size})
			code, body, _ := f.req().send(t, ti.url+"/legacy/")
			want := "File too large. " + tc.limitMsg + " See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information.\n"
			if code != 400 || body != want {
				t.Fatalf("got %d %q, want 400 %q", code, body, want)
			}
		})
	}
	// Just under the limit is accepted.
	f := wheel(t, "newproj", "1.0", disttest.Options{PayloadSize: 1<<20 - 4096})
	if int64(len(f.data)) > 1<<20 {
		t.Fatalf("test wheel is %d bytes, over the limit", len(f.data))
	}
	ti.mustUpload(t, f)
}

func TestLegacyGetNotAllowed(t *testing.T) {
	ti := newTestIndex(t, nil)
	resp, _ := get(t, ti.url+"/legacy/", "")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET /legacy/ = %d Allow=%q, want 405 POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestNotMultipart(t *testing.T) {
	ti := newTestIndex(t, nil)
	req, _ := http.NewRequest("POST", ti.url+"/legacy/", bytes.NewReader([]byte(`{}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", basic("__token__", tokAll))
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("X-PyPI-Error"), "Invalid upload request: the body must be multipart/form-data") {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Header.Get("X-PyPI-Error"))
	}
}

func TestReleaseUploadWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window time.Duration
		code   int
		msg    string
	}{
		{"PyPI default", 0, 400, "Uploading new files to releases older than 14 days is not allowed."},
		{"configured", 48 * time.Hour, 400, "Uploading new files to releases older than 2 days is not allowed."},
		{"disabled", -1, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			ti := newTestIndex(t, func(o *Options) { o.Now = clk.Now; o.ReleaseUploadWindow = tc.window })
			w := wheel(t, "old", "1.0", disttest.Options{})
			ti.mustUpload(t, w)
			clk.Add(14*24*time.Hour + time.Second)
			ti.mustUpload(t, w) // identical re-upload: still 200
			ti.mustUpload(t, wheel(t, "old", "2.0", disttest.Options{}))
			code, body, _ := sdist(t, "old", "1.0.0", disttest.Options{}).req().send(t, ti.url+"/legacy/")
			if code != tc.code || strings.TrimSuffix(body, "\n") != tc.msg {
				t.Fatalf("got %d %q, want %d %q", code, body, tc.code, tc.msg)
			}
		})
	}
}
