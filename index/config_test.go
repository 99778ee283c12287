package index

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"100MiB", 100 << 20, ""},
		{"2GiB", 2 << 30, ""},
		{"512kib", 512 << 10, ""},
		{"10MB", 10_000_000, ""},
		{"1048576", 1 << 20, ""},
		{" 7 B ", 7, ""},
		{"", 0, "is not a number"},
		{"1.5GiB", 0, "is not a number"},
		{"-1", 0, "is not a number"},
		{"0", 0, "must be more than zero"},
		{"100 potatoes", 0, `unknown unit "potatoes"`},
		{"99999999999GiB", 0, "too large"},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSize(%q) = %d, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

const fullConfig = `# trustpub serve configuration
audience = "testpypi"
max_file_size = "20MiB"
allow_local_versions = true
minted_token_lifetime = "5m"
release_upload_window = "720h"

[[tokens]]
name = "ci"
token_file = "ci.token"
projects = ["Example.Pkg"]

[[tokens]]
name = "admin"
token = "pypi-admin-secret"

[[publishers.github]]
project = "example-pkg"
owner = "octo-org"
repository = "example"
workflow = "release.yml"
environment = "pypi"

[[publishers.gitlab]]
project = "example-pkg"
namespace = "group/sub"
repository = "example"
workflow_filepath = ".gitlab-ci.yml"
`

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trustpub.toml")
	os.WriteFile(path, []byte(fullConfig), 0o600)
	os.WriteFile(filepath.Join(dir, "ci.token"), []byte("  pypi-ci-secret\n"), 0o600)
	opts, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Audience != "testpypi" || opts.MaxFileSize != 20<<20 || !opts.AllowLocalVersions || opts.MintedTokenLifetime != 5*time.Minute || opts.ReleaseUploadWindow != 720*time.Hour {
		t.Errorf("options: %+v", opts)
	}
	if len(opts.Tokens) != 2 || opts.Tokens[0].Token.Reveal() != "pypi-ci-secret" || opts.Tokens[0].Projects[0] != "Example.Pkg" ||
		opts.Tokens[1].Name != "admin" || opts.Tokens[1].Token.Reveal() != "pypi-admin-secret" || opts.Tokens[1].Projects != nil {
		t.Errorf("tokens: %+v", opts.Tokens)
	}
	if len(opts.Publishers.GitHub) != 1 || opts.Publishers.GitHub[0].Environment != "pypi" || len(opts.Publishers.GitLab) != 1 || opts.Publishers.GitLab[0].Namespace != "group/sub" {
		t.Errorf("publishers: %+v", opts.Publishers)
	}
	// The options start a working server with trusted publishing on.
	opts.DataDir = t.TempDir()
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.opts.Verifier == nil || srv.opts.Verifier.Audience() != "testpypi" {
		t.Error("trusted publishing not enabled from the config")
	}

	if _, err := LoadConfig(filepath.Join(dir, "missing.toml")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	files := map[string][]byte{"/etc/tp/empty.token": []byte("\n"), "/etc/tp/ok.token": []byte("pypi-x")}
	readFile := func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return b, nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	tests := []struct {
		name, config, want string
	}{
		{"unknown key", "audience = \"pypi\"\nmax_filesize = \"1MiB\"\n",
			`/etc/tp/c.toml:2:1: unknown key "max_filesize"`},
		{"unknown token key", "[[tokens]]\nname = \"a\"\ntoken = \"x\"\nprojetcs = [\"a\"]\n",
			`/etc/tp/c.toml:4:1: unknown key "tokens.projetcs"`},
		{"unknown publisher key", "[[publishers.github]]\nproject = \"x\"\nowner = \"o\"\nrepository = \"r\"\nworkflow = \"w.yml\"\nenvironmnt = \"x\"\n",
			`/etc/tp/c.toml:6:1: unknown key "publishers.github.environmnt"`},
		{"bad size", "\nmax_file_size = \"100 potatoes\"\n", `/etc/tp/c.toml:2:17: max_file_size: size "100 potatoes" has an unknown unit "potatoes"`},
		{"size of the wrong type", "max_file_size = true\n", `/etc/tp/c.toml:1: max_file_size must be a size like "100MiB" or a number of bytes`},
		{"duration as a number", "\nminted_token_lifetime = 5\n", `/etc/tp/c.toml:2: minted_token_lifetime must be a duration in quotes like "15m"`},
		{"bool as a string", "allow_local_versions = \"yes\"\n", `/etc/tp/c.toml:1: allow_local_versions must be true or false`},
		{"window", "release_upload_window = \"-1h\"\n", `/etc/tp/c.toml:1:25: release_upload_window: "-1h" must be positive`},
		{"negative size", "max_file_size = -5\n", `/etc/tp/c.toml:1: max_file_size is -5: it must be positive`},
		{"bad duration", "minted_token_lifetime = \"soon\"\n", `/etc/tp/c.toml:1:25: minted_token_lifetime: "soon" is not a duration`},
		{"syntax", "audience = \n", `/etc/tp/c.toml:1:12: unexpected character`},
		{"blank audience", "audience = \" \"\n", `/etc/tp/c.toml:1: audience is blank`},
		{"token without name", "\n[[tokens]]\ntoken = \"x\"\n", `/etc/tp/c.toml:2: tokens[0]: name is missing`},
		{"token without value", "[[tokens]]\nname = \"a\"\n", `/etc/tp/c.toml:1: tokens[0] ("a"): no token: set token = "..." or token_file = "FILE"`},
		{"both token and file", "[[tokens]]\nname = \"a\"\ntoken = \"x\"\ntoken_file = \"ok.token\"\n", `tokens[0] ("a"): both token and token_file are set`},
		{"missing token file", "[[tokens]]\nname = \"a\"\ntoken_file = \"nope.token\"\n", `tokens[0] ("a"): token_file: open /etc/tp/nope.token`},
		{"empty token file", "[[tokens]]\nname = \"a\"\ntoken_file = \"empty.token\"\n", `token_file /etc/tp/empty.token is empty`},
		{"duplicate names", "[[tokens]]\nname = \"a\"\ntoken = \"x\"\n\n[[tokens]]\nname = \"a\"\ntoken = \"y\"\n", `/etc/tp/c.toml:5: tokens[1] ("a"): name is also used by tokens[0]`},
		{"token with space", "[[tokens]]\nname = \"a\"\ntoken = \"two words\"\n", `the token contains whitespace`},
		{"bad project", "[[tokens]]\nname = \"a\"\ntoken = \"x\"\nprojects = [\"-x\"]\n", `projects[0] "-x" is not a project name`},
		{"bad publisher", "[[publishers.github]]\nproject = \"x\"\nowner = \"o\"\nrepository = \"r\"\nworkflow = \"w.yml\"\n\n[[publishers.github]]\nproject = \"x\"\nowner = \"o\"\nrepository = \"r/x\"\nworkflow = \"w.yml\"\n",
			`/etc/tp/c.toml:7: trusted publisher github[1] (project "x"): repository "r/x" contains '/'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("/etc/tp/c.toml", []byte(tc.config), readFile)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "pypi-x") {
				t.Errorf("error shows a token: %v", err)
			}
		})
	}
}
