package pydist_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
)

const goodMetadata = "Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nSummary: s\n\nbody\n"

func validWheelEntries() []disttest.ZipEntry {
	return []disttest.ZipEntry{
		{Name: "pkg/__init__.py", Data: []byte("x = 1\n"), Method: zip.Deflate},
		{Name: "pkg-1.0.dist-info/METADATA", Data: []byte(goodMetadata), Method: zip.Deflate},
		{Name: "pkg-1.0.dist-info/WHEEL", Data: []byte("Wheel-Version: 1.0\n"), Method: zip.Deflate},
		{Name: "pkg-1.0.dist-info/RECORD", Data: []byte("pkg-1.0.dist-info/RECORD,,\n"), Method: zip.Deflate},
	}
}

func deflate(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// sparseTarGz is an sdist whose second member is a GNU sparse file ('S'),
// which Go's tar writer cannot produce: the header is patched by hand.
func sparseTarGz(t testing.TB) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "pkg-1.0/PKG-INFO", Size: int64(len(goodMetadata)), Mode: 0o644, Format: tar.FormatGNU})
	tw.Write([]byte(goodMetadata))
	tw.WriteHeader(&tar.Header{Name: "pkg-1.0/sparse", Mode: 0o644, Format: tar.FormatGNU})
	tw.Close()
	b := buf.Bytes()
	off := 512 + (len(goodMetadata)+511)/512*512
	h := b[off : off+512]
	h[156] = tar.TypeGNUSparse
	copy(h[148:156], "        ") // the checksum counts its own field as spaces
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(b)
	w.Close()
	return gz.Bytes()
}

