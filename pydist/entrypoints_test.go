package pydist

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/trustpub/trustpub/internal/testutil"
)

// entryPointsOracle is Warehouse's rule run by Python itself: decode as
// UTF-8, read with a strict, case-sensitive ConfigParser whose only
// delimiter is "=", and match the console and GUI script names against
// [\w.-]+. It answers, one JSON line per request ({"b64": the file in
// base64}), "" for a valid file or the name of the exception.
const entryPointsOracle = `
import sys, json, base64, configparser, re
name_re = re.compile(r"[\w.-]+")
class Parser(configparser.ConfigParser):
    optionxform = staticmethod(str)
for line in sys.stdin:
    data = base64.b64decode(json.loads(line)["b64"])
    out = ""
    try:
        text = data.decode()
        p = Parser(delimiters=("=",))
        p.read_string(text)
        for s in ("console_scripts", "gui_scripts"):
            if s in p:
                for n in p[s]:
                    if name_re.fullmatch(n) is None:
                        raise ValueError("name " + n)
    except Exception as e:
        out = type(e).__name__
    print(json.dumps(out), flush=True)
`

// askEntryPoints runs the oracle over every input in one python3 process.
func askEntryPoints(t *testing.T, inputs [][]byte) []string {
	t.Helper()
	py := testutil.RequireTool(t, "install it with: apt-get install -y python3", "python3", "-c", "import configparser")
	reqs := make([]map[string]string, len(inputs))
	for i, in := range inputs {
		reqs[i] = map[string]string{"b64": base64.StdEncoding.EncodeToString(in)}
	}
	return AskPythonOracle[string](t, py, nil, entryPointsOracle, reqs)
}

// entryPointCases are hand-written inputs, each with what Python says of
// it: the shapes of real entry_points.txt files and configparser's corners.
var entryPointCases = []struct {
	name  string
	text  string
	valid bool
}{
	{"setuptools' output", "[console_scripts]\nmytool = mypkg.cli:main\n\n[gui_scripts]\nmygui = mypkg.gui:run\n", true},
	{"plugin groups are not judged", "[pytest11]\n../odd name = mypkg.plugin\n", true},
	{"empty file", "", true},
	{"comments and blank lines", "# generated\n; by hand\n\n[console_scripts]\n  # indented comment\ntool=pkg:main\n", true},
	{"CRLF", "[console_scripts]\r\ntool = pkg:main\r\n", true},
	{"dotted and dashed names", "[console_scripts]\nmy-tool.v2 = pkg:main\n_x = pkg:x\n", true},
	{"non-ASCII letters", "[console_scripts]\nwerkzeug\u00e9 = pkg:main\n\u5de5\u5177 = pkg:main\n", true},
	{"a continuation line is part of the value", "[console_scripts]\ntool = pkg:main\n  ../evil = pkg:x\n", true},
	{"value with '=' and ':'", "[console_scripts]\ntool = pkg.mod:func [extra1, extra2]\nx = a=b\n", true},
	{"header runs to the last ']'", "[console_scripts]x]\n../x = y\n", true},
	{"DEFAULT twice is allowed", "[DEFAULT]\n[DEFAULT]\n", true},
	{"no section header", "tool = pkg:main\n", false},
	{"a path as a script name", "[console_scripts]\n../bin/evil = pkg:main\n", false},
	{"a slash in a GUI script name", "[gui_scripts]\nsub/tool = pkg:main\n", false},
	{"a space in a name", "[console_scripts]\nmy tool = pkg:main\n", false},
	{"':' is not a delimiter", "[console_scripts]\ntool: pkg:main\n", false},
	{"a line without '='", "[console_scripts]\ntool\n", false},
	{"an empty name", "[console_scripts]\n= pkg:main\n", false},
	{"duplicate section", "[console_scripts]\na = b:c\n[console_scripts]\nd = e:f\n", false},
	{"duplicate option", "[console_scripts]\na = b:c\na = d:e\n", false},
	{"DEFAULT names count in script sections", "[DEFAULT]\n../x = y\n[console_scripts]\n", false},
	{"DEFAULT alone is not a script section", "[DEFAULT]\n../x = y\n", true},
	{"names are case-sensitive", "[console_scripts]\nTool = a:b\ntool = a:c\n", true},
	{"not UTF-8", "[console_scripts]\ntool = pkg:m\xffain\n", false},
	{"BOM before the header", "\ufeff[console_scripts]\ntool = a:b\n", false},
	{"empty header", "[]\na = b\n", false},
	{"information separator is white space", "\x1c[console_scripts]\ntool = a:b\x1f\n", true},
}

func TestEntryPointsAgainstConfigparser(t *testing.T) {
	var inputs [][]byte
	for _, tc := range entryPointCases {
		inputs = append(inputs, []byte(tc.text))
	}
	// Generated inputs: lines drawn from configparser's corners, the same
	// on every run.
	pieces := []string{"[console_scripts]", "[gui_scripts]", "[DEFAULT]", "[other]", "  [console_scripts]", "[console_scripts", "]",
		"tool = a:b", "tool=a:b", "  tool = a:b", "\ttool = a:c", "x.y-z = m", "../x = m", "a b = m", "= m", "tool", "tool: a",
		"# c", "; c", "", "   ", "\u00a0", "n\u00e9 = m", "\u2003tool = a:b", "a=b=c", "[a]b", "x\r"}
	rng := rand.New(rand.NewPCG(7, 40))
	for range 600 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteString("\n")
		}
		inputs = append(inputs, []byte(b.String()))
	}
	// And the fuzzer's seed corpus, which holds what it found interesting.
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzEntryPoints", "*"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		_, lit, _ := strings.Cut(strings.TrimSpace(string(b)), "[]byte(")
		text, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		inputs = append(inputs, []byte(text))
	}
	answers := askEntryPoints(t, inputs)
	for i, in := range inputs {
		err := checkEntryPoints(in)
		pyValid := answers[i] == ""
		if (err == nil) != pyValid {
			t.Errorf("%q: ours %v, Python's configparser %q", in, err, answers[i])
		}
		if i < len(entryPointCases) && pyValid != entryPointCases[i].valid {
			t.Errorf("case %q: Python says valid=%v (%s), the table says %v", entryPointCases[i].name, pyValid, answers[i], entryPointCases[i].valid)
		}
	}
}

func FuzzEntryPoints(f *testing.F) {
	for _, tc := range entryPointCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkEntryPoints(b)
		if err != nil && err.Error() == "" {
			t.Fatal("an error without a reason")
		}
		// The reason quotes the file's text: escaped, never raw controls.
		if err != nil && strings.ContainsFunc(err.Error(), unicode.IsControl) {
			t.Fatalf("the reason holds control characters: %q", err.Error())
		}
	})
}

// TestEntryPointsMemoryBound: a file of 4 MiB of newlines (what a small
// wheel may hold within the metadata bound) is read with memory in
// proportion to the file, not a slice header per line (64 MiB).
func TestEntryPointsMemoryBound(t *testing.T) {
	b := bytes.Repeat([]byte("\n"), 4<<20)
	b = append(b, "[console_scripts]\ntool = a:b\n"...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := checkEntryPoints(b); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if used := after.TotalAlloc - before.TotalAlloc; used > 2*uint64(len(b)) {
		t.Errorf("checking %d bytes allocated %d bytes", len(b), used)
	}
}
