package zipwrite

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"testing"
	"time"
)

// TestNoDataDescriptor writes members both ways and reads them back: the
// contents, sizes and time survive, and no member has the data-descriptor
// flag (which PyPI refuses) or a descriptor record after its data.
func TestNoDataDescriptor(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mod := time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)
	text := []byte(strings.Repeat("deflated member\n", 100))
	if err := Deflated(zw, &zip.FileHeader{Name: "pkg/a.py", Modified: mod}, text, flate.BestCompression); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 1<<20)
	n, err := Stored(zw, &zip.FileHeader{Name: "pkg/big.bin", Modified: mod}, func() io.Reader { return strings.NewReader(big) })
	if err != nil || n != int64(len(big)) {
		t.Fatalf("Stored = %d, %v", n, err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("PK\x07\x08")) {
		t.Error("archive contains a data descriptor record")
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pkg/a.py": string(text), "pkg/big.bin": big}
	for _, f := range zr.File {
		if f.Flags&0x8 != 0 {
			t.Errorf("%s has the data-descriptor flag", f.Name)
		}
		if !f.Modified.Equal(mod) {
			t.Errorf("%s modified %v, want %v", f.Name, f.Modified, mod)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != want[f.Name] {
			t.Errorf("%s: %d bytes, %v", f.Name, len(got), err)
		}
	}
	if len(zr.File) != 2 {
		t.Fatalf("%d members", len(zr.File))
	}
}