func reg(name, data string) disttest.TarEntry {
	return disttest.TarEntry{Hdr: tar.Header{Name: name}, Data: []byte(data)}
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenHostile opens broken and hostile archives: each gives an error
// naming the file and the problem, never a panic or an unbounded read.
func TestOpenHostile(t *testing.T) {
	big := bytes.Repeat([]byte("Summary: x\n"), pydist.MaxMetadataSize/10)
	bigMeta := append([]byte("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"), big...)
	zeros := make([]byte, 8<<20)
	goodWheel := disttest.Zip(t, validWheelEntries())
	tests := []struct {
		name string
		file string
		data func(t *testing.T) []byte
		want string
	}{
		{"not a zip", "pkg-1.0-py3-none-any.whl", func(*testing.T) []byte { return []byte("hello, not a zip") }, "File is not a zipfile"},
		{"empty wheel", "pkg-1.0-py3-none-any.whl", func(*testing.T) []byte { return nil }, "File is not a zipfile"},
		{"truncated wheel", "pkg-1.0-py3-none-any.whl", func(*testing.T) []byte { return goodWheel[:len(goodWheel)-30] }, "File is not a zipfile"},
		{"corrupt METADATA data", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			d := deflate(t, []byte(goodMetadata))
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: append([]byte{0xff, 0xff}, d[2:]...), Method: zip.Deflate, Raw: true, USize: uint64(len(goodMetadata)), CRC: crc32.ChecksumIEEE([]byte(goodMetadata))}})
		}, "read pkg-1.0.dist-info/METADATA"},
		{"METADATA CRC mismatch", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: deflate(t, []byte(goodMetadata)), Method: zip.Deflate, Raw: true, USize: uint64(len(goodMetadata)), CRC: 1}})
		}, "checksum"},
		{"METADATA zip bomb declared", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: deflate(t, zeros), Method: zip.Deflate, Raw: true, USize: uint64(len(zeros)), CRC: crc32.ChecksumIEEE(zeros)}})
		}, "over the 415550-byte limit for core metadata of this file (50 times the archive"},
		{"METADATA zip bomb lying size", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: deflate(t, zeros), Method: zip.Deflate, Raw: true, USize: 100, CRC: 0}})
		}, "read pkg-1.0.dist-info/METADATA"},
		{"METADATA too large", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: bigMeta, Method: zip.Deflate}})
		}, "limit"},
		{"METADATA binary", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: []byte{0x7f, 'E', 'L', 'F', 0, 0, 1}, Method: zip.Store}})
		}, "NUL byte"},
		{"METADATA unsupported compression", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: []byte("BZh9"), Method: 12, Raw: true, USize: 10}})
		}, "File does not use a supported compression type"},
		{"METADATA symlink", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/METADATA", Data: []byte("/etc/passwd"), Method: zip.Store, Mode: os.ModeSymlink | 0o777}})
		}, "is a symlink"},
		{"no METADATA", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg-1.0.dist-info/WHEEL", Data: []byte("x"), Method: zip.Deflate}})
		}, "does not contain the required METADATA file: pkg-1.0.dist-info/METADATA"},
		{"no dist-info", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "pkg/__init__.py", Data: []byte("x"), Method: zip.Deflate}})
		}, "no .dist-info directory at all"},
		{"dist-info of another project", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "other-2.0.dist-info/METADATA", Data: []byte(goodMetadata), Method: zip.Deflate}})
		}, "no .dist-info directory matches the filename; found other-2.0.dist-info"},
		{"nested METADATA is not used", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{{Name: "vendor/pkg-1.0.dist-info/METADATA", Data: []byte(goodMetadata), Method: zip.Deflate}})
		}, "no .dist-info directory at all"},
		{"two matching dist-info", "pkg-1.0-py3-none-any.whl", func(t *testing.T) []byte {
			return disttest.Zip(t, []disttest.ZipEntry{
				{Name: "Pkg-1.0.dist-info/METADATA", Data: []byte(goodMetadata), Method: zip.Deflate},
				{Name: "PKG-1.0.dist-info/METADATA", Data: []byte(goodMetadata), Method: zip.Deflate},
			})
		}, "several .dist-info directories"},
		{"sdist not gzip", "pkg-1.0.tar.gz", func(*testing.T) []byte { return []byte("plain text") }, "File is not a tarfile"},
		{"sdist plain tar", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			tw.WriteHeader(&tar.Header{Name: "pkg-1.0/PKG-INFO", Size: 1, Mode: 0o644})
			tw.Write([]byte("x"))
			tw.Close()
			return buf.Bytes()
		}, "not gzip-compressed"},
		{"sdist gzip of garbage", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			gz.Write(bytes.Repeat([]byte("garbage!"), 200))
			gz.Close()
			return buf.Bytes()
		}, "File is not a tarfile"},
		{"sdist truncated", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			b := disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/PKG-INFO", goodMetadata), reg("pkg-1.0/big", strings.Repeat("abcdefgh", 10000))})
			return b[:len(b)/2]
		}, "File is not a tarfile"},
		{"sdist two top-level dirs", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/PKG-INFO", goodMetadata), reg("other/x", "x")})
		}, "Incorrect number of top-level directories in sdist"},
		{"sdist top-level file", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/PKG-INFO", goodMetadata), reg("setup.py", "x")})
		}, "Incorrect number of top-level directories"},
		{"sdist empty", "pkg-1.0.tar.gz", func(t *testing.T) []byte { return disttest.TarGz(t, nil) }, "found 0"},
		{"sdist absolute path", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/PKG-INFO", goodMetadata), reg("/etc/cron.d/x", "x")})
		}, "Incorrect number of top-level directories"},
		{"sdist no PKG-INFO", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/setup.py", "x")})
		}, "PKG-INFO not found at pkg-1.0/PKG-INFO"},
		{"sdist PKG-INFO symlink", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{{Hdr: tar.Header{Name: "pkg-1.0/PKG-INFO", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}})
		}, `is a link (to "/etc/passwd")`},
		{"sdist PKG-INFO hardlink", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/real", goodMetadata), {Hdr: tar.Header{Name: "pkg-1.0/PKG-INFO", Typeflag: tar.TypeLink, Linkname: "pkg-1.0/real"}}})
		}, "is a link"},
		{"sdist PKG-INFO directory", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{{Hdr: tar.Header{Name: "pkg-1.0/PKG-INFO/", Typeflag: tar.TypeDir, Mode: 0o755}}})
		}, "not a regular file"},
		{"sdist PKG-INFO too large", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{{Hdr: tar.Header{Name: "pkg-1.0/PKG-INFO"}, Data: bigMeta}})
		}, "limit"},
		{"sdist PKG-INFO not UTF-8", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			return disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: caf\xe9\n")})
		}, "invalid UTF-8"},
		{"sdist gzip bomb", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			var buf bytes.Buffer
			gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			tw := tar.NewWriter(gz)
			tw.WriteHeader(&tar.Header{Name: "pkg-1.0/PKG-INFO", Size: int64(len(goodMetadata)), Mode: 0o644})
			tw.Write([]byte(goodMetadata))
			const n = 80 << 20
			tw.WriteHeader(&tar.Header{Name: "pkg-1.0/zeros", Size: n, Mode: 0o644})
			chunk := make([]byte, 1<<20)
			for range n >> 20 {
				tw.Write(chunk)
			}
			tw.Close()
			gz.Close()
			return buf.Bytes()
		}, "File exceeds compression ratio of 50"},
		{"sdist endless long names", "pkg-1.0.tar.gz", func(t *testing.T) []byte {
			var buf bytes.Buffer
			gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			tw := tar.NewWriter(gz)
			long := strings.Repeat("d", 2000)
			for i := range pydist.MaxNameBytes/2000 + 10 {
				tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("pkg-1.0/%s%d", long, i), Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX})
			}
			tw.Close()
			gz.Close()
			return buf.Bytes()
		}, "member names exceed"},
		{"zip named as sdist", "pkg-1.0.zip", func(*testing.T) []byte { return goodWheel }, "PEP 625"},
		{"unknown extension", "pkg-1.0.egg", func(*testing.T) []byte { return goodWheel }, "extension must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tt.file, tt.data(t))
			f, err := pydist.Open(p)
			if err == nil {
				t.Fatalf("Open = %+v, want error containing %q", f, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name the file %s", err, tt.file)
			}
		})
	}
}

