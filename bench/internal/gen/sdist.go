package gen

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
)

// SdistSpec describes a source distribution to write.
type SdistSpec struct {
	Name    string // normalised with underscores, as PEP 625 wants in the filename
	Version string
	Members []Member // paths relative to the top-level directory
	// Metadata is written to {name}-{version}/PKG-INFO.
	Metadata []byte
}

// Filename is the sdist's file name: {name}-{version}.tar.gz.
func (s SdistSpec) Filename() string { return s.root() + ".tar.gz" }

func (s SdistSpec) root() string { return s.Name + "-" + s.Version }

// WriteSdist writes the sdist described by s to w as a gzipped ustar/PAX
// archive with one top-level directory holding PKG-INFO and the members.
func WriteSdist(w io.Writer, s SdistSpec) error {
	bw := bufio.NewWriter(w)
	gz, err := gzip.NewWriterLevel(bw, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("sdist %s: %w", s.Filename(), err)
	}
	gz.Name = s.root() + ".tar"
	gz.ModTime = epoch
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	mkdir := func(dir string) error {
		if dirs[dir] {
			return nil
		}
		dirs[dir] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX})
	}
	add := func(name string, data []byte) error {
		full := s.root() + "/" + name
		// Directories first, parents before children, as setuptools writes them.
		for i := len(s.root()) + 1; i < len(full); i++ {
			if full[i] == '/' {
				if err := mkdir(full[:i]); err != nil {
					return fmt.Errorf("sdist %s: directory for %s: %w", s.Filename(), name, err)
				}
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: full, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("sdist %s: adding %s: %w", s.Filename(), name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("sdist %s: writing %s: %w", s.Filename(), name, err)
		}
		return nil
	}
	if err := mkdir(s.root()); err != nil {
		return fmt.Errorf("sdist %s: top-level directory: %w", s.Filename(), err)
	}
	if err := add("PKG-INFO", s.Metadata); err != nil {
		return err
	}
	for _, m := range s.Members {
		if err := add(m.Name, m.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("sdist %s: finishing the tar: %w", s.Filename(), err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("sdist %s: finishing the gzip stream: %w", s.Filename(), err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sdist %s: %w", s.Filename(), err)
	}
	return nil
}
