package pydist

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits PyPI applies to archives (warehouse/forklift): a file whose
// decompressed size exceeds MaxUncompressedFree and is more than
// MaxCompressionRatio times its size is refused. Reads of sdists stop at
// that point, so a gzip bomb costs bounded time and no memory.
const (
	MaxCompressionRatio = 50
	MaxUncompressedFree = 64 << 20
)

// ArchiveInfo summarises an archive's members: what Check needs to apply
// PyPI's "Invalid distribution file" rules without reopening the file.
type ArchiveInfo struct {
	Entries          int      // number of members
	UncompressedSize int64    // sum of member sizes (declared, for zip)
	UnsupportedComp  []string // zip members not STORED or DEFLATE
	TopLevel         []string // sorted distinct first path components (sdist)
	Unsafe           []string // absolute paths, "..", backslashes, devices
	Duplicates       []string // member names that occur more than once
	Sparse           []string // tar sparse members (PyPI refuses them)
	Links            []string // symbolic and hard links (tar), symlinks (zip)
	// ZipFraming is the first reason PyPI's zip framing check
	// (warehouse/utils/zipfiles.py) refuses the archive, with the member
	// it concerns, or "".
	ZipFraming, ZipFramingMember string
	DistInfo                     string          // wheel: the .dist-info directory used
	MetadataPath                 string          // member the metadata was read from
	Members                      map[string]bool // every member name (tar: without a trailing '/')
	// EntryPoints is a wheel's {name}-{version}.dist-info/entry_points.txt
	// (the directory spelled as in the filename, as PyPI reads it; nil if
	// there is none), and EntryPointsUnread why it could not be read.
	EntryPoints       []byte
	EntryPointsUnread string
}

// has reports whether the archive has a member with this exact name.
func (a ArchiveInfo) has(name string) bool { return a.Members[name] }

// Open reads a distribution's filename and metadata with bounded reads:
// only the METADATA / PKG-INFO member is decompressed into memory (at most
// MaxMetadataSize), and sdists are streamed with a decompression cap.
func Open(name string) (*File, error) {
	// Stat first: opening a FIFO or device could block or never end.
	if st, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("open distribution: %w", err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file; give the path of a .whl or .tar.gz", name)
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open distribution: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("open distribution: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file; give the path of a .whl or .tar.gz", name)
	}
	f, err := OpenReader(fh, st.Size(), filepath.Base(name))
	if err != nil {
		return nil, err
	}
	f.Path = name
	return f, nil
}

// OpenReader is Open for contents that are not (or not yet) a named file,
// e.g. an upload body spooled to a temporary file: base is the
// distribution's filename, which decides how the contents are read.
func OpenReader(r io.ReaderAt, size int64, base string) (*File, error) {
	fn, err := ParseFilename(base)
	if err != nil {
		return nil, &OpenError{Code: CodeFilenameInvalid, File: base, Value: base, Msg: strings.TrimPrefix(err.Error(), base+": ")}
	}
	f := &File{Path: base, Filename: fn, Size: size}
	switch fn.Kind {
	case Wheel:
		f.MetadataBytes, f.Archive, err = readWheel(r, size, fn)
	case Sdist:
		f.MetadataBytes, f.Archive, err = readSdist(r, size, fn)
	}
	if err != nil {
		return nil, err
	}
	f.Metadata, err = ParseMetadata(f.MetadataBytes)
	if err != nil {
		return nil, &OpenError{Code: CodeMetadataFileInvalid, File: base, Value: f.Archive.MetadataPath, Msg: f.Archive.MetadataPath, Err: err}
	}
	return f, nil
}

