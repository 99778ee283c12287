package disttest_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// TestZip reads back what Zip writes with archive/zip: each entry's name,
// method, mode and content, a data descriptor (flag bit 3) only on the
// streamed one, and a raw entry's declared size and CRC as given.
func TestZip(t *testing.T) {
	b := disttest.Zip(t, []disttest.ZipEntry{
		{Name: "a.py", Data: []byte("deflated"), Method: zip.Deflate},
		{Name: "b.py", Data: []byte("stored"), Method: zip.Store},
		{Name: "link", Data: []byte("/etc/passwd"), Method: zip.Store, Mode: os.ModeSymlink | 0o777},
		{Name: "s.py", Data: []byte("streamed"), Method: zip.Deflate, Streamed: true},
		{Name: "a.py", Data: []byte("again"), Method: zip.Deflate},
		{Name: "x.bz2", Data: []byte("BZh9"), Method: 12, Raw: true, USize: 1 << 30, CRC: 7},
	})
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name       string
		method     uint16
		descriptor bool
		data       string // "" for the raw entry, which cannot be read
	}{
		{"a.py", zip.Deflate, false, "deflated"}, {"b.py", zip.Store, false, "stored"}, {"link", zip.Store, false, "/etc/passwd"},
		{"s.py", zip.Deflate, true, "streamed"}, {"a.py", zip.Deflate, false, "again"}, {"x.bz2", 12, false, ""},
	}
	if len(zr.File) != len(want) {
		t.Fatalf("%d members, want %d", len(zr.File), len(want))
	}
	for i, w := range want {
		f := zr.File[i]
		if f.Name != w.name || f.Method != w.method || (f.Flags&0x8 != 0) != w.descriptor {
			t.Errorf("member %d: %s method %d flags %#x, want %s method %d descriptor %v", i, f.Name, f.Method, f.Flags, w.name, w.method, w.descriptor)
		}
		if w.data == "" {
			if f.UncompressedSize64 != 1<<30 || f.CRC32 != 7 || f.CompressedSize64 != 4 {
				t.Errorf("raw member: sizes %d/%d, CRC %d", f.CompressedSize64, f.UncompressedSize64, f.CRC32)
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != w.data {
			t.Errorf("member %d: %q, %v; want %q", i, got, err, w.data)
		}
	}
	if zr.File[2].Mode()&os.ModeSymlink == 0 {
		t.Errorf("link mode %v", zr.File[2].Mode())
	}
}

// TestTarGz reads back what TarGz writes: a regular file gets its size and
// mode 0644 by default; other types keep their header.
func TestTarGz(t *testing.T) {
	b := disttest.TarGz(t, []disttest.TarEntry{
		{Hdr: tar.Header{Name: "p-1.0/PKG-INFO"}, Data: []byte("Name: p\n")},
		{Hdr: tar.Header{Name: "p-1.0/setup.py", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd", Mode: 0o777}},
		{Hdr: tar.Header{Name: "p-1.0/d/", Typeflag: tar.TypeDir, Mode: 0o755}},
	})
	got, content := readTarGz(t, bytes.NewReader(b))
	if string(content["p-1.0/PKG-INFO"]) != "Name: p\n" {
		t.Errorf("PKG-INFO: %q", content["p-1.0/PKG-INFO"])
	}
	if len(got) != 3 || got[0].Typeflag != tar.TypeReg || got[0].Mode != 0o644 || got[0].Size != 8 ||
		got[1].Typeflag != tar.TypeSymlink || got[1].Linkname != "/etc/passwd" || got[1].Mode != 0o777 ||
		got[2].Typeflag != tar.TypeDir || got[2].Mode != 0o755 {
		t.Fatalf("headers %+v", got)
	}
}

// readTarGz reads a .tar.gz: its headers in order, and each regular
// file's content by name.
func readTarGz(t *testing.T, r io.Reader) ([]tar.Header, map[string][]byte) {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var hdrs []tar.Header
	content := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs, content
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, *h)
		if h.Typeflag == tar.TypeReg {
			if content[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
}
