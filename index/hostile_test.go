package index

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/devissuer"
	"github.com/trustpub/trustpub/devissuer/devissuertest"
	"github.com/trustpub/trustpub/publisher"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// dataFiles lists what the data directory holds under projects/ and tmp/.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"projects", "tmp"} {
		filepath.WalkDir(filepath.Join(dir, sub), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				out = append(out, rel)
			}
			return nil
		})
	}
	return out
}

// TestUnstorableNamesThenRestart uploads, with a valid token and a real
// wheel, every kind of filename and field that could not be stored and
// read back byte for byte (the attack that kept the index from starting
// again), and checks that each is a 400 before anything reaches the data
// directory and that the index still starts over that directory.
func TestUnstorableNamesThenRestart(t *testing.T) {
	dir := t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	w := wheel(t, "hostile", "1.0", disttest.Options{})
	disp := func(raw string) string { return `form-data; name="content"; ` + raw }
	tests := []struct {
		name string
		mod  func(*uploadReq)
		msg  string
	}{
		{"invalid UTF-8 in the filename", func(u *uploadReq) {
			u.disposition = disp(`filename="hostile-1.0-py3-none-any` + "\xff" + `.whl"`)
		}, "Invalid filename"},
		{"lone surrogate via filename*=", func(u *uploadReq) {
			u.disposition = disp(`filename*=UTF-8''hostile-1.0-py3-none-any%ED%A0%80.whl`)
		}, "Invalid filename"},
		{"NUL via filename*=", func(u *uploadReq) {
			u.disposition = disp(`filename*=UTF-8''hostile-1.0-py3-none-any%00.whl`)
		}, "Cannot upload a file with non-printable characters"},
		{"newline via filename*=", func(u *uploadReq) {
			u.disposition = disp(`filename*=UTF-8''hostile-1.0-py3-none-any%0A.whl`)
		}, "Cannot upload a file with non-printable characters"},
		{"C1 control character", func(u *uploadReq) {
			u.disposition = disp(`filename*=UTF-8''hostile-1.0-py3-none-any%C2%85.whl`)
		}, "Cannot upload a file with non-printable characters"},
		{"dot-dot", func(u *uploadReq) { u.disposition = disp(`filename=".."`) }, "Invalid filename"},
		{"path separator via filename*=", func(u *uploadReq) {
			u.disposition = disp(`filename*=UTF-8''..%2Fhostile-1.0-py3-none-any.whl`)
		}, "Cannot upload a file with '/'"},
		{"invalid UTF-8 in a field", func(u *uploadReq) { u.set("comment", "bad \xff comment") }, "Invalid value for 'comment': it is not valid UTF-8"},
		{"lone surrogate in a field", func(u *uploadReq) { u.set("summary", "x\xed\xa0\x80") }, "Invalid value for 'summary': it is not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := w.req()
			tc.mod(r)
			code, body, _ := r.send(t, ti.url+"/legacy/")
			if code != 400 || !strings.HasPrefix(body, tc.msg) {
				t.Fatalf("got %d %q, want 400 %q...", code, body, tc.msg)
			}
			if files := dataFiles(t, dir); len(files) != 0 {
				t.Fatalf("the refused upload left %v in the data directory", files)
			}
		})
	}
	// The index starts again over the same directory, and serves.
	ti.http.Close()
	ti.srv.Close()
	again := newTestIndexAt(t, dir, nil)
	again.mustUpload(t, w)
	if resp, _ := get(t, again.url+"/simple/hostile/", ""); resp.StatusCode != 200 {
		t.Fatalf("simple page after restart: %d", resp.StatusCode)
	}
}

// TestOverlongNamesAre400 sends a project name, a version and a filename
// longer than a file system stores: each is a 400 saying so (a 500 would
// make clients retry for minutes), and nothing is stored.
func TestOverlongNamesAre400(t *testing.T) {
	dir := t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	longName := strings.Repeat("a", 250)
	longVersion := "1." + strings.Repeat("0", 300)
	mk := func(name, version string) dfile {
		f := wheel(t, name, version, disttest.Options{Filename: "short.whl"})
		f.filename = disttest.WheelFilename(name, version, disttest.Options{})
		return f
	}
	tests := []struct {
		name string
		f    dfile
		msg  string
	}{
		// The name and version fields are checked even when the file's
		// name is short.
		{"project name of 250 bytes", shortFile(mk(longName, "1.0")), "Invalid value for name: 'aaaa"},
		{"version of 302 bytes", shortFile(mk("short", longVersion)), "Invalid value for version: '1.00"},
		{"filename of 271 bytes (long project name)", mk(longName, "1.0"), "Filename too long:"},
		{"filename of 271 bytes", func() dfile {
			f := mk("short", "1.0")
			f.filename = "short-1.0-py3-none-" + strings.Repeat("x", 248) + ".whl"
			return f
		}(), "Filename too long:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := tc.f.req().send(t, ti.url+"/legacy/")
			if code != 400 || !strings.HasPrefix(body, tc.msg) {
				t.Fatalf("got %d %q, want 400 %q...", code, body, tc.msg)
			}
			if files := dataFiles(t, dir); len(files) != 0 {
				t.Fatalf("left %v", files)
			}
		})
	}
	// The longest name that fits is stored and served.
	fits := mk(strings.Repeat("b", maxNameBytes-len("-1.0-py3-none-any.whl")), "1.0")
	ti.mustUpload(t, fits)
}

