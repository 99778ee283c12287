package pydist

import (
	"slices"
	"sync"

	"github.com/trustpub/trustpub/pydist/readme"
)

// Severity says whether a Problem blocks an upload.
type Severity int

const (
	// Error: the index would refuse the file (or, for a file of this
	// client, it cannot be uploaded as it is).
	Error Severity = iota
	// Warning: the file is accepted but something is likely wrong (twine
	// check's warnings, and PyPI-only rules when the target is another
	// index). Warnings never block an upload unless the caller asks.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText implements encoding.TextMarshaler ("error", "warning").
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Profile is the set of rules a check applies: which index the files are
// for.
type Profile int

const (
	// ProfilePyPI applies PyPI's (and TestPyPI's) rules: every refusal of
	// Warehouse's upload path is an error.
	ProfilePyPI Profile = iota
	// ProfileIndex is for another index (a private registry, pypiserver,
	// trustpub serve): rules only PyPI applies (normalised filenames,
	// platform tags, trove classifiers, description rendering, local
	// versions) are warnings, the rest stay errors.
	ProfileIndex
)

// Rule describes one check: its stable code, what it refuses and where
// the rule comes from.
type Rule struct {
	Code     string // stable identifier, e.g. "requires-python-invalid"
	Summary  string // what the rule refuses or warns about
	Source   string // Warehouse / packaging / twine reference, or why it is ours
	PyPIOnly bool   // a warning under ProfileIndex
	Warning  bool   // always a warning (never refuses)
}

// Problem codes. Each is stable: tools may match on them (check --json,
// CI annotations) and the index maps them to Warehouse's answers.
const (
	CodeMetadataVersionMissing  = "metadata-version-missing"
	CodeMetadataVersionInvalid  = "metadata-version-invalid"
	CodeNameMissing             = "name-missing"
	CodeNameInvalid             = "name-invalid"
	CodeVersionMissing          = "version-missing"
	CodeVersionInvalid          = "version-invalid"
	CodeVersionLocal            = "version-local"
	CodeFieldRepeated           = "field-repeated"
	CodeFieldTooNew             = "field-too-new"
	CodeSummaryMultiline        = "summary-multiline"
	CodeSummaryTooLong          = "summary-too-long"
	CodeLicenseWithExpression   = "license-with-expression"
	CodeLicenseExpression       = "license-expression-invalid"
	CodeLicenseFileInvalid      = "license-file-invalid"
	CodeLicenseFileMissing      = "license-file-missing"
	CodeDescriptionDuplicate    = "description-duplicate"
	CodeDescriptionMissing      = "description-missing"
	CodeDescriptionTypeMissing  = "description-content-type-missing"
	CodeDescriptionTypeInvalid  = readme.CodeContentTypeInvalid
	CodeDescriptionCharset      = readme.CodeCharsetInvalid
	CodeDescriptionVariant      = readme.CodeVariantInvalid
	CodeDescriptionRST          = readme.CodeRSTInvalid
	CodeDescriptionRSTEmpty     = readme.CodeRSTEmpty
	CodeRequiresPythonInvalid   = "requires-python-invalid"
	CodeRequirementInvalid      = "requirement-invalid"
	CodeRequirementDirectURL    = "requirement-direct-url"
	CodeProvidesExtraInvalid    = "provides-extra-invalid"
	CodeImportNameInvalid       = "import-name-invalid"
	CodeDynamicForbidden        = "dynamic-forbidden"
	CodeDynamicInvalid          = "dynamic-invalid"
	CodeProjectURLInvalid       = "project-url-invalid"
	CodeURLInvalid              = "url-invalid"
	CodeEmailInvalid            = "email-invalid"
	CodeClassifierInvalid       = "classifier-invalid"
	CodeClassifierDeprecated    = "classifier-deprecated"
	CodeClassifierPrivate       = "classifier-private"
	CodeFilenameInvalid         = "filename-invalid"
	CodeFilenameTooLong         = "filename-too-long"
	CodeFilenameNameMismatch    = "filename-name-mismatch"
	CodeFilenameVersionMismatch = "filename-version-mismatch"
	CodeFilenameNotNormalized   = "filename-not-normalized"
	CodeWheelTagInvalid         = "wheel-tag-invalid"
	CodePlatformTagUnsupported  = "platform-tag-unsupported"
	CodeArchiveInvalid          = "archive-invalid"
	CodeArchiveCompression      = "archive-compression"
	CodeArchiveRatio            = "archive-ratio"
	CodeArchiveTopLevel         = "archive-top-level"
	CodeArchiveUnsafePath       = "archive-unsafe-path"
	CodeArchiveDuplicate        = "archive-duplicate"
	CodeArchiveLink             = "archive-link"
	CodeArchiveSparse           = "archive-sparse"
	CodeZipFraming              = "zip-framing"
	CodeMetadataFileMissing     = "metadata-file-missing"
	CodeMetadataFileInvalid     = "metadata-file-invalid"
	CodeMetadataFileTooLarge    = "metadata-file-too-large"
	CodeWheelFileMissing        = "wheel-file-missing"
	CodeRecordMissing           = "record-missing"
	CodeEntryPointsInvalid      = "entry-points-invalid"
	CodeFormMismatch            = "form-metadata-mismatch"
	CodeFileExists              = "file-exists"
	CodeReleaseClosed           = "release-closed"
	CodeSdistExists             = "sdist-exists"
)

const (
	srcMeta    = "warehouse/forklift/metadata.py"
	srcLegacy  = "warehouse/forklift/legacy.py"
	srcPkgMeta = "packaging.metadata (Metadata.from_raw), run by Warehouse on the form"
	srcTwine   = "twine check (twine/commands/check.py)"
)

var ruleList = []Rule{
	{CodeMetadataVersionMissing, "Metadata-Version absent", srcPkgMeta, false, false},
	{CodeMetadataVersionInvalid, "Metadata-Version not one of 1.0, 1.1, 1.2, 2.1-2.5 (2.0 refused)", srcMeta + " SUPPORTED_METADATA_VERSIONS", false, false},
	{CodeNameMissing, "Name absent", srcPkgMeta, false, false},
	{CodeNameInvalid, "Name not a valid project name (PEP 508 name)", srcPkgMeta, false, false},
	{CodeVersionMissing, "Version absent", srcPkgMeta, false, false},
	{CodeVersionInvalid, "Version not PEP 440", srcPkgMeta, false, false},
	{CodeVersionLocal, "local version (1.0+x), unless local versions are allowed", srcMeta, false, false},
	{CodeFieldRepeated, "single-use field given more than once", srcMeta + " parse_form_metadata ('{key}' has invalid data)", false, false},
	{CodeFieldTooNew, "field newer than the declared Metadata-Version", srcPkgMeta, false, false},
	{CodeSummaryMultiline, "Summary over more than one line", srcPkgMeta, false, false},
	{CodeSummaryTooLong, "Summary over 512 characters", srcMeta + " _LENGTH_LIMITS", false, false},
	{CodeLicenseWithExpression, "License and License-Expression both set", srcMeta + " (PEP 639)", false, false},
	{CodeLicenseExpression, "License-Expression not a valid SPDX expression", srcPkgMeta + " (canonicalize_license_expression)", false, false},
	{CodeLicenseFileInvalid, "License-File path absolute, with '..', '*' or not '/'-separated", srcPkgMeta, false, false},
	{CodeLicenseFileMissing, "License-File not in the archive", srcLegacy + " (PEP 639)", false, false},
	{CodeDescriptionDuplicate, "description both as header and as body", "packaging.metadata.parse_email (the form can carry only one)", false, false},
	{CodeDescriptionMissing, "no long description", srcTwine, false, true},
	{CodeDescriptionTypeMissing, "no Description-Content-Type (PyPI renders it as reStructuredText)", srcTwine, false, true},
	{CodeDescriptionTypeInvalid, "Description-Content-Type not text/plain, text/x-rst or text/markdown", srcPkgMeta, false, false},
	{CodeDescriptionCharset, "Description-Content-Type charset other than UTF-8", srcPkgMeta, false, false},
	{CodeDescriptionVariant, "text/markdown variant other than GFM or CommonMark", srcPkgMeta, false, false},
	{CodeDescriptionRST, "reStructuredText description on which docutils warns (PyPI does not render it)", srcLegacy + " (readme_renderer, via pydist/readme)", true, false},
	{CodeDescriptionRSTEmpty, "reStructuredText description that renders to nothing", srcLegacy + " (readme_renderer, via pydist/readme)", true, false},
	{CodeRequiresPythonInvalid, "Requires-Python not a PEP 440 specifier set", srcPkgMeta, false, false},
	{CodeRequirementInvalid, "Requires-Dist, Provides-Dist or Obsoletes-Dist not a PEP 508 requirement", srcPkgMeta + "; " + srcMeta, false, false},
	{CodeRequirementDirectURL, "direct URL requirement (name @ url)", srcMeta, true, false},
	{CodeProvidesExtraInvalid, "Provides-Extra not a valid name", srcPkgMeta, false, false},
	{CodeImportNameInvalid, "Import-Name / Import-Namespace not dotted identifiers (PEP 794)", srcPkgMeta, false, false},
	{CodeDynamicForbidden, "Name, Version or Metadata-Version marked Dynamic", srcPkgMeta, false, false},
	{CodeDynamicInvalid, "Dynamic names a field that may not be dynamic", srcPkgMeta + "; " + srcMeta + " DYNAMIC_FIELDS", false, false},
	{CodeProjectURLInvalid, "Project-URL without label or URL, label over 32 characters, URL invalid", srcMeta, false, false},
	{CodeURLInvalid, "Home-Page / Download-URL not an http(s) URI", srcMeta + " (is_valid_uri)", false, false},
	{CodeEmailInvalid, "Author-Email / Maintainer-Email address invalid", srcMeta + " (email-validator)", false, false},
	{CodeClassifierInvalid, "classifier not in the trove-classifiers list", srcMeta, true, false},
	{CodeClassifierDeprecated, "deprecated classifier", srcMeta, true, false},
	{CodeClassifierPrivate, "'Private ::' classifier (meant to block uploads to PyPI)", srcMeta + " (not a valid classifier)", true, false},
	{CodeFilenameInvalid, "filename not a wheel (PEP 427) or sdist (PEP 625) name", srcLegacy + " (packaging.utils.parse_*_filename)", false, false},
	{CodeFilenameTooLong, "filename over 255 bytes (246 for a wheel, whose .metadata is stored beside it)", srcLegacy + " (Filename is too long) and the file system's NAME_MAX", false, false},
	{CodeFilenameNameMismatch, "filename's project name differs from Name", srcLegacy, false, false},
	{CodeFilenameVersionMismatch, "filename's version differs from Version", srcLegacy, false, false},
	{CodeFilenameNotNormalized, "filename not in normalised form (PEP 625 sdist, PEP 427 escaped wheel name)", srcLegacy, true, false},
	{CodeWheelTagInvalid, "wheel tag with characters other than letters, digits, '_' and '.'", "ours: tags are served in URLs and pages (packaging.tags accepts only these)", false, false},
	{CodePlatformTagUnsupported, "wheel platform tag PyPI does not accept (e.g. linux_x86_64)", srcLegacy + " _valid_platform_tag", true, false},
	{CodeArchiveInvalid, "not a readable zip / gzip tar", srcLegacy + " _is_valid_dist_file", false, false},
	{CodeArchiveCompression, "zip member neither STORED nor DEFLATE", srcLegacy + " _is_valid_dist_file", false, false},
	{CodeArchiveRatio, "archive expands over 64 MiB and more than 50 times its size", srcLegacy + " COMPRESSION_RATIO_*", false, false},
	{CodeArchiveTopLevel, "sdist without exactly one top-level directory", srcLegacy + " _is_valid_dist_file", false, false},
	{CodeArchiveUnsafePath, "member path absolute, with '..', a backslash or a drive, or a device", "ours (PyPI's tarfile data filter refuses them in sdists)", false, false},
	{CodeArchiveDuplicate, "member name occurring twice", "warehouse/utils/zipfiles.py (Duplicate filename) and ours for tar", false, false},
	{CodeArchiveLink, "symbolic or hard link member in an sdist", "ours (PyPI's tarfile data filter refuses links leaving the tree)", false, false},
	{CodeArchiveSparse, "sparse tar member", srcLegacy + " (Sparse members are not allowed)", false, false},
	{CodeZipFraming, "zip written with data descriptors (streamed), member comments, or control characters / invalid UTF-8 in names", "warehouse/utils/zipfiles.py validate_zipfile (ZIP archive not accepted)", true, false},
	{CodeMetadataFileMissing, "no METADATA / PKG-INFO where PyPI looks", srcLegacy, false, false},
	{CodeMetadataFileInvalid, "METADATA / PKG-INFO not core metadata text", "ours: the index serves it as PEP 658 metadata", false, false},
	{CodeMetadataFileTooLarge, "METADATA / PKG-INFO over 4 MiB, or over 50 times the archive's size", "ours (issue 9): Warehouse reads it whole", false, false},
	{CodeWheelFileMissing, "wheel without {name}-{version}.dist-info/WHEEL", srcLegacy, false, false},
	{CodeRecordMissing, "wheel without {name}-{version}.dist-info/RECORD", srcLegacy, false, false},
	{CodeEntryPointsInvalid, "wheel's entry_points.txt not UTF-8, not an INI file configparser reads, or a script name other than [\\w.-]+", "warehouse/utils/wheel.py validate_entrypoints", true, false},
	{CodeFormMismatch, "upload form metadata differs from the file's own", "ours: PyPI takes the form, the installer reads the file", false, false},
	{CodeFileExists, "filename already on the index with different contents", srcLegacy + " (File already exists)", false, false},
	{CodeReleaseClosed, "new file for a release older than 14 days", srcLegacy + " MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS (since July 2026)", true, false},
	{CodeSdistExists, "second sdist for a release: the index has one, or the upload holds two", srcLegacy + " (Only one sdist may be uploaded per release.)", true, false},
}

var ruleIndex = sync.OnceValue(func() map[string]Rule {
	m := make(map[string]Rule, len(ruleList))
	for _, r := range ruleList {
		m[r.Code] = r
	}
	return m
})

// Rules returns every rule Check and CheckIndexState apply, in a stable
// order.
func Rules() []Rule { return slices.Clone(ruleList) }

// LookupRule returns the rule with this code.
func LookupRule(code string) (Rule, bool) {
	r, ok := ruleIndex()[code]
	return r, ok
}

// severity is the Severity of code under the profile.
func severity(code string, p Profile) Severity {
	r := ruleIndex()[code]
	if r.Warning || (r.PyPIOnly && p == ProfileIndex) {
		return Warning
	}
	return Error
}

// Errors returns the problems that block an upload.
func Errors(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}