// ReadMetadata reads the raw metadata file from a distribution's contents:
// the wheel's {name}-{version}.dist-info/METADATA or the sdist's
// {top}/PKG-INFO, with the same bounds as Open.
func ReadMetadata(r io.ReaderAt, size int64, fn Filename) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	switch fn.Kind {
	case Wheel:
		b, _, err = readWheel(r, size, fn)
	case Sdist:
		b, _, err = readSdist(r, size, fn)
	default:
		err = fmt.Errorf("%s: unknown distribution kind; parse the name with ParseFilename first", fn.Raw)
	}
	return b, err
}

// InvalidFileError is PyPI's "Invalid distribution file. {Reason}": the
// archive itself cannot be used.
type InvalidFileError struct {
	File   string
	Reason string
	Err    error  // underlying error, if any
	Code   string // the Problem code; CodeArchiveInvalid when empty
}

// Error implements error.
func (e *InvalidFileError) Error() string {
	msg := e.File + ": Invalid distribution file. " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *InvalidFileError) Unwrap() error { return e.Err }

// OpenError is a reason a distribution cannot be read other than PyPI's
// "Invalid distribution file": its filename, or its metadata file missing,
// too large or not a regular file.
type OpenError struct {
	Code  string // a Code* constant
	File  string // the distribution's filename
	Msg   string // what is wrong and what to do
	Value string // the offending name or value
	Want  string // where PyPI looks, when that is the point
	Err   error  // underlying error, if any
}

// Error implements error.
func (e *OpenError) Error() string {
	if e.Err != nil {
		return e.File + ": " + e.Msg + ": " + e.Err.Error()
	}
	return e.File + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *OpenError) Unwrap() error { return e.Err }

// ProblemOf turns an error of Open, OpenReader or ReadMetadata into the
// Problem it stands for, with its code (CodeArchiveInvalid for an error of
// another kind). path names the file.
func ProblemOf(err error, path string) Problem {
	p := Problem{Code: CodeArchiveInvalid, Severity: Error, Path: path, Field: "archive"}
	var oe *OpenError
	var ie *InvalidFileError
	var me *MetadataError
	switch {
	case errors.As(err, &oe):
		p.Code, p.Value, p.Want, p.Message = oe.Code, oe.Value, oe.Want, oe.Msg
		if oe.Err != nil {
			p.Message += ": " + oe.Err.Error()
		}
		switch oe.Code {
		case CodeFilenameInvalid:
			p.Field = "filename"
		case CodeMetadataFileMissing, CodeMetadataFileTooLarge, CodeMetadataFileInvalid:
			p.Field = "METADATA"
		}
	case errors.As(err, &ie):
		if ie.Code != "" {
			p.Code = ie.Code
		}
		p.Value = ie.Reason
		p.Message = "Invalid distribution file. " + ie.Reason
		if ie.Err != nil {
			p.Message += ": " + ie.Err.Error()
		}
	case errors.As(err, &me):
		p.Code, p.Field, p.Message = CodeMetadataFileInvalid, "METADATA", me.Error()
	default:
		p.Message = strings.TrimPrefix(err.Error(), path+": ")
	}
	return p
}

// metadataLimit bounds the metadata file of an archive of size bytes:
// MaxCompressionRatio times the archive, at least MinMetadataLimit and at
// most MaxMetadataSize, so that a small upload cannot make the index
// decompress and keep megabytes.
func metadataLimit(size int64) int64 {
	return min(max(size*MaxCompressionRatio, MinMetadataLimit), MaxMetadataSize)
}

// MinMetadataLimit is the metadata size any archive may have whatever its
// size (a tiny wheel with a long README): 256 KiB.
const MinMetadataLimit = 256 << 10

