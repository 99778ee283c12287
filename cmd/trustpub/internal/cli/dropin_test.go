package cli

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
	"github.com/trustpub/trustpub/trustedpublishing"
)

func TestLookupIndex(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(`[project]
name = "x"

[[tool.uv.index]]
name = "private"
url = "https://private.example/simple/"
publish-url = "https://private.example/legacy/"

[[tool.uv.index]]
name = "mirror"
url = "https://mirror.example/simple/"
`), 0o644)
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "pyproject.toml"), []byte("[[tool.uv.index]]\nname = \n"), 0o644)
	for _, tc := range []struct {
		name, flag, dir string
		env             map[string]string
		publish, check  string
		err             string
	}{
		{name: "entry", flag: "private", dir: dir, publish: "https://private.example/legacy/", check: "https://private.example/simple/"},
		{name: "from UV_PUBLISH_INDEX", dir: dir, env: map[string]string{"UV_PUBLISH_INDEX": "private"}, publish: "https://private.example/legacy/"},
		{name: "pypi is known", flag: "pypi", dir: dir},
		{name: "pypi without pyproject", flag: "testpypi", dir: t.TempDir()},
		{name: "none", dir: dir},
		{name: "no publish-url", flag: "mirror", dir: dir, err: `entry "mirror" in ` + filepath.Join(dir, "pyproject.toml") + " has no publish-url"},
		{name: "unknown", flag: "nope", dir: dir, err: "no such index: give pypi or testpypi, or add a [[tool.uv.index]] entry with name = \"nope\" and publish-url to " + filepath.Join(dir, "pyproject.toml") + " (it names mirror, private)"},
		{name: "unknown, no file", flag: "nope", dir: t.TempDir(), err: "(there is none)"},
		{name: "bad TOML", flag: "x", dir: bad, err: filepath.Join(bad, "pyproject.toml") + ":2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx, err := lookupIndex(tc.flag, tc.dir, envOf(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.flag == "" && tc.env == nil {
				if idx != nil {
					t.Fatalf("idx = %+v", idx)
				}
				return
			}
			if idx.publishURL != tc.publish || (tc.check != "" && idx.checkURL != tc.check) {
				t.Fatalf("idx = %+v", idx)
			}
		})
	}
}

func TestUVIndexCredentials(t *testing.T) {
	env := envOf(map[string]string{"UV_INDEX_MY_INDEX_2_USERNAME": "bob", "UV_INDEX_MY_INDEX_2_PASSWORD": "pw-secret"})
	user, pass, src := uvIndexCredentials("my-index.2", env)
	if user != "bob" || pass.Reveal() != "pw-secret" || src != "UV_INDEX_MY_INDEX_2_PASSWORD" {
		t.Fatalf("%q %q", user, src)
	}
	if _, pass, _ := uvIndexCredentials("other", env); !pass.IsZero() {
		t.Fatal("credentials for another index")
	}
}