func shortFile(f dfile) dfile { f.filename = "short-1.0-py3-none-any.whl"; return f }

// TestNosniffEverywhere checks X-Content-Type-Options on every kind of
// answer, successes and errors, of every route.
func TestNosniffEverywhere(t *testing.T) {
	ti := newTestIndex(t, nil)
	f := wheel(t, "sniff", "1.0", disttest.Options{})
	ti.mustUpload(t, f)
	for _, path := range []string{
		"/", "/simple/", "/simple", "/simple/sniff/", "/simple/nothing/", "/files/sniff/" + f.filename,
		"/files/sniff/" + f.filename + ".metadata", "/files/sniff/missing.whl", "/legacy/", "/_/oidc/audience", "/no/such/route",
	} {
		resp, _ := get(t, ti.url+path, "")
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s (%d): X-Content-Type-Options = %q", path, resp.StatusCode, got)
		}
	}
	_, _, h := f.req().send(t, ti.url+"/legacy/")
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("upload answer without nosniff")
	}
}

// TestPendingPublisherAtUpload: two pending publishers of one project both
// mint tokens before it exists; once one of them creates it, the other's
// token no longer uploads to it. A pending token also stops when an API
// token creates the project after the mint.
func TestPendingPublisherAtUpload(t *testing.T) {
	iss := devissuertest.Serve(t, devissuertest.Key())
	pend := func(project, repo string) publisher.GitHub {
		return publisher.GitHub{Project: project, Owner: "octo", Repository: repo, Workflow: "release.yml", Issuer: iss.URL(), Pending: true}
	}
	ti := newTestIndex(t, func(o *Options) {
		o.Publishers = publisher.Publishers{GitHub: []publisher.GitHub{
			pend("pend-demo", "first"), pend("pend-demo", "second"), pend("pend-two", "third"),
		}}
	})
	mint := func(repo string) string {
		t.Helper()
		jwt, err := iss.GitHubToken(devissuer.GitHubIdentity{Owner: "octo", Repository: repo, Workflow: "release.yml", Issuer: iss.URL()})
		if err != nil {
			t.Fatal(err)
		}
		return ti.mint(t, jwt)
	}
	first, second, third := mint("first"), mint("second"), mint("third")
	steps := []struct {
		name  string
		token string
		f     dfile
		code  int
		msg   string
	}{
		{"first pending publisher creates the project", first, wheel(t, "pend-demo", "1.0", disttest.Options{}), 200, ""},
		{"the other pending publisher's token is refused", second, wheel(t, "pend-demo", "1.1", disttest.Options{}), 403, "The given token was minted for a pending trusted publisher"},
		{"the creator keeps uploading", first, wheel(t, "pend-demo", "1.2", disttest.Options{}), 200, ""},
		{"an API token creates the other project", tokAll, wheel(t, "pend-two", "1.0", disttest.Options{}), 200, ""},
		{"the pending token minted before is refused", third, wheel(t, "pend-two", "1.1", disttest.Options{}), 403, "The given token was minted for a pending trusted publisher"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := st.f.req()
			r.auth = basic("__token__", st.token)
			code, body, _ := r.send(t, ti.url+"/legacy/")
			if code != st.code || !strings.HasPrefix(body, st.msg) {
				t.Fatalf("got %d %q, want %d %q", code, body, st.code, st.msg)
			}
		})
	}
}

// TestAnonymousUploadAnsweredBeforeBody: a client that waits for "100
// Continue" before sending its body gets the 403 straight away, and its
// body is never asked for.
func TestAnonymousUploadAnsweredBeforeBody(t *testing.T) {
	ti := serveLimited(t, Limits{})
	for _, tc := range []struct{ name, auth, want string }{
		// The refusal is in the status line, as PyPI sends it.
		{"anonymous", "", "HTTP/1.1 403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."},
		{"password instead of a token", "Authorization: " + basic("someone", "secret") + "\r\n", "HTTP/1.1 403 Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers"},
		{"unknown token", "Authorization: " + basic("__token__", "pypi-unknown") + "\r\n", "HTTP/1.1 403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."},
		{"valid token: asked for the body", "Authorization: " + basic("__token__", tokAll) + "\r\n", "HTTP/1.1 100 Continue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialIndex(t, ti.url)
			fmt.Fprintf(c, "POST /legacy/ HTTP/1.1\r\nHost: index\r\n%sContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", tc.auth, 16<<20)
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || strings.TrimSpace(line) != tc.want {
				t.Fatalf("first line %q (%v), want %q", line, err, tc.want)
			}
		})
	}
}
