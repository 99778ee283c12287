package pydist_test

import (
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist"
)

// oracleScript answers, one JSON line per request, what the Python
// packaging library (vendored in Debian's pip wheel) makes of a version,
// project name or distribution filename: the reference for PyPI's rules.
const oracleScript = `
import sys, json
import email.parser, email.policy
from pip._vendor.packaging import version, utils
for line in sys.stdin:
    req = json.loads(line)
    kind, s = req["kind"], req["s"]
    out = None
    try:
        if kind == "version":
            out = str(version.Version(s))
        elif kind == "name":
            out = utils.canonicalize_name(s)
        elif kind == "wheel":
            name, ver, build, tags = utils.parse_wheel_filename(s)
            out = [name, str(ver), "".join(str(x) for x in build)]
        elif kind == "email":
            msg = email.parser.Parser(policy=email.policy.compat32).parsestr(s)
            out = [[[k, v] for k, v in msg.items()], msg.get_payload()]
        elif kind == "sdist":
            name, ver = utils.parse_sdist_filename(s)
            out = [name, str(ver)]
    except (version.InvalidVersion, utils.InvalidWheelFilename, utils.InvalidSdistFilename):
        out = None
    print(json.dumps(out), flush=True)
`

// askPackaging runs the oracle over every request in one python3 process.
func askPackaging(t *testing.T, reqs []map[string]string) []json.RawMessage {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed; the packaging cross-check needs it")
	}
	wheels, _ := filepath.Glob(filepath.Join(debianWheels, "pip-*.whl"))
	if len(wheels) == 0 {
		t.Skip("no pip wheel in " + debianWheels + " (apt-get install -y python3-pip-whl)")
	}
	return pydist.AskPythonOracle[json.RawMessage](t, py, []string{"PYTHONPATH=" + wheels[0]}, oracleScript, reqs)
}

// versionCandidates builds version-like strings from PEP 440's pieces, so
// that most are near misses: valid and invalid spellings side by side.
func versionCandidates(n int) []string {
	pieces := []string{"v", "V", "1", "0", "01", "2024", ".", ".", "!", "a", "A", "alpha", "b", "beta", "c", "rc", "RC",
		"pre", "preview", "post", "rev", "r", "dev", "DEV", "-", "_", "+", "local", "x", "9", " ", "..", "*"}
	r := rand.New(rand.NewPCG(440, 440))
	out := []string{"1.0", "1!0", "0!0.0", "1.0-1", "1.0a1-1", "1.0.post-1", "1.0+a-b_c.d", "v1.0"}
	for range n {
		var b strings.Builder
		if r.IntN(2) == 0 {
			b.WriteString("1")
		}
		for range 1 + r.IntN(7) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		out = append(out, b.String())
	}
	return out
}

func TestVersionMatchesPackaging(t *testing.T) {
	cands := versionCandidates(4000)
	var reqs []map[string]string
	for _, s := range cands {
		reqs = append(reqs, map[string]string{"kind": "version", "s": s})
	}
	res := askPackaging(t, reqs)
	valid := 0
	for i, s := range cands {
		var want *string
		json.Unmarshal(res[i], &want)
		v, err := pydist.ParseVersion(s)
		switch {
		case want == nil && err == nil:
			t.Errorf("ParseVersion(%q) = %q, packaging refuses it", s, v)
		case want != nil && err != nil:
			t.Errorf("ParseVersion(%q): %v; packaging gives %q", s, err, *want)
		case want != nil && v.String() != *want:
			t.Errorf("ParseVersion(%q) = %q, packaging gives %q", s, v, *want)
		case want != nil:
			valid++
		}
	}
	if valid < 300 || valid > len(cands)-300 {
		t.Errorf("only %d of %d candidates valid: the generator needs a better mix", valid, len(cands))
	}
	t.Logf("%d candidates, %d valid, all agree with packaging", len(cands), valid)
}

