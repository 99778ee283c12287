// Package dist finds, reads and checks Python distribution files (wheels and
// sdists) before anything is sent to an index.
package dist

// CONTRACT FILE written by the lead: other packages (upload, index, cli)
// compile against these names. The dist owner replaces the bodies and may add
// to (not rename) this API; move declarations into other files freely.

import (
	"errors"
	"io"
)

var errTODO = errors.New("dist: not implemented yet")

// Kind is the type of a distribution file.
type Kind int

const (
	// Wheel is a built distribution (.whl), form filetype "bdist_wheel".
	Wheel Kind = iota + 1
	// Sdist is a source distribution (.tar.gz), form filetype "sdist".
	Sdist
)

// FileType is the value of the upload form's "filetype" field.
func (k Kind) FileType() string { return "" }

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
}

// PyVersion is the value of the upload form's "pyversion" field: the
// wheel's python tag (dot-joined when compressed, as twine does) or "source".
func (f Filename) PyVersion() string { return "" }

// ParseFilename parses a wheel or sdist base name.
func ParseFilename(name string) (Filename, error) { return Filename{}, errTODO }

// NormalizeName returns the PEP 503 normalised form of a project name.
func NormalizeName(name string) string { return name }

// Version is a parsed PEP 440 version.
type Version struct{ raw string }

// ParseVersion parses a PEP 440 version.
func ParseVersion(s string) (Version, error) { return Version{}, errTODO }

// String returns the canonical (normalised) form, as packaging's str(Version).
func (v Version) String() string { return v.raw }

// Local returns the local version label ("x" in "1.0+x"), or "".
func (v Version) Local() string { return "" }

// Field is one header of core metadata.
type Field struct{ Name, Value string }

// Metadata is core metadata (METADATA / PKG-INFO) in the email-header format.
type Metadata struct {
	Fields      []Field // in file order; multi-use fields repeat
	Description string  // the body, or the Description header
}

// Get returns the first value of the named field (case-insensitive), or "".
func (m *Metadata) Get(name string) string { return "" }

// GetAll returns every value of the named multi-use field.
func (m *Metadata) GetAll(name string) []string { return nil }

// ParseMetadata parses core metadata.
func ParseMetadata(b []byte) (*Metadata, error) { return nil, errTODO }

// FormField is one field of the legacy upload form.
type FormField struct{ Name, Value string }

// FormFields maps metadata to the legacy upload form's metadata fields,
// under PyPI's form names, with multi-use fields repeated; it does not
// include content, digests, :action, protocol_version, filetype or pyversion.
func (m *Metadata) FormFields() []FormField { return nil }

// File is a distribution file on disk whose metadata has been read.
type File struct {
	Path          string
	Filename      Filename
	Size          int64
	Metadata      *Metadata
	MetadataBytes []byte // the raw METADATA / PKG-INFO
}

// Open reads a distribution's filename and metadata with bounded reads.
func Open(path string) (*File, error) { return nil, errTODO }

// ReadMetadata reads the raw metadata file from a distribution's contents.
func ReadMetadata(r io.ReaderAt, size int64, fn Filename) ([]byte, error) { return nil, errTODO }

// Problem is one reason a file would be refused.
type Problem struct {
	Path    string // the file
	Field   string // metadata field or part of the file, "" if none
	Message string // what is wrong and what to do
}

// Error implements error.
func (p Problem) Error() string { return p.Message }

// CheckOptions tunes Check for the target index.
type CheckOptions struct {
	// AllowLocalVersions accepts "1.0+local" (private indexes); PyPI refuses them.
	AllowLocalVersions bool
}

// Check returns every problem with a file, all at once.
func Check(f *File, opts CheckOptions) []Problem { return nil }

// Skipped is an input that was found but will not be uploaded.
type Skipped struct{ Path, Reason string }

// Find expands paths, globs and directories (default "dist/*") into
// distribution files, and reports everything else it found as skipped.
func Find(args []string) (files []string, skipped []Skipped, err error) { return nil, nil, errTODO }
