package release

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// Entry is one file of an archive or wheel.
type Entry struct {
	// Name is the slash-separated path inside the archive.
	Name string
	// Mode is the file's permission bits (0o755 for a binary, 0o644 else).
	Mode fs.FileMode
	Data []byte
}

// zipEpoch is the earliest time a zip's MS-DOS timestamps can hold.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// clampZipTime is t in UTC, no earlier than the zip format allows, whole seconds.
func clampZipTime(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if t.Before(zipEpoch) {
		return zipEpoch
	}
	return t
}

// WriteTarGz writes entries, in the order given, as a gzip-compressed USTAR
// archive: every entry a regular file owned by uid/gid 0 with no user or
// group name, modified at mtime; the gzip header carries no name and no time.
func WriteTarGz(w io.Writer, entries []Entry, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.Name,
			Mode:     int64(e.Mode.Perm()),
			Size:     int64(len(e.Data)),
			ModTime:  mtime.UTC().Truncate(time.Second),
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("tar entry %s: %w", e.Name, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return fmt.Errorf("tar entry %s: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// WriteZip writes entries, in the order given, as a zip archive: deflated at
// the best compression, Unix permissions in the external attributes (pip
// makes a wheel's scripts executable from them), modified at mtime (no
// earlier than 1980, the zip format's epoch).
func WriteZip(w io.Writer, entries []Entry, mtime time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	mt := clampZipTime(mtime)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: mt}
		fh.SetMode(e.Mode.Perm())
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return fmt.Errorf("zip entry %s: %w", e.Name, err)
		}
		if _, err := fw.Write(e.Data); err != nil {
			return fmt.Errorf("zip entry %s: %w", e.Name, err)
		}
	}
	return zw.Close()
}
