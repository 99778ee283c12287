package pydist

import (
	"fmt"
	"mime"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// supportedMetadataVersions are the Metadata-Version values PyPI accepts
// (warehouse SUPPORTED_METADATA_VERSIONS). 2.0 was never a released
// specification and is refused.
var supportedMetadataVersions = []string{"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"}

// SupportedMetadataVersions returns the Metadata-Version values PyPI
// accepts: 1.0, 1.1, 1.2 and 2.1 to 2.5 (not 2.0).
func SupportedMetadataVersions() []string { return slices.Clone(supportedMetadataVersions) }

// MaxSummaryLength is PyPI's limit on Summary, in characters.
const MaxSummaryLength = 512

const (
	specURL    = "https://packaging.python.org/specifications/core-metadata"
	versionURL = "https://packaging.python.org/specifications/version-specifiers/#local-version-identifiers"
)

// Check returns every problem with a file, all at once, in a stable order:
//   - metadata PyPI would refuse: Metadata-Version (2.0 and unknown ones),
//     Name and Version (missing, invalid, repeated, local versions unless
//     opts.AllowLocalVersions), fields newer than the declared
//     Metadata-Version, Summary (one line, at most 512 characters), License
//     with License-Expression, a Description both as header and body,
//     direct URL requirements, Dynamic, Description-Content-Type,
//     Project-URL labels and URLs, Home-Page and Download-URL, clearly
//     broken Author/Maintainer emails and "Private ::" classifiers;
//   - a filename that does not match the metadata: the normalised name and
//     version, PEP 625's exact sdist name, the wheel's normalised name
//     prefix and platform tags PyPI refuses;
//   - the archive reasons behind PyPI's "Invalid distribution file":
//     compression type and ratio, top-level directories, missing
//     {name}-{version}.dist-info/METADATA, WHEEL or RECORD, unsafe,
//     duplicate and sparse members.
//
// Messages follow PyPI's where it has one and say what to do. A nil File
// or one without metadata gives a single problem.
func Check(f *File, opts CheckOptions) []Problem {
	if f == nil {
		return []Problem{{Message: "no file to check"}}
	}
	c := checker{f: f, path: f.Path}
	if c.path == "" {
		c.path = f.Filename.Raw
	}
	if f.Metadata == nil {
		c.add("", "no core metadata was read; open the file with dist.Open")
		return c.problems
	}
	c.metadata(opts)
	c.filename()
	c.archive()
	return c.problems
}

type checker struct {
	f        *File
	path     string
	problems []Problem
	metaName string  // valid Name from metadata, or ""
	metaVer  Version // valid Version from metadata, or zero
}

func (c *checker) add(field, format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = truncate(s, 300) // values from metadata can be huge
		}
	}
	c.problems = append(c.problems, Problem{Path: c.path, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) single(field string) (string, bool) {
	vals := c.f.Metadata.GetAll(field)
	if len(vals) > 1 {
		c.add(field, "%s appears %d times but may appear only once; keep one", field, len(vals))
	}
	if len(vals) == 0 {
		return "", false
	}
	return vals[0], true
}

func (c *checker) metadata(opts CheckOptions) {
	m := c.f.Metadata
	mv, ok := c.single("Metadata-Version")
	mv = strings.TrimSpace(mv)
	switch {
	case !ok || mv == "":
		c.add("Metadata-Version", "missing; core metadata must start with Metadata-Version (one of %s). See %s for more information.", strings.Join(supportedMetadataVersions, ", "), specURL)
	case mv == "2.0":
		c.add("Metadata-Version", "'2.0' is an invalid value for Metadata-Version: 2.0 was never a released specification and PyPI refuses it; rebuild with a current build backend (it writes 2.1 or later). See %s for more information.", specURL)
	case !contains(supportedMetadataVersions, mv):
		c.add("Metadata-Version", "'%s' is an invalid value for Metadata-Version: PyPI accepts %s; rebuild with a build backend that writes one of them. See %s for more information.", mv, strings.Join(supportedMetadataVersions, ", "), specURL)
	}

	name, ok := c.single("Name")
	name = strings.TrimSpace(name)
	switch {
	case !ok || name == "":
		c.add("Name", "missing; core metadata must have a Name. See %s for more information.", specURL)
	case !ValidName(name):
		c.add("Name", "'%s' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'. See %s for more information.", name, specURL)
	default:
		c.metaName = name
	}

	ver, ok := c.single("Version")
	ver = strings.TrimSpace(ver)
	switch {
	case !ok || ver == "":
		c.add("Version", "missing; core metadata must have a Version. See %s for more information.", specURL)
	default:
		v, err := ParseVersion(ver)
		if err != nil {
			c.add("Version", "'%s' is an invalid value for Version. Error: %v. See %s for more information.", ver, err, specURL)
			break
		}
		c.metaVer = v
		if v.Local() != "" && !opts.AllowLocalVersions {
			c.add("Version", "The use of local versions in '%s' is not allowed. See %s for more information. Drop the '+%s' label for PyPI (local versions are only for private indexes).", v, versionURL, v.Local())
		}
	}

	if s, ok := c.single("Summary"); ok {
		if strings.ContainsAny(s, "\r\n") {
			c.add("Summary", "Multiple lines are not allowed; make the summary (description in pyproject.toml) a single line")
		}
		if n := utf8.RuneCountInString(s); n > MaxSummaryLength {
			c.add("Summary", "is %d characters; PyPI allows at most %d; shorten it", n, MaxSummaryLength)
		}
	}
	if m.Has("License") && m.Has("License-Expression") {
		c.add("License", "License and License-Expression are both set; PyPI refuses that. Keep License-Expression (an SPDX expression) and remove License (the license = \"...\" table or classifier-style text)")
	}
	if m.DescriptionHeader && m.BodyAfterHeaders {
		c.add("Description", "given both as a Description header and as the message body; keep only one (current tools write it as the body)")
	}
	for _, field := range []string{"Description-Content-Type", "Home-Page", "Download-URL", "Author", "Author-Email", "Maintainer", "Maintainer-Email", "License", "License-Expression", "Requires-Python", "Keywords"} {
		c.single(field)
	}
	c.fieldVersions(mv)
	for _, req := range m.GetAll("Requires-Dist") {
		if directURL.MatchString(req) {
			c.add("Requires-Dist", "Can't have direct dependency: '%s'. PyPI refuses URL requirements (name @ url); depend on a released version instead", req)
		}
	}
	for _, d := range m.GetAll("Dynamic") {
		switch _, _, known := FormName(d); {
		case strings.EqualFold(d, "Name") || strings.EqualFold(d, "Version") || strings.EqualFold(d, "Metadata-Version"):
			c.add("Dynamic", "'%s' may not be dynamic: Name, Version and Metadata-Version must always be given", d)
		case !known && !strings.EqualFold(d, "Description"):
			c.add("Dynamic", "'%s' is not a core metadata field; remove it from Dynamic", d)
		}
	}
	if ct := m.Get("Description-Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			c.add("Description-Content-Type", "'%s' is not a valid content type (%v); use text/markdown, text/x-rst or text/plain", ct, err)
		case mt != "text/plain" && mt != "text/x-rst" && mt != "text/markdown":
			c.add("Description-Content-Type", "'%s' is not one of text/plain, text/x-rst, text/markdown; PyPI refuses it", ct)
		case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
			c.add("Description-Content-Type", "charset '%s' is not supported; the description must be UTF-8", params["charset"])
		case mt == "text/markdown" && params["variant"] != "" && params["variant"] != "GFM" && params["variant"] != "CommonMark":
			c.add("Description-Content-Type", "Markdown variant '%s' is not supported; use GFM or CommonMark", params["variant"])
		}
	}
	for _, pu := range m.GetAll("Project-URL") {
		label, u, _ := strings.Cut(pu, ",")
		label, u = strings.TrimSpace(label), strings.TrimSpace(u)
		switch {
		case label == "" || u == "":
			c.add("Project-URL", "'%s' must be 'Label, URL'", pu)
		case utf8.RuneCountInString(label) > 32:
			c.add("Project-URL", "label '%s' is longer than 32 characters; shorten it", label)
		case !validURL(u):
			c.add("Project-URL", "'%s' is not a valid http(s) URL (Invalid URL); write it in full, e.g. https://example.com/", u)
		}
	}
	for _, field := range []string{"Home-Page", "Download-URL"} {
		if u := strings.TrimSpace(m.Get(field)); u != "" && !strings.EqualFold(u, "UNKNOWN") && !validURL(u) {
			c.add(field, "'%s' is not a valid http(s) URL; write it in full, e.g. https://example.com/", u)
		}
	}
	for _, field := range []string{"Author-Email", "Maintainer-Email"} {
		if v := strings.TrimSpace(m.Get(field)); v != "" && !strings.EqualFold(v, "UNKNOWN") {
			if bad := badEmail(v); bad != "" {
				c.add(field, "'%s' is not a valid email address; PyPI checks each address (write 'Name <user@example.com>')", bad)
			}
		}
	}
	for _, cl := range m.GetAll("Classifier") {
		if strings.HasPrefix(strings.TrimSpace(cl), "Private ::") {
			c.add("Classifier", "'%s' marks the project as private: PyPI refuses every upload with a 'Private ::' classifier; remove it to publish", cl)
		}
	}
}

