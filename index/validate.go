package index

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

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
	case !projectNameRE.MatchString(name):
		errs = append(errs, fieldErr{"name", "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'."})
	}
	if d := form.first("blake2_256_digest"); d != "" && !hexDigestRE.MatchString(d) {
		errs = append(errs, fieldErr{"blake2_256_digest", "Use a valid, hex-encoded, BLAKE2 message digest."})
	}
	switch ft := form.first("filetype"); ft {
	case "sdist", "bdist_wheel":
	case "":
		errs = append(errs, fieldErr{"filetype", "This field is required."})
	default:
		errs = append(errs, fieldErr{"filetype", "Use a known file type."})
	}
	if d := form.first("sha256_digest"); d != "" && !hexDigestRE.MatchString(d) {
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

// uploadMeta is the metadata taken from the form (as PyPI does).
type uploadMeta struct {
	metadataVersion string
	name            string
	version         pydist.Version
	requiresPython  string
	licenseFiles    []string
}

// validateMetadata parses the metadata fields of the form with packaging's
// and Warehouse's rules that matter for an index: Metadata-Version in the
// accepted set, name, a valid PEP 440 version (no local version unless
// allowed), single-use fields not repeated, summary length.
func (s *Server) validateMetadata(form *uploadForm) (*uploadMeta, *uploadError) {
	var repeated []string
	for _, k := range singleFields {
		if len(form.values[k]) > 1 {
			repeated = append(repeated, k)
		}
	}
	if len(repeated) > 0 {
		slices.Sort(repeated)
		return nil, metaError(fmt.Sprintf("%s has invalid data", pyrepr.Str(repeated[0])))
	}
	m := &uploadMeta{
		metadataVersion: form.get("metadata_version"),
		name:            form.get("name"),
		requiresPython:  form.get("requires_python"),
		licenseFiles:    form.values["license_file"],
	}
	if !supportedMetadataVersions[m.metadataVersion] {
		v := "None"
		if m.metadataVersion != "" {
			v = pyrepr.Str(m.metadataVersion)
		}
		return nil, metaError(v + " is not a valid metadata version")
	}
	if m.name == "" {
		return nil, metaError("'name' is a required field")
	}
	if !projectNameRE.MatchString(m.name) {
		return nil, metaError(pyrepr.Str(m.name) + " is invalid for 'name'")
	}
	raw := form.get("version")
	if raw == "" {
		return nil, metaError("'version' is a required field")
	}
	v, err := pydist.ParseVersion(raw)
	if err != nil {
		return nil, metaError(pyrepr.Str(raw) + " is invalid for 'version'")
	}
	if v.Local() != "" && !s.opts.AllowLocalVersions {
		return nil, badRequest("The use of local versions in '%s' is not allowed. See %s for more information.", v.String(), localVerURL)
	}
	m.version = v
	if sum := form.get("summary"); utf8.RuneCountInString(sum) > 512 {
		return nil, metaError("'summary' field must be 512 characters or less.")
	} else if strings.ContainsAny(sum, "\r\n") {
		return nil, metaError("'summary' must be a single line")
	}
	return m, nil
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
	m := distFileRE.FindStringSubmatch(filename)
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

// Archive limits (Warehouse: COMPRESSION_RATIO_MIN_SIZE, _THRESHOLD).
const (
	ratioMinSize   = 64 << 20
	ratioThreshold = 50
	maxMetadata    = 16 << 20
)

func invalidDist(reason string) *uploadError {
	return badRequest("Invalid distribution file. %s", reason)
}

// validateArchive checks the stored upload as Warehouse does (archive
// structure, then the filename against the project and version) and returns
// the wheel's METADATA for PEP 658 (nil for an sdist).
func validateArchive(p string, size int64, rec *record, meta *uploadMeta, displayName string) ([]byte, *uploadError) {
	f, err := os.Open(p)
	if err != nil {
		return nil, &uploadError{500, "Internal error: cannot read the upload."}
	}
	defer f.Close()
	zr, zerr := zip.NewReader(f, size)
	isZip := zerr == nil
	isTar := looksLikeTar(f)
	if isZip && isTar {
		return nil, invalidDist("File is both a zip and a tar file")
	}
	fn := rec.Filename
	normUnderscore := strings.ReplaceAll(rec.Normalized, "-", "_")
	switch {
	case strings.HasSuffix(fn, ".zip") || strings.HasSuffix(fn, ".whl"):
		if !isZip {
			return nil, invalidDist("File is not a zipfile")
		}
		var total uint64
		var names []string
		for _, zf := range zr.File {
			total += zf.UncompressedSize64
			names = append(names, zf.Name)
		}
		if total > ratioMinSize && size > 0 && total/uint64(size) > ratioThreshold {
			return nil, invalidDist("File exceeds compression ratio of 50")
		}
		for _, zf := range zr.File {
			if zf.Method != zip.Store && zf.Method != zip.Deflate {
				return nil, invalidDist("File does not use a supported compression type")
			}
		}
		if strings.HasSuffix(fn, ".zip") {
			top := commonPath(names)
			if top == "" {
				return nil, invalidDist("Incorrect number of top-level directories in sdist")
			}
			if _, err := zr.Open(top + "/PKG-INFO"); err != nil {
				return nil, invalidDist("PKG-INFO not found at " + top + "/PKG-INFO")
			}
		} else {
			parts := strings.SplitN(fn, "-", 3)
			if len(parts) < 3 {
				return nil, invalidDist("Unable to parse name and version from wheel filename")
			}
			target := parts[0] + "-" + parts[1] + ".dist-info/WHEEL"
			if zipFile(zr, target) == nil {
				return nil, invalidDist("WHEEL not found at " + target)
			}
		}
	case strings.HasSuffix(fn, ".tar.gz"):
		if !isTar {
			return nil, invalidDist("File is not a tarfile")
		}
		names, e := tarNames(f, size)
		if e != nil {
			return nil, e
		}
		top := commonPath(names)
		if top == "" {
			return nil, invalidDist("Incorrect number of top-level directories in sdist")
		}
		if !slices.Contains(names, top+"/PKG-INFO") {
			return nil, invalidDist("PKG-INFO not found at " + top + "/PKG-INFO")
		}
		for _, lf := range meta.licenseFiles {
			if !slices.Contains(names, top+"/"+lf) {
				return nil, badRequest("License-File %s does not exist in distribution file %s at %s", lf, fn, top+"/"+lf)
			}
		}
	}

	if rec.FileType == "sdist" {
		stem := strings.TrimSuffix(strings.TrimSuffix(fn, ".tar.gz"), ".zip")
		i := strings.LastIndex(stem, "-")
		if i < 0 {
			return nil, badRequest("Invalid source distribution filename: %s", fn)
		}
		if _, err := pydist.ParseVersion(stem[i+1:]); err != nil {
			return nil, badRequest("Invalid source distribution filename: %s", fn)
		}
		if pydist.NormalizeName(stem[:i]) != rec.Normalized {
			return nil, badRequest("Start filename for %s with %s.", pyrepr.Str(displayName), pyrepr.Str(normUnderscore))
		}
		if want := normUnderscore + "-" + meta.version.String() + ".tar.gz"; fn != want {
			return nil, badRequest("Filename %s is invalid, should be %s.", pyrepr.Str(fn), pyrepr.Str(want))
		}
		return nil, nil
	}

	// Wheel.
	wf, e := parseWheelFilename(fn)
	if e != nil {
		return nil, e
	}
	for _, plat := range wf.platforms {
		if !pydist.ValidPlatformTag(plat) {
			return nil, badRequest("Binary wheel '%s' has an unsupported platform tag '%s'.", fn, plat)
		}
	}
	if canon := pydist.NormalizeName(meta.name); canon != wf.name {
		return nil, badRequest("Start filename for %s with %s.", pyrepr.Str(displayName), pyrepr.Str(strings.ReplaceAll(canon, "-", "_")))
	}
	if prefix, _, _ := strings.Cut(fn, "-"); prefix != normUnderscore {
		return nil, badRequest("Filename %s should contain the normalized project name %s, not %s.", pyrepr.Str(fn), pyrepr.Str(normUnderscore), pyrepr.Str(prefix))
	}
	if releaseKey(meta.version.String()) != releaseKey(wf.version.String()) {
		return nil, badRequest("Version in filename should be %s not %s.", pyrepr.Str(meta.version.String()), pyrepr.Str(wf.version.String()))
	}
	parts := strings.SplitN(fn, "-", 3)
	distInfo := parts[0] + "-" + parts[1] + ".dist-info/"
	for _, lf := range meta.licenseFiles {
		if zipFile(zr, distInfo+"licenses/"+lf) == nil {
			return nil, badRequest("License-File %s does not exist in distribution file %s at %s", lf, fn, distInfo+"licenses/"+lf)
		}
	}
	if zipFile(zr, distInfo+"RECORD") == nil {
		return nil, badRequest("Wheel '%s' does not contain the required RECORD file: %sRECORD", fn, distInfo)
	}
	mf := zipFile(zr, distInfo+"METADATA")
	if mf == nil {
		return nil, badRequest("Wheel '%s' does not contain the required METADATA file: %sMETADATA", fn, distInfo)
	}
	// One regular METADATA file: with two, readers disagree on which one
	// counts (the index serves one, an installer may read the other).
	n := 0
	for _, f := range zr.File {
		if f.Name == mf.Name {
			n++
		}
	}
	if n > 1 || !mf.Mode().IsRegular() {
		return nil, invalidDist(fmt.Sprintf("%sMETADATA must be one regular file", distInfo))
	}
	rc, err := mf.Open()
	if err != nil {
		return nil, invalidDist(fmt.Sprintf("cannot read %sMETADATA: %v", distInfo, err))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxMetadata+1))
	if err != nil {
		return nil, invalidDist(fmt.Sprintf("cannot read %sMETADATA: %v", distInfo, err))
	}
	if len(b) > maxMetadata {
		return nil, invalidDist(fmt.Sprintf("%sMETADATA is larger than %d MiB", distInfo, maxMetadata>>20))
	}
	return b, nil
}

// zipFile returns the member named exactly name, or nil.
func zipFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// looksLikeTar reports whether f is a tar archive, gzip-compressed or not
// (Python's tarfile.is_tarfile).
func looksLikeTar(f *os.File) bool {
	defer f.Seek(0, io.SeekStart)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false
	}
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return false
		}
		r = gz
	}
	_, err := tar.NewReader(r).Next()
	return err == nil
}

