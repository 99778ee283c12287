package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/trustpub/trustpub"

// layerOf gives every package of the module a layer (the longest matching
// prefix wins). A package may import packages of lower layers, and of its
// own layer only within its own top folder (cmd/..., bench/...). Layer 0,
// the leaf helpers under internal/, imports no package of the module.
var layerOf = map[string]int{
	"internal":          0, // leaf helpers: retry, urlpolicy, pyrepr, jwtclaims, ...
	"secret":            1,
	"internal/redact":   2, // redaction of secret.String values in text
	"pydist":            1,
	"pydist/disttest":   2, // builds real wheels and sdists for tests
	"ambient":           2,
	"publisher":         2,
	"devissuer":         2,
	"devsigstore":       2, // a development Fulcio and Rekor
	"pep740":            2, // PEP 740 objects and attestation files
	"attest":            3, // signing and verifying PEP 740 attestations
	"trustedpublishing": 3,
	"upload":            4,
	"index":             4,
	"internal/tools":    8, // programs that generate test data
	"internal/release":  7, // the release tooling (scripts/release, via internal/tools/release)
	"bench":             8,
	"cmd":               9, // the command line: the top
	"internal/layers":   9, // this test
}

// thirdParty is each package's allow-list of modules beyond the standard
// library and golang.org/x/..., which every package may import. Core
// libraries stay on that footing; a package that needs a field's own
// library (an OIDC verifier, a TOML reader) names it here, one line each.
var thirdParty = map[string][]string{
	"publisher":                    {"github.com/coreos/go-oidc/v3", "github.com/go-jose/go-jose/v4"},
	"devissuer":                    {"github.com/go-jose/go-jose/v4"},
	"index":                        {"github.com/pelletier/go-toml/v2", "go.etcd.io/bbolt"},
	"pydist":                       {"github.com/github/go-spdx/v2"},
	"cmd/trustpub/internal/cli":    {"github.com/alecthomas/kong", "gopkg.in/ini.v1", "github.com/pelletier/go-toml/v2"},
	"cmd/trustpub/internal/output": {"github.com/vbauerster/mpb/v8"},
	// Sigstore's own Go client: signing (Fulcio, Rekor), bundles, and
	// verification against a trusted root, with the protobuf types it
	// speaks in.
	"attest": {"github.com/sigstore/sigstore-go", "github.com/sigstore/protobuf-specs", "google.golang.org/protobuf"},
	// What Fulcio and Rekor are built from, so that the dev instance issues
	// what they issue: sigstore-go's certificate extensions and trusted
	// root, sigstore's signature helpers, Rekor's entry types and models
	// (go-openapi), RFC 8785 canonical JSON, the RFC 6962 Merkle tree, and
	// the OIDC verifier Fulcio checks tokens with.
	"devsigstore": {
		"github.com/sigstore/sigstore-go", "github.com/sigstore/sigstore", "github.com/sigstore/rekor", "github.com/sigstore/protobuf-specs",
		"github.com/go-openapi/runtime", "github.com/go-openapi/strfmt", "github.com/cyberphone/json-canonicalization",
		"github.com/transparency-dev/merkle", "github.com/coreos/go-oidc/v3",
	},
}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages: the test does not see the module", len(pkgs))
	}
	return pkgs
}

// rel is path relative to the module, "" for the module root.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// within reports whether path is prefix or below it.
func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func lookup(t *testing.T, path string) (int, string) {
	best, layer := "", -1
	for prefix, l := range layerOf {
		if within(path, prefix) && len(prefix) >= len(best) {
			best, layer = prefix, l
		}
	}
	if layer < 0 {
		t.Errorf("package %s has no layer: give it one in layerOf (internal/layers/layers_test.go) and ARCHITECTURE.md", path)
	}
	return layer, best
}

func isStd(path string) bool { return !strings.Contains(strings.Split(path, "/")[0], ".") }

func TestImportsFollowTheLayers(t *testing.T) {
	var problems []string
	for _, p := range listPackages(t) {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		fromLayer, _ := lookup(t, from)
		top := strings.Split(from, "/")[0]
		for _, imp := range p.Imports {
			switch to, inModule := rel(imp); {
			case isStd(imp), within(imp, "golang.org/x"):
			case inModule:
				toLayer, _ := lookup(t, to)
				sameTop := strings.Split(to, "/")[0] == top && top != "internal"
				if toLayer < fromLayer || (toLayer == fromLayer && sameTop) {
					continue
				}
				problems = append(problems, from+" imports "+to+": a layer-"+itoa(fromLayer)+" package may import only lower layers (see ARCHITECTURE.md); "+to+" is layer "+itoa(toLayer))
			default:
				if !allowed(from, imp) {
					problems = append(problems, from+" imports "+imp+": not the standard library nor golang.org/x; if it is the field's own library for the job, add it to thirdParty[\""+from+"\"] in internal/layers/layers_test.go and to ARCHITECTURE.md")
				}
			}
		}
	}
	sort.Strings(problems)
	for _, pr := range problems {
		t.Error(pr)
	}
}

// No library, nor its tests, imports the command line: libraries return
// typed errors and data, the CLI words them.
func TestNoLibraryImportsTheCLI(t *testing.T) {
	for _, p := range listPackages(t) {
		from, _ := rel(p.ImportPath)
		if within(from, "cmd") || within(from, "internal/layers") {
			continue
		}
		for _, imp := range append(append(append([]string(nil), p.Imports...), p.TestImports...), p.XTestImports...) {
			if to, ok := rel(imp); ok && within(to, "cmd") {
				t.Errorf("%s imports %s: no library may import the command line", from, to)
			}
		}
	}
}

func allowed(from, imp string) bool {
	for prefix, mods := range thirdParty {
		if !within(from, prefix) {
			continue
		}
		for _, m := range mods {
			if within(imp, m) {
				return true
			}
		}
	}
	return false
}

func itoa(n int) string { return string(rune('0' + n)) }

// The rules themselves must be able to fail: a core package importing a
// third-party module, a leaf importing a library, and a library importing
// a higher layer are each refused.
func TestRulesRefuse(t *testing.T) {
	if allowed("upload", "github.com/alecthomas/kong") || allowed("ambient", "github.com/coreos/go-oidc/v3/oidc") {
		t.Error("a third-party module is allowed where it is not listed")
	}
	if !allowed("publisher", "github.com/coreos/go-oidc/v3/oidc") {
		t.Error("a listed module is refused")
	}
	leaf, _ := lookup(t, "internal/retry")
	lib, _ := lookup(t, "upload")
	top, _ := lookup(t, "cmd/trustpub/internal/cli")
	if !(leaf < lib && lib < top) {
		t.Errorf("layers internal/retry=%d upload=%d cli=%d are not ordered", leaf, lib, top)
	}
	if l, _ := lookup(t, "trustedpublishing"); l <= 2 {
		t.Errorf("trustedpublishing (layer %d) must sit above ambient, which it calls", l)
	}
}
