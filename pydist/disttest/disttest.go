// Package disttest builds real, valid Python distribution files (wheels and
// sdists) for tests and benchmarks of the packages that read, upload or
// serve them. A wheel has {name}-{version}.dist-info/METADATA, WHEEL and a
// RECORD with sha256 lines; an sdist is a .tar.gz with one top-level
// directory holding PKG-INFO. Options produce broken variants on purpose.
package disttest

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/zipwrite"
)

// Field is one core metadata header.
type Field struct{ Name, Value string }

// Options tunes the file built. The zero value gives a small valid
// pure-Python distribution with Metadata-Version 2.4.
type Options struct {
	// Filename overrides the file's base name (default: the PEP 427/625
	// name built from the normalised name and version).
	Filename string
	// Build is a wheel build tag ("1"), or "".
	Build string
	// PythonTag, ABITag and PlatformTag default to py3, none and any.
	PythonTag, ABITag, PlatformTag string
	// MetadataVersion defaults to "2.4".
	MetadataVersion string
	// Fields are extra metadata headers, written after Name/Version/Summary.
	Fields []Field
	// Description is the metadata body (default: a short Markdown text).
	Description string
	// Metadata, if set, replaces the whole METADATA / PKG-INFO text.
	Metadata []byte
	// Omit lists dist-info member names to leave out of a wheel
	// ("WHEEL", "RECORD", "METADATA"), or "PKG-INFO" for an sdist.
	Omit []string
	// Files are extra members (path relative to the archive root for a
	// wheel, to the top-level directory for an sdist).
	Files map[string][]byte
	// PayloadSize adds a member of this many pseudo-random (incompressible)
	// bytes, written streaming, for size and throughput tests.
	PayloadSize int64
	// Seed makes the payload differ between files (same seed, same bytes).
	Seed uint64
	// ModTime is every member's time (default 2024-01-01 UTC), so builds
	// are reproducible: same options, same bytes.
	ModTime time.Time
}

var sepRun = regexp.MustCompile(`[-_.]+`)

// Escaped is the name as it appears in wheel and sdist filenames: the
// PEP 503 normalised name with '-' replaced by '_'.
func Escaped(name string) string {
	return strings.ReplaceAll(strings.ToLower(sepRun.ReplaceAllString(name, "-")), "-", "_")
}

