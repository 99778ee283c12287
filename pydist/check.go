package pydist

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustpub/trustpub/pydist/classifiers"
	"github.com/trustpub/trustpub/pydist/readme"
)

// supportedMetadataVersions are the Metadata-Version values PyPI accepts
// (warehouse SUPPORTED_METADATA_VERSIONS). 2.0 was never a released
// specification and is refused.
var supportedMetadataVersions = []string{"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"}

// SupportedMetadataVersions returns the Metadata-Version values PyPI
// accepts: 1.0, 1.1, 1.2 and 2.1 to 2.5 (not 2.0).
func SupportedMetadataVersions() []string { return slices.Clone(supportedMetadataVersions) }

// Limits of the rules, each with its source.
const (
	// MaxSummaryLength is PyPI's limit on Summary, in characters
	// (warehouse/forklift/metadata.py _LENGTH_LIMITS).
	MaxSummaryLength = 512
	// MaxProjectURLLabel is PyPI's limit on a Project-URL label, in
	// characters (metadata.py; release_urls_valid_name in the database).
	MaxProjectURLLabel = 32
	// MaxFilenameBytes is the longest filename an index can store: the
	// file systems' NAME_MAX (255 bytes).
	MaxFilenameBytes = 255
	// MaxWheelFilenameBytes is PyPI's: it stores "{filename}.metadata"
	// beside a wheel and answers "Filename is too long" when that name
	// does not fit in NAME_MAX.
	MaxWheelFilenameBytes = MaxFilenameBytes - len(".metadata")
)

const (
	specURL    = "https://packaging.python.org/specifications/core-metadata"
	versionURL = "https://packaging.python.org/specifications/version-specifiers/#local-version-identifiers"
)

// singleUseFields are the core metadata fields that may appear once.
var singleUseFields = []string{"Metadata-Version", "Name", "Version", "Summary", "Description-Content-Type",
	"Home-Page", "Download-URL", "Author", "Author-Email", "Maintainer", "Maintainer-Email", "License",
	"License-Expression", "Requires-Python", "Keywords"}

// dynamicFields are the fields Warehouse accepts in Dynamic
// (metadata.py DYNAMIC_FIELDS), lower case.
var dynamicFields = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields("platform supported-platform summary description description-content-type keywords home-page download-url author author-email maintainer maintainer-email license license-expression license-file classifier requires-dist requires-python requires-external project-url provides-extra provides-dist obsoletes-dist requires provides obsoletes import-name import-namespace") {
		m[f] = true
	}
	return m
})

// Check returns every problem with a file, all at once, in a stable order:
// the metadata rules of CheckMetadata; the filename against the metadata
// (name, version, PEP 625 / PEP 427 normal forms, length, wheel tags and
// PyPI's platform tags); and the archive (compression, ratio, top-level
// directory, unsafe, duplicate, link and sparse members, the METADATA,
// WHEEL and RECORD files where PyPI looks for them, License-File
// presence). Each Problem has a stable Code; warnings (Severity Warning)
// never block an upload. Messages say what to change. A nil File or one
// without metadata gives a single problem.
func Check(f *File, opts CheckOptions) []Problem {
	if f == nil {
		return []Problem{{Code: CodeMetadataFileMissing, Message: "no file to check"}}
	}
	c := checker{f: f, m: f.Metadata, path: f.Path, opts: opts}
	if c.path == "" {
		c.path = f.Filename.Raw
	}
	if f.Metadata == nil {
		c.add(CodeMetadataFileMissing, "", "", "no core metadata was read; open the file with pydist.Open")
		return c.problems
	}
	c.metadata()
	c.filename()
	c.archive()
	return c.problems
}

// CheckMetadata applies the metadata rules alone: what PyPI checks in the
// upload form (it takes the metadata from the form, not the file), plus
// twine check's warnings. path names the file in the problems.
func CheckMetadata(m *Metadata, path string, opts CheckOptions) []Problem {
	c := checker{m: m, path: path, opts: opts}
	if m == nil {
		c.add(CodeMetadataFileMissing, "", "", "no core metadata")
		return c.problems
	}
	c.metadata()
	return c.problems
}