// TestCheckArchiveProblems covers archives that can be read but that PyPI
// refuses: Check reports them.
func TestCheckArchiveProblems(t *testing.T) {
	withEntries := func(extra ...disttest.ZipEntry) []byte {
		return disttest.Zip(t, append(validWheelEntries(), extra...))
	}
	tests := []struct {
		name string
		file string
		data []byte
		want []problemWant
	}{
		{"valid hand-built wheel", "pkg-1.0-py3-none-any.whl", withEntries(), nil},
		{"compression ratio", "pkg-1.0-py3-none-any.whl",
			withEntries(disttest.ZipEntry{Name: "pkg/huge.bin", Data: deflate(t, make([]byte, 1024)), Method: zip.Deflate, Raw: true, USize: 1 << 30}),
			[]problemWant{{"archive", "File exceeds compression ratio of 50"}}},
		{"declared sizes overflow int64", "pkg-1.0-py3-none-any.whl",
			withEntries(disttest.ZipEntry{Name: "pkg/a", Data: []byte{3, 0}, Method: zip.Deflate, Raw: true, USize: 1<<64 - 1},
				disttest.ZipEntry{Name: "pkg/b", Data: []byte{3, 0}, Method: zip.Deflate, Raw: true, USize: 1<<64 - 1}),
			[]problemWant{{"archive", "File exceeds compression ratio of 50"}}},
		{"unsupported compression", "pkg-1.0-py3-none-any.whl",
			withEntries(disttest.ZipEntry{Name: "pkg/x.bz2", Data: []byte("BZh9"), Method: 12, Raw: true, USize: 4}),
			[]problemWant{{"archive", "File does not use a supported compression type"}}},
		{"path traversal", "pkg-1.0-py3-none-any.whl",
			withEntries(disttest.ZipEntry{Name: "../../evil.py", Data: []byte("x"), Method: zip.Deflate}),
			[]problemWant{{"archive", "../../evil.py"}}},
		{"absolute path", "pkg-1.0-py3-none-any.whl",
			withEntries(disttest.ZipEntry{Name: "/etc/evil", Data: []byte("x"), Method: zip.Deflate}),
			[]problemWant{{"archive", "/etc/evil"}}},
		{"backslash path", "pkg-1.0-py3-none-any.whl",
			withEntries(disttest.ZipEntry{Name: `..\evil.py`, Data: []byte("x"), Method: zip.Deflate}),
			[]problemWant{{"archive", `..\evil.py`}}},
		{"duplicate members", "pkg-1.0-py3-none-any.whl",
			withEntries(disttest.ZipEntry{Name: "pkg/__init__.py", Data: []byte("y"), Method: zip.Deflate}),
			[]problemWant{{"archive", "duplicate members: pkg/__init__.py"}}},
		{"sdist traversal", "pkg-1.0.tar.gz",
			disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/PKG-INFO", goodMetadata), reg("pkg-1.0/../../x", "x")}),
			[]problemWant{{"archive", "pkg-1.0/../../x"}}},
		{"sdist device", "pkg-1.0.tar.gz",
			disttest.TarGz(t, []disttest.TarEntry{reg("pkg-1.0/PKG-INFO", goodMetadata), {Hdr: tar.Header{Name: "pkg-1.0/dev", Typeflag: tar.TypeChar}}}),
			[]problemWant{{"archive", "pkg-1.0/dev"}}},
		{"sdist sparse member", "pkg-1.0.tar.gz", sparseTarGz(t),
			[]problemWant{{"archive", "sparse tar members (pkg-1.0/sparse)"}}},
		{"sdist with ./ prefix is fine", "pkg-1.0.tar.gz",
			disttest.TarGz(t, []disttest.TarEntry{{Hdr: tar.Header{Name: "./", Typeflag: tar.TypeDir}}, reg("./pkg-1.0/PKG-INFO", goodMetadata)}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tt.file, tt.data)
			f := openOrFail(t, p)
			assertProblems(t, pydist.Check(f, pydist.CheckOptions{}), tt.want, p)
		})
	}
}