// validURL is PyPI's is_valid_uri for metadata URLs: an absolute http or
// https URL with a host.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// badEmail returns the first address in a comma-separated list that has
// no user@domain part, or "". It only refuses the clearly broken (no '@',
// empty user or domain); PyPI's own validator is stricter.
func badEmail(list string) string {
	if _, err := mail.ParseAddressList(list); err == nil {
		return ""
	}
	// net/mail is stricter than Python's email.utils.getaddresses (e.g.
	// about unquoted dots in names): fall back to a plain split.
	for _, part := range strings.Split(list, ",") {
		addr := strings.TrimSpace(part)
		if i := strings.LastIndexByte(addr, '<'); i >= 0 {
			addr = strings.TrimSuffix(strings.TrimSpace(addr[i+1:]), ">")
		}
		user, domain, ok := strings.Cut(addr, "@")
		if addr == "" {
			continue
		}
		if !ok || user == "" || domain == "" || strings.ContainsAny(domain, " <>") {
			return strings.TrimSpace(part)
		}
	}
	return ""
}

// fieldAdded is the Metadata-Version each field was introduced in
// (packaging refuses a field newer than the declared version). License-File
// is left out: twine drops it below 2.4 rather than failing.
var fieldAdded = map[string]string{
	"supported-platform": "1.1", "download-url": "1.1", "classifier": "1.1", "requires": "1.1",
	"provides": "1.1", "obsoletes": "1.1",
	"maintainer": "1.2", "maintainer-email": "1.2", "requires-dist": "1.2", "provides-dist": "1.2",
	"obsoletes-dist": "1.2", "requires-python": "1.2", "requires-external": "1.2", "project-url": "1.2",
	"description-content-type": "2.1", "provides-extra": "2.1",
	"dynamic":            "2.2",
	"license-expression": "2.4",
	"import-name":        "2.5", "import-namespace": "2.5",
}

