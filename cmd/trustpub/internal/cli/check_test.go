package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// TestCheckWarningsStrictJSON runs the built binary's check on files
// twine check warns about: warnings are shown and do not fail the check;
// --strict makes them fail it; --json gives each problem with its code.
func TestCheckWarningsStrictJSON(t *testing.T) {
	dir := t.TempDir()
	// disttest's default description has no Description-Content-Type.
	disttest.BuildWheel(t, dir, "warned", "1.0", disttest.Options{})
	disttest.BuildSdist(t, dir, "bare", "1.0", disttest.Options{Metadata: []byte("Metadata-Version: 2.1\nName: bare\nVersion: 1.0\n")})

	r := run(t, nil, "check", dir)
	if r.code != 0 {
		t.Fatalf("check exit %d, want 0\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"2 warning(s)", "(description-content-type-missing)", "(description-missing)", "warned-1.0-py3-none-any.whl: ok"} {
		if !strings.Contains(r.stderr+r.stdout, want) {
			t.Errorf("output lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}

	r = run(t, nil, "check", "--strict", dir)
	if r.code != 3 || !strings.Contains(r.stderr, "2 problem(s) found") {
		t.Fatalf("check --strict exit %d, want 3\n%s", r.code, r.stderr)
	}

	for _, tc := range []struct {
		args   []string
		ok     bool
		code   int
		sev    string
		nFiles int
	}{
		{[]string{"check", "--json", dir}, true, 0, "warning", 2},
		{[]string{"check", "--json", "--strict", dir}, false, 3, "warning", 0},
	} {
		r := run(t, nil, tc.args...)
		var out struct {
			OK    bool `json:"ok"`
			Files []struct {
				Path, Name string
			} `json:"files"`
			Problems []struct {
				Code, Severity, Path, Field, Message string
			} `json:"problems"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, r.stdout)
		}
		if r.code != tc.code || out.OK != tc.ok || len(out.Files) != tc.nFiles || len(out.Problems) != 2 {
			t.Fatalf("%v: exit %d, %+v", tc.args, r.code, out)
		}
		codes := map[string]string{}
		for _, p := range out.Problems {
			codes[p.Code] = p.Severity + " " + p.Field
		}
		if codes["description-content-type-missing"] != "warning Description-Content-Type" || codes["description-missing"] != "warning Description" {
			t.Errorf("%v: problems %v", tc.args, codes)
		}
	}
}

// TestCheckRulesProfile: a non-normalised sdist filename (as older
// setuptools wrote them) is an error under PyPI's rules (the default) and
// a warning under another index's.
func TestCheckRulesProfile(t *testing.T) {
	dir := t.TempDir()
	disttest.BuildSdist(t, dir, "My.Cool_Pkg", "1.0", disttest.Options{Filename: "My.Cool_Pkg-1.0.tar.gz", Fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/markdown"}}})
	r := run(t, nil, "check", dir)
	if r.code != 3 || !strings.Contains(r.stderr, "should be 'my_cool_pkg-1.0.tar.gz'") || !strings.Contains(r.stderr, "(filename-not-normalized)") {
		t.Fatalf("check (PyPI rules): exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, nil, "check", "--rules", "index", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "1 warning(s)") || !strings.Contains(r.stderr, "(filename-not-normalized)") {
		t.Fatalf("check --rules index: exit %d\n%s", r.code, r.stderr)
	}
	if r = run(t, nil, "check", "--rules", "other", dir); r.code == 0 {
		t.Fatalf("check --rules other: exit 0, want a usage error")
	}
}

// TestCheckAndPublishKnowTheIndexState: with a check URL, check and
// publish report a filename already used by other contents before any
// byte is sent (the index would answer "File already exists").
func TestCheckAndPublishKnowTheIndexState(t *testing.T) {
	s := startServer(t, "--token-file", writeTokenFile(t, "pypi-x"))
	md := disttest.Options{Fields: []disttest.Field{{Name: "Description-Content-Type", Value: "text/markdown"}}}
	first := t.TempDir()
	disttest.BuildWheel(t, first, "stateful", "1.0", md)
	if r := run(t, []string{"TRUSTPUB_TOKEN=pypi-x"}, "publish", "--publish-url", s.base+"/legacy/", first); r.code != 0 {
		t.Fatalf("first publish: %d\n%s", r.code, r.stderr)
	}
	// Warnings are shown by publish and do not block it.
	warned := t.TempDir()
	disttest.BuildWheel(t, warned, "warned-pub", "1.0", disttest.Options{})
	if r := run(t, []string{"TRUSTPUB_TOKEN=pypi-x"}, "publish", "--publish-url", s.base+"/legacy/", warned); r.code != 0 || !strings.Contains(r.stderr, "(description-content-type-missing)") {
		t.Fatalf("publish with a warning: %d\n%s", r.code, r.stderr)
	}
	if got := projectFiles(t, s, "warned-pub"); len(got) != 1 {
		t.Fatalf("the warned file was not uploaded: %v", got)
	}
	// Check against the index: the same file again is fine.
	if r := run(t, nil, "check", "--check-url", s.base+"/simple/", first); r.code != 0 {
		t.Fatalf("check of the published file: %d\n%s", r.code, r.stderr)
	}
	second := t.TempDir()
	md.Description = "different bytes"
	disttest.BuildWheel(t, second, "stateful", "1.0", md)
	r := run(t, nil, "check", "--check-url", s.base+"/simple/", second)
	if r.code != 3 || !strings.Contains(r.stderr, "(file-exists)") || !strings.Contains(r.stderr, "a filename can never be reused") {
		t.Fatalf("check --check-url: exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, []string{"TRUSTPUB_TOKEN=pypi-x"}, "publish", "--publish-url", s.base+"/legacy/", "--check-url", s.base+"/simple/", second)
	if r.code != 3 || !strings.Contains(r.stderr, "nothing was uploaded") || !strings.Contains(r.stderr, "(file-exists)") {
		t.Fatalf("publish --check-url: exit %d\n%s", r.code, r.stderr)
	}
}
