package disttest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/trustpub/trustpub/internal/zipwrite"
)

// ZipEntry is one member of a zip built by hand (Zip), for the broken and
// hostile archives that BuildWheel does not make: duplicate or unsafe
// names, data descriptors, lying sizes, unknown compression methods,
// symbolic links.
type ZipEntry struct {
	Name string
	Data []byte
	// Method is the member's compression method: zip.Store or
	// zip.Deflate, or with Raw any number.
	Method uint16
	// Raw writes Data as it is (already compressed) under Method, USize
	// and CRC, whatever they say.
	Raw   bool
	USize uint64 // declared uncompressed size (Raw only)
	CRC   uint32 // declared CRC-32 (Raw only)
	Mode  os.FileMode
	// Streamed writes the member as archive/zip's CreateHeader does, with
	// a data descriptor (PyPI refuses those); the others are written as
	// Python's zipfile writes them.
	Streamed bool
}

// Zip returns a zip of the entries in order (duplicates allowed); it fails
// the test on any error.
func Zip(tb testing.TB, entries []ZipEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.Name, Method: e.Method}
		if e.Mode != 0 {
			hdr.SetMode(e.Mode)
		}
		var err error
		switch {
		case e.Raw || e.Streamed:
			var w io.Writer
			if e.Raw {
				hdr.CompressedSize64 = uint64(len(e.Data))
				hdr.UncompressedSize64 = e.USize
				hdr.CRC32 = e.CRC
				w, err = zw.CreateRaw(hdr)
			} else {
				w, err = zw.CreateHeader(hdr)
			}
			if err == nil {
				_, err = w.Write(e.Data)
			}
		case e.Method == zip.Store:
			_, err = zipwrite.Stored(zw, hdr, func() io.Reader { return bytes.NewReader(e.Data) })
		default:
			err = zipwrite.Deflated(zw, hdr, e.Data, flate.DefaultCompression)
		}
		if err != nil {
			tb.Fatalf("disttest: zip member %s: %v", e.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatalf("disttest: zip: %v", err)
	}
	return buf.Bytes()
}

// TarEntry is one member of a .tar.gz built by hand (TarGz). Hdr's
// Typeflag defaults to a regular file, whose Size is len(Data), and its
// Mode to 0644.
type TarEntry struct {
	Hdr  tar.Header
	Data []byte
}

// TarGz returns a gzip-compressed tar of the entries in order; it fails
// the test on any error.
func TarGz(tb testing.TB, entries []TarEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := e.Hdr
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Data))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			tb.Fatalf("disttest: tar member %s: %v", h.Name, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			tb.Fatalf("disttest: tar member %s: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatalf("disttest: tar: %v", err)
	}
	if err := gz.Close(); err != nil {
		tb.Fatalf("disttest: gzip: %v", err)
	}
	return buf.Bytes()
}
