package index

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/trustpub/trustpub/internal/pyrepr"
	"github.com/trustpub/trustpub/pydist"
)

// The index applies pydist's rules engine, the same one `trustpub check`
// runs, to every upload: once to the form's metadata (PyPI takes the
// metadata from the form) and once to the stored file (archive, filename,
// the file's own metadata, and the form against the file). This file maps
// the engine's problem codes to Warehouse's status and exact message.

// uploadMeta is the metadata taken from the form (as PyPI does).
type uploadMeta struct {
	form            *pydist.Metadata
	metadataVersion string
	name            string
	version         pydist.Version
	requiresPython  string // canonical specifier set (str(SpecifierSet)), as PyPI stores it
	// described is the description's refusal, answered after the
	// permission check as Warehouse does; nil when it renders.
	described *uploadError
}

// ruleOptions is the profile the index enforces: PyPI's.
func (s *Server) ruleOptions() pydist.CheckOptions {
	return pydist.CheckOptions{Profile: pydist.ProfilePyPI, AllowLocalVersions: s.opts.AllowLocalVersions}
}

// Warehouse reports form-parsing errors ("has invalid data") before
// packaging's validation, and packaging's before its own extra rules;
// within a tier, metadata-version, name and version come first, then the
// fields in sorted order.
var (
	tierUnparsed  = []string{pydist.CodeFieldRepeated}
	tierPackaging = []string{
		pydist.CodeMetadataVersionMissing, pydist.CodeMetadataVersionInvalid, pydist.CodeNameMissing,
		pydist.CodeNameInvalid, pydist.CodeVersionMissing, pydist.CodeVersionInvalid, pydist.CodeFieldTooNew,
		pydist.CodeSummaryMultiline, pydist.CodeDescriptionTypeInvalid, pydist.CodeDescriptionCharset,
		pydist.CodeDescriptionVariant, pydist.CodeRequiresPythonInvalid, pydist.CodeProvidesExtraInvalid,
		pydist.CodeDynamicForbidden, pydist.CodeLicenseExpression, pydist.CodeLicenseFileInvalid,
		pydist.CodeImportNameInvalid,
	}
	descriptionCodes = []string{pydist.CodeDescriptionRST, pydist.CodeDescriptionRSTEmpty}
)

func metaTier(p pydist.Problem) int {
	switch {
	case slices.Contains(tierUnparsed, p.Code):
		return 0
	case slices.Contains(tierPackaging, p.Code),
		p.Code == pydist.CodeRequirementInvalid && p.Field == "Requires-Dist",
		p.Code == pydist.CodeDynamicInvalid && !isHeader(p.Value):
		return 1
	}
	return 2
}

// isHeader reports whether s names a core metadata field.
func isHeader(s string) bool {
	_, _, ok := pydist.FormName(strings.TrimSpace(s))
	return ok || strings.EqualFold(strings.TrimSpace(s), "description")
}

func fieldRank(field string) string {
	switch strings.ToLower(field) {
	case "metadata-version":
		return "0"
	case "name":
		return "1"
	case "version":
		return "2"
	}
	return "3" + strings.ToLower(field)
}

// firstMetadataProblem is the problem Warehouse would report first.
func firstMetadataProblem(ps []pydist.Problem) (pydist.Problem, bool) {
	if len(ps) == 0 {
		return pydist.Problem{}, false
	}
	best := ps[0]
	for _, p := range ps[1:] {
		bt, pt := metaTier(best), metaTier(p)
		if pt < bt || (pt == bt && fieldRank(p.Field) < fieldRank(best.Field)) {
			best = p
		}
	}
	return best, true
}

