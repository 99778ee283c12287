package index

import (
	"strings"

	"github.com/trustpub/trustpub/pydist"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// validateUploadForm applies Warehouse's UploadForm: name, filetype and the
// digest formats, then the whole-form rules (pyversion, at least one digest).
func validateUploadForm(form *uploadForm) *uploadError {
	type fieldErr struct{ field, msg string }
	var errs []fieldErr
	name := form.first("name")
	switch {
	case name == "":
		errs = append(errs, fieldErr{"name", "This field is required."})
	case !projectNameRE().MatchString(name):
		errs = append(errs, fieldErr{"name", "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'."})
	}
	if d := form.first("blake2_256_digest"); d != "" && !hexDigestRE().MatchString(d) {
		errs = append(errs, fieldErr{"blake2_256_digest", "Use a valid, hex-encoded, BLAKE2 message digest."})
	}
	switch ft := form.first("filetype"); ft {
	case "sdist", "bdist_wheel":
	case "":
		errs = append(errs, fieldErr{"filetype", "This field is required."})
	default:
		errs = append(errs, fieldErr{"filetype", "Use a known file type."})
	}
	if d := form.first("sha256_digest"); d != "" && !hexDigestRE().MatchString(d) {
		errs = append(errs, fieldErr{"sha256_digest", "Use a valid, hex-encoded, SHA256 message digest."})
	}
	if len(errs) > 0 {
		// "name" is reported first, then the fields in sorted order (the
		// order above).
		e := errs[0]
		if e.field == "name" {
			v := name
			if len(v) > 60 {
				v = v[:30] + "..." + v[len(v)-30:]
			}
			return badRequest("%s is an invalid value for Name. Error: %s See %s for more information.", pyrepr.Str(v), e.msg, coreMetaURL)
		}
		return badRequest("Invalid value for %s. Error: %s", e.field, e.msg)
	}
	ft, pyv := form.first("filetype"), form.first("pyversion")
	if ft != "sdist" && pyv == "" {
		return badRequest("Error: Python version is required for binary distribution uploads.")
	}
	if ft == "sdist" && pyv != "" && pyv != "source" {
		return badRequest("Error: Use 'source' as Python version for an sdist.")
	}
	if form.first("md5_digest") == "" && form.first("sha256_digest") == "" && form.first("blake2_256_digest") == "" {
		return badRequest("Error: Include at least one message digest.")
	}
	return nil
}

// metaError formats a metadata error as Warehouse does.
func metaError(msg string) *uploadError {
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return badRequest("%s See %s for more information.", msg, coreMetaURL)
}

// validateFilename is Warehouse's _validate_filename.
func validateFilename(filename, filetype string) *uploadError {
	for _, r := range filename {
		if r < 32 || r == 127 {
			return badRequest("Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name.")
		}
	}
	if strings.ContainsAny(filename, `/\`) {
		return badRequest(`Cannot upload a file with '/' or '\' in the name.`)
	}
	m := distFileRE().FindStringSubmatch(filename)
	if m == nil {
		return badRequest("Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information")
	}
	ext := m[1]
	ok := (filetype == "sdist" && (ext == ".tar.gz" || ext == ".zip")) || (filetype == "bdist_wheel" && ext == ".whl")
	if !ok {
		return badRequest("Invalid file extension: Extension %s is invalid for filetype %s. See https://www.python.org/dev/peps/pep-0527 for more information.", ext, filetype)
	}
	return nil
}

func invalidDist(reason string) *uploadError {
	return badRequest("Invalid distribution file. %s", reason)
}

// releaseKey identifies a release as packaging's Version equality does
// (pydist.Version.ReleaseKey); a string that is not a version is its own key.
func releaseKey(v string) string {
	pv, err := pydist.ParseVersion(v)
	if err != nil {
		return v
	}
	return pv.ReleaseKey()
}
