package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/secret"
)

func envOf(kv map[string]string) Env {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestResolveTargetPrecedence(t *testing.T) {
	home := t.TempDir()
	rc := filepath.Join(home, ".pypirc")
	if err := os.WriteFile(rc, []byte(`[distutils]
index-servers =
    pypi
    private

[pypi]
username = __token__
password = pypi-from-rc

[private]
repository = https://private.example/legacy/
username = alice
password = rc-secret
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                        string
		flags                       TargetFlags
		env                         map[string]string
		wantURL, wantUser, wantPass string
		wantCredSource, wantURLSrc  string
		wantCheck                   string
	}{
		{name: "defaults to PyPI and .pypirc [pypi]",
			wantURL: "https://upload.pypi.org/legacy/", wantUser: "__token__", wantPass: "pypi-from-rc",
			wantCredSource: ".pypirc [pypi] password", wantURLSrc: "default (PyPI)", wantCheck: "https://pypi.org/simple/"},
		{name: "flag token beats env and rc",
			flags: TargetFlags{Token: secret.New("pypi-flag")}, env: map[string]string{"TRUSTPUB_TOKEN": "pypi-env"},
			wantURL: "https://upload.pypi.org/legacy/", wantUser: "__token__", wantPass: "pypi-flag", wantCredSource: "--token", wantURLSrc: "default (PyPI)", wantCheck: "https://pypi.org/simple/"},
		{name: "env token beats rc",
			env:     map[string]string{"TRUSTPUB_TOKEN": "pypi-env", "UV_PUBLISH_TOKEN": "pypi-uv"},
			wantURL: "https://upload.pypi.org/legacy/", wantUser: "__token__", wantPass: "pypi-env", wantCredSource: "TRUSTPUB_TOKEN", wantURLSrc: "default (PyPI)", wantCheck: "https://pypi.org/simple/"},
		{name: "uv token",
			env:     map[string]string{"UV_PUBLISH_TOKEN": "pypi-uv", "UV_PUBLISH_URL": "http://127.0.0.1:9/legacy/"},
			wantURL: "http://127.0.0.1:9/legacy/", wantUser: "__token__", wantPass: "pypi-uv", wantCredSource: "UV_PUBLISH_TOKEN", wantURLSrc: "UV_PUBLISH_URL"},
		{name: "twine username and password",
			env:     map[string]string{"TWINE_USERNAME": "bob", "TWINE_PASSWORD": "pw", "TWINE_REPOSITORY_URL": "https://idx.example/legacy/"},
			wantURL: "https://idx.example/legacy/", wantUser: "bob", wantPass: "pw", wantCredSource: "TWINE_PASSWORD", wantURLSrc: "TWINE_REPOSITORY_URL"},
		{name: "repository section gives URL and credentials",
			flags:   TargetFlags{Repository: "private"},
			wantURL: "https://private.example/legacy/", wantUser: "alice", wantPass: "rc-secret", wantCredSource: ".pypirc [private] password"},
		{name: "index testpypi",
			flags:   TargetFlags{Index: "testpypi", Token: secret.New("pypi-t")},
			wantURL: "https://test.pypi.org/legacy/", wantUser: "__token__", wantPass: "pypi-t", wantCredSource: "--token", wantURLSrc: "--index testpypi", wantCheck: "https://test.pypi.org/simple/"},
		{name: "flag URL beats env URL, and PyPI's .pypirc token does not follow it",
			flags:   TargetFlags{PublishURL: "https://flag.example/legacy/"},
			env:     map[string]string{"TRUSTPUB_PUBLISH_URL": "https://env.example/legacy/"},
			wantURL: "https://flag.example/legacy/", wantUser: "", wantPass: "", wantCredSource: "", wantURLSrc: "--publish-url"},
		{name: "env URL gets no .pypirc credential of another index",
			env:     map[string]string{"TWINE_REPOSITORY_URL": "https://other.example/legacy/"},
			wantURL: "https://other.example/legacy/", wantUser: "", wantPass: "", wantCredSource: "", wantURLSrc: "TWINE_REPOSITORY_URL"},
		{name: "--index beats TWINE_REPOSITORY; the private section's password does not go to TestPyPI",
			flags:   TargetFlags{Index: "testpypi"},
			env:     map[string]string{"TWINE_REPOSITORY": "private"},
			wantURL: "https://test.pypi.org/legacy/", wantUser: "", wantPass: "", wantCredSource: "", wantURLSrc: "--index testpypi", wantCheck: "https://test.pypi.org/simple/"},
		{name: "TWINE_REPOSITORY picks the section",
			env:     map[string]string{"TWINE_REPOSITORY": "private"},
			wantURL: "https://private.example/legacy/", wantUser: "alice", wantPass: "rc-secret", wantCredSource: ".pypirc [private] password"},
		{name: "--username beats the section's username",
			flags:   TargetFlags{Repository: "private", Username: "bob"},
			wantURL: "https://private.example/legacy/", wantUser: "bob", wantPass: "rc-secret", wantCredSource: ".pypirc [private] password"},
		{name: "explicit URL equal to the section's gets its credentials",
			flags:   TargetFlags{PublishURL: "https://upload.pypi.org/legacy"},
			wantURL: "https://upload.pypi.org/legacy", wantUser: "__token__", wantPass: "pypi-from-rc", wantCredSource: ".pypirc [pypi] password", wantURLSrc: "--publish-url", wantCheck: "https://pypi.org/simple/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveTarget(tc.flags, envOf(tc.env), home)
			if err != nil {
				t.Fatal(err)
			}
			if got.PublishURL.String() != tc.wantURL || got.Username != tc.wantUser || got.Password.Reveal() != tc.wantPass {
				t.Errorf("got %s %s %q", got.PublishURL, got.Username, got.Password.Reveal())
			}
			if !strings.HasSuffix(got.CredSource, tc.wantCredSource) || (tc.wantCredSource == "" && got.CredSource != "") {
				t.Errorf("CredSource = %q, want suffix %q", got.CredSource, tc.wantCredSource)
			}
			if tc.wantURLSrc != "" && !strings.HasSuffix(got.URLSource, tc.wantURLSrc) {
				t.Errorf("URLSource = %q, want %q", got.URLSource, tc.wantURLSrc)
			}
			if got.CheckURL != tc.wantCheck {
				t.Errorf("CheckURL = %q, want %q", got.CheckURL, tc.wantCheck)
			}
		})
	}
}

func TestResolveTargetErrors(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		name  string
		flags TargetFlags
		env   map[string]string
		want  string
	}{
		{"unknown repository", TargetFlags{Repository: "nope"}, nil, `repository "nope" (from --repository) not found`},
		{"unknown TWINE_REPOSITORY", TargetFlags{}, map[string]string{"TWINE_REPOSITORY": "nope"}, `(from TWINE_REPOSITORY)`},
		{"--repository with --index", TargetFlags{Repository: "pypi", Index: "testpypi"}, nil, "names the index already"},
		{"--index with --publish-url", TargetFlags{Index: "pypi", PublishURL: "https://x/legacy/"}, nil, "give one of them"},
		{"missing explicit config", TargetFlags{ConfigFile: filepath.Join(home, "missing")}, nil, "reading config file"},
		{"bad scheme", TargetFlags{PublishURL: "ftp://x/"}, nil, "must be an absolute http(s) URL"},
		{"credentials in URL", TargetFlags{PublishURL: "https://u:SECRETPW@x/legacy/"}, nil, "contains credentials"},
		{"newline in token", TargetFlags{}, map[string]string{"TRUSTPUB_TOKEN": "pypi-x\n"}, "line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolveTarget(tc.flags, envOf(tc.env), home)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRETPW") {
				t.Fatalf("secret leaked: %v", err)
			}
		})
	}
}

func TestPypircSyntaxErrorDoesNotLeak(t *testing.T) {
	home := t.TempDir()
	rc := filepath.Join(home, ".pypirc")
	os.WriteFile(rc, []byte("[pypi\npassword = pypi-LEAKME\n"), 0o600)
	_, err := resolveTarget(TargetFlags{}, envOf(nil), home)
	if err == nil {
		t.Fatal("want error")
	}
	if strings.Contains(err.Error(), "LEAKME") {
		t.Fatalf("leak: %v", err)
	}
}
