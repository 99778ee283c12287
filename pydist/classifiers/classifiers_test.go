package classifiers_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/trustpub/trustpub/pydist/classifiers"
)

// debianList reads Debian's python3-trove-classifiers through
// /usr/bin/python3: the oracle for the subset of the list it knows. It skips
// the test when the package is absent, and fails it in CI (CI=true).
func debianList(t *testing.T) (version string, valid []string, deprecated map[string][]string) {
	t.Helper()
	const script = `
import json, importlib.metadata as md, trove_classifiers as t
print(json.dumps([md.version("trove-classifiers"), sorted(t.classifiers), t.deprecated_classifiers, sorted(t.all_classifiers)]))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script).Output()
	if err != nil {
		msg := "Debian's trove_classifiers is not importable by /usr/bin/python3 (apt-get install -y python3-trove-classifiers): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var got []json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil || len(got) != 4 {
		t.Fatalf("oracle output %q: %v", out, err)
	}
	var all []string
	for i, dst := range []any{&version, &valid, &deprecated, &all} {
		if err := json.Unmarshal(got[i], dst); err != nil {
			t.Fatal(err)
		}
	}
	// all_classifiers is the union Warehouse checks membership against.
	if len(all) != len(valid)+len(deprecated) {
		t.Fatalf("oracle: %d in all_classifiers, %d valid + %d deprecated", len(all), len(valid), len(deprecated))
	}
	return version, valid, deprecated
}

// TestDebianOracle: every classifier Debian's trove-classifiers lists is
// Valid here, and every deprecated one is Deprecated with the same
// replacements, in the same order.
func TestDebianOracle(t *testing.T) {
	version, valid, deprecated := debianList(t)
	for _, c := range valid {
		if st, repl := classifiers.Lookup(c); st != classifiers.Valid || repl != nil {
			t.Errorf("Lookup(%q) = %v %q, Debian's %s lists it as valid", c, st, repl, version)
		}
	}
	for c, want := range deprecated {
		st, repl := classifiers.Lookup(c)
		if st != classifiers.Deprecated || !slices.Equal(repl, want) {
			t.Errorf("Lookup(%q) = %v %q, Debian's %s: deprecated, replaced by %q", c, st, repl, version, want)
		}
	}
	if len(valid) < 500 || len(deprecated) == 0 {
		t.Errorf("oracle knows only %d valid and %d deprecated classifiers", len(valid), len(deprecated))
	}
	if version == classifiers.UpstreamVersion && len(classifiers.All()) != len(valid) {
		t.Errorf("same version %s, but %d embedded vs %d in Debian's", version, len(classifiers.All()), len(valid))
	}
	t.Logf("Debian's trove-classifiers %s: %d valid, %d deprecated; embedded list from %s", version, len(valid), len(deprecated), classifiers.UpstreamVersion)
}

// TestLookup covers what Warehouse compares: the exact string.
func TestLookup(t *testing.T) {
	tests := []struct {
		in   string
		want classifiers.Status
		repl []string
	}{
		{"Programming Language :: Python :: 3", classifiers.Valid, nil},
		{"License :: OSI Approved :: MIT License", classifiers.Valid, nil},
		{"Natural Language :: Ukranian", classifiers.Deprecated, []string{"Natural Language :: Ukrainian"}},
		{"Topic :: Communications :: Chat :: AOL Instant Messenger", classifiers.Deprecated, []string{}},
		{"programming language :: python :: 3", classifiers.Unknown, nil},
		{"Programming Language :: Python :: 3 ", classifiers.Unknown, nil},
		{" Programming Language :: Python :: 3", classifiers.Unknown, nil},
		{"Programming Language :: Python", classifiers.Valid, nil},
		{"Programming Language :: Python ::", classifiers.Unknown, nil},
		{"Private :: Do Not Upload", classifiers.Unknown, nil},
		{"", classifiers.Unknown, nil},
	}
	for _, tt := range tests {
		st, repl := classifiers.Lookup(tt.in)
		if st != tt.want || !slices.Equal(repl, tt.repl) || (tt.repl != nil) != (repl != nil) {
			t.Errorf("Lookup(%q) = %v %q, want %v %q", tt.in, st, repl, tt.want, tt.repl)
		}
	}
}

// TestLookupReturnsCopy: a caller changing the replacements does not change
// the next answer.
func TestLookupReturnsCopy(t *testing.T) {
	_, r := classifiers.Lookup("Natural Language :: Ukranian")
	r[0] = "changed"
	if _, r2 := classifiers.Lookup("Natural Language :: Ukranian"); r2[0] != "Natural Language :: Ukrainian" {
		t.Fatalf("replacement changed to %q", r2[0])
	}
}

// TestNewLeaf: a new last part under a known category is a new leaf; a
// known, deprecated or misspelt classifier is not.
func TestNewLeaf(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Programming Language :: Python :: 3.99", true},
		{"Framework :: Django :: 99.0", true},
		{"Programming Language :: Python :: 3", false},
		{"Natural Language :: Ukranian", false},
		{"Programing Language :: Python :: 3.99", false},
		{"Programming Language :: Python :: ", false},
		{"Programming Language :: Python ::  3.99", false},
		{"Development Status", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := classifiers.NewLeaf(tt.in); got != tt.want {
			t.Errorf("NewLeaf(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