type checker struct {
	f        *File // nil for CheckMetadata
	m        *Metadata
	path     string
	opts     CheckOptions
	problems []Problem
	metaName string  // valid Name from metadata, or ""
	metaVer  Version // valid Version from metadata, or zero
}

// add records a problem; value is the offending value (kept whole in
// Value, truncated in the message's arguments).
func (c *checker) add(code, field, value, format string, args ...any) *Problem {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = truncate(s, 300) // values from metadata can be huge
		}
	}
	c.problems = append(c.problems, Problem{Code: code, Severity: severity(code, c.opts.Profile), Path: c.path, Field: field, Value: value, Message: fmt.Sprintf(format, args...)})
	return &c.problems[len(c.problems)-1]
}

func (c *checker) single(field string) (string, bool) {
	vals := c.m.GetAll(field)
	if len(vals) > 1 {
		c.add(CodeFieldRepeated, field, vals[1], "%s appears %d times but may appear only once; keep one", field, len(vals))
	}
	if len(vals) == 0 {
		return "", false
	}
	return vals[0], true
}

func (c *checker) metadata() {
	m := c.m
	mv, ok := c.single("Metadata-Version")
	mv = strings.TrimSpace(mv)
	switch {
	case !ok || mv == "":
		c.add(CodeMetadataVersionMissing, "Metadata-Version", "", "missing; core metadata must start with Metadata-Version (one of %s). See %s for more information.", strings.Join(supportedMetadataVersions, ", "), specURL)
	case mv == "2.0":
		c.add(CodeMetadataVersionInvalid, "Metadata-Version", mv, "'2.0' is an invalid value for Metadata-Version: 2.0 was never a released specification and PyPI refuses it; rebuild with a current build backend (it writes 2.1 or later). See %s for more information.", specURL)
	case !slices.Contains(supportedMetadataVersions, mv):
		c.add(CodeMetadataVersionInvalid, "Metadata-Version", mv, "'%s' is an invalid value for Metadata-Version: PyPI accepts %s; rebuild with a build backend that writes one of them. See %s for more information.", mv, strings.Join(supportedMetadataVersions, ", "), specURL)
	}

	name, ok := c.single("Name")
	name = strings.TrimSpace(name)
	switch {
	case !ok || name == "":
		c.add(CodeNameMissing, "Name", "", "missing; core metadata must have a Name. See %s for more information.", specURL)
	case !ValidName(name):
		c.add(CodeNameInvalid, "Name", name, "'%s' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'. See %s for more information.", name, specURL)
	default:
		c.metaName = name
	}

	ver, ok := c.single("Version")
	ver = strings.TrimSpace(ver)
	switch {
	case !ok || ver == "":
		c.add(CodeVersionMissing, "Version", "", "missing; core metadata must have a Version. See %s for more information.", specURL)
	default:
		v, err := ParseVersion(ver)
		if err != nil {
			c.add(CodeVersionInvalid, "Version", ver, "'%s' is an invalid value for Version. Error: %v. See %s for more information.", ver, err, specURL)
			break
		}
		c.metaVer = v
		if v.Local() != "" && !c.opts.AllowLocalVersions {
			c.add(CodeVersionLocal, "Version", v.String(), "The use of local versions in '%s' is not allowed. See %s for more information. Drop the '+%s' label for PyPI (local versions are only for private indexes).", v, versionURL, v.Local())
		}
	}

	if s, ok := c.single("Summary"); ok {
		if strings.ContainsAny(s, "\r\n") {
			c.add(CodeSummaryMultiline, "Summary", s, "Multiple lines are not allowed; make the summary (description in pyproject.toml) a single line")
		}
		if n := utf8.RuneCountInString(s); n > MaxSummaryLength {
			c.add(CodeSummaryTooLong, "Summary", s, "is %d characters; PyPI allows at most %d; shorten it", n, MaxSummaryLength)
		}
	}
	for _, field := range singleUseFields[4:] {
		c.single(field)
	}
	c.fieldVersions(mv)
	c.licenses()
	c.description()
	c.requirements()
	c.dynamic()
	c.urls()
	c.emails()
	c.classifiers()
	for _, field := range []string{"Import-Name", "Import-Namespace"} {
		for _, v := range m.GetAll(field) {
			if why := importNameProblem(v); why != "" {
				c.add(CodeImportNameInvalid, field, v, "'%s' is invalid: %s (PEP 794: a dotted Python import name, optionally '; private')", v, why)
			}
		}
	}
}