var directURL = regexp.MustCompile(`^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@`)

// fieldVersions reports fields newer than the declared Metadata-Version,
// once per field.
func (c *checker) fieldVersions(mv string) {
	if !contains(supportedMetadataVersions, mv) {
		return
	}
	seen := map[string]bool{}
	for _, f := range c.f.Metadata.Fields {
		k := strings.ToLower(f.Name)
		added, ok := fieldAdded[k]
		if !ok || seen[k] || !metadataVersionBelow(mv, int(added[0]-'0'), int(added[2]-'0')) {
			continue
		}
		seen[k] = true
		c.add(f.Name, "%s was introduced in Metadata-Version %s, but the file declares %s; rebuild with a build backend that writes Metadata-Version %s or later, or drop the field", f.Name, added, mv, added)
	}
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func (c *checker) filename() {
	fn := c.f.Filename
	if c.metaName != "" && NormalizeName(c.metaName) != fn.NormalizedName() {
		c.add("Name", "Start filename for '%s' with '%s'. The filename says '%s' but the metadata says Name: %s; rebuild so both agree.", c.metaName, underscored(c.metaName), fn.Name, c.metaName)
	}
	if !c.metaVer.IsZero() && c.metaVer != fn.Version {
		c.add("Version", "Version in filename should be '%s' not '%s'. Rebuild so the filename and the metadata Version agree.", c.metaVer, fn.VersionText)
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
			c.add("filename", "Filename '%s' is invalid, should be '%s'. Rename it or rebuild with a current build backend (PEP 625).", fn.Raw, want)
		}
	case Wheel:
		if c.metaName != "" && NormalizeName(c.metaName) == fn.NormalizedName() && fn.Name != underscored(c.metaName) {
			c.add("filename", "Filename '%s' should contain the normalized project name '%s', not '%s'. Rebuild with a current build backend or rename the file.", fn.Raw, underscored(c.metaName), fn.Name)
		}
		for _, p := range fn.PlatformTags {
			if !ValidPlatformTag(p) {
				c.add("filename", "Binary wheel '%s' has an unsupported platform tag '%s'. PyPI accepts only portable tags (manylinux/musllinux, macosx, win, any...); repair Linux wheels with auditwheel.", fn.Raw, p)
			}
		}
	}
}

func underscored(name string) string { return strings.ReplaceAll(NormalizeName(name), "-", "_") }