func readWheel(r io.ReaderAt, size int64, fn Filename) ([]byte, ArchiveInfo, error) {
	var info ArchiveInfo
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, info, &InvalidFileError{File: fn.Raw, Reason: "File is not a zipfile", Err: err}
	}
	if looksLikeTar(r, size) {
		return nil, info, &InvalidFileError{File: fn.Raw, Reason: "File is both a zip and a tar file"}
	}
	info.Entries = len(zr.File)
	info.Members = make(map[string]bool, len(zr.File))
	distInfos := map[string]bool{}
	for _, zf := range zr.File {
		n := zf.Name
		if info.Members[n] {
			info.Duplicates = appendCapped(info.Duplicates, n)
		}
		info.Members[n] = true
		if u := zf.UncompressedSize64; u > uint64(math.MaxInt64-info.UncompressedSize) {
			info.UncompressedSize = math.MaxInt64 // declared sizes can be anything
		} else {
			info.UncompressedSize += int64(u)
		}
		if zf.Method != zip.Store && zf.Method != zip.Deflate {
			info.UnsupportedComp = appendCapped(info.UnsupportedComp, n)
		}
		if unsafePath(n) {
			info.Unsafe = appendCapped(info.Unsafe, n)
		}
		if zf.Mode()&os.ModeSymlink != 0 {
			info.Links = appendCapped(info.Links, n)
		}
		if info.ZipFraming == "" {
			info.ZipFraming = zipFraming(zf)
			if info.ZipFraming != "" {
				info.ZipFramingMember = n
			}
		}
		if dir, _, ok := strings.Cut(n, "/"); ok && strings.HasSuffix(dir, ".dist-info") {
			distInfos[dir] = true
		}
	}
	info.DistInfo, err = pickDistInfo(distInfos, fn)
	if err != nil {
		return nil, info, err
	}
	info.MetadataPath = info.DistInfo + "/METADATA"
	var mf *zip.File
	for _, zf := range zr.File {
		if zf.Name == info.MetadataPath {
			mf = zf // the last one wins in Python's zipfile; duplicates are reported by Check
		}
	}
	if mf == nil {
		return nil, info, &OpenError{Code: CodeMetadataFileMissing, File: fn.Raw, Value: fn.Raw, Want: info.MetadataPath, Msg: fmt.Sprintf("Wheel '%s' does not contain the required METADATA file: %s; rebuild the wheel", fn.Raw, info.MetadataPath)}
	}
	b, err := readZipMember(mf, fn.Raw, metadataLimit(size))
	if err != nil {
		return b, info, err
	}
	info.EntryPoints, info.EntryPointsUnread = readEntryPoints(zr, fn, metadataLimit(size))
	return b, info, nil
}

// readEntryPoints reads the wheel's entry_points.txt where PyPI looks for
// it, the last member of that name as Python's zipfile does, bounded like
// the metadata.
func readEntryPoints(zr *zip.Reader, fn Filename, limit int64) ([]byte, string) {
	name := fn.Name + "-" + fn.VersionText + ".dist-info/entry_points.txt"
	var ef *zip.File
	for _, zf := range zr.File {
		if zf.Name == name {
			ef = zf
		}
	}
	if ef == nil {
		return nil, ""
	}
	b, err := readZipMember(ef, fn.Raw, limit)
	if err != nil {
		return nil, err.Error()
	}
	if b == nil {
		b = []byte{} // present and empty
	}
	return b, ""
}

func readZipMember(zf *zip.File, file string, limit int64) ([]byte, error) {
	if zf.Mode()&os.ModeSymlink != 0 {
		return nil, &OpenError{Code: CodeArchiveLink, File: file, Value: zf.Name, Msg: zf.Name + " is a symlink; it must be a regular file"}
	}
	if zf.Method != zip.Store && zf.Method != zip.Deflate {
		return nil, &InvalidFileError{File: file, Code: CodeArchiveCompression, Reason: "File does not use a supported compression type", Err: fmt.Errorf("%s uses method %d; rebuild with STORED or DEFLATE", zf.Name, zf.Method)}
	}
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, tooLarge(file, zf.Name, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, &InvalidFileError{File: file, Reason: "File is not a zipfile", Err: fmt.Errorf("open %s: %w", zf.Name, err)}
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, &InvalidFileError{File: file, Reason: "File is not a zipfile", Err: fmt.Errorf("read %s: %w", zf.Name, err)}
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(file, zf.Name, limit)
	}
	return b, nil
}

