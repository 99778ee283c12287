package pep740

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FileFor is the name of the attestation file of kind (e.g. "publish")
// for the distribution at distPath: "<dist>.<kind>.attestation".
func FileFor(distPath, kind string) string { return distPath + "." + kind + FileSuffix }

// DistFor is FileFor reversed: the distribution path and kind an
// attestation file's name ("<dist>.<kind>.attestation", kind without dots)
// belongs to; ok is false for any other name.
func DistFor(path string) (distPath, kind string, ok bool) {
	rest, ok := strings.CutSuffix(path, FileSuffix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || i == len(rest)-1 || strings.ContainsAny(rest[i+1:], `/\`) {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// Beside returns the attestation files lying next to the distribution at
// distPath ("<dist>.<kind>.attestation", kind without dots), sorted, as
// twine and uv find them.
func Beside(distPath string) ([]string, error) {
	dir, base := filepath.Split(distPath)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("looking for attestations of %s: %w", distPath, err)
	}
	var out []string
	for _, e := range entries {
		kind, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		kind, ok = strings.CutSuffix(kind, FileSuffix)
		if !ok || kind == "" || strings.Contains(kind, ".") || e.IsDir() {
			continue
		}
		out = append(out, filepath.Join(filepath.Dir(distPath), e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

// maxFileSize bounds an attestation file (they are a few kilobytes).
const maxFileSize = 1 << 20

// ReadFile reads and checks one attestation file (Parse), returning its
// JSON compacted.
func ReadFile(path string) (json.RawMessage, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("%s: %d bytes is too large for an attestation (at most %d)", path, st.Size(), maxFileSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := Parse(b); err != nil {
		var se *ShapeError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: invalid PEP 740 attestation: %s", path, se.Reason)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// Field is the upload form's "attestations" value for attestations: a
// JSON array of them. It refuses more than MaxPerFile, as PyPI does.
func Field(atts []json.RawMessage) ([]byte, error) {
	if len(atts) > MaxPerFile {
		return nil, fmt.Errorf("%d attestations, but PyPI accepts at most %d per file", len(atts), MaxPerFile)
	}
	return json.Marshal(atts)
}
