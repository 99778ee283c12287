// Package zipwrite adds members to a zip archive the way Python's zipfile
// writes them to a file: the CRC-32 and both sizes in the local header and
// no data descriptor. PyPI refuses a wheel whose members have data
// descriptors ("ZIP archive not accepted: ZIP contains a data
// descriptor"), and archive/zip's CreateHeader always writes one, so every
// wheel this module builds goes through here.
package zipwrite

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// Deflated adds data as a DEFLATE-compressed member (at the given
// compress/flate level) described by fh, whose Name, Modified and mode are
// kept; Method, CRC32 and the sizes are set here.
func Deflated(zw *zip.Writer, fh *zip.FileHeader, data []byte, level int) error {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, level)
	if err != nil {
		return fmt.Errorf("zip member %s: %w", fh.Name, err)
	}
	if _, err := fw.Write(data); err != nil {
		return fmt.Errorf("zip member %s: %w", fh.Name, err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("zip member %s: %w", fh.Name, err)
	}
	fh.Method = zip.Deflate
	fh.CRC32 = crc32.ChecksumIEEE(data)
	fh.CompressedSize64 = uint64(buf.Len())
	fh.UncompressedSize64 = uint64(len(data))
	return raw(zw, fh, &buf)
}

// Stored adds a STORED member whose contents open returns; open is called
// twice (once for the CRC-32 and size, once to write), so a large member
// is streamed, never held in memory. It returns the member's size.
func Stored(zw *zip.Writer, fh *zip.FileHeader, open func() io.Reader) (int64, error) {
	h := crc32.NewIEEE()
	n, err := io.Copy(h, open())
	if err != nil {
		return 0, fmt.Errorf("zip member %s: %w", fh.Name, err)
	}
	fh.Method = zip.Store
	fh.CRC32 = h.Sum32()
	fh.CompressedSize64 = uint64(n)
	fh.UncompressedSize64 = uint64(n)
	return n, raw(zw, fh, open())
}

func raw(zw *zip.Writer, fh *zip.FileHeader, r io.Reader) error {
	fh.Flags &^= 0x8 // no data descriptor
	if !fh.Modified.IsZero() {
		// CreateRaw writes the header as given; CreateHeader would derive
		// the MS-DOS fields (2-second resolution) and an extended
		// timestamp (to the second) from Modified. Both are written here.
		//lint:ignore SA1019 CreateRaw writes these fields as given and never derives them from Modified
		fh.ModifiedDate, fh.ModifiedTime = msDosTime(fh.Modified)
		var ext [9]byte
		binary.LittleEndian.PutUint16(ext[0:], 0x5455) // extended timestamp
		binary.LittleEndian.PutUint16(ext[2:], 5)
		ext[4] = 1 // modification time only
		binary.LittleEndian.PutUint32(ext[5:], uint32(fh.Modified.Unix()))
		fh.Extra = append(fh.Extra, ext[:]...)
	}
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return fmt.Errorf("zip member %s: %w", fh.Name, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("zip member %s: %w", fh.Name, err)
	}
	return nil
}

// msDosTime is t (in its own location, as archive/zip does) in MS-DOS
// date and time format, clamped to the format's 1980–2107 range.
func msDosTime(t time.Time) (date, clock uint16) {
	y := min(max(t.Year(), 1980), 2107)
	date = uint16(t.Day() + int(t.Month())<<5 + (y-1980)<<9)
	clock = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, clock
}