// checkFormMetadata applies the metadata rules to the form, as Warehouse's
// metadata.parse(form_data=...) does, and returns what the upload needs.
func (s *Server) checkFormMetadata(form *uploadForm) (*uploadMeta, *uploadError) {
	if len(form.values["description"]) > 1 {
		return nil, metaError("'description' has invalid data")
	}
	m := pydist.MetadataFromForm(form.values)
	var desc, rest []pydist.Problem
	for _, p := range pydist.Errors(pydist.CheckMetadata(m, "", s.ruleOptions())) {
		if slices.Contains(descriptionCodes, p.Code) {
			desc = append(desc, p)
		} else {
			rest = append(rest, p)
		}
	}
	if p, ok := firstMetadataProblem(rest); ok {
		return nil, metadataAnswer(p)
	}
	meta := &uploadMeta{form: m, metadataVersion: m.Get("Metadata-Version"), name: strings.TrimSpace(m.Get("Name"))}
	meta.version, _ = pydist.ParseVersion(m.Get("Version"))
	meta.requiresPython, _ = pydist.ParseSpecifierSet(m.Get("Requires-Python"))
	if len(desc) > 0 {
		msg := "The description failed to render in the default format of reStructuredText."
		if ct := m.Get("Description-Content-Type"); ct != "" {
			msg = fmt.Sprintf("The description failed to render for '%s'.", ct)
		}
		meta.described = badRequest("%s See %s#description-content-type for more information.", msg, helpURL)
	}
	return meta, nil
}

// metadataAnswer words a metadata problem as Warehouse does.
func metadataAnswer(p pydist.Problem) *uploadError {
	v := pyrepr.Str(p.Value)
	lf := strings.ToLower(p.Field)
	switch p.Code {
	case pydist.CodeFieldRepeated:
		name, _, _ := pydist.FormName(p.Field)
		return metaError(pyrepr.Str(name) + " has invalid data")
	case pydist.CodeMetadataVersionMissing:
		return metaError("None is not a valid metadata version")
	case pydist.CodeMetadataVersionInvalid:
		return metaError(v + " is not a valid metadata version")
	case pydist.CodeNameMissing:
		return metaError("'name' is a required field")
	case pydist.CodeVersionMissing:
		return metaError("'version' is a required field")
	case pydist.CodeNameInvalid, pydist.CodeVersionInvalid, pydist.CodeRequiresPythonInvalid,
		pydist.CodeProvidesExtraInvalid, pydist.CodeLicenseExpression:
		return metaError(v + " is invalid for " + pyrepr.Str(lf))
	case pydist.CodeVersionLocal:
		return badRequest("The use of local versions in '%s' is not allowed. See %s for more information.", p.Value, localVerURL)
	case pydist.CodeFieldTooNew:
		return metaError(fmt.Sprintf("%s introduced in metadata version %s, not %s", lf, p.Want, p.Value))
	case pydist.CodeSummaryMultiline:
		return metaError("'summary' must be a single line")
	case pydist.CodeSummaryTooLong:
		return metaError(fmt.Sprintf("'summary' field must be %d characters or less.", pydist.MaxSummaryLength))
	case pydist.CodeDescriptionTypeInvalid:
		return metaError(fmt.Sprintf("'description-content-type' must be one of ['text/plain', 'text/x-rst', 'text/markdown'], not %s", v))
	case pydist.CodeDescriptionCharset:
		return metaError("'description-content-type' can only specify the UTF-8 charset, not " + pyrepr.Str(charsetOf(p.Value)))
	case pydist.CodeDescriptionVariant:
		return metaError("valid Markdown variants for 'description-content-type' are ['GFM', 'CommonMark'], not " + pyrepr.Str(variantOf(p.Value)))
	case pydist.CodeRequirementInvalid:
		if lf == "requires-dist" {
			return metaError(v + " is invalid for 'requires-dist'")
		}
		return metaError(v + " is invalid: " + p.Message)
	case pydist.CodeRequirementDirectURL:
		if lf == "requires-dist" {
			return metaError("Can't have direct dependency: " + p.Value)
		}
		return metaError("Can't have direct dependency: " + v)
	case pydist.CodeDynamicForbidden:
		return metaError(pyrepr.Str(strings.ToLower(strings.TrimSpace(p.Value))) + " is not allowed as a dynamic field")
	case pydist.CodeDynamicInvalid:
		if !isHeader(p.Value) {
			return metaError(pyrepr.Str(strings.ToLower(strings.TrimSpace(p.Value))) + " is not a valid dynamic field")
		}
		return metaError("Dynamic field " + pyrepr.Str(strings.ToLower(p.Value)) + " is not a valid dynamic field.")
	case pydist.CodeLicenseFileInvalid:
		why := p.Message
		if i := strings.Index(why, ": "); i >= 0 {
			why = why[i+2:]
		}
		why, _, _ = strings.Cut(why, ";")
		return metaError(v + " is invalid for 'license-file', " + why)
	case pydist.CodeImportNameInvalid:
		return metaError(v + " is invalid for " + pyrepr.Str(lf))
	case pydist.CodeLicenseWithExpression:
		return metaError("License is deprecated when License-Expression is present. Only License-Expression should be present.")
	case pydist.CodeURLInvalid:
		return metaError(v + " is not a valid url.")
	case pydist.CodeProjectURLInvalid:
		switch {
		case p.Want == "":
			return metaError("Must have a label")
		case p.Value == p.Want:
			return metaError(v + fmt.Sprintf(" must be %d characters or less.", pydist.MaxProjectURLLabel))
		case strings.Contains(p.Value, ","):
			return metaError("Must have a URL")
		}
		return metaError(v + " is not a valid url")
	case pydist.CodeEmailInvalid:
		msg := p.Message
		if i := strings.Index(msg, "address: "); i >= 0 {
			msg = msg[i+len("address: "):]
		}
		msg, _, _ = strings.Cut(msg, " (write")
		return metaError(v + " is not a valid email address: " + msg)
	case pydist.CodeClassifierInvalid, pydist.CodeClassifierPrivate:
		return metaError(v + " is not a valid classifier.")
	case pydist.CodeClassifierDeprecated:
		if p.Want == "" {
			return metaError("The classifier " + v + " has been deprecated.")
		}
		var quoted []string
		for _, r := range strings.Split(p.Want, "\n") {
			quoted = append(quoted, pyrepr.Str(r))
		}
		return metaError("The classifier " + v + " has been deprecated, use one of [" + strings.Join(quoted, ", ") + "] instead.")
	}
	return metaError(p.Field + ": " + p.Message)
}

