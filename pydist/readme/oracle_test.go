package readme

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// readmeRenderer runs Debian's readme_renderer (what twine check uses,
// and PyPI with newer releases) on each document: true means it renders.
// Docutils registers roles process-wide, so the registry is cleared
// before each document, as if each were rendered alone. A document that
// makes docutils raise anything but its own refusal (such as
// RecursionError) gets no verdict (null).
const readmeRenderer = `
import io, json, sys
import readme_renderer.rst as r
from docutils.parsers.rst import roles
out = []
for doc in json.load(sys.stdin):
    roles._roles.clear()
    stream = io.StringIO()
    try:
        ok = r.render(doc, stream=stream) is not None
    except Exception as e:
        out.append(None)
        continue
    lines = stream.getvalue().strip().splitlines()
    out.append([ok, lines[0] if lines else ""])
print(json.dumps(out))
`

type verdict struct {
	ok  bool
	msg string
}

// renderAll asks readme_renderer about each document.
func renderAll(t *testing.T, docs []string) []*verdict {
	t.Helper()
	var raw []*[2]any
	oracle(t, readmeRenderer, docs, &raw)
	if len(raw) != len(docs) {
		t.Fatalf("readme_renderer gave %d verdicts for %d documents", len(raw), len(docs))
	}
	out := make([]*verdict, len(raw))
	for i, r := range raw {
		if r == nil {
			continue
		}
		ok, _ := r[0].(bool)
		msg, _ := r[1].(string)
		out[i] = &verdict{ok: ok, msg: msg}
	}
	return out
}

// readDocs returns the documents under dir, by path.
func readDocs(t *testing.T, dir string) (paths, docs []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rst") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		paths = append(paths, p)
		docs = append(docs, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatalf("no documents under %s", dir)
	}
	return paths, docs
}

// compare checks Validate against readme_renderer on each document: any
// false refusal (we refuse, it renders) fails the test; it returns how
// many of the documents readme_renderer refuses we refuse too, and the
// paths of those missed.
func compare(t *testing.T, names, docs []string, vs []*verdict) (caught, refused int, missed []string) {
	t.Helper()
	for i, v := range vs {
		// No verdict, or an empty description, which PyPI does not render.
		if v == nil || docs[i] == "" {
			continue
		}
		ps := Validate("", docs[i])
		if v.ok && len(ps) > 0 {
			t.Errorf("false refusal of %s (readme_renderer renders it): %v", names[i], ps[0])
		}
		if !v.ok {
			refused++
			if len(ps) > 0 {
				caught++
			} else {
				missed = append(missed, names[i]+": "+v.msg)
			}
		}
	}
	return caught, refused, missed
}

// TestReadmeRendererOracle is the oracle test: on the corpus of real
// documents (testdata/corpus, see its SOURCES) and on the documents
// written to cover each docutils warning (testdata/cases), Validate never
// refuses a document that readme_renderer renders, and the share of those
// readme_renderer refuses that we catch is printed. Every written case
// must be caught.
func TestReadmeRendererOracle(t *testing.T) {
	for _, dir := range []string{"testdata/corpus", "testdata/cases"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			paths, docs := readDocs(t, dir)
			vs := renderAll(t, docs)
			caught, refused, missed := compare(t, paths, docs, vs)
			fmt.Printf("%s: %d documents; caught %d of %d that readme_renderer refuses\n", dir, len(docs), caught, refused)
			for _, m := range missed {
				t.Logf("missed %s", m)
			}
			if dir == "testdata/cases" && len(missed) > 0 {
				t.Errorf("%d written cases not caught", len(missed))
			}
			if refused == 0 || refused == len(docs) {
				t.Errorf("readme_renderer refused %d of %d documents: the set does not test both verdicts", refused, len(docs))
			}
		})
	}
}

// TestDifferentialMutations compares Validate with readme_renderer on
// pieces of the corpus with random edits (markup characters inserted,
// characters deleted, lines indented, unindented, removed or split).
// README_MUTATIONS sets how many (default 300; the figures in the package
// documentation come from larger runs); README_SEED the seed.
func TestDifferentialMutations(t *testing.T) {
	n := 300
	if v, err := strconv.Atoi(os.Getenv("README_MUTATIONS")); err == nil && v > 0 {
		n = v
	}
	seed := uint64(1)
	if v, err := strconv.ParseUint(os.Getenv("README_SEED"), 10, 64); err == nil {
		seed = v
	}
	_, corpus := readDocs(t, "testdata/corpus")
	_, cases := readDocs(t, "testdata/cases")
	sources := append(corpus, cases...)
	rng := rand.New(rand.NewPCG(seed, 0x7275737470756221))
	docs := make([]string, n)
	names := make([]string, n)
	for i := range docs {
		docs[i] = mutate(rng, sources[rng.IntN(len(sources))])
		names[i] = fmt.Sprintf("mutation %d (seed %d) %q", i, seed, docs[i])
	}
	vs := renderAll(t, docs)
	caught, refused, missed := compare(t, names, docs, vs)
	fmt.Printf("mutations: %d documents (seed %d); caught %d of %d that readme_renderer refuses\n", n, seed, caught, refused)
	sort.Strings(missed)
	for _, m := range missed {
		t.Logf("missed %s", m)
	}
}

var insertions = []string{"*", "**", "`", "``", "_", "__", "|", ":", "::", ".. ", "\n", "\n\n", "  ", " ", "-", "=", "[", "]", "<", ">", "\\", "#", "1. ", "- ", ":x:", "`_", "_`", "|x|", ".. _x:", ".. note::", "\n----\n", "\n=====\n"}

// mutate cuts a window of 3 to 60 lines from doc and usually applies one
// to three random edits to it.
func mutate(rng *rand.Rand, doc string) string {
	lines := strings.Split(doc, "\n")
	a := rng.IntN(max(1, len(lines)-1))
	s := strings.Join(lines[a:min(len(lines), a+3+rng.IntN(58))], "\n")
	if rng.IntN(100) >= 85 {
		return s
	}
	for range 1 + rng.IntN(3) {
		if s == "" {
			break
		}
		p := rng.IntN(len(s))
		switch k := rng.IntN(10); {
		case k < 4:
			s = s[:p] + insertions[rng.IntN(len(insertions))] + s[p:]
		case k < 6:
			s = s[:p] + s[min(len(s), p+1+rng.IntN(3)):]
		case k < 8:
			ls := strings.Split(s, "\n")
			j := rng.IntN(len(ls))
			if rng.IntN(2) == 0 {
				ls[j] = "  " + ls[j]
			} else {
				ls[j] = strings.TrimLeft(ls[j], " ")
			}
			s = strings.Join(ls, "\n")
		default:
			ls := strings.Split(s, "\n")
			j := rng.IntN(len(ls))
			if rng.IntN(2) == 0 {
				ls = append(ls[:j], ls[j+1:]...)
			} else {
				ls = append(ls[:j], append([]string{""}, ls[j:]...)...)
			}
			s = strings.Join(ls, "\n")
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