func TestFilenamesMatchPackaging(t *testing.T) {
	names := []string{"pkg", "My.Pkg", "my__pkg", "a-b_c.d", "Foo-Bar", "x", "pkg_", "_pkg", "pk.g"}
	tails := []string{"-1.0-py3-none-any.whl", "-1.0-1-py3-none-any.whl", "-1.0-1abc-py2.py3-none-any.whl",
		"-1.0-x1-py3-none-any.whl", "-1.0-py3-none.whl", "-nope-py3-none-any.whl", "-1.0RC1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"-1.0-1+x-py3-none-any.whl", "-1.0.tar.gz", "-1.0-1.tar.gz", "-v2.tar.gz", "-x.tar.gz", ".tar.gz"}
	var reqs []map[string]string
	for _, n := range names {
		reqs = append(reqs, map[string]string{"kind": "name", "s": n})
		for _, tl := range tails {
			kind := "wheel"
			if strings.HasSuffix(tl, ".tar.gz") {
				kind = "sdist"
			}
			reqs = append(reqs, map[string]string{"kind": kind, "s": n + tl})
		}
	}
	res := askPackaging(t, reqs)
	valid := 0
	for i, r := range reqs {
		s := r["s"]
		if r["kind"] == "name" {
			var want string
			json.Unmarshal(res[i], &want)
			if got := pydist.NormalizeName(s); got != want {
				t.Errorf("NormalizeName(%q) = %q, packaging gives %q", s, got, want)
			}
			continue
		}
		var want []string
		json.Unmarshal(res[i], &want)
		fn, err := pydist.ParseFilename(s)
		switch {
		case want == nil && err == nil:
			t.Errorf("ParseFilename(%q) = %+v, packaging refuses it", s, fn)
		case want != nil && err != nil:
			t.Errorf("ParseFilename(%q): %v; packaging gives %q", s, err, want)
		case want != nil:
			valid++
			if fn.NormalizedName() != want[0] || fn.Version.String() != want[1] {
				t.Errorf("ParseFilename(%q) = %s %s, packaging gives %q", s, fn.NormalizedName(), fn.Version, want)
			}
			if len(want) == 3 && fn.Build != want[2] {
				t.Errorf("ParseFilename(%q) build %q, packaging gives %q", s, fn.Build, want[2])
			}
		}
	}
	if valid == 0 || valid == len(reqs)-len(names) {
		t.Errorf("%d valid filenames: the cases need both kinds", valid)
	}
}

// metadataCandidates builds core metadata documents from valid header
// lines, continuations, blank lines and bodies, with LF or CRLF ends.
func metadataCandidates(n int) []string {
	headers := []string{"Metadata-Version: 2.1", "Name: pkg", "Version:1.0", "Summary:  two  spaces ", "Classifier: A :: B",
		"Classifier: C", "Keywords:", "X-Odd_Header!: v", "Author: Grönholm", "Project-URL: Home, https://x:1/"}
	conts := []string{" continued", "\tTabbed", "        eight", "       |pipe", "  "}
	bodies := []string{"", "body", "line1\nline2\n", "\nleading blank", "Name: not a header\n"}
	r := rand.New(rand.NewPCG(822, 822))
	var out []string
	for range n {
		var lines []string
		for range 1 + r.IntN(6) {
			lines = append(lines, headers[r.IntN(len(headers))])
			for r.IntN(3) == 0 {
				lines = append(lines, conts[r.IntN(len(conts))])
			}
		}
		doc := strings.Join(lines, "\n") + "\n"
		if b := bodies[r.IntN(len(bodies))]; b != "" || r.IntN(2) == 0 {
			doc += "\n" + b
		}
		if r.IntN(3) == 0 {
			doc = strings.ReplaceAll(doc, "\n", "\r\n")
		}
		out = append(out, doc)
	}
	return out
}

// TestMetadataMatchesEmailParser compares ParseMetadata with Python's
// email parser (compat32 policy), which packaging.metadata.parse_email and
// so twine and PyPI's tooling use: same headers, same values, same body.
func TestMetadataMatchesEmailParser(t *testing.T) {
	docs := metadataCandidates(1500)
	var reqs []map[string]string
	for _, d := range docs {
		reqs = append(reqs, map[string]string{"kind": "email", "s": d})
	}
	res := askPackaging(t, reqs)
	lf := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	bodies, multiline := 0, 0
	for i, d := range docs {
		var want []json.RawMessage
		if err := json.Unmarshal(res[i], &want); err != nil || len(want) != 2 {
			t.Fatalf("oracle answer %s", res[i])
		}
		var pairs [][2]string
		var body string
		json.Unmarshal(want[0], &pairs)
		json.Unmarshal(want[1], &body)
		m, err := pydist.ParseMetadata([]byte(d))
		if err != nil {
			t.Errorf("ParseMetadata(%q): %v", d, err)
			continue
		}
		var got [][2]string
		for _, f := range m.Fields {
			got = append(got, [2]string{f.Name, f.Value})
		}
		for j := range pairs {
			pairs[j][1] = lf(pairs[j][1]) // ParseMetadata normalises line ends
		}
		if len(got) != len(pairs) {
			t.Errorf("ParseMetadata(%q) fields %q, email parser %q", d, got, pairs)
			continue
		}
		for j := range got {
			if got[j] != pairs[j] {
				t.Errorf("ParseMetadata(%q) field %d = %q, email parser %q", d, j, got[j], pairs[j])
			}
		}
		if body != "" {
			bodies++
		}
		for _, f := range m.Fields {
			if strings.Contains(f.Value, "\n") {
				multiline++
				break
			}
		}
		if wantBody := lf(body); m.BodyAfterHeaders && m.Description != wantBody || !m.BodyAfterHeaders && wantBody != "" {
			t.Errorf("ParseMetadata(%q) body %q, email parser %q", d, m.Description, wantBody)
		}
	}
	if bodies < 100 || multiline < 100 {
		t.Errorf("only %d documents with a body and %d with continuation lines: the generator needs a better mix", bodies, multiline)
	}
	t.Logf("%d documents (%d with a body, %d with continuations) agree with Python's email parser", len(docs), bodies, multiline)
}
