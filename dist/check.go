package dist

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// SupportedMetadataVersions are the Metadata-Version values PyPI accepts
// (warehouse SUPPORTED_METADATA_VERSIONS). 2.0 was never a released
// specification and is refused.
var SupportedMetadataVersions = []string{"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"}

// MaxSummaryLength is PyPI's limit on Summary, in characters.
const MaxSummaryLength = 512

const (
	specURL    = "https://packaging.python.org/specifications/core-metadata"
	versionURL = "https://packaging.python.org/specifications/version-specifiers/#local-version-identifiers"
)

// Check returns every problem with a file, all at once: metadata PyPI
// would refuse (Metadata-Version, Name, Version, Summary, License with
// License-Expression), a filename that does not match the metadata (PEP 625
// for sdists, normalised names for wheels), wheel tags PyPI refuses, missing
// WHEEL/RECORD, and the archive reasons behind PyPI's "Invalid distribution
// file" (compression type and ratio, top-level directories, unsafe or
// duplicate members). The messages follow PyPI's where it has one and say
// what to do. A nil File or one without metadata gives a single problem.
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
		c.add("Metadata-Version", "missing; core metadata must start with Metadata-Version (one of %s). See %s for more information.", strings.Join(SupportedMetadataVersions, ", "), specURL)
	case mv == "2.0":
		c.add("Metadata-Version", "'2.0' is an invalid value for Metadata-Version: 2.0 was never a released specification and PyPI refuses it; rebuild with a current build backend (it writes 2.1 or later). See %s for more information.", specURL)
	case !contains(SupportedMetadataVersions, mv):
		c.add("Metadata-Version", "'%s' is an invalid value for Metadata-Version: PyPI accepts %s; rebuild with a build backend that writes one of them. See %s for more information.", mv, strings.Join(SupportedMetadataVersions, ", "), specURL)
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
	switch {
	case !ok || strings.TrimSpace(ver) == "":
		c.add("Version", "missing; core metadata must have a Version. See %s for more information.", specURL)
	case ver != strings.TrimSpace(ver):
		c.add("Version", "'%s' has leading or trailing whitespace; remove it", ver)
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
	if m.Has("License-Expression") {
		c.single("License-Expression")
	}
	if m.DescriptionHeader && m.BodyAfterHeaders {
		c.add("Description", "given both as a Description header and as the message body; keep only one (current tools write it as the body)")
	}
	for _, field := range []string{"Description-Content-Type", "Home-Page", "Download-URL", "Author", "Author-Email", "Maintainer", "Maintainer-Email", "License", "Requires-Python", "Keywords"} {
		c.single(field)
	}
	for _, pu := range m.GetAll("Project-URL") {
		label, url, _ := strings.Cut(pu, ",")
		label, url = strings.TrimSpace(label), strings.TrimSpace(url)
		switch {
		case label == "" || url == "":
			c.add("Project-URL", "'%s' must be 'Label, URL'", pu)
		case utf8.RuneCountInString(label) > 32:
			c.add("Project-URL", "label '%s' is longer than 32 characters; shorten it", label)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

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
		di := a.DistInfo
		if di == "" {
			di = fn.Name + "-" + fn.VersionText + ".dist-info"
		}
		if !a.has(di + "/WHEEL") {
			c.add("WHEEL", "Invalid distribution file. WHEEL not found at %s/WHEEL; rebuild the wheel", di)
		}
		if !a.has(di + "/METADATA") {
			c.add("METADATA", "Wheel '%s' does not contain the required METADATA file: %s/METADATA", fn.Raw, di)
		}
		if !a.has(di + "/RECORD") {
			c.add("RECORD", "Wheel '%s' does not contain the required RECORD file: %s/RECORD", fn.Raw, di)
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
	macosPlatform   = regexp.MustCompile(`^macosx_[0-9]+_[0-9]+_(.+)$`)
	macosArches     = map[string]bool{"ppc": true, "ppc64": true, "i386": true, "x86_64": true, "arm64": true, "intel": true, "fat": true, "fat3": true, "fat32": true, "fat64": true, "universal": true, "universal2": true}
	linuxPlatform   = regexp.MustCompile(`^(manylinux|musllinux)_[0-9]+_[0-9]+_(.+)$`)
	linuxArches     = map[string]bool{"x86_64": true, "i686": true, "aarch64": true, "armv7l": true, "ppc64le": true, "s390x": true, "riscv64": true}
	iosPlatform     = regexp.MustCompile(`^ios_[0-9]+_[0-9]+_(arm64|x86_64)_(iphoneos|iphonesimulator)$`)
	androidPlatform = regexp.MustCompile(`^android_[0-9]+_(armeabi_v7a|arm64_v8a|x86|x86_64)$`)
)

// ValidPlatformTag reports whether PyPI accepts a wheel platform tag: a
// fixed list (any, win*, manylinux1/2010/2014, linux_armv6l/7l) and the
// macosx_, manylinux_, musllinux_, ios_ and android_ families with known
// architectures. Plain linux_x86_64 is refused: repair with auditwheel.
func ValidPlatformTag(tag string) bool {
	if allowedPlatforms[tag] {
		return true
	}
	if m := macosPlatform.FindStringSubmatch(tag); m != nil {
		return macosArches[m[1]]
	}
	if m := linuxPlatform.FindStringSubmatch(tag); m != nil {
		return linuxArches[m[2]] || (m[1] == "manylinux" && m[2] == "ppc64")
	}
	return iosPlatform.MatchString(tag) || androidPlatform.MatchString(tag)
}
