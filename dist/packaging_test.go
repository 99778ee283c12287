package dist_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/dist"
)

// oracleScript answers, one JSON line per request, what the Python
// packaging library (vendored in Debian's pip wheel) makes of a version,
// project name or distribution filename: the reference for PyPI's rules.
const oracleScript = `
import sys, json
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
	var stdin bytes.Buffer
	enc := json.NewEncoder(&stdin)
	for _, r := range reqs {
		enc.Encode(r)
	}
	cmd := exec.Command(py, "-c", oracleScript)
	cmd.Env = []string{"PYTHONPATH=" + wheels[0], "PYTHONIOENCODING=utf-8"}
	cmd.Stdin = &stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 oracle: %v\n%s", err, stderr.Bytes())
	}
	var res []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		res = append(res, json.RawMessage(bytes.Clone(sc.Bytes())))
	}
	if len(res) != len(reqs) {
		t.Fatalf("oracle answered %d of %d requests", len(res), len(reqs))
	}
	return res
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
		v, err := dist.ParseVersion(s)
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
			if got := dist.NormalizeName(s); got != want {
				t.Errorf("NormalizeName(%q) = %q, packaging gives %q", s, got, want)
			}
			continue
		}
		var want []string
		json.Unmarshal(res[i], &want)
		fn, err := dist.ParseFilename(s)
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