func tooLarge(file, member string, limit int64) error {
	return &OpenError{Code: CodeMetadataFileTooLarge, File: file, Value: member, Msg: fmt.Sprintf(
		"%s is over the %d-byte limit for core metadata of this file (%d times the archive, at least %d KiB, at most %d MiB): a real METADATA/PKG-INFO is far smaller; remove embedded data from the description",
		member, limit, MaxCompressionRatio, MinMetadataLimit>>10, MaxMetadataSize>>20)}
}

// pickDistInfo chooses the wheel's .dist-info directory: exactly
// {name}-{version}.dist-info as in the filename if present, else the one
// whose name and version are equal after normalisation.
func pickDistInfo(dirs map[string]bool, fn Filename) (string, error) {
	exact := fn.Name + "-" + fn.VersionText + ".dist-info"
	if dirs[exact] {
		return exact, nil
	}
	var match, all []string
	for d := range dirs {
		all = append(all, d)
		stem := strings.TrimSuffix(d, ".dist-info")
		i := strings.LastIndexByte(stem, '-')
		if i <= 0 {
			continue
		}
		v, err := ParseVersion(stem[i+1:])
		if err == nil && NormalizeName(stem[:i]) == fn.NormalizedName() && v == fn.Version {
			match = append(match, d)
		}
	}
	slices.Sort(match)
	slices.Sort(all)
	switch {
	case len(match) == 1:
		return match[0], nil
	case len(match) > 1:
		return "", &OpenError{Code: CodeArchiveDuplicate, File: fn.Raw, Value: match[0], Msg: fmt.Sprintf("several .dist-info directories match the filename (%s); a wheel must have exactly one", strings.Join(match, ", "))}
	case len(all) == 0:
		return "", &OpenError{Code: CodeMetadataFileMissing, File: fn.Raw, Value: fn.Raw, Want: exact + "/METADATA", Msg: fmt.Sprintf("Wheel '%s' does not contain the required METADATA file: %s/METADATA (no .dist-info directory at all); rebuild the wheel", fn.Raw, exact)}
	}
	return "", &OpenError{Code: CodeMetadataFileMissing, File: fn.Raw, Value: fn.Raw, Want: exact + "/METADATA", Msg: fmt.Sprintf("Wheel '%s' does not contain the required METADATA file: %s/METADATA (no .dist-info directory matches the filename; found %s); the filename's name and version must match the wheel's contents", fn.Raw, exact, strings.Join(all, ", "))}
}