// Bounds of the member list an sdist may have.
const (
	maxTarMembers   = 100000
	maxTarNameBytes = 16 << 20
)

// tarNames lists the member names of a .tar.gz, refusing sparse members and
// decompression bombs (more than 50 times the file and over 64 MiB).
func tarNames(f *os.File, size int64) ([]string, *uploadError) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, &uploadError{500, "Internal error: cannot read the upload."}
	}
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, invalidDist("File is not a tarfile")
	}
	limit := max(int64(ratioMinSize), size*ratioThreshold)
	lr := &io.LimitedReader{R: gz, N: limit + 1}
	tr := tar.NewReader(lr)
	var names []string
	nameBytes := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if lr.N <= 0 {
			return nil, invalidDist("File exceeds compression ratio of 50")
		}
		if err != nil {
			return nil, invalidDist(fmt.Sprintf("File is not a valid tarfile: %v", err))
		}
		if h.Typeflag == tar.TypeGNUSparse || h.Format == tar.FormatGNU && h.Typeflag == 'S' || isPAXSparse(h) {
			return nil, invalidDist("tar archive not accepted: Sparse members are not allowed. See https://docs.pypi.org/archives for more information")
		}
		// The names are kept, so their number and length are bounded
		// apart from the decompressed size: long names in a small, highly
		// compressed upload must not cost gigabytes of memory.
		nameBytes += len(h.Name)
		if len(names) >= maxTarMembers || nameBytes > maxTarNameBytes {
			return nil, invalidDist(fmt.Sprintf("File has too many members or too long member names (at most %d members, %d MiB of names)", maxTarMembers, maxTarNameBytes>>20))
		}
		names = append(names, strings.TrimSuffix(h.Name, "/"))
	}
	if lr.N <= 0 {
		return nil, invalidDist("File exceeds compression ratio of 50")
	}
	return names, nil
}

func isPAXSparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// commonPath is Python's os.path.commonpath over archive member names
// ("" for none, or for members with no common directory).
func commonPath(names []string) string {
	var common []string
	for i, n := range names {
		var comps []string
		for _, c := range strings.Split(n, "/") {
			if c != "" && c != "." {
				comps = append(comps, c)
			}
		}
		if i == 0 {
			common = comps
			continue
		}
		k := 0
		for k < len(common) && k < len(comps) && common[k] == comps[k] {
			k++
		}
		common = common[:k]
	}
	return path.Join(common...)
}

// wheelName is a wheel filename parsed as packaging's parse_wheel_filename.
type wheelName struct {
	name      string // canonicalized
	version   pydist.Version
	platforms []string
}

var wheelNamePartRE = regexp.MustCompile(`^[\w\d._]*$`)

// parseWheelFilename follows packaging.utils.parse_wheel_filename, with its
// messages, since PyPI returns them verbatim.
func parseWheelFilename(filename string) (*wheelName, *uploadError) {
	if !strings.HasSuffix(filename, ".whl") {
		return nil, badRequest("Invalid wheel filename (extension must be '.whl'): %s", pyrepr.Str(filename))
	}
	stem := strings.TrimSuffix(filename, ".whl")
	dashes := strings.Count(stem, "-")
	if dashes != 4 && dashes != 5 {
		return nil, badRequest("Invalid wheel filename (wrong number of parts): %s", pyrepr.Str(stem))
	}
	parts := strings.SplitN(stem, "-", dashes-1)
	if strings.Contains(parts[0], "__") || !wheelNamePartRE.MatchString(parts[0]) {
		return nil, badRequest("Invalid project name: %s", pyrepr.Str(stem))
	}
	v, err := pydist.ParseVersion(parts[1])
	if err != nil {
		return nil, badRequest("Invalid wheel filename (invalid version): %s", pyrepr.Str(stem))
	}
	if dashes == 5 {
		b := parts[2]
		if b == "" || b[0] < '0' || b[0] > '9' {
			return nil, badRequest("Invalid build number: %s in %s", b, pyrepr.Str(stem))
		}
	}
	tags := strings.Split(parts[len(parts)-1], "-")
	return &wheelName{name: pydist.NormalizeName(parts[0]), version: v, platforms: strings.Split(tags[len(tags)-1], ".")}, nil
}

// releaseKey identifies a release as packaging's Version equality does:
// trailing zeros of the release segment do not count ("1.0" == "1.0.0").
func releaseKey(v string) string {
	epoch := ""
	if i := strings.Index(v, "!"); i >= 0 {
		epoch, v = v[:i+1], v[i+1:]
	}
	end := 0
	for end < len(v) && (v[end] >= '0' && v[end] <= '9' || v[end] == '.') {
		end++
	}
	rel, rest := v[:end], v[end:]
	if strings.HasSuffix(rel, ".") { // the scan took the dot of ".postN" / ".devN"
		rel, rest = rel[:len(rel)-1], "."+rest
	}
	comps := strings.Split(rel, ".")
	for len(comps) > 1 && comps[len(comps)-1] == "0" {
		comps = comps[:len(comps)-1]
	}
	return epoch + strings.Join(comps, ".") + rest
}
