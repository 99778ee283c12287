package disttest_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// TestWheelRecord checks the wheel is a real one: every member is listed in
// RECORD with its true sha256 and size, and the dist-info files exist.
func TestWheelRecord(t *testing.T) {
	p := disttest.BuildWheel(t, t.TempDir(), "My.Pkg", "1.0", disttest.Options{
		Files: map[string][]byte{"my_pkg/data.txt": []byte("data")}, PayloadSize: 100_000, Build: "2"})
	if filepath.Base(p) != "my_pkg-1.0-2-py3-none-any.whl" {
		t.Fatalf("name %s", p)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	members := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		members[f.Name] = b
	}
	for _, n := range []string{"METADATA", "WHEEL", "RECORD"} {
		if _, ok := members["my_pkg-1.0.dist-info/"+n]; !ok {
			t.Errorf("missing %s", n)
		}
	}
	if !strings.Contains(string(members["my_pkg-1.0.dist-info/WHEEL"]), "Build: 2\n") {
		t.Errorf("WHEEL lacks the build tag")
	}
	lines := strings.Split(strings.TrimSpace(string(members["my_pkg-1.0.dist-info/RECORD"])), "\n")
	if len(lines) != len(members) {
		t.Errorf("RECORD has %d lines for %d members", len(lines), len(members))
	}
	for _, l := range lines {
		parts := strings.Split(l, ",")
		if len(parts) != 3 {
			t.Fatalf("RECORD line %q", l)
		}
		if strings.HasSuffix(parts[0], "/RECORD") {
			continue
		}
		b, ok := members[parts[0]]
		sum := sha256.Sum256(b)
		if !ok || parts[1] != "sha256="+base64.RawURLEncoding.EncodeToString(sum[:]) || parts[2] != fmt.Sprint(len(b)) {
			t.Errorf("RECORD line %q does not match the member", l)
		}
	}
	if len(members["my_pkg/payload.bin"]) != 100_000 {
		t.Errorf("payload %d bytes", len(members["my_pkg/payload.bin"]))
	}
}

func TestReproducibleAndSeeded(t *testing.T) {
	build := func(seed uint64) []byte {
		b, err := os.ReadFile(disttest.BuildWheel(t, t.TempDir(), "pkg", "1.0", disttest.Options{PayloadSize: 4096, Seed: seed}))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(build(1), build(1)) {
		t.Error("same options gave different bytes")
	}
	if bytes.Equal(build(1), build(2)) {
		t.Error("different seeds gave the same bytes")
	}
}

func TestSdistLayout(t *testing.T) {
	p := disttest.BuildSdist(t, t.TempDir(), "My.Pkg", "2.0rc1", disttest.Options{Fields: []disttest.Field{{"Requires-Dist", "x"}}})
	if filepath.Base(p) != "my_pkg-2.0rc1.tar.gz" {
		t.Fatalf("name %s", p)
	}
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	hdrs, content := readTarGz(t, fh)
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
		if !strings.HasPrefix(h.Name, "my_pkg-2.0rc1/") {
			t.Errorf("member %s outside the top-level directory", h.Name)
		}
	}
	pkgInfo := content["my_pkg-2.0rc1/PKG-INFO"]
	want := "Metadata-Version: 2.4\nName: My.Pkg\nVersion: 2.0rc1\nSummary: Test distribution My.Pkg\nRequires-Dist: x\n\n"
	if !strings.HasPrefix(string(pkgInfo), want) {
		t.Errorf("PKG-INFO = %q", pkgInfo)
	}
	if len(names) < 4 {
		t.Errorf("members %v", names)
	}
}

func TestOmit(t *testing.T) {
	p := disttest.BuildWheel(t, t.TempDir(), "pkg", "1.0", disttest.Options{Omit: []string{"RECORD", "WHEEL"}})
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/RECORD") || strings.HasSuffix(f.Name, "/WHEEL") {
			t.Errorf("%s not omitted", f.Name)
		}
	}
}
