// Package gen writes the benchmark's inputs: valid wheels and sdists with
// deterministic contents, built with archive/zip, archive/tar and gzip, and a
// cache that lets later runs reuse them.
package gen

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/trustpub/trustpub/internal/zipwrite"
)

// epoch is the modification time of every archive member, so that the same
// spec always produces the same bytes.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Member is a small file inside a wheel or sdist, held in memory.
type Member struct {
	Name string // path inside the archive (without the sdist's top-level directory)
	Data []byte
}

// StreamMember is a large wheel member of pseudo-random (incompressible)
// bytes, generated from Seed and written streaming, never held in memory.
type StreamMember struct {
	Name string
	Size int64
	Seed uint64
}

// WheelSpec describes a wheel to write.
type WheelSpec struct {
	Name    string // distribution name as in the filename (already normalised)
	Version string
	Tag     string // python-abi-platform, e.g. "py3-none-any"
	Members []Member
	// Big, if set, is written STORED (uncompressed) after Members.
	Big *StreamMember
	// Metadata is the core metadata written to {name}-{ver}.dist-info/METADATA.
	Metadata []byte
}

// Filename is the wheel's file name: {name}-{version}-{tag}.whl.
func (s WheelSpec) Filename() string {
	return fmt.Sprintf("%s-%s-%s.whl", s.Name, s.Version, s.Tag)
}

// DistInfo is the wheel's .dist-info directory name.
func (s WheelSpec) DistInfo() string { return s.Name + "-" + s.Version + ".dist-info" }

// purelib reports whether the tag is pure Python ("none-any").
func (s WheelSpec) purelib() bool { return strings.HasSuffix(s.Tag, "-none-any") }

// RecordHash is a RECORD hash field: "sha256=" and the URL-safe, unpadded
// base64 of the digest, as the wheel spec (PEP 376/427) requires.
func RecordHash(sum []byte) string {
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum)
}

// WriteWheel writes the wheel described by s to w. Small members are
// DEFLATEd; the big member is STORED and streamed twice from its seed (once
// to learn its CRC-32 and sha256, once to write it), so that its local header
// carries the real sizes and CRC with no data descriptor, like wheels built by
// Python's zipfile. RECORD is written last with a sha256 line for every
// other member.
func WriteWheel(w io.Writer, s WheelSpec) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	zw := zip.NewWriter(bw)
	var record strings.Builder
	add := func(name string, data []byte) error {
		// No data descriptors: PyPI (and trustpub serve) refuse them.
		if err := zipwrite.Deflated(zw, &zip.FileHeader{Name: name, Modified: epoch}, data, flate.DefaultCompression); err != nil {
			return fmt.Errorf("wheel %s: adding %s: %w", s.Filename(), name, err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&record, "%s,%s,%d\n", name, RecordHash(sum[:]), len(data))
		return nil
	}
	for _, m := range s.Members {
		if err := add(m.Name, m.Data); err != nil {
			return err
		}
	}
	if s.Big != nil {
		sum, err := writeStored(zw, *s.Big)
		if err != nil {
			return fmt.Errorf("wheel %s: writing %s: %w", s.Filename(), s.Big.Name, err)
		}
		fmt.Fprintf(&record, "%s,%s,%d\n", s.Big.Name, RecordHash(sum), s.Big.Size)
	}
	di := s.DistInfo()
	if err := add(di+"/METADATA", s.Metadata); err != nil {
		return err
	}
	wheel := fmt.Sprintf("Wheel-Version: 1.0\nGenerator: trustpub-bench (%d)\nRoot-Is-Purelib: %t\nTag: %s\n\n",
		GeneratorVersion, s.purelib(), s.Tag)
	if err := add(di+"/WHEEL", []byte(wheel)); err != nil {
		return err
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", di)
	if err := zipwrite.Deflated(zw, &zip.FileHeader{Name: di + "/RECORD", Modified: epoch}, []byte(record.String()), flate.DefaultCompression); err != nil {
		return fmt.Errorf("wheel %s: adding RECORD: %w", s.Filename(), err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("wheel %s: finishing the zip: %w", s.Filename(), err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("wheel %s: %w", s.Filename(), err)
	}
	return nil
}

// writeStored writes m as a STORED member and returns its sha256.
func writeStored(zw *zip.Writer, m StreamMember) ([]byte, error) {
	crc := crc32.NewIEEE()
	sha := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(crc, sha), RandomReader(m.Seed), m.Size); err != nil {
		return nil, err
	}
	fw, err := zw.CreateRaw(&zip.FileHeader{
		Name:               m.Name,
		Method:             zip.Store,
		Modified:           epoch,
		CRC32:              crc.Sum32(),
		CompressedSize64:   uint64(m.Size),
		UncompressedSize64: uint64(m.Size),
	})
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyN(fw, RandomReader(m.Seed), m.Size); err != nil {
		return nil, err
	}
	return sha.Sum(nil), nil
}

// RandomReader returns an endless deterministic stream of incompressible
// bytes for seed (ChaCha8: hundreds of MB/s even on a busy core, see
// BenchmarkRandomReader, so the 1 GiB wheel is written in seconds).
func RandomReader(seed uint64) io.Reader {
	var key [32]byte
	for i := range 4 {
		for j := range 8 {
			key[i*8+j] = byte(seed >> (8 * j))
		}
		key[i*8] ^= byte(i + 1)
	}
	return rand.NewChaCha8(key)
}

// randomBytes returns n deterministic pseudo-random bytes for seed.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(RandomReader(seed), b) // ChaCha8.Read never fails
	return b
}

// hashingWriter counts and hashes what passes through it.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

// Write implements io.Writer.
func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}