func paramOf(ct, name string) string {
	for _, part := range strings.Split(ct, ";")[1:] {
		k, v, _ := strings.Cut(part, "=")
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

func charsetOf(ct string) string { return paramOf(ct, "charset") }
func variantOf(ct string) string { return paramOf(ct, "variant") }

// fileStage orders the file's problems as Warehouse meets them: the
// archive's validity, then the filename against the project and version,
// License-File presence, RECORD, METADATA and the filename's length;
// then this index's own rules (unsafe and duplicate members, links, wheel
// tags, the metadata file itself, the form against the file, and the
// metadata rules applied to the file's own metadata).
var fileStage = []string{
	pydist.CodeArchiveInvalid, pydist.CodeArchiveRatio, pydist.CodeArchiveCompression, pydist.CodeArchiveTopLevel,
	pydist.CodeWheelFileMissing, pydist.CodeZipFraming, pydist.CodeArchiveSparse, pydist.CodeFilenameInvalid,
	pydist.CodePlatformTagUnsupported, pydist.CodeFilenameNameMismatch, pydist.CodeFilenameNotNormalized,
	pydist.CodeFilenameVersionMismatch, pydist.CodeLicenseFileMissing, pydist.CodeRecordMissing,
	pydist.CodeEntryPointsInvalid, pydist.CodeMetadataFileMissing, pydist.CodeFilenameTooLong,
	pydist.CodeArchiveUnsafePath, pydist.CodeArchiveDuplicate, pydist.CodeArchiveLink, pydist.CodeWheelTagInvalid,
	pydist.CodeMetadataFileTooLarge, pydist.CodeMetadataFileInvalid, pydist.CodeFormMismatch,
}

func fileRank(p pydist.Problem) int {
	if i := slices.Index(fileStage, p.Code); i >= 0 {
		// PKG-INFO missing is part of the archive's validity for an sdist.
		if p.Code == pydist.CodeMetadataFileMissing && p.Field != "METADATA" {
			return 0
		}
		return i
	}
	return len(fileStage)
}

// checkFile reads the stored upload with pydist (bounded reads) and applies
// the rules to the file: Check with PyPI's profile, and the form against
// the file. It returns the wheel's METADATA for PEP 658 (nil for an sdist).
func (s *Server) checkFile(p string, size int64, rec *record, meta *uploadMeta, displayName string) ([]byte, *uploadError) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, &uploadError{http.StatusInternalServerError, "Internal error: cannot read the upload."}
	}
	defer fh.Close()
	var ps []pydist.Problem
	f, err := pydist.OpenReader(fh, size, rec.Filename)
	if err != nil {
		ps = []pydist.Problem{pydist.ProblemOf(err, rec.Filename)}
	} else {
		// Warehouse judges the filename and License-Files against the
		// form's metadata; the file's own metadata is then held to the
		// same rules and to the form.
		asSent := *f
		asSent.Metadata = meta.form
		for _, p := range pydist.Errors(pydist.Check(&asSent, s.ruleOptions())) {
			if !slices.Contains(descriptionCodes, p.Code) {
				ps = append(ps, p)
			}
		}
		for _, p := range pydist.Errors(pydist.CheckMetadata(f.Metadata, rec.Filename, s.ruleOptions())) {
			p.Field = "file " + p.Field
			ps = append(ps, p)
		}
		ps = append(ps, pydist.CompareForm(meta.form, f.Metadata, rec.Filename)...)
	}
	if len(ps) > 0 {
		best := ps[0]
		for _, q := range ps[1:] {
			if fileRank(q) < fileRank(best) {
				best = q
			}
		}
		return nil, fileAnswer(best, rec, meta, displayName)
	}
	if rec.FileType == "sdist" {
		return nil, nil
	}
	return f.MetadataBytes, nil
}

