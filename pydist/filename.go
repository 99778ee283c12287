package pydist

import (
	"github.com/trustpub/trustpub/internal/pyrepr"
	"sync"

	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Kind is the type of a distribution file.
type Kind int

const (
	// Wheel is a built distribution (.whl), form filetype "bdist_wheel".
	Wheel Kind = iota + 1
	// Sdist is a source distribution (.tar.gz), form filetype "sdist".
	Sdist
)

// FileType is the value of the upload form's "filetype" field
// ("bdist_wheel" or "sdist"), or "" for an unknown Kind.
func (k Kind) FileType() string {
	switch k {
	case Wheel:
		return "bdist_wheel"
	case Sdist:
		return "sdist"
	}
	return ""
}

// String names the kind for messages ("wheel", "sdist").
func (k Kind) String() string {
	switch k {
	case Wheel:
		return "wheel"
	case Sdist:
		return "sdist"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Filename is a parsed distribution filename.
type Filename struct {
	Raw          string   // the file's base name
	Kind         Kind     // Wheel or Sdist
	Name         string   // distribution name as written in the filename
	Version      Version  // parsed PEP 440 version
	Build        string   // wheel build tag, or ""
	PythonTags   []string // wheel only
	ABITags      []string // wheel only
	PlatformTags []string // wheel only
	// VersionText is the version exactly as written in the filename
	// (Version.String() is its canonical form).
	VersionText string
}

// PyVersion is the value of the upload form's "pyversion" field: the
// wheel's python tag (dot-joined when compressed, as twine does) or "source".
func (f Filename) PyVersion() string {
	if f.Kind == Wheel {
		return strings.Join(f.PythonTags, ".")
	}
	return "source"
}

// NormalizedName is NormalizeName(f.Name).
func (f Filename) NormalizedName() string { return NormalizeName(f.Name) }

// Wheel and sdist extensions recognised by ParseFilename and Find.
const (
	ExtWheel = ".whl"
	ExtSdist = ".tar.gz"
	ExtZip   = ".zip"
)

// ZipSdistReason is why a .zip sdist is refused (PEP 625: since 2025 PyPI
// only accepts sdists named {name}-{version}.tar.gz).
const ZipSdistReason = "zip sdists are no longer accepted by PyPI (PEP 625): rebuild the sdist as .tar.gz (python -m build --sdist)"

var (
	nameSepRun   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })
	wheelNamePat = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._]+$`) })
	buildTagPat  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]`) })
	// ValidName is PyPI's rule for project names (case-insensitive, ASCII).
	validNamePat = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?i:[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`) })
)

// NormalizeName returns the PEP 503 normalised form of a project name:
// lower case, with runs of "-", "_" and "." replaced by a single "-".
func NormalizeName(name string) string {
	return strings.ToLower(nameSepRun().ReplaceAllString(name, "-"))
}

// ValidName reports whether name is a valid project name as PyPI checks
// it: ASCII letters, digits, '.', '_' and '-', starting and ending with a
// letter or digit.
func ValidName(name string) bool { return validNamePat().MatchString(name) }

// ParseFilename parses a wheel or sdist base name, following
// packaging.utils.parse_wheel_filename / parse_sdist_filename. A .zip sdist
// is an error (PEP 625); so is any other extension.
func ParseFilename(name string) (Filename, error) {
	if strings.ContainsAny(name, `/\`) {
		return Filename{}, fmt.Errorf("invalid distribution filename %q: give the base name, without '/' or '\\'", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return Filename{}, fmt.Errorf("invalid distribution filename %q: it contains control characters", name)
		}
	}
	switch {
	case strings.HasSuffix(name, ExtWheel):
		return parseWheelFilename(name)
	case strings.HasSuffix(name, ExtSdist):
		return parseSdistFilename(name)
	case strings.HasSuffix(strings.ToLower(name), ExtZip):
		return Filename{}, fmt.Errorf("%s: %s", name, ZipSdistReason)
	}
	return Filename{}, fmt.Errorf("invalid distribution filename %q: the extension must be .whl (wheel) or .tar.gz (sdist)", name)
}

func parseWheelFilename(raw string) (Filename, error) {
	stem := strings.TrimSuffix(raw, ExtWheel)
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return Filename{}, fmt.Errorf("Invalid wheel filename (wrong number of parts): %s; expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl", pyrepr.Str(stem))
	}
	f := Filename{Raw: raw, Kind: Wheel, Name: parts[0], VersionText: parts[1]}
	if !wheelNamePat().MatchString(f.Name) || strings.Contains(f.Name, "__") {
		return Filename{}, fmt.Errorf("Invalid project name: %s; a wheel's name part must be letters, digits, '.' and single '_' (the normalised name with '-' written as '_')", pyrepr.Str(stem))
	}
	v, err := ParseVersion(parts[1])
	if err != nil {
		return Filename{}, fmt.Errorf("Invalid wheel filename (invalid version): %s; %w", pyrepr.Str(stem), err)
	}
	f.Version = v
	if len(parts) == 6 {
		f.Build = parts[2]
		if !buildTagPat().MatchString(f.Build) {
			return Filename{}, fmt.Errorf("Invalid build number: %s in %s; a build tag must start with a digit", f.Build, pyrepr.Str(stem))
		}
	}
	n := len(parts)
	var errs []string
	f.PythonTags, errs = splitTags(parts[n-3], "python", errs)
	f.ABITags, errs = splitTags(parts[n-2], "abi", errs)
	f.PlatformTags, errs = splitTags(parts[n-1], "platform", errs)
	if len(errs) > 0 {
		return Filename{}, fmt.Errorf("Invalid wheel filename (%s): %s", strings.Join(errs, "; "), pyrepr.Str(raw))
	}
	return f, nil
}

func splitTags(s, what string, errs []string) ([]string, []string) {
	tags := strings.Split(s, ".")
	for _, t := range tags {
		if t == "" || strings.ContainsFunc(t, unicode.IsSpace) {
			errs = append(errs, fmt.Sprintf("bad %s tag %q (tags are non-empty, compressed sets joined with '.')", what, t))
			return nil, errs
		}
	}
	return tags, errs
}

func parseSdistFilename(raw string) (Filename, error) {
	stem := strings.TrimSuffix(raw, ExtSdist)
	i := strings.LastIndexByte(stem, '-')
	if i < 0 {
		return Filename{}, fmt.Errorf("Invalid sdist filename: %q; expected {name}-{version}.tar.gz", raw)
	}
	f := Filename{Raw: raw, Kind: Sdist, Name: stem[:i], VersionText: stem[i+1:]}
	if f.Name == "" {
		return Filename{}, fmt.Errorf("Invalid sdist filename: %q; the name part is empty", raw)
	}
	v, err := ParseVersion(f.VersionText)
	if err != nil {
		return Filename{}, fmt.Errorf("Invalid sdist filename (invalid version): %q: %w", raw, err)
	}
	f.Version = v
	return f, nil
}

// SdistFilename is the exact sdist filename PyPI requires (PEP 625):
// {normalized name with '-' as '_'}-{canonical version}.tar.gz.
func SdistFilename(name string, v Version) string {
	return strings.ReplaceAll(NormalizeName(name), "-", "_") + "-" + v.String() + ExtSdist
}
