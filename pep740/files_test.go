package pep740

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBeside(t *testing.T) {
	dir := t.TempDir()
	dist := filepath.Join(dir, "x-1.0-py3-none-any.whl")
	for _, n := range []string{
		"x-1.0-py3-none-any.whl", "x-1.0-py3-none-any.whl.publish.attestation", "x-1.0-py3-none-any.whl.slsa.attestation",
		"x-1.0-py3-none-any.whl.a.b.attestation", "x-1.0-py3-none-any.whl.attestation", "x-1.0-py3-none-any.whl..attestation",
		"x-1.0-py3-none-any.whl2.publish.attestation", "x-1.0.tar.gz.publish.attestation",
	} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "x-1.0-py3-none-any.whl.dir.attestation"), 0o755)
	got, err := Beside(dist)
	want := []string{dist + ".publish.attestation", dist + ".slsa.attestation"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Beside = %v, %v; want %v", got, err, want)
	}
	if _, err := Beside(filepath.Join(dir, "missing", "y.whl")); err == nil || !strings.Contains(err.Error(), "y.whl") {
		t.Errorf("Beside in a missing directory: %v", err)
	}
}

func TestReadFileAndField(t *testing.T) {
	dir := t.TempDir()
	good := `{ "version": 1, "verification_material": {"certificate": "AAAA", "transparency_entries": [{}]},
  "envelope": {"statement": "AAAA", "signature": "AAAA"} }`
	p := filepath.Join(dir, "a.publish.attestation")
	os.WriteFile(p, []byte(good), 0o644)
	raw, err := ReadFile(p)
	if err != nil || strings.ContainsAny(string(raw), " \n") {
		t.Fatalf("ReadFile = %s, %v; want it compacted", raw, err)
	}
	big := filepath.Join(dir, "big.publish.attestation")
	os.WriteFile(big, make([]byte, maxFileSize+1), 0o644)
	if _, err := ReadFile(big); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("ReadFile of a huge file: %v", err)
	}
	bad := filepath.Join(dir, "bad.publish.attestation")
	os.WriteFile(bad, []byte(`{"version":1}`), 0o644)
	if _, err := ReadFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": invalid PEP 740 attestation: ") {
		t.Errorf("ReadFile of a bad file: %v", err)
	}
	f, err := Field([]json.RawMessage{raw, raw})
	if err != nil || !strings.HasPrefix(string(f), "[{") {
		t.Errorf("Field = %s, %v", f, err)
	}
	if _, err := ParseList(f); err != nil {
		t.Errorf("Field's output does not parse: %v", err)
	}
	if _, err := Field([]json.RawMessage{raw, raw, raw}); err == nil || !strings.Contains(err.Error(), "at most 2") {
		t.Errorf("Field of 3: %v", err)
	}
}

// TestDistFor: DistFor reverses FileFor, and names the dist whose Beside
// lists the file.
func TestDistFor(t *testing.T) {
	cases := []struct {
		path, dist, kind string
		ok               bool
	}{
		{"dist/x-1.0-py3-none-any.whl.publish.attestation", "dist/x-1.0-py3-none-any.whl", "publish", true},
		{"x-1.0.tar.gz.slsa.attestation", "x-1.0.tar.gz", "slsa", true},
		{"x-1.0.tar.gz.a.b.attestation", "x-1.0.tar.gz.a", "b", true},
		{"x-1.0.tar.gz..attestation", "", "", false},
		{".attestation", "", "", false},
		{".publish.attestation", "", "", false},
		{"dir.d/file.attestation", "", "", false},
		{"x-1.0.tar.gz.publish.attestation.bak", "", "", false},
		{"x-1.0.tar.gz", "", "", false},
	}
	for _, c := range cases {
		dist, kind, ok := DistFor(c.path)
		if dist != c.dist || kind != c.kind || ok != c.ok {
			t.Errorf("DistFor(%q) = %q, %q, %v; want %q, %q, %v", c.path, dist, kind, ok, c.dist, c.kind, c.ok)
		}
		if ok && FileFor(dist, kind) != c.path {
			t.Errorf("FileFor(DistFor(%q)) = %q", c.path, FileFor(dist, kind))
		}
	}
	dir := t.TempDir()
	dist := filepath.Join(dir, "x-1.0-py3-none-any.whl")
	for _, n := range []string{"x-1.0-py3-none-any.whl.publish.attestation", "x-1.0-py3-none-any.whl.slsa.attestation"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	paths, _ := Beside(dist)
	for _, p := range paths {
		if d, _, ok := DistFor(p); !ok || d != dist {
			t.Errorf("DistFor(%q) = %q, %v; Beside(%q) lists it", p, d, ok, dist)
		}
	}
}