// fileAnswer words a file problem as Warehouse does.
func fileAnswer(p pydist.Problem, rec *record, meta *uploadMeta, displayName string) *uploadError {
	fn := rec.Filename
	norm := strings.ReplaceAll(rec.Normalized, "-", "_")
	switch p.Code {
	case pydist.CodeArchiveInvalid, pydist.CodeArchiveRatio, pydist.CodeArchiveCompression, pydist.CodeArchiveTopLevel:
		reason := p.Value
		switch p.Code {
		case pydist.CodeArchiveRatio:
			reason = fmt.Sprintf("File exceeds compression ratio of %d", pydist.MaxCompressionRatio)
		case pydist.CodeArchiveCompression:
			reason = "File does not use a supported compression type"
		case pydist.CodeArchiveTopLevel:
			reason = "Incorrect number of top-level directories in sdist"
		}
		if reason == "" {
			reason = "File is not a zipfile"
			if rec.FileType == "sdist" {
				reason = "File is not a tarfile"
			}
		}
		return invalidDist(reason)
	case pydist.CodeArchiveSparse:
		return invalidDist("tar archive not accepted: Sparse members are not allowed. See https://docs.pypi.org/archives for more information")
	case pydist.CodeZipFraming:
		return invalidDist("ZIP archive not accepted: " + p.Want + ". See https://docs.pypi.org/archives for more information")
	case pydist.CodeWheelFileMissing:
		return invalidDist("WHEEL not found at " + p.Want)
	case pydist.CodeFilenameInvalid:
		if rec.FileType == "sdist" {
			if strings.HasSuffix(fn, ".zip") {
				want := norm + "-" + meta.version.String() + ".tar.gz"
				return badRequest("Filename %s is invalid, should be %s.", pyrepr.Str(fn), pyrepr.Str(want))
			}
			return badRequest("Invalid source distribution filename: %s", fn)
		}
		msg, _, _ := strings.Cut(p.Message, "; ")
		return badRequest("%s", msg)
	case pydist.CodePlatformTagUnsupported:
		return badRequest("Binary wheel '%s' has an unsupported platform tag '%s'.", fn, p.Value)
	case pydist.CodeFilenameNameMismatch:
		return badRequest("Start filename for %s with %s.", pyrepr.Str(displayName), pyrepr.Str(norm))
	case pydist.CodeFilenameNotNormalized:
		if rec.FileType == "sdist" {
			return badRequest("Filename %s is invalid, should be %s.", pyrepr.Str(fn), pyrepr.Str(p.Want))
		}
		return badRequest("Filename %s should contain the normalized project name %s, not %s.", pyrepr.Str(fn), pyrepr.Str(norm), pyrepr.Str(p.Value))
	case pydist.CodeFilenameVersionMismatch:
		return badRequest("Version in filename should be %s not %s.", pyrepr.Str(p.Want), pyrepr.Str(p.Value))
	case pydist.CodeLicenseFileMissing:
		return badRequest("License-File %s does not exist in distribution file %s at %s", p.Value, fn, p.Want)
	case pydist.CodeRecordMissing:
		return badRequest("Wheel '%s' does not contain the required RECORD file: %s", fn, p.Want)
	case pydist.CodeEntryPointsInvalid:
		return badRequest("Wheel '%s' has invalid entry points defined in the entry_points.txt file", fn)
	case pydist.CodeMetadataFileMissing:
		if rec.FileType == "sdist" {
			return invalidDist(p.Value)
		}
		return badRequest("Wheel '%s' does not contain the required METADATA file: %s", fn, p.Want)
	case pydist.CodeFilenameTooLong:
		return badRequest("Filename is too long: '%s'", fn)
	case pydist.CodeArchiveUnsafePath:
		return invalidDist(fmt.Sprintf("Member %s has an unsafe path (absolute, '..', a backslash or a device file)", pyrepr.Str(p.Value)))
	case pydist.CodeArchiveDuplicate:
		return invalidDist(fmt.Sprintf("Member %s occurs more than once", pyrepr.Str(p.Value)))
	case pydist.CodeArchiveLink:
		return invalidDist(fmt.Sprintf("Member %s is a link; links are not accepted", pyrepr.Str(p.Value)))
	case pydist.CodeWheelTagInvalid:
		return badRequest("Invalid wheel filename (invalid tag %s): %s", pyrepr.Str(p.Value), pyrepr.Str(fn))
	case pydist.CodeMetadataFileTooLarge:
		return invalidDist(fmt.Sprintf("%s is larger than this index accepts for a file of %d bytes (%d times its size, at most %d MiB)", p.Value, rec.Size, pydist.MaxCompressionRatio, pydist.MaxMetadataSize>>20))
	case pydist.CodeMetadataFileInvalid:
		return invalidDist(fmt.Sprintf("%s is not valid core metadata: %s", p.Value, strings.TrimPrefix(p.Message, p.Value+": ")))
	case pydist.CodeFormMismatch:
		return badRequest("The upload's %s %s does not match the distribution file's %s %s: the metadata sent with a file must be the file's own.", strings.ToLower(p.Field), pyrepr.Str(p.Value), strings.ToLower(p.Field), pyrepr.Str(p.Want))
	}
	// A metadata rule broken by the file's own metadata (the form passed).
	p.Field = strings.TrimPrefix(p.Field, "file ")
	ans := metadataAnswer(p)
	ans.msg = "Distribution file's metadata: " + ans.msg
	return ans
}