func (c *checker) licenses() {
	m := c.m
	if m.Has("License") && m.Has("License-Expression") {
		c.add(CodeLicenseWithExpression, "License", m.Get("License"), "License and License-Expression are both set; PyPI refuses that. Keep License-Expression (an SPDX expression) and remove License (the license = \"...\" table or classifier-style text)")
	}
	if m.Has("License-Expression") {
		le := m.Get("License-Expression")
		if _, err := CanonicalLicenseExpression(le); err != nil {
			c.add(CodeLicenseExpression, "License-Expression", le, "'%s' is not a valid SPDX license expression (%v); use SPDX identifiers from https://spdx.org/licenses/ (list %s) joined with AND, OR, WITH, or LicenseRef-<name>", le, err, LicenseListVersion())
		}
	}
	for _, lf := range m.GetAll("License-File") {
		if why := licenseFilePathProblem(lf); why != "" {
			c.add(CodeLicenseFileInvalid, "License-File", lf, "'%s' is invalid: %s; License-File is a '/'-separated path relative to the project root", lf, why)
		}
	}
}

func (c *checker) description() {
	m := c.m
	if m.DescriptionHeader && m.BodyAfterHeaders {
		c.add(CodeDescriptionDuplicate, "Description", "", "given both as a Description header and as the message body; keep only one (current tools write it as the body)")
	}
	ct := m.Get("Description-Content-Type")
	if strings.TrimSpace(m.Description) == "" {
		c.add(CodeDescriptionMissing, "Description", "", "no long description (readme); PyPI will show an empty project page: set readme in pyproject.toml")
	} else if !m.Has("Description-Content-Type") {
		c.add(CodeDescriptionTypeMissing, "Description-Content-Type", "", "missing; PyPI renders the description as reStructuredText (text/x-rst): set the readme's content type (e.g. text/markdown) in pyproject.toml")
	}
	for _, p := range readme.Validate(ct, m.Description) {
		field := "Description-Content-Type"
		if p.Code == readme.CodeRSTInvalid || p.Code == readme.CodeRSTEmpty {
			field = "Description"
		}
		msg := p.Message
		if p.Line > 0 {
			msg = fmt.Sprintf("line %d: %s", p.Line, p.Message)
		}
		c.add(p.Code, field, ct, "%s", msg)
	}
}

func (c *checker) requirements() {
	m := c.m
	if rp, ok := c.single("Requires-Python"); ok {
		if _, err := ParseSpecifierSet(rp); err != nil {
			c.add(CodeRequiresPythonInvalid, "Requires-Python", rp, "'%s' is not a valid version specifier set (%v); write e.g. >=3.9 or >=3.9,<4", rp, err)
		}
	}
	for _, field := range []string{"Requires-Dist", "Provides-Dist", "Obsoletes-Dist"} {
		for _, req := range m.GetAll(field) {
			r, err := ParseRequirement(req)
			switch {
			case err != nil:
				c.add(CodeRequirementInvalid, field, req, "'%s' is not a valid PEP 508 requirement: %v", req, err)
			case r.URL != "":
				c.add(CodeRequirementDirectURL, field, req, "Can't have direct dependency: '%s'. PyPI refuses URL requirements (name @ url); depend on a released version instead", req)
			}
		}
	}
	for _, e := range m.GetAll("Provides-Extra") {
		if !validExtraName(strings.TrimSpace(e)) {
			c.add(CodeProvidesExtraInvalid, "Provides-Extra", e, "'%s' is not a valid extra name: start and end with a letter or digit, with only letters, digits, '.', '_' and '-' between", e)
		}
	}
}

func (c *checker) dynamic() {
	for _, d := range c.m.GetAll("Dynamic") {
		l := strings.ToLower(strings.TrimSpace(d))
		switch {
		case l == "name" || l == "version" || l == "metadata-version":
			c.add(CodeDynamicForbidden, "Dynamic", d, "'%s' may not be dynamic: Name, Version and Metadata-Version must always be given", d)
		case !dynamicFields()[l]:
			c.add(CodeDynamicInvalid, "Dynamic", d, "'%s' is not a field that may be dynamic; remove it from Dynamic", d)
		}
	}
}

