// Package pydist finds, reads and checks Python distribution files (wheels and
// sdists) before anything is sent to an index, following PyPI's (Warehouse's)
// rules so that a file it accepts is one PyPI would accept.
//
// The pieces are: Find (inputs to file paths), ParseFilename (wheel and sdist
// name grammar, PEP 427/625), ParseVersion (PEP 440), ParseMetadata (core
// metadata), Open/OpenReader/ReadMetadata (bounded archive reads) and Check
// (every reason PyPI would refuse the file, all at once).
package pydist

// File is a distribution file on disk whose metadata has been read.
type File struct {
	Path          string    // as given to Open (the base name for OpenReader)
	Filename      Filename  // the parsed base name
	Size          int64     // bytes on disk
	Metadata      *Metadata // parsed MetadataBytes
	MetadataBytes []byte    // the raw METADATA / PKG-INFO (served as PEP 658 .metadata)
	// Archive summarises the archive's members for Check.
	Archive ArchiveInfo
}

// Problem is one reason a file would be refused, or (Severity Warning)
// something likely wrong with it.
type Problem struct {
	Code     string   // stable code (the Code* constants); see Rules
	Severity Severity // Error blocks the upload, Warning does not
	Path     string   // the file
	Field    string   // metadata field or part of the file, "" if none
	Message  string   // what is wrong and what to do (this client's wording)
	// Value is the offending value as found (a field's value, a member
	// name, a tag), and Want what the rule expected instead where there
	// is one answer (the expected filename, version, archive path). The
	// index words its answers from them.
	Value, Want string
}

// Error implements error; it names the file and field.
func (p Problem) Error() string {
	switch {
	case p.Path != "" && p.Field != "":
		return p.Path + ": " + p.Field + ": " + p.Message
	case p.Path != "":
		return p.Path + ": " + p.Message
	case p.Field != "":
		return p.Field + ": " + p.Message
	}
	return p.Message
}

// CheckOptions tunes Check for the target index.
type CheckOptions struct {
	// Profile chooses the rules: PyPI's (the zero value) or another
	// index's, under which PyPI-only rules are warnings.
	Profile Profile
	// AllowLocalVersions accepts "1.0+local" (private indexes); PyPI refuses them.
	AllowLocalVersions bool
}

// Skipped is an input that was found but will not be uploaded.
type Skipped struct{ Path, Reason string }
