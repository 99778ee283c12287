package index

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// placeFile moves src, a file in the temp directory, to dst, and fails with
// fs.ErrExist instead of replacing dst when it exists: on a case-insensitive
// file system (macOS, Windows) another stored file may answer to dst's name,
// and a rename would silently replace it. A hard link never replaces and is
// atomic; where the file system has no hard links, it falls back to a
// rename. A temp name left behind by a crash is removed at the next start.
func placeFile(src, dst string) error {
	err := os.Link(src, dst)
	switch {
	case err == nil:
		os.Remove(src) // if this fails, cleanTmp removes it at the next start
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s is already taken in %s (by a file whose name differs only in case, on a case-insensitive file system?): %w", filepath.Base(dst), filepath.Dir(dst), err)
	}
	return os.Rename(src, dst)
}