func (c *checker) urls() {
	m := c.m
	seen := map[string]bool{}
	for _, pu := range m.GetAll("Project-URL") {
		label, u, _ := strings.Cut(pu, ",")
		label, u = strings.TrimSpace(label), strings.TrimSpace(u)
		var p *Problem
		switch {
		case label == "":
			p = c.add(CodeProjectURLInvalid, "Project-URL", pu, "'%s' has no label; write 'Label, URL'", pu)
		case utf8.RuneCountInString(label) > MaxProjectURLLabel:
			p = c.add(CodeProjectURLInvalid, "Project-URL", label, "label '%s' is longer than %d characters; shorten it", label, MaxProjectURLLabel)
		case u == "":
			p = c.add(CodeProjectURLInvalid, "Project-URL", pu, "'%s' must be 'Label, URL'", pu)
		case seen[label]:
			p = c.add(CodeFieldRepeated, "Project-URL", label, "label '%s' is used twice; give each URL its own label", label)
		default:
			if why := uriProblem(u); why != "" {
				p = c.add(CodeProjectURLInvalid, "Project-URL", u, "'%s' is not a valid http(s) URL (%s)", u, why)
			}
		}
		if p != nil && p.Code == CodeProjectURLInvalid {
			p.Want = label // which check failed is told by Value vs label
		}
		seen[label] = true
	}
	for _, field := range []string{"Home-Page", "Download-URL"} {
		if u := m.Get(field); m.Has(field) && strings.TrimSpace(u) != "UNKNOWN" && u != "" {
			if why := uriProblem(u); why != "" {
				c.add(CodeURLInvalid, field, u, "'%s' is not a valid http(s) URL (%s)", u, why)
			}
		}
	}
}

func (c *checker) emails() {
	for _, field := range []string{"Author-Email", "Maintainer-Email"} {
		v := strings.TrimSpace(c.m.Get(field))
		if v == "" || v == "UNKNOWN" {
			continue
		}
		for _, addr := range emailAddresses(v) {
			if why := emailProblem(addr); why != "" {
				c.add(CodeEmailInvalid, field, addr, "'%s' is not a valid email address: %s (write 'Name <user@example.com>', comma-separated)", addr, why)
				break
			}
		}
	}
}

func (c *checker) classifiers() {
	for _, cl := range c.m.GetAll("Classifier") {
		if strings.HasPrefix(strings.TrimSpace(cl), "Private ::") {
			c.add(CodeClassifierPrivate, "Classifier", cl, "'%s' marks the project as private: PyPI refuses every upload with a 'Private ::' classifier; remove it to publish", cl)
			continue
		}
		switch st, repl := classifiers.Lookup(cl); st {
		case classifiers.Unknown:
			c.add(CodeClassifierInvalid, "Classifier", cl, "'%s' is not a valid classifier; pick one from https://pypi.org/classifiers/ (spelled exactly)", cl)
		//lint:ignore SA1019 classifiers.Deprecated is a status whose doc comment starts with the word, not a deprecation notice
		case classifiers.Deprecated:
			p := c.add(CodeClassifierDeprecated, "Classifier", cl, "'%s' is deprecated; %s", cl, replacementHint(repl))
			p.Want = strings.Join(repl, "\n")
		}
	}
}

func replacementHint(repl []string) string {
	if len(repl) == 0 {
		return "remove it"
	}
	return "use " + strings.Join(repl, " or ") + " instead"
}

// fieldAdded is the Metadata-Version each field was introduced in
// (packaging refuses a field newer than the declared version). License-File
// is left out: twine drops it below 2.4 rather than failing.
var fieldAdded = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"supported-platform": "1.1", "download-url": "1.1", "classifier": "1.1", "requires": "1.1",
		"provides": "1.1", "obsoletes": "1.1",
		"maintainer": "1.2", "maintainer-email": "1.2", "requires-dist": "1.2", "provides-dist": "1.2",
		"obsoletes-dist": "1.2", "requires-python": "1.2", "requires-external": "1.2", "project-url": "1.2",
		"description-content-type": "2.1", "provides-extra": "2.1",
		"dynamic":            "2.2",
		"license-expression": "2.4",
		"import-name":        "2.5", "import-namespace": "2.5",
	}
})

