package pydist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPattern is what Find searches when given no arguments, as twine
// and uv do.
const DefaultPattern = "dist/*"

// Find expands paths, globs and directories (default "dist/*") into
// distribution files, and reports everything else it found as skipped.
//
// A path that exists is used as is (a directory contributes its direct
// entries); otherwise the argument is expanded as a glob, and one that
// matches nothing is an error naming it. .whl and .tar.gz files are
// returned, wheels first and otherwise in the order found, each once. A
// .zip named like an sdist is returned too, so that Open refuses it with
// PyPI's PEP 625 reason rather than it being dropped silently; every other
// file or directory found is returned in skipped with the reason.
func Find(args []string) (files []string, skipped []Skipped, err error) {
	if len(args) == 0 {
		args = []string{DefaultPattern}
	}
	seen := map[string]bool{}
	var found []string
	add := func(p string) {
		c := filepath.Clean(p)
		if !seen[c] {
			seen[c] = true
			found = append(found, p)
		}
	}
	for _, arg := range args {
		if arg == "" {
			return nil, nil, fmt.Errorf("empty path given; pass distribution files, directories or globs (default %q)", DefaultPattern)
		}
		st, statErr := os.Stat(arg)
		switch {
		case statErr == nil && st.IsDir():
			entries, err := os.ReadDir(arg)
			if err != nil {
				return nil, nil, fmt.Errorf("read directory %s: %w", arg, err)
			}
			for _, e := range entries {
				add(filepath.Join(arg, e.Name()))
			}
		case statErr == nil:
			add(arg)
		case hasGlobMeta(arg):
			matches, err := filepath.Glob(arg)
			if err != nil {
				return nil, nil, fmt.Errorf("bad glob pattern %q: %w", arg, err)
			}
			if len(matches) == 0 {
				return nil, nil, fmt.Errorf("cannot find file (or expand pattern) %q: nothing matches; build first (python -m build) or give the right path", arg)
			}
			for _, m := range matches {
				add(m)
			}
		default:
			return nil, nil, fmt.Errorf("cannot find file %q: %w", arg, statErr)
		}
	}
	var wheels, sdists []string
	for _, p := range found {
		kind, reason := classify(p)
		switch kind {
		case Wheel:
			wheels = append(wheels, p)
		case Sdist:
			sdists = append(sdists, p)
		default:
			skipped = append(skipped, Skipped{Path: p, Reason: reason})
		}
	}
	return append(wheels, sdists...), skipped, nil
}

func hasGlobMeta(s string) bool { return strings.ContainsAny(s, `*?[`) }

// classify decides what Find does with a path: Wheel or Sdist to upload
// (a .zip sdist counts as Sdist so that Open refuses it loudly), or 0 and
// the reason it is skipped.
func classify(p string) (Kind, string) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Sprintf("cannot stat: %v", err)
	}
	base := filepath.Base(p)
	lower := strings.ToLower(base)
	if st.IsDir() {
		return 0, "directory (directories are searched one level deep only)"
	}
	if !st.Mode().IsRegular() {
		return 0, "not a regular file"
	}
	switch {
	case strings.HasSuffix(lower, ".attestation"):
		return 0, "attestation file (*.publish.attestation); not uploaded as a distribution"
	case strings.HasSuffix(lower, ".asc") || strings.HasSuffix(lower, ".sig"):
		return 0, "signature file; PyPI no longer accepts GPG signatures"
	case strings.HasSuffix(base, ExtWheel):
		return Wheel, ""
	case strings.HasSuffix(base, ExtSdist):
		return Sdist, ""
	case strings.HasSuffix(lower, ExtZip):
		if _, err := ParseFilename(strings.TrimSuffix(base, base[len(base)-4:]) + ExtSdist); err == nil {
			return Sdist, "" // Open refuses it with ZipSdistReason
		}
		return 0, "zip file that is not named like an sdist ({name}-{version}.zip)"
	case strings.HasSuffix(lower, ".egg"):
		return 0, "egg distributions are no longer accepted by PyPI (PEP 715); upload a wheel"
	case strings.HasSuffix(lower, ".exe") || strings.HasSuffix(lower, ".msi"):
		return 0, "bdist_wininst/bdist_msi installers are no longer accepted by PyPI (PEP 527); upload a wheel"
	case strings.HasSuffix(lower, ".rpm") || strings.HasSuffix(lower, ".deb") || strings.HasSuffix(lower, ".dmg"):
		return 0, "OS package; PyPI accepts only wheels and .tar.gz sdists"
	case strings.HasSuffix(lower, ".tar.bz2") || strings.HasSuffix(lower, ".tgz") || strings.HasSuffix(lower, ".tar.xz") || strings.HasSuffix(lower, ".tar") || strings.HasSuffix(lower, ".tar.z"):
		return 0, "sdists must be .tar.gz (PEP 625); rebuild with python -m build --sdist"
	case strings.HasSuffix(lower, ".whl") || strings.HasSuffix(lower, ".tar.gz"):
		return 0, "extension is not lower case; PyPI requires .whl or .tar.gz exactly"
	}
	return 0, "not a distribution (only .whl and .tar.gz are uploaded)"
}
