package pydist_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/internal/testutil"
	"github.com/trustpub/trustpub/pydist"
)

// debianPython is the interpreter that has Debian's python3-packaging,
// python3-trove-classifiers and python3-readme-renderer.
const debianPython = "/usr/bin/python3"

// specOracle answers, per JSON line {"kind","s"}, whether Debian's
// packaging accepts s as a SpecifierSet, Requirement or Marker; for a
// Requirement it also says whether it has a URL, and for a specifier set
// it gives str(SpecifierSet).
const specOracle = `
import sys, json
from packaging.specifiers import SpecifierSet, InvalidSpecifier
from packaging.requirements import Requirement, InvalidRequirement
from packaging.markers import Marker, InvalidMarker
for line in sys.stdin:
    req = json.loads(line)
    kind, s = req["kind"], req["s"]
    out = {"ok": True}
    try:
        if kind == "spec":
            out["str"] = str(SpecifierSet(s))
        elif kind == "req":
            out["url"] = Requirement(s).url is not None
        elif kind == "marker":
            # Debian's packaging (23) Marker() ignores trailing text; a
            # requirement's marker is checked to its end, as newer
            # packaging's Marker() is.
            Requirement("x;" + s)
    except (InvalidSpecifier, InvalidRequirement, InvalidMarker) as e:
        out = {"ok": False, "err": str(e)}
    except RecursionError:
        out = {"ok": False, "err": "recursion"}
    except SyntaxError as e:  # packaging 23 lets literal_eval's through; newer says "Invalid quoted string"
        out = {"ok": False, "err": "Invalid quoted string: " + str(e)}
    except ValueError as e:  # urllib's, on a URL requirement; or literal_eval's
        out = {"ok": False, "err": ("Invalid URL: " if kind == "req" and "@" in s else "") + str(e)}
    print(json.dumps(out), flush=True)
`

type specAnswer struct {
	OK  bool   `json:"ok"`
	Str string `json:"str"`
	URL bool   `json:"url"`
	Err string `json:"err"`
}

// askDebianPackaging runs specOracle over every request in one process.
// Without Debian's python3-packaging the test is skipped, or fails in CI.
func askDebianPackaging(t *testing.T, reqs []map[string]string) []specAnswer {
	t.Helper()
	testutil.RequireTool(t, "apt-get install -y python3-packaging", debianPython, "-c", "import packaging.requirements")
	return pydist.AskPythonOracle[specAnswer](t, debianPython, []string{"PYTHONWARNINGS=ignore"}, specOracle, reqs)
}

var specSeeds = []string{
	"", ">=3.8", ">= 3.8, <4", ">=3.8,,<4", "~=3.8", "~=3", "==3.*", "==3.8.*", "!=3.8.*", ">=3.*",
	"==1.0+local", ">=1.0+local", "===foo", "=== foo bar", "==1.0a1.*", ">3.8rc1", "<=1!2.0.post1.dev3",
	"3.8", ">=3.8;", "> = 3.8", ">=3.8 <4", ">=v3.8", ">=3.8\u00a0", "\u00a0>=3.8", ">=\u00a03.8",
	">=3.8'", "<script>", ">=3.8\u202e", ">=3..8", ">=3.8,>=3.8", "==1.0-1", "==1.0_post2", ">=1.0.", ">=1.0POST1",
	"(>=1.0)", ">=\t3", "\v>=3",
}

var reqSeeds = []string{
	"foo", "foo>=1.0", "foo >= 1.0, < 2", "foo (>=1.0)", "foo[bar]>=1", "foo[bar,baz]", "foo[ bar , baz ]",
	"foo[bar baz]", "foo[]", "foo[", "foo @ https://example.com/foo.whl", "foo@https://x/y",
	"foo @ https://x/y ; python_version>'3'", "foo @ https://x/y; python_version>'3'",
	"foo; python_version >= '3.8'", "foo ; os_name == \"nt\" and extra == 'test'",
	"foo; (python_version>'3' or sys_platform=='linux') and extra=='x'", "foo; python_version in '3.8 3.9'",
	"foo; python_version not in '3.8'", "foo; python_version notin '3.8'", "foo; 'a' == 'b'",
	"foo; python_version", "foo; python_version >", "foo; (python_version > '3'", "foo; extra == 'a\\'",
	"foo; extra == '\\x4'", "foo; extra == '\\x41'", "foo; extra == '\\N{DASH}'", "foo; os.name == 'nt'",
	"foo_", "foo-", "-foo", "foo.bar", "foo>=1.0.*", "foo==1.0.*", "foo==1.0a1.*", "foo>=1.0+loc",
	"foo==1.0+loc", "foo>=1.0 ; ", "foo ;", "foo>=1,", "foo>=1,<2;extra=='x'", "foo (>=1", "foo >=1)",
	" foo", "foo ", "foo\t>=1", "foo\n", "foo; python_versionin '3'", "foo; python_version==\"3\"or os_name=='x'",
	"foo; extras == 'x'", "foo; platform.machine == 'x86_64'", "foo; implementation_name == 'cpython'",
	"foo===1.0", "foo===1.0;extra=='x'", "foo~=1", "foo~=1.0", "foo<script>", "foo\u202e", "foo; extra == '\x00'",
}

var markerSeeds = []string{
	"python_version >= '3.8'", "python_version >= '3.8' and", "(os_name == 'nt')", "os_name == 'nt' or (sys_platform == 'x' and extra == 'y')",
	"'a' in 'abc'", "extra", "extra == ", "python_version ~= '3.8'", "python_version === 'x'", "os_name = 'nt'",
}