// TestSameNames: the same file given from two places is sent once; two
// different files under one name are refused, each named.
func TestSameNames(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	open := func(p string) *pydist.File {
		f, err := pydist.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	w1 := open(disttest.BuildWheel(t, a, "dup", "1.0", disttest.Options{}))
	w2 := open(disttest.BuildWheel(t, b, "dup", "1.0", disttest.Options{}))
	w3 := open(disttest.BuildWheel(t, c, "dup", "1.0", disttest.Options{Description: "other"}))
	s := open(disttest.BuildSdist(t, a, "dup", "1.0", disttest.Options{}))
	var out bytes.Buffer
	files, problems := sameNames(&out, []*pydist.File{w1, s, w2})
	if len(files) != 2 || files[0] != w1 || files[1] != s || len(problems) != 0 || !strings.Contains(out.String(), "skipping "+w2.Path+": the same file as "+w1.Path) {
		t.Fatalf("files %d problems %v out %q", len(files), problems, out.String())
	}
	files, problems = sameNames(&out, []*pydist.File{w1, w3, s})
	if len(files) != 1 || len(problems) != 2 || problems[0].Path != w1.Path || problems[1].Path != w3.Path || !strings.Contains(problems[0].Message, "2 files named dup-1.0-py3-none-any.whl differ") {
		t.Fatalf("files %d problems %+v", len(files), problems)
	}
}

func TestWithPublisherLinks(t *testing.T) {
	f, err := pydist.Open(disttest.BuildWheel(t, t.TempDir(), "My_Proj", "1.0", disttest.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	me := &trustedpublishing.MintError{Host: "pypi.org", StatusCode: 422, Errors: []trustedpublishing.Refusal{{Code: "invalid-publisher", Description: "valid token, but no corresponding publisher"}},
		Claims: map[string]any{"iss": "https://token.actions.githubusercontent.com", "repository": "octo/proj", "repository_owner": "octo", "job_workflow_ref": "octo/proj/.github/workflows/release.yml@refs/tags/v1"}}
	pypi, _ := url.Parse("https://upload.pypi.org/legacy/")
	local, _ := url.Parse("http://127.0.0.1:8000/legacy/")
	err = withPublisherLinks(withCode(ExitCredentials, me), Target{PublishURL: pypi}, []*pydist.File{f})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitCredentials || !errors.As(err, &me) ||
		!strings.Contains(err.Error(), "  https://pypi.org/manage/project/my-proj/settings/publishing/?owner=octo&provider=github&repository=proj&workflow_filename=release.yml") ||
		!strings.Contains(err.Error(), "https://pypi.org/manage/account/publishing/") {
		t.Fatalf("err = %v", err)
	}
	if err := withPublisherLinks(me, Target{PublishURL: local}, []*pydist.File{f}); err != me {
		t.Errorf("links for an index that is not PyPI: %v", err)
	}
	me.Errors[0].Code = "invalid-token"
	if err := withPublisherLinks(me, Target{PublishURL: pypi}, []*pydist.File{f}); err != me {
		t.Errorf("links for another refusal: %v", err)
	}
}

func TestTrustedPublishingMode(t *testing.T) {
	for _, tc := range []struct {
		flag, env, want string
		bad             bool
	}{
		{"automatic", "", "automatic", false},
		{"automatic", "never", "never", false},
		{"always", "never", "always", false},
		{"automatic", "sometimes", "", true},
	} {
		c := &publishCmd{TargetFlags: TargetFlags{TrustedPublishing: tc.flag}}
		got, err := c.trustedPublishingMode(envOf(map[string]string{"UV_PUBLISH_TRUSTED_PUBLISHING": tc.env}))
		if got != tc.want || (err != nil) != tc.bad {
			t.Errorf("%+v: %q %v", tc, got, err)
		}
	}
}

func TestConnFlagsErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	for _, tc := range []struct {
		c    connFlags
		env  map[string]string
		want string
	}{
		{connFlags{Cert: filepath.Join(dir, "missing.pem")}, nil, "CA bundle from --cert"},
		{connFlags{}, map[string]string{"TWINE_CERT": notPEM}, "(from TWINE_CERT) holds no PEM certificate"},
		{connFlags{ClientCert: notPEM}, nil, "must hold the certificate and its private key"},
	} {
		if _, err := tc.c.httpClient(envOf(tc.env)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
	if hc, err := (connFlags{}).httpClient(envOf(nil)); hc != nil || err != nil {
		t.Errorf("no flags: %v %v", hc, err)
	}
}

func TestDescribeCheckURLOtherProject(t *testing.T) {
	dir := t.TempDir()
	a, _ := pydist.Open(disttest.BuildWheel(t, dir, "alpha", "1.0", disttest.Options{}))
	b, _ := pydist.Open(disttest.BuildWheel(t, dir, "beta", "1.0", disttest.Options{}))
	var out bytes.Buffer
	err := describeCheckURL(&out, "https://idx.example/simple/alpha/", []*pydist.File{a, b}, false)
	if err == nil || !strings.Contains(err.Error(), "is the page of project alpha, but the files include project beta: give the index root (here probably https://idx.example/simple/)") {
		t.Fatalf("err = %v", err)
	}
}