func (o *Options) defaults() {
	if o.PythonTag == "" {
		o.PythonTag = "py3"
	}
	if o.ABITag == "" {
		o.ABITag = "none"
	}
	if o.PlatformTag == "" {
		o.PlatformTag = "any"
	}
	if o.MetadataVersion == "" {
		o.MetadataVersion = "2.4"
	}
	if o.ModTime.IsZero() {
		o.ModTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
}

func (o *Options) omitted(n string) bool {
	for _, x := range o.Omit {
		if x == n {
			return true
		}
	}
	return false
}

// Metadata returns the core metadata text the options describe.
func Metadata(name, version string, o Options) []byte {
	o.defaults()
	if o.Metadata != nil {
		return o.Metadata
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: %s\nName: %s\nVersion: %s\nSummary: Test distribution %s\n", o.MetadataVersion, name, version, name)
	for _, f := range o.Fields {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
	}
	desc := o.Description
	if desc == "" {
		desc = "# " + name + "\n\nA distribution built by disttest.\n"
	}
	b.WriteString("\n" + desc)
	return []byte(b.String())
}

// WheelFilename is the PEP 427 filename for name, version and options.
func WheelFilename(name, version string, o Options) string {
	o.defaults()
	if o.Filename != "" {
		return o.Filename
	}
	parts := []string{Escaped(name), version}
	if o.Build != "" {
		parts = append(parts, o.Build)
	}
	parts = append(parts, o.PythonTag, o.ABITag, o.PlatformTag)
	return strings.Join(parts, "-") + ".whl"
}

// SdistFilename is the PEP 625 filename for name and version.
func SdistFilename(name, version string, o Options) string {
	if o.Filename != "" {
		return o.Filename
	}
	return Escaped(name) + "-" + version + ".tar.gz"
}

// BuildWheel writes a wheel into dir and returns its path; it fails the
// test on any error.
func BuildWheel(tb testing.TB, dir, name, version string, o Options) string {
	tb.Helper()
	p, err := WriteWheel(dir, name, version, o)
	if err != nil {
		tb.Fatalf("disttest: build wheel: %v", err)
	}
	return p
}

// BuildSdist writes an sdist into dir and returns its path; it fails the
// test on any error.
func BuildSdist(tb testing.TB, dir, name, version string, o Options) string {
	tb.Helper()
	p, err := WriteSdist(dir, name, version, o)
	if err != nil {
		tb.Fatalf("disttest: build sdist: %v", err)
	}
	return p
}

// WriteWheel is BuildWheel for non-test callers (benchmark commands).
func WriteWheel(dir, name, version string, o Options) (string, error) {
	o.defaults()
	return writeDist(filepath.Join(dir, WheelFilename(name, version, o)), func(w io.Writer) error { return writeWheel(w, name, version, o) })
}

// WriteSdist is BuildSdist for non-test callers (benchmark commands).
func WriteSdist(dir, name, version string, o Options) (string, error) {
	o.defaults()
	return writeDist(filepath.Join(dir, SdistFilename(name, version, o)), func(w io.Writer) error { return writeSdist(w, name, version, o) })
}

// writeDist creates the file p with what write writes; an error from
// write names p.
func writeDist(p string, write func(io.Writer) error) (string, error) {
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	if err := write(f); err != nil {
		f.Close()
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return p, f.Close()
}

type recordWriter struct {
	lines []string
}

func (r *recordWriter) add(path string, h hash.Hash, n int64) {
	r.lines = append(r.lines, fmt.Sprintf("%s,sha256=%s,%d", path, base64.RawURLEncoding.EncodeToString(h.Sum(nil)), n))
}

// payload is a deterministic incompressible byte stream.
func payload(seed uint64, n int64) io.Reader {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return io.LimitReader(rand.NewChaCha8(key), n)
}

func writeWheel(w io.Writer, name, version string, o Options) error {
	zw := zip.NewWriter(w)
	esc := Escaped(name)
	di := esc + "-" + version + ".dist-info"
	var rec recordWriter
	// Members are written with their sizes and CRC in the local header and
	// no data descriptor, as Python's zipfile writes them (PyPI refuses
	// data descriptors).
	put := func(path string, r io.Reader, method uint16) error {
		hdr := &zip.FileHeader{Name: path, Modified: o.ModTime}
		hdr.SetMode(0o644)
		h := sha256.New()
		var n int64
		var err error
		if method == zip.Store {
			n, err = zipwrite.Stored(zw, hdr, func() io.Reader { return payload(o.Seed, o.PayloadSize) })
			if err == nil {
				_, err = io.Copy(h, r)
			}
		} else {
			var b []byte
			if b, err = io.ReadAll(r); err == nil {
				h.Write(b)
				n = int64(len(b))
				err = zipwrite.Deflated(zw, hdr, b, flate.DefaultCompression)
			}
		}
		if err != nil {
			return err
		}
		rec.add(path, h, n)
		return nil
	}
	if err := put(esc+"/__init__.py", strings.NewReader("__version__ = \""+version+"\"\n"), zip.Deflate); err != nil {
		return err
	}
	for _, p := range sortedKeys(o.Files) {
		if err := put(p, strings.NewReader(string(o.Files[p])), zip.Deflate); err != nil {
			return err
		}
	}
	if o.PayloadSize > 0 {
		if err := put(esc+"/payload.bin", payload(o.Seed, o.PayloadSize), zip.Store); err != nil {
			return err
		}
	}
	if !o.omitted("METADATA") {
		if err := put(di+"/METADATA", strings.NewReader(string(Metadata(name, version, o))), zip.Deflate); err != nil {
			return err
		}
	}
	if !o.omitted("WHEEL") {
		tag := o.PythonTag + "-" + o.ABITag + "-" + o.PlatformTag
		wheel := "Wheel-Version: 1.0\nGenerator: disttest\nRoot-Is-Purelib: true\nTag: " + tag + "\n"
		if o.Build != "" {
			wheel += "Build: " + o.Build + "\n"
		}
		if err := put(di+"/WHEEL", strings.NewReader(wheel), zip.Deflate); err != nil {
			return err
		}
	}
	if !o.omitted("RECORD") {
		hdr := &zip.FileHeader{Name: di + "/RECORD", Modified: o.ModTime}
		hdr.SetMode(0o644)
		if err := zipwrite.Deflated(zw, hdr, []byte(strings.Join(append(rec.lines, di+"/RECORD,,"), "\n")+"\n"), flate.DefaultCompression); err != nil {
			return err
		}
	}
	return zw.Close()
}

func writeSdist(w io.Writer, name, version string, o Options) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	top := Escaped(name) + "-" + version
	put := func(path string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + path, Mode: 0o644, Size: size, ModTime: o.ModTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: top + "/", Mode: 0o755, ModTime: o.ModTime, Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
		return err
	}
	if !o.omitted("PKG-INFO") {
		md := Metadata(name, version, o)
		if err := put("PKG-INFO", int64(len(md)), strings.NewReader(string(md))); err != nil {
			return err
		}
	}
	pyproject := fmt.Sprintf("[build-system]\nrequires = [\"flit_core>=3.9\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = %q\nversion = %q\n", name, version)
	if err := put("pyproject.toml", int64(len(pyproject)), strings.NewReader(pyproject)); err != nil {
		return err
	}
	initPy := "__version__ = \"" + version + "\"\n"
	if err := put(Escaped(name)+"/__init__.py", int64(len(initPy)), strings.NewReader(initPy)); err != nil {
		return err
	}
	for _, p := range sortedKeys(o.Files) {
		if err := put(p, int64(len(o.Files[p])), strings.NewReader(string(o.Files[p]))); err != nil {
			return err
		}
	}
	if o.PayloadSize > 0 {
		if err := put("payload.bin", o.PayloadSize, payload(o.Seed, o.PayloadSize)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func sortedKeys(m map[string][]byte) []string {
	return slices.Sorted(maps.Keys(m))
}