// mutate returns a random edit of s from characters that matter to the
// grammar.
func mutate(r *rand.Rand, s string) string {
	alphabet := []string{" ", ",", ";", "(", ")", "[", "]", "'", "\"", "=", "<", ">", "!", "~", "*", ".", "+", "@", "a", "1", "0", "-", "_", "and", "or", "in", "not", "extra", "python_version", "rc", "post", "dev", "\t", "\u00a0", "é", "\\"}
	b := []byte(s)
	for n := 1 + r.IntN(3); n > 0; n-- {
		i := 0
		if len(b) > 0 {
			i = r.IntN(len(b) + 1)
		}
		switch r.IntN(3) {
		case 0: // insert
			ins := alphabet[r.IntN(len(alphabet))]
			b = append(b[:i], append([]byte(ins), b[i:]...)...)
		case 1: // delete
			if i < len(b) {
				b = append(b[:i], b[i+1:]...)
			}
		case 2: // replace
			if i < len(b) {
				b[i] = alphabet[r.IntN(len(alphabet))][0]
			}
		}
	}
	return strings.ToValidUTF8(string(b), "?")
}

// TestRequirementsAgainstPackaging checks that specifier sets,
// requirements and markers are accepted exactly when Debian's packaging
// accepts them: the seeds plus seeded random edits of them.
func TestRequirementsAgainstPackaging(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 508))
	var reqs []map[string]string
	add := func(kind string, seeds []string) {
		for _, s := range seeds {
			reqs = append(reqs, map[string]string{"kind": kind, "s": s})
			for range 40 {
				reqs = append(reqs, map[string]string{"kind": kind, "s": mutate(r, s)})
			}
		}
	}
	add("spec", specSeeds)
	add("req", reqSeeds)
	add("marker", markerSeeds)
	answers := askDebianPackaging(t, reqs)
	bad := 0
	for i, q := range reqs {
		a, s := answers[i], q["s"]
		if strings.Contains(s, "extras") || strings.Contains(s, "dependency_groups") {
			continue // marker variables newer than Debian's packaging (23); PyPI's knows them
		}
		if q["kind"] != "spec" && strings.HasSuffix(s, "\n") {
			continue // packaging 23 ends at "$" (before a final newline), newer (PyPI's) at "\\Z"
		}
		var err error
		var got string
		switch q["kind"] {
		case "spec":
			got, err = pydist.ParseSpecifierSet(s)
		case "req":
			var rq pydist.Requirement
			rq, err = pydist.ParseRequirement(s)
			// Debian's packaging (23) also refuses some URLs that newer
			// packaging (PyPI's) accepts; PyPI refuses every URL
			// requirement anyway, so both count as "has a URL".
			if strings.HasPrefix(a.Err, "Invalid URL") {
				a.OK, a.URL = true, true
			}
			if err == nil && (rq.URL != "") != a.URL {
				t.Errorf("ParseRequirement(%q): url %q, packaging says url=%v", s, rq.URL, a.URL)
			}
		case "marker":
			err = pydist.ParseMarker(s)
		}
		if (err == nil) != a.OK {
			bad++
			t.Errorf("%s %q: Go err=%v, packaging ok=%v (%s)", q["kind"], s, err, a.OK, a.Err)
			continue
		}
		if q["kind"] == "spec" && a.OK && got != a.Str {
			t.Errorf("ParseSpecifierSet(%q) = %q, packaging str() = %q", s, got, a.Str)
		}
	}
	t.Logf("%d inputs compared with packaging, %d disagreements", len(reqs), bad)
}

// FuzzParseRequirement: requirements, specifier sets, markers and license
// expressions never panic, and what they accept re-parses to the same
// canonical form (the index stores and serves the canonical form).
func FuzzParseRequirement(f *testing.F) {
	for _, s := range append(append(append([]string{}, specSeeds...), reqSeeds...), markerSeeds...) {
		f.Add(s)
	}
	f.Add("MIT OR (Apache-2.0 WITH LLVM-exception)")
	f.Add(strings.Repeat("(", 300) + "os_name == 'nt'" + strings.Repeat(")", 300))
	f.Fuzz(func(t *testing.T, s string) {
		if spec, err := pydist.ParseSpecifierSet(s); err == nil {
			again, err := pydist.ParseSpecifierSet(spec)
			if err != nil || again != spec {
				t.Fatalf("ParseSpecifierSet(%q) = %q, which re-parses to %q, %v", s, spec, again, err)
			}
			if !strings.Contains(spec, "===") && strings.ContainsFunc(spec, func(r rune) bool { return r <= ' ' || r > '~' || strings.ContainsRune("\"'&\\;()[]", r) }) {
				t.Fatalf("canonical %q (of %q) has spaces, quotes or markup", spec, s)
			}
		}
		if r, err := pydist.ParseRequirement(s); err == nil && r.Name == "" {
			t.Fatalf("ParseRequirement(%q) accepted without a name", s)
		}
		_ = pydist.ParseMarker(s)
		if le, err := pydist.CanonicalLicenseExpression(s); err == nil {
			if again, err := pydist.CanonicalLicenseExpression(le); err != nil || again != le {
				t.Fatalf("license %q -> %q -> %q, %v", s, le, again, err)
			}
		}
	})
}
