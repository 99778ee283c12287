package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SumsFile is the name of the checksum file in a release directory.
const SumsFile = "SHA256SUMS"

// WriteSHA256SUMS writes dir/SHA256SUMS over every other regular file in
// dir, sorted by name, in the format `sha256sum -c` reads
// ("<hex>  <name>").
func WriteSHA256SUMS(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, de := range des {
		if de.Type().IsRegular() && de.Name() != SumsFile {
			names = append(names, de.Name())
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		sum, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	return os.WriteFile(filepath.Join(dir, SumsFile), []byte(b.String()), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