func (c *checker) archive() {
	a := c.f.Archive
	fn := c.f.Filename
	if len(a.UnsupportedComp) > 0 {
		c.add("archive", "Invalid distribution file. File does not use a supported compression type (members %s use neither STORED nor DEFLATE); rebuild it", strings.Join(firstN(a.UnsupportedComp, 5), ", "))
	}
	if a.UncompressedSize > MaxUncompressedFree && c.f.Size > 0 && a.UncompressedSize/c.f.Size > MaxCompressionRatio {
		c.add("archive", "Invalid distribution file. File exceeds compression ratio of %d (%d bytes expand to %d); this looks like a zip bomb", MaxCompressionRatio, c.f.Size, a.UncompressedSize)
	}
	if len(a.Unsafe) > 0 {
		c.add("archive", "members with unsafe paths (absolute, '..', backslash or device files): %s; rebuild the file", strings.Join(firstN(a.Unsafe, 5), ", "))
	}
	if len(a.Duplicates) > 0 {
		c.add("archive", "ZIP/tar archive has duplicate members: %s; PyPI refuses ambiguous archives, rebuild the file", strings.Join(firstN(a.Duplicates, 5), ", "))
	}
	if len(a.Sparse) > 0 {
		c.add("archive", "Invalid distribution file. sdist contains sparse tar members (%s); rebuild it without --sparse", strings.Join(firstN(a.Sparse, 5), ", "))
	}
	switch fn.Kind {
	case Sdist:
		if len(a.TopLevel) != 1 && a.Members != nil {
			c.add("archive", "Invalid distribution file. Incorrect number of top-level directories in sdist")
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
			c.add("METADATA", "Wheel '%s' does not contain the required METADATA file: %s/METADATA%s", fn.Raw, di, hint)
		}
		if !a.has(di + "/WHEEL") {
			c.add("WHEEL", "Invalid distribution file. WHEEL not found at %s/WHEEL; rebuild the wheel", di)
		}
		if !a.has(di + "/RECORD") {
			c.add("RECORD", "Wheel '%s' does not contain the required RECORD file: %s/RECORD; rebuild the wheel", fn.Raw, di)
		}
	}
}

var (
	allowedPlatforms = map[string]bool{
		"any": true, "win32": true, "win_arm64": true, "win_amd64": true, "win_ia64": true,
		"manylinux1_x86_64": true, "manylinux1_i686": true,
		"manylinux2010_x86_64": true, "manylinux2010_i686": true,
		"manylinux2014_x86_64": true, "manylinux2014_i686": true, "manylinux2014_aarch64": true,
		"manylinux2014_armv7l": true, "manylinux2014_ppc64": true, "manylinux2014_ppc64le": true,
		"manylinux2014_s390x": true,
		"linux_armv6l":        true, "linux_armv7l": true,
	}
	macosPlatform      = regexp.MustCompile(`^macosx_([0-9]+)_([0-9]+)_(.+)$`)
	macosArches        = map[string]bool{"ppc": true, "ppc64": true, "i386": true, "x86_64": true, "arm64": true, "intel": true, "fat": true, "fat3": true, "fat32": true, "fat64": true, "universal": true, "universal2": true}
	linuxPlatform      = regexp.MustCompile(`^(manylinux|musllinux)_[0-9]+_[0-9]+_(.+)$`)
	linuxArches        = map[string]bool{"x86_64": true, "i686": true, "aarch64": true, "armv7l": true, "ppc64le": true, "s390x": true, "riscv64": true}
	iosPlatform        = regexp.MustCompile(`^ios_[0-9]+_[0-9]+_(arm64|x86_64)_(iphoneos|iphonesimulator)$`)
	androidPlatform    = regexp.MustCompile(`^android_[0-9]+_(armeabi_v7a|arm64_v8a|x86|x86_64)$`)
	emscriptenPlatform = regexp.MustCompile(`^pyemscripten_[0-9]+_[0-9]+_wasm32$`)
)

// ValidPlatformTag reports whether PyPI accepts a wheel platform tag: a
// fixed list (any, win*, manylinux1/2010/2014, linux_armv6l/7l) and the
// macosx_, manylinux_, musllinux_, ios_, android_ and pyemscripten_
// families with known architectures. macOS 11 and later have minor version
// 0 in tags (macosx_11_0_arm64); any major is accepted so that a new macOS
// is not refused before PyPI lists it. Plain linux_x86_64 is refused:
// repair with auditwheel. Both this client's checks and the index use it.
func ValidPlatformTag(tag string) bool {
	if allowedPlatforms[tag] {
		return true
	}
	if m := macosPlatform.FindStringSubmatch(tag); m != nil {
		major, err := strconv.Atoi(m[1])
		return err == nil && macosArches[m[3]] && (major == 10 || (major >= 11 && m[2] == "0"))
	}
	if m := linuxPlatform.FindStringSubmatch(tag); m != nil {
		return linuxArches[m[2]] || (m[1] == "manylinux" && m[2] == "ppc64")
	}
	return iosPlatform.MatchString(tag) || androidPlatform.MatchString(tag) || emscriptenPlatform.MatchString(tag)
}