func TestOpenSdistRepeatedPKGINFO(t *testing.T) {
	// Many PKG-INFO members: only the last is kept (as Python's tarfile
	// does), so memory stays bounded, and Check reports the duplicates.
	var entries []disttest.TarEntry
	for i := range 200 {
		entries = append(entries, reg("pkg-1.0/PKG-INFO", fmt.Sprintf("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nSummary: copy %d\n", i)))
	}
	p := writeFile(t, t.TempDir(), "pkg-1.0.tar.gz", disttest.TarGz(t, entries))
	f := openOrFail(t, p)
	if got := f.Metadata.Get("Summary"); got != "copy 199" {
		t.Errorf("Summary = %q, want the last copy", got)
	}
	ps := pydist.Errors(pydist.Check(f, pydist.CheckOptions{}))
	if len(ps) != 1 || ps[0].Code != pydist.CodeArchiveDuplicate || !strings.Contains(ps[0].Message, "duplicate members: pkg-1.0/PKG-INFO") {
		t.Errorf("problems = %v", ps)
	}
	if len(f.Archive.Duplicates) > 20 {
		t.Errorf("%d duplicates kept; the list must be capped", len(f.Archive.Duplicates))
	}
}

func TestOpenDistInfoNormalisation(t *testing.T) {
	// A wheel whose .dist-info directory is spelled differently from the
	// filename (older tools) is still read.
	data := disttest.Zip(t, []disttest.ZipEntry{
		{Name: "My.Pkg-1.0.0.dist-info/METADATA", Data: []byte("Metadata-Version: 2.1\nName: My.Pkg\nVersion: 1.0.0\n"), Method: zip.Deflate},
		{Name: "other-1.0.dist-info/METADATA", Data: []byte(goodMetadata), Method: zip.Deflate},
	})
	p := writeFile(t, t.TempDir(), "my_pkg-1.0.0-py3-none-any.whl", data)
	f := openOrFail(t, p)
	if f.Archive.DistInfo != "My.Pkg-1.0.0.dist-info" || f.Metadata.Get("Name") != "My.Pkg" {
		t.Fatalf("dist-info %q name %q", f.Archive.DistInfo, f.Metadata.Get("Name"))
	}
	// ...but PyPI wants the exact spelling, so Check reports it.
	ps := pydist.Errors(pydist.Check(f, pydist.CheckOptions{}))
	if len(ps) == 0 || ps[0].Field != "METADATA" || !strings.Contains(ps[0].Message, "my_pkg-1.0.0.dist-info/METADATA (the wheel has My.Pkg-1.0.0.dist-info/METADATA") {
		t.Fatalf("problems = %v", ps)
	}
}

func TestOpenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	opts := disttest.Options{Fields: fields("Requires-Dist", "requests>=2", "Requires-Dist", "idna")}
	for _, p := range []string{
		disttest.BuildWheel(t, dir, "Round.Trip", "2.0.post1", opts),
		disttest.BuildSdist(t, dir, "Round.Trip", "2.0.post1", opts),
	} {
		f := openOrFail(t, p)
		st, _ := os.Stat(p)
		if f.Path != p || f.Size != st.Size() {
			t.Errorf("%s: Path %q Size %d", p, f.Path, f.Size)
		}
		if want := disttest.Metadata("Round.Trip", "2.0.post1", opts); !bytes.Equal(f.MetadataBytes, want) {
			t.Errorf("%s: MetadataBytes differ from what was written", p)
		}
		if got := f.Metadata.GetAll("Requires-Dist"); len(got) != 2 || got[0] != "requests>=2" {
			t.Errorf("%s: Requires-Dist = %q", p, got)
		}
		if ps := pydist.Errors(pydist.Check(f, pydist.CheckOptions{})); len(ps) != 0 {
			t.Errorf("%s: %v", p, ps)
		}
		// ReadMetadata and OpenReader agree with Open.
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := pydist.ReadMetadata(fh, st.Size(), f.Filename)
		if err != nil || !bytes.Equal(b, f.MetadataBytes) {
			t.Errorf("%s: ReadMetadata = %v", p, err)
		}
		g, err := pydist.OpenReader(fh, st.Size(), filepath.Base(p))
		if err != nil || !bytes.Equal(g.MetadataBytes, f.MetadataBytes) || g.Archive.MetadataPath != f.Archive.MetadataPath {
			t.Errorf("%s: OpenReader = %v", p, err)
		}
		fh.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := pydist.Open(filepath.Join(dir, "missing-1.0.tar.gz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	d := filepath.Join(dir, "pkg-1.0.tar.gz")
	os.Mkdir(d, 0o755)
	if _, err := pydist.Open(d); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	fifo := filepath.Join(dir, "fifo-1.0.tar.gz")
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		if _, err := pydist.Open(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("fifo: %v", err)
		}
	}
	var ie *pydist.InvalidFileError
	p := writeFile(t, dir, "pkg-1.0-py3-none-any.whl", []byte("nope"))
	_, err := pydist.Open(p)
	if !errors.As(err, &ie) || ie.Reason != "File is not a zipfile" || !errors.Is(err, zip.ErrFormat) {
		t.Errorf("not a zip: %v", err)
	}
	if _, err := pydist.ReadMetadata(bytes.NewReader(nil), 0, pydist.Filename{Raw: "x"}); err == nil {
		t.Errorf("ReadMetadata with zero Filename succeeded")
	}
}