// unsafePath reports member names that would escape an extraction
// directory or are not portable: absolute, "..", backslashes, drive letters.
func unsafePath(n string) bool {
	if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, `\`) || strings.ContainsRune(n, 0) {
		return true
	}
	if len(n) >= 2 && n[1] == ':' {
		return true
	}
	for rest := n; ; {
		part, tail, more := strings.Cut(rest, "/")
		if part == ".." {
			return true
		}
		if !more {
			return false
		}
		rest = tail
	}
}

// boundedReader counts decompressed bytes and fails once more than limit
// have been produced.
type boundedReader struct {
	r     io.Reader
	n     int64
	limit int64
}

var errTooMuch = errors.New("decompression limit reached")

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n > b.limit {
		return 0, errTooMuch
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.limit {
		return n, errTooMuch
	}
	return n, err
}

// MaxNameBytes bounds the total length of member names kept while reading
// an sdist (16 MiB): real sdists use a tiny fraction of it, and a crafted
// archive of endless long names must not grow memory without bound.
const MaxNameBytes = 16 << 20

// maxListed is how many offending member names ArchiveInfo keeps per list.
const maxListed = 20

func appendCapped(list []string, s string) []string {
	if len(list) >= maxListed {
		return list
	}
	return append(list, s)
}

func readSdist(r io.ReaderAt, size int64, fn Filename) ([]byte, ArchiveInfo, error) {
	var info ArchiveInfo
	sr := io.NewSectionReader(r, 0, size)
	var magic [2]byte
	if _, err := sr.ReadAt(magic[:], 0); err != nil || magic != [2]byte{0x1f, 0x8b} {
		return nil, info, &InvalidFileError{File: fn.Raw, Reason: "File is not a tarfile", Err: errors.New("not gzip-compressed; an sdist must be a .tar.gz")}
	}
	if _, err := zip.NewReader(r, size); err == nil {
		return nil, info, &InvalidFileError{File: fn.Raw, Reason: "File is both a zip and a tar file"}
	}
	zr, err := gzip.NewReader(sr)
	if err != nil {
		return nil, info, &InvalidFileError{File: fn.Raw, Reason: "File is not a tarfile", Err: err}
	}
	limit := max(int64(MaxUncompressedFree), size*MaxCompressionRatio)
	mdLimit := metadataLimit(size)
	br := &boundedReader{r: zr, limit: limit}
	tr := tar.NewReader(br)
	info.Members = map[string]bool{}
	tops := map[string]bool{}
	nameBytes := 0
	// Only the last {top}/PKG-INFO is kept (as tarfile.getmember does);
	// with more than one top-level directory the sdist is refused anyway.
	var (
		pkgHdr  *tar.Header
		pkgData []byte
		pkgErr  error
	)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			if errors.Is(err, errTooMuch) {
				return nil, info, &InvalidFileError{Code: CodeArchiveRatio, File: fn.Raw, Reason: fmt.Sprintf("File exceeds compression ratio of %d", MaxCompressionRatio), Err: fmt.Errorf("stopped after %d decompressed bytes from a %d-byte file", br.n, size)}
			}
			return nil, info, &InvalidFileError{File: fn.Raw, Reason: "File is not a tarfile", Err: err}
		}
		info.Entries++
		name := strings.TrimPrefix(hdr.Name, "./")
		if name == "" || name == "." {
			continue // the "./" entry some tar writers add
		}
		if nameBytes += len(name) + len(hdr.Linkname); nameBytes > MaxNameBytes {
			return nil, info, &InvalidFileError{File: fn.Raw, Reason: "File is not a tarfile", Err: fmt.Errorf("member names exceed %d bytes in total after %d members; this is not a real sdist", MaxNameBytes, info.Entries)}
		}
		key := strings.TrimSuffix(name, "/")
		if info.Members[key] {
			info.Duplicates = appendCapped(info.Duplicates, name)
		}
		info.Members[key] = true
		info.UncompressedSize += max(hdr.Size, 0)
		if unsafePath(name) || hdr.Typeflag == tar.TypeChar || hdr.Typeflag == tar.TypeBlock || hdr.Typeflag == tar.TypeFifo {
			info.Unsafe = appendCapped(info.Unsafe, hdr.Name)
		}
		if hdr.Typeflag == tar.TypeSymlink || hdr.Typeflag == tar.TypeLink {
			info.Links = appendCapped(info.Links, hdr.Name)
		}
		if hdr.Typeflag == tar.TypeGNUSparse || hasSparsePAX(hdr.PAXRecords) {
			info.Sparse = appendCapped(info.Sparse, hdr.Name)
		}
		top, rest, _ := strings.Cut(name, "/")
		tops[top] = true
		if strings.TrimSuffix(rest, "/") != "PKG-INFO" || strings.Contains(top, "..") {
			continue
		}
		pkgHdr, pkgData, pkgErr = hdr, nil, nil
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != typeRegA {
			continue
		}
		if hdr.Size > mdLimit {
			pkgErr = tooLarge(fn.Raw, hdr.Name, mdLimit)
			continue
		}
		if pkgData, err = io.ReadAll(io.LimitReader(tr, mdLimit+1)); err != nil {
			pkgErr = &InvalidFileError{File: fn.Raw, Reason: "File is not a tarfile", Err: fmt.Errorf("read %s: %w", hdr.Name, err)}
		}
	}
	for t := range tops {
		info.TopLevel = append(info.TopLevel, t)
	}
	slices.Sort(info.TopLevel)
	if len(info.TopLevel) != 1 {
		return nil, info, &InvalidFileError{Code: CodeArchiveTopLevel, File: fn.Raw, Reason: "Incorrect number of top-level directories in sdist", Err: fmt.Errorf("found %d (%s); an sdist holds exactly one directory {name}-{version}/", len(info.TopLevel), strings.Join(firstN(info.TopLevel, 5), ", "))}
	}
	info.MetadataPath = info.TopLevel[0] + "/PKG-INFO"
	if pkgHdr == nil {
		return nil, info, &InvalidFileError{Code: CodeMetadataFileMissing, File: fn.Raw, Reason: "PKG-INFO not found at " + info.MetadataPath}
	}
	switch pkgHdr.Typeflag {
	case tar.TypeReg, typeRegA:
	case tar.TypeSymlink, tar.TypeLink:
		return nil, info, &OpenError{Code: CodeArchiveLink, File: fn.Raw, Value: info.MetadataPath, Msg: fmt.Sprintf("%s is a link (to %q), not a regular file; PyPI refuses it: rebuild the sdist", info.MetadataPath, pkgHdr.Linkname)}
	default:
		return nil, info, &OpenError{Code: CodeMetadataFileInvalid, File: fn.Raw, Value: info.MetadataPath, Msg: fmt.Sprintf("%s is not a regular file (tar type %q); rebuild the sdist", info.MetadataPath, pkgHdr.Typeflag)}
	}
	if pkgErr != nil {
		return nil, info, pkgErr
	}
	if int64(len(pkgData)) > mdLimit {
		return nil, info, tooLarge(fn.Raw, info.MetadataPath, mdLimit)
	}
	return pkgData, info, nil
}

// zipFraming is the part of PyPI's zip framing validation that the
// central directory shows: control characters or invalid UTF-8 in a
// name, a member comment, a data descriptor (streamed writing). It returns
// PyPI's reason, or "".
func zipFraming(zf *zip.File) string {
	switch {
	case strings.ContainsFunc(zf.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "Invalid character in filename"
	case !utf8.ValidString(zf.Name):
		return "Filename not valid UTF-8"
	case zf.Comment != "":
		return "Comment in central directory"
	case zf.Flags&0x8 != 0:
		return "ZIP contains a data descriptor"
	}
	return ""
}

// looksLikeTar reports whether the contents start with a tar header,
// plain or gzip-compressed (Python's tarfile.is_tarfile, which Warehouse
// uses to refuse zip/tar polyglots). Only the first header is read.
func looksLikeTar(r io.ReaderAt, size int64) bool {
	sr := io.NewSectionReader(r, 0, size)
	var rd io.Reader = sr
	var magic [2]byte
	if _, err := sr.ReadAt(magic[:], 0); err == nil && magic == [2]byte{0x1f, 0x8b} {
		gz, err := gzip.NewReader(sr)
		if err != nil {
			return false
		}
		defer gz.Close()
		rd = io.LimitReader(gz, 1<<20)
	}
	_, err := tar.NewReader(rd).Next()
	return err == nil
}

func hasSparsePAX(recs map[string]string) bool {
	if len(recs) == 0 {
		return false
	}
	for k := range recs {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string(nil), s[:n]...), "…")
}

// typeRegA is the pre-POSIX type flag of a regular file ('\x00'), still
// found in old sdists: archive/tar reads it as a regular file, and its
// deprecated name tar.TypeRegA would trip staticcheck.
const typeRegA = '\x00'