// fieldVersions reports fields newer than the declared Metadata-Version,
// once per field.
func (c *checker) fieldVersions(mv string) {
	if !slices.Contains(supportedMetadataVersions, mv) {
		return
	}
	seen := map[string]bool{}
	for _, f := range c.m.Fields {
		k := strings.ToLower(f.Name)
		added, ok := fieldAdded()[k]
		if !ok || seen[k] || !metadataVersionBelow(mv, int(added[0]-'0'), int(added[2]-'0')) {
			continue
		}
		seen[k] = true
		p := c.add(CodeFieldTooNew, f.Name, mv, "%s was introduced in Metadata-Version %s, but the file declares %s; rebuild with a build backend that writes Metadata-Version %s or later, or drop the field", f.Name, added, mv, added)
		p.Want = added
	}
}

var wheelTagPat = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_]+$`) })

func (c *checker) filename() {
	fn := c.f.Filename
	if n := len(fn.Raw); n > MaxFilenameBytes || (fn.Kind == Wheel && n > MaxWheelFilenameBytes) {
		limit := MaxFilenameBytes
		if fn.Kind == Wheel {
			limit = MaxWheelFilenameBytes
		}
		c.add(CodeFilenameTooLong, "filename", fn.Raw, "the filename is %d bytes; indexes store at most %d (PyPI: Filename is too long); shorten the project name or version", n, limit)
	}
	if c.metaName != "" && NormalizeName(c.metaName) != fn.NormalizedName() {
		p := c.add(CodeFilenameNameMismatch, "Name", fn.Name, "Start filename for '%s' with '%s'. The filename says '%s' but the metadata says Name: %s; rebuild so both agree.", c.metaName, underscored(c.metaName), fn.Name, c.metaName)
		p.Want = underscored(c.metaName)
	}
	if !c.metaVer.IsZero() && !c.metaVer.Equal(fn.Version) {
		p := c.add(CodeFilenameVersionMismatch, "Version", fn.VersionText, "Version in filename should be '%s' not '%s'. Rebuild so the filename and the metadata Version agree.", c.metaVer, fn.VersionText)
		p.Want = c.metaVer.String()
	}
	switch fn.Kind {
	case Sdist:
		name, ver := fn.Name, fn.Version
		if c.metaName != "" {
			name = c.metaName
		}
		if !c.metaVer.IsZero() {
			ver = c.metaVer
		}
		if want := SdistFilename(name, ver); fn.Raw != want {
			p := c.add(CodeFilenameNotNormalized, "filename", fn.Raw, "Filename '%s' is invalid, should be '%s'. Rename it or rebuild with a current build backend (PEP 625).", fn.Raw, want)
			p.Want = want
		}
	case Wheel:
		if c.metaName != "" && NormalizeName(c.metaName) == fn.NormalizedName() && fn.Name != underscored(c.metaName) {
			p := c.add(CodeFilenameNotNormalized, "filename", fn.Name, "Filename '%s' should contain the normalized project name '%s', not '%s'. Rebuild with a current build backend or rename the file.", fn.Raw, underscored(c.metaName), fn.Name)
			p.Want = underscored(c.metaName)
		}
		for _, tags := range [][]string{fn.PythonTags, fn.ABITags, fn.PlatformTags} {
			for _, t := range tags {
				if !wheelTagPat().MatchString(t) {
					c.add(CodeWheelTagInvalid, "filename", t, "wheel tag %q has characters other than ASCII letters, digits and '_'; rebuild the wheel (tags come from the build backend, e.g. py3-none-any)", t)
				}
			}
		}
		for _, p := range fn.PlatformTags {
			if wheelTagPat().MatchString(p) && !ValidPlatformTag(p) {
				c.add(CodePlatformTagUnsupported, "filename", p, "Binary wheel '%s' has an unsupported platform tag '%s'. PyPI accepts only portable tags (manylinux/musllinux, macosx, win, any...); repair Linux wheels with auditwheel.", fn.Raw, p)
			}
		}
	}
}

func underscored(name string) string { return strings.ReplaceAll(NormalizeName(name), "-", "_") }

func (c *checker) archive() {
	a := c.f.Archive
	fn := c.f.Filename
	if len(a.UnsupportedComp) > 0 {
		c.add(CodeArchiveCompression, "archive", a.UnsupportedComp[0], "Invalid distribution file. File does not use a supported compression type (members %s use neither STORED nor DEFLATE); rebuild it", strings.Join(firstN(a.UnsupportedComp, 5), ", "))
	}
	if a.UncompressedSize > MaxUncompressedFree && c.f.Size > 0 && a.UncompressedSize/c.f.Size > MaxCompressionRatio {
		c.add(CodeArchiveRatio, "archive", strconv.FormatInt(a.UncompressedSize, 10), "Invalid distribution file. File exceeds compression ratio of %d (%d bytes expand to %d); this looks like a zip bomb", MaxCompressionRatio, c.f.Size, a.UncompressedSize)
	}
	if len(a.Unsafe) > 0 {
		c.add(CodeArchiveUnsafePath, "archive", a.Unsafe[0], "members with unsafe paths (absolute, '..', backslash or device files): %s; rebuild the file", strings.Join(firstN(a.Unsafe, 5), ", "))
	}
	if len(a.Duplicates) > 0 {
		c.add(CodeArchiveDuplicate, "archive", a.Duplicates[0], "ZIP/tar archive has duplicate members: %s; PyPI refuses ambiguous archives, rebuild the file", strings.Join(firstN(a.Duplicates, 5), ", "))
	}
	if len(a.Links) > 0 {
		c.add(CodeArchiveLink, "archive", a.Links[0], "sdist contains links (%s); installers may follow them out of the tree: rebuild without symlinks or hard links", strings.Join(firstN(a.Links, 5), ", "))
	}
	if a.ZipFraming != "" {
		p := c.add(CodeZipFraming, "archive", a.ZipFramingMember, "ZIP archive not accepted: %s (member %s); PyPI refuses it: rebuild the wheel with a standard build backend (Python's zipfile writes no data descriptors)", a.ZipFraming, a.ZipFramingMember)
		p.Want = a.ZipFraming
	}
	if len(a.Sparse) > 0 {
		c.add(CodeArchiveSparse, "archive", a.Sparse[0], "Invalid distribution file. sdist contains sparse tar members (%s); rebuild it without --sparse", strings.Join(firstN(a.Sparse, 5), ", "))
	}
	switch fn.Kind {
	case Sdist:
		if len(a.TopLevel) != 1 && a.Members != nil {
			c.add(CodeArchiveTopLevel, "archive", "", "Invalid distribution file. Incorrect number of top-level directories in sdist")
		}
		if len(a.TopLevel) == 1 {
			for _, lf := range c.m.GetAll("License-File") {
				if at := a.TopLevel[0] + "/" + lf; licenseFilePathProblem(lf) == "" && !a.has(at) {
					p := c.add(CodeLicenseFileMissing, "License-File", lf, "License-File %s does not exist in distribution file %s at %s; include it in the sdist or remove it from license-files", lf, fn.Raw, at)
					p.Want = at
				}
			}
		}
	case Wheel:
		if a.Members == nil {
			break
		}
		// PyPI looks for {name}-{version}.dist-info spelled exactly as in
		// the filename, even though Open tolerates normalisation differences.
		di := fn.Name + "-" + fn.VersionText + ".dist-info"
		if !a.has(di + "/METADATA") {
			hint := ""
			if a.DistInfo != "" && a.DistInfo != di {
				hint = fmt.Sprintf(" (the wheel has %s/METADATA; PyPI needs the directory spelled exactly like the filename's name and version: rebuild the wheel or rename the file to match)", a.DistInfo)
			}
			p := c.add(CodeMetadataFileMissing, "METADATA", fn.Raw, "Wheel '%s' does not contain the required METADATA file: %s/METADATA%s", fn.Raw, di, hint)
			p.Want = di + "/METADATA"
		}
		if !a.has(di + "/WHEEL") {
			p := c.add(CodeWheelFileMissing, "WHEEL", fn.Raw, "Invalid distribution file. WHEEL not found at %s/WHEEL; rebuild the wheel", di)
			p.Want = di + "/WHEEL"
		}
		if !a.has(di + "/RECORD") {
			p := c.add(CodeRecordMissing, "RECORD", fn.Raw, "Wheel '%s' does not contain the required RECORD file: %s/RECORD; rebuild the wheel", fn.Raw, di)
			p.Want = di + "/RECORD"
		}
		reason := a.EntryPointsUnread
		if reason == "" && a.EntryPoints != nil {
			if err := checkEntryPoints(a.EntryPoints); err != nil {
				reason = err.Error()
			}
		}
		if reason != "" {
			p := c.add(CodeEntryPointsInvalid, "entry_points.txt", fn.Raw, "Wheel '%s' has invalid entry points defined in the entry_points.txt file (%s/entry_points.txt, %s); fix the scripts and entry points in pyproject.toml and rebuild", fn.Raw, di, reason)
			p.Want = reason
		}
		for _, lf := range c.m.GetAll("License-File") {
			if metadataVersionBelow(c.m.Get("Metadata-Version"), 2, 4) {
				break // not sent below 2.4 (twine drops it)
			}
			if at := di + "/licenses/" + lf; licenseFilePathProblem(lf) == "" && !a.has(at) {
				p := c.add(CodeLicenseFileMissing, "License-File", lf, "License-File %s does not exist in distribution file %s at %s; rebuild the wheel with a backend that copies license files (PEP 639)", lf, fn.Raw, at)
				p.Want = at
			}
		}
	}
}

var (
	allowedPlatforms = sync.OnceValue(func() map[string]bool {
		return map[string]bool{
			"any": true, "win32": true, "win_arm64": true, "win_amd64": true, "win_ia64": true,
			"manylinux1_x86_64": true, "manylinux1_i686": true,
			"manylinux2010_x86_64": true, "manylinux2010_i686": true,
			"manylinux2014_x86_64": true, "manylinux2014_i686": true, "manylinux2014_aarch64": true,
			"manylinux2014_armv7l": true, "manylinux2014_ppc64": true, "manylinux2014_ppc64le": true,
			"manylinux2014_s390x": true,
			"linux_armv6l":        true, "linux_armv7l": true,
		}
	})
	macosPlatform = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^macosx_([0-9]+)_([0-9]+)_(.+)$`) })
	macosArches   = sync.OnceValue(func() map[string]bool {
		return map[string]bool{"ppc": true, "ppc64": true, "i386": true, "x86_64": true, "arm64": true, "intel": true, "fat": true, "fat3": true, "fat32": true, "fat64": true, "universal": true, "universal2": true}
	})
	linuxPlatform = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(manylinux|musllinux)_[0-9]+_[0-9]+_(.+)$`) })
	linuxArches   = sync.OnceValue(func() map[string]bool {
		return map[string]bool{"x86_64": true, "i686": true, "aarch64": true, "armv7l": true, "ppc64le": true, "s390x": true, "riscv64": true}
	})
	iosPlatform = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^ios_[0-9]+_[0-9]+_(arm64|x86_64)_(iphoneos|iphonesimulator)$`)
	})
	androidPlatform = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^android_[0-9]+_(armeabi_v7a|arm64_v8a|x86|x86_64)$`)
	})
	emscriptenPlatform = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^pyemscripten_[0-9]+_[0-9]+_wasm32$`) })
)

// ValidPlatformTag reports whether PyPI accepts a wheel platform tag: a
// fixed list (any, win*, manylinux1/2010/2014, linux_armv6l/7l) and the
// macosx_, manylinux_, musllinux_, ios_, android_ and pyemscripten_
// families with known architectures. macOS 11 and later have minor version
// 0 in tags (macosx_11_0_arm64); any major is accepted so that a new macOS
// is not refused before PyPI lists it. Plain linux_x86_64 is refused:
// repair with auditwheel. Both this client's checks and the index use it.
func ValidPlatformTag(tag string) bool {
	if allowedPlatforms()[tag] {
		return true
	}
	if m := macosPlatform().FindStringSubmatch(tag); m != nil {
		major, err := strconv.Atoi(m[1])
		return err == nil && macosArches()[m[3]] && (major == 10 || (major >= 11 && m[2] == "0"))
	}
	if m := linuxPlatform().FindStringSubmatch(tag); m != nil {
		return linuxArches()[m[2]] || (m[1] == "manylinux" && m[2] == "ppc64")
	}
	return iosPlatform().MatchString(tag) || androidPlatform().MatchString(tag) || emscriptenPlatform().MatchString(tag)
}
