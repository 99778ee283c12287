package release

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trustpub/trustpub/internal/filehash"
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
		sum, err := filehash.SHA256(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	return os.WriteFile(filepath.Join(dir, SumsFile), []byte(b.String()), 0o644)
}
