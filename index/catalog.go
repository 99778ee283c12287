package index

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"
)

// catalog is the index of stored records that start-up reads instead of
// every record file: which projects exist (with their display names), each
// project's records, and every record by content digest (PyPI refuses the
// same content under two names, across projects). It is all a Server needs
// to answer without reading the record files, so a shared backend (a
// database beside an object store, for several index replicas) can
// implement it; the record files beside the distribution files stay the
// commit point and the source a catalog is rebuilt from.
type catalog interface {
	// projects lists every project, sorted by normalized name.
	projects() ([]projectSummary, error)
	// project returns the project's summary; ok is false when it has no
	// records.
	project(normalized string) (ps projectSummary, ok bool, err error)
	// records returns the project's records sorted by filename; a record
	// that cannot be decoded or does not belong where it is stored is
	// passed to bad and left out.
	records(normalized string, bad func(key string, err error)) ([]*record, error)
	// byBlake2 returns the project and filename stored with the blake2_256
	// digest.
	byBlake2(digest string) (normalized, filename string, ok bool, err error)
	// put adds records (one transaction).
	put(recs ...*record) error
	// replace makes recs the project's records (one transaction), for a
	// project directory read again from its record files.
	replace(normalized string, recs []*record) error
	// storedSegments returns the project's page segments in a format
	// (formatHTML, formatJSON) kept by saveSegments, by first filename.
	// They are not checked: see project.fromStored.
	storedSegments(normalized string, format int) (map[string]*storedSegment, error)
	// saveSegments makes segs the project's stored segments in the format:
	// each with raw bytes is written when the catalog holds exactly its
	// records (by filename, in order; its sum is then computed from their
	// encodings here), each without is kept as stored, and any other
	// stored segment of the format is removed. It returns the segments
	// written.
	saveSegments(normalized string, format int, segs []*storedSegment) ([]*storedSegment, error)
	// lastSerial returns the highest serial of a record the catalog holds
	// or held (0 for none).
	lastSerial() (int64, error)
	// setDirTimes records the modification times of project directories
	// as the catalog saw them last (see store.project).
	setDirTimes(times map[string]time.Time) error
	// close releases the catalog; clean reports that it holds every
	// committed record, so that the next start can trust it.
	close(clean bool) error
}

// projectSummary is what the project list shows of a project.
type projectSummary struct {
	normalized string
	name       string    // display name, from the latest upload
	newest     time.Time // that upload's time
	files      int
	dirTime    time.Time // the project directory's mtime when last seen in full
}

// Catalog files in the data directory.
const (
	catalogFile  = "catalog.db"
	cleanFile    = "catalog.clean" // present only while the catalog is current
	cleanTmpFile = "catalog.clean.tmp"
)

var (
	bucketProjects = []byte("projects") // normalized → summary
	bucketFiles    = []byte("files")    // normalized → (filename → record)
	bucketBlake2   = []byte("blake2")   // blake2_256 hex → normalized, filename
	bucketMeta     = []byte("meta")     // generation → random id; serial → the highest record serial
	bucketPages    = []byte("pages")    // normalized → (format → (first filename → storedSegment))
	keyGeneration  = []byte("generation")
	keySerial      = []byte("serial")
)

// boltCatalog is the catalog in a bbolt file beside projects/. It is
// written without fsync: it is trusted at start-up only when the previous
// Server closed it cleanly, which it proves with catalog.clean (written,
// fsynced and renamed last, holding the catalog's generation, and removed
// durably before the first write of the next run). After a crash the marker
// is missing and the catalog is rebuilt from the record files, so the
// crash-consistency of a commit is the record file's, as before, and an
// upload pays no extra fsync.
type boltCatalog struct {
	dir        string
	db         *bolt.DB
	generation string
}

// openBoltCatalog opens the catalog in dir. current reports whether it can
// be trusted (the previous run closed it cleanly); when not, it is empty
// and the caller rebuilds it from the record files. The clean marker is
// gone (durably) when this returns, whatever the outcome.
func openBoltCatalog(dir string) (c *boltCatalog, current bool, err error) {
	path := filepath.Join(dir, catalogFile)
	marker, merr := os.ReadFile(filepath.Join(dir, cleanFile))
	if merr == nil {
		if err := os.Remove(filepath.Join(dir, cleanFile)); err != nil {
			return nil, false, fmt.Errorf("removing %s: %w", cleanFile, err)
		}
		if err := syncDir(dir); err != nil {
			return nil, false, err
		}
		c, err := tryOpenBolt(path)
		if err == nil && c.generation != "" && c.generation == string(bytes.TrimSpace(marker)) {
			return c, true, nil
		}
		if c != nil {
			c.db.Close()
		}
	}
	// Not closed cleanly (or never written): start afresh.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("removing the stale catalog %s: %w", path, err)
	}
	c, err = tryOpenBolt(path)
	if err != nil {
		return nil, false, fmt.Errorf("creating the catalog %s: %w", path, err)
	}
	gen := make([]byte, 16)
	rand.Read(gen)
	c.generation = hex.EncodeToString(gen)
	err = c.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketProjects, bucketFiles, bucketBlake2, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyGeneration, []byte(c.generation))
	})
	if err != nil {
		c.db.Close()
		return nil, false, fmt.Errorf("initialising the catalog %s: %w", path, err)
	}
	return c, false, nil
}

// tryOpenBolt opens a bbolt file and reads its generation. A damaged file
// can make bbolt panic; that is an error here (the catalog is rebuilt).
func tryOpenBolt(path string) (c *boltCatalog, err error) {
	defer func() {
		if r := recover(); r != nil {
			if c != nil {
				c.db.Close()
			}
			c, err = nil, fmt.Errorf("catalog %s is damaged: %v", path, r)
		}
	}()
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, NoSync: true, NoGrowSync: true})
	if err != nil {
		return nil, err
	}
	c = &boltCatalog{dir: filepath.Dir(path), db: db}
	err = db.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			c.generation = string(m.Get(keyGeneration))
		}
		for _, b := range [][]byte{bucketProjects, bucketFiles, bucketBlake2} {
			if tx.Bucket(b) == nil {
				c.generation = "" // not a catalog of this layout
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// view runs fn in a read transaction, turning a panic of bbolt on a damaged
// page into an error.
func (c *boltCatalog) view(fn func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("catalog %s is damaged: %v", filepath.Join(c.dir, catalogFile), r)
		}
	}()
	return c.db.View(fn)
}

func (c *boltCatalog) projects() ([]projectSummary, error) {
	var out []projectSummary
	err := c.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProjects).ForEach(func(k, v []byte) error {
			ps, err := decodeSummary(v)
			if err != nil {
				return nil // a damaged summary: the project's records still load
			}
			ps.normalized = string(k)
			out = append(out, ps)
			return nil
		})
	})
	return out, err
}

func (c *boltCatalog) project(normalized string) (ps projectSummary, ok bool, err error) {
	err = c.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFiles).Bucket([]byte(normalized)) == nil {
			return nil
		}
		ok = true
		ps, _ = decodeSummary(tx.Bucket(bucketProjects).Get([]byte(normalized)))
		ps.normalized = normalized
		return nil
	})
	return ps, ok, err
}

func (c *boltCatalog) records(normalized string, bad func(string, error)) ([]*record, error) {
	var out []*record
	err := c.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles).Bucket([]byte(normalized))
		if b == nil {
			return nil
		}
		// The values stay valid (in the file's mapping) until the
		// transaction ends: decode them on every core.
		var keys, vals [][]byte
		b.ForEach(func(k, v []byte) error {
			keys, vals = append(keys, k), append(vals, v)
			return nil
		})
		// One allocation for the records and one string per worker
		// for their fields: a big project is thousands of records.
		slab := make([]record, len(vals))
		recs := make([]*record, len(vals))
		errs := make([]error, len(vals))
		const perWorker = 1024
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for start := 0; start < len(vals); start += perWorker {
			g.Go(func() error {
				end := min(start+perWorker, len(vals))
				var sb strings.Builder
				n := 0
				for _, v := range vals[start:end] {
					n += len(v)
				}
				sb.Grow(n)
				for _, v := range vals[start:end] {
					sb.Write(v)
				}
				all, off := sb.String(), 0
				for i := start; i < end; i++ {
					v := vals[i]
					recs[i] = &slab[i]
					errs[i] = decodeRecordInto(recs[i], v, all[off:off+len(v)])
					off += len(v)
					if errs[i] == nil {
						errs[i] = checkRecord(recs[i], normalized, string(keys[i]))
						recs[i].catSum, recs[i].catSummed = recordSum(v), true
					}
				}
				return nil
			})
		}
		g.Wait()
		out = make([]*record, 0, len(recs))
		for i, rec := range recs {
			if errs[i] != nil {
				bad(string(keys[i]), errs[i])
				continue
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

func (c *boltCatalog) byBlake2(digest string) (normalized, filename string, ok bool, err error) {
	err = c.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBlake2).Get([]byte(digest))
		if v == nil {
			return nil
		}
		d := decoder{b: v}
		normalized, filename = d.str(), d.str()
		ok = d.err == nil
		return nil
	})
	return normalized, filename, ok, err
}

func (c *boltCatalog) put(recs ...*record) error {
	return c.db.Update(func(tx *bolt.Tx) error { return putRecords(tx, recs) })
}

func (c *boltCatalog) replace(normalized string, recs []*record) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		files, blake := tx.Bucket(bucketFiles), tx.Bucket(bucketBlake2)
		if pb := files.Bucket([]byte(normalized)); pb != nil {
			// Drop the digests that point into this project.
			err := pb.ForEach(func(k, v []byte) error {
				if rec, err := decodeRecord(v); err == nil {
					if cur := blake.Get([]byte(rec.Blake2b256)); cur != nil {
						d := decoder{b: cur}
						if d.str() == normalized {
							return blake.Delete([]byte(rec.Blake2b256))
						}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := files.DeleteBucket([]byte(normalized)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketProjects).Delete([]byte(normalized)); err != nil {
			return err
		}
		if err := dropPages(tx, normalized); err != nil {
			return err
		}
		return putRecords(tx, recs)
	})
}

func (c *boltCatalog) setDirTimes(times map[string]time.Time) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		projects := tx.Bucket(bucketProjects)
		for norm, t := range times {
			ps, err := decodeSummary(projects.Get([]byte(norm)))
			if err != nil {
				continue // no records: nothing to trust
			}
			ps.dirTime = t
			if err := projects.Put([]byte(norm), encodeSummary(ps)); err != nil {
				return err
			}
		}
		return nil
	})
}

// putRecords adds recs to the catalog in tx.
func putRecords(tx *bolt.Tx, recs []*record) error {
	projects, files, blake := tx.Bucket(bucketProjects), tx.Bucket(bucketFiles), tx.Bucket(bucketBlake2)
	meta := tx.Bucket(bucketMeta)
	serial := decodeSerial(meta.Get(keySerial))
	top := serial
	for _, rec := range recs {
		top = max(top, rec.Serial)
	}
	if top > serial {
		if err := meta.Put(keySerial, binary.AppendVarint(nil, top)); err != nil {
			return err
		}
	}
	for _, rec := range recs {
		pb, err := files.CreateBucketIfNotExists([]byte(rec.Normalized))
		if err != nil {
			return err
		}
		enc := encodeRecord(rec)
		prev := pb.Get([]byte(rec.Filename))
		added := prev == nil
		if !added && !bytes.Equal(prev, enc) {
			// Records are never rewritten; if one is, no stored page
			// of the project may be trusted.
			if err := dropPages(tx, rec.Normalized); err != nil {
				return err
			}
		}
		if err := pb.Put([]byte(rec.Filename), enc); err != nil {
			return err
		}
		var e encoder
		e.str(rec.Normalized)
		e.str(rec.Filename)
		if err := blake.Put([]byte(rec.Blake2b256), e.b); err != nil {
			return err
		}
		ps, err := decodeSummary(projects.Get([]byte(rec.Normalized)))
		if err != nil {
			ps = projectSummary{}
		}
		if ps.name == "" || !rec.UploadTime.Before(ps.newest) {
			ps.name, ps.newest = rec.Project, rec.UploadTime
		}
		if added {
			ps.files++
		}
		if err := projects.Put([]byte(rec.Normalized), encodeSummary(ps)); err != nil {
			return err
		}
	}
	return nil
}

func (c *boltCatalog) lastSerial() (serial int64, err error) {
	err = c.view(func(tx *bolt.Tx) error {
		serial = decodeSerial(tx.Bucket(bucketMeta).Get(keySerial))
		return nil
	})
	return serial, err
}

// decodeSerial reads the meta bucket's serial (0 when absent or damaged:
// the records' serials raise it again as projects load).
func decodeSerial(v []byte) int64 {
	n, k := binary.Varint(v)
	if k <= 0 || n < 0 {
		return 0
	}
	return n
}

// close flushes the catalog and, when clean, writes the marker that lets
// the next start trust it. The data directory's writes are made durable
// first (metadata files are written without fsync; see store.stage), so
// that a trusted catalog never lists a file whose bytes a power loss took.
func (c *boltCatalog) close(clean bool) error {
	err := c.db.Sync()
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	if err != nil || !clean {
		return err
	}
	if err := syncFS(c.dir); err != nil {
		return nil // without a durable data directory, the next start rebuilds
	}
	tmp := filepath.Join(c.dir, cleanTmpFile)
	if err := os.WriteFile(tmp, []byte(c.generation+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, cleanFile)); err != nil {
		return fmt.Errorf("writing %s: %w", cleanFile, err)
	}
	return syncDir(c.dir)
}

// checkRecord reports why rec cannot be served as the file key of project
// normalized, or nil.
func checkRecord(rec *record, normalized, key string) error {
	switch {
	case rec.Filename != key:
		return fmt.Errorf("the record names %q", rec.Filename)
	case rec.Normalized != normalized:
		return fmt.Errorf("the record belongs to project %q", rec.Normalized)
	case !safeName(rec.Filename):
		return fmt.Errorf("the filename %q cannot be stored and read back (not UTF-8, or a control character or path separator)", rec.Filename)
	case rec.Size < 0:
		return fmt.Errorf("the record's size is %d", rec.Size)
	}
	return nil
}

// safeName reports whether name is a file name the index can store and
// serve: valid UTF-8, no control characters, no path separators, not a
// dot name.
func safeName(name string) bool {
	if name == "" || name == "." || name == ".." {
		return false
	}
	ascii := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return false
		}
		ascii = ascii && c < 0x80
	}
	if ascii {
		return true
	}
	if !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// recordVersion is the first byte of an encoded record: the version of
// recordFields it was written with. Version 2 added provenance_sha256, 3
// serial; a
// catalog written by version 1 is read as it was written (see
// recordField.since).
const recordVersion = 3

// encodeRecord is the catalog's form of a record: a version byte, then its
// fields in recordFields' order, strings as a uvarint length and bytes,
// integers as varints. Decoding allocates one string per record.
func encodeRecord(r *record) []byte {
	e := encoder{b: make([]byte, 0, 512)}
	e.b = append(e.b, recordVersion)
	for _, f := range recordFields {
		switch {
		case f.str != nil:
			e.str(*f.str(r))
		case f.i64 != nil:
			e.b = binary.AppendVarint(e.b, *f.i64(r))
		default:
			e.b = binary.AppendVarint(e.b, f.tm(r).UnixNano())
		}
	}
	return e.b
}

// decodeRecord reverses encodeRecord. Fields a newer version appended are
// ignored; a record with fewer fields than this version writes is damaged.
func decodeRecord(v []byte) (*record, error) {
	r := &record{}
	if err := decodeRecordInto(r, v, string(v)); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeRecordInto decodes v into r; s holds v's bytes, and every string
// field is a substring of it.
func decodeRecordInto(r *record, v []byte, s string) error {
	if len(v) == 0 || v[0] < 1 || v[0] > recordVersion {
		return errors.New("the record is not in a known encoding")
	}
	version := v[0]
	d := decoder{s: s, off: 1}
	for _, f := range recordFields {
		if f.since > version {
			break // written before the field existed: its zero value
		}
		switch {
		case f.str != nil:
			*f.str(r) = d.substr()
		case f.i64 != nil:
			*f.i64(r) = d.varint()
		default:
			*f.tm(r) = time.Unix(0, d.varint()).UTC()
		}
	}
	if d.err != nil {
		return fmt.Errorf("the record is damaged: %w", d.err)
	}
	return nil
}

// recordField is one field of record in the catalog's encoding.
type recordField struct {
	name string // the field's JSON name, for the completeness test
	str  func(*record) *string
	i64  func(*record) *int64
	tm   func(*record) *time.Time
	// since is the recordVersion that added the field; 0 means 1.
	since byte
}

// recordFields lists every stored field of record, in encoding order. A
// field added to record must be added here, at the end
// (TestCatalogEncodesEveryRecordField fails otherwise).
var recordFields = []recordField{
	{name: "filename", str: func(r *record) *string { return &r.Filename }},
	{name: "project", str: func(r *record) *string { return &r.Project }},
	{name: "normalized", str: func(r *record) *string { return &r.Normalized }},
	{name: "version", str: func(r *record) *string { return &r.Version }},
	{name: "filetype", str: func(r *record) *string { return &r.FileType }},
	{name: "pyversion", str: func(r *record) *string { return &r.PyVersion }},
	{name: "size", i64: func(r *record) *int64 { return &r.Size }},
	{name: "sha256", str: func(r *record) *string { return &r.SHA256 }},
	{name: "blake2_256", str: func(r *record) *string { return &r.Blake2b256 }},
	{name: "md5", str: func(r *record) *string { return &r.MD5 }},
	{name: "upload_time", tm: func(r *record) *time.Time { return &r.UploadTime }},
	{name: "requires_python", str: func(r *record) *string { return &r.RequiresPython }},
	{name: "metadata_sha256", str: func(r *record) *string { return &r.MetadataSHA256 }},
	{name: "metadata_blake2_256", str: func(r *record) *string { return &r.MetadataBlake2 }},
	{name: "comment", str: func(r *record) *string { return &r.Comment }},
	{name: "uploader", str: func(r *record) *string { return &r.Uploader }},
	{name: "provenance_sha256", str: func(r *record) *string { return &r.ProvenanceSHA256 }, since: 2},
	{name: "serial", i64: func(r *record) *int64 { return &r.Serial }, since: 3},
}

func encodeSummary(ps projectSummary) []byte {
	var e encoder
	e.str(ps.name)
	e.b = binary.AppendVarint(e.b, ps.newest.UnixNano())
	e.b = binary.AppendVarint(e.b, int64(ps.files))
	e.b = binary.AppendVarint(e.b, ps.dirTime.UnixNano())
	return e.b
}

func decodeSummary(v []byte) (projectSummary, error) {
	if v == nil {
		return projectSummary{}, errors.New("no summary")
	}
	d := decoder{s: string(v)}
	ps := projectSummary{name: d.substr(), newest: time.Unix(0, d.varint()).UTC(), files: int(d.varint())}
	if err := d.err; err != nil {
		return ps, err
	}
	if t := d.varint(); d.err == nil {
		ps.dirTime = time.Unix(0, t).UTC()
	}
	return ps, nil
}

// encoder appends length-prefixed strings.
type encoder struct{ b []byte }

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

// decoder reads what encoder wrote, from b (copying) or s (substrings);
// the first error sticks.
type decoder struct {
	b   []byte
	s   string
	off int
	err error
}

var errShort = errors.New("truncated")

func (d *decoder) str() string {
	if d.s == "" && d.b != nil {
		d.s, d.b = string(d.b), nil
	}
	return d.substr()
}

func (d *decoder) substr() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.s)-d.off) {
		d.err = errShort
		return ""
	}
	v := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.off >= len(d.s) {
			break
		}
		c := d.s[d.off]
		d.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	d.err = errShort
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// storedSegment is a run of a project page's file entries in one format as
// the catalog keeps it between runs (see project.segments), so that the
// first page after a start is read, not rendered and compressed again. It
// names the records it was rendered from by the first and last filename,
// their number and the digest of their catalog encodings, and the code by
// its stamp (see renderStamp): a segment is served only when all of these
// match the records the catalog holds now.
type storedSegment struct {
	first, last string
	count       int
	lead        bool   // the page's first run
	stamp       string // renderStamp of the code that rendered it
	sum         uint32 // foldSum of recordSum of its records, in order
	raw         []byte // the entries
	gz          []byte // raw as a deflate stream ending with a sync flush (see lazyBody.gzipped)
	// names are the records' filenames, for saveSegments only.
	names []string
}

// intact reports whether the stored bytes are those written (CRC-32C of
// raw and gz, stored beside them): damaged ones are rendered again.
func (st *storedSegment) intact(rawSum, gzSum uint32) bool {
	return crc32.Checksum(st.raw, castagnoli()) == rawSum && crc32.Checksum(st.gz, castagnoli()) == gzSum
}

// Encoding of a stored segment.
const storedSegmentVersion = 1

// castagnoli is the CRC-32C table, made on first use (package variables
// are initialised in every process, TestOwnPackageInitIsLazy).
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// recordSum is the digest of a record as the catalog encodes it.
func recordSum(enc []byte) uint32 { return crc32.Checksum(enc, castagnoli()) }

// foldSum adds a record's recordSum to the digest of a run of records.
func foldSum(acc, sum uint32) uint32 {
	return crc32.Update(acc, castagnoli(), binary.LittleEndian.AppendUint32(nil, sum))
}

// formatKey is a format's bucket in a project's pages.
func formatKey(format int) []byte {
	if format == formatHTML {
		return []byte("html")
	}
	return []byte("json")
}

// dropPages removes every stored segment of the project.
func dropPages(tx *bolt.Tx, normalized string) error {
	pages := tx.Bucket(bucketPages)
	if pages == nil || pages.Bucket([]byte(normalized)) == nil {
		return nil
	}
	return pages.DeleteBucket([]byte(normalized))
}

func (c *boltCatalog) storedSegments(normalized string, format int) (map[string]*storedSegment, error) {
	out := map[string]*storedSegment{}
	err := c.view(func(tx *bolt.Tx) error {
		pages := tx.Bucket(bucketPages)
		if pages == nil {
			return nil
		}
		pb := pages.Bucket([]byte(normalized))
		if pb == nil {
			return nil
		}
		fb := pb.Bucket(formatKey(format))
		if fb == nil {
			return nil
		}
		return fb.ForEach(func(k, v []byte) error {
			if st, ok := decodeStoredSegment(bytes.Clone(v)); ok {
				st.first = string(k)
				out[st.first] = st
			}
			return nil // a damaged one is rendered again
		})
	})
	return out, err
}

func (c *boltCatalog) saveSegments(normalized string, format int, segs []*storedSegment) (written []*storedSegment, err error) {
	err = c.db.Update(func(tx *bolt.Tx) error {
		written = nil
		files := tx.Bucket(bucketFiles).Bucket([]byte(normalized))
		if files == nil {
			return nil
		}
		pages, err := tx.CreateBucketIfNotExists(bucketPages)
		if err != nil {
			return err
		}
		pb, err := pages.CreateBucketIfNotExists([]byte(normalized))
		if err != nil {
			return err
		}
		fb, err := pb.CreateBucketIfNotExists(formatKey(format))
		if err != nil {
			return err
		}
		keep := make(map[string]bool, len(segs))
		for _, st := range segs {
			if st.raw == nil {
				keep[st.first] = true
				continue
			}
			sum, ok := runSum(files, st)
			if !ok {
				continue // the catalog does not hold these records (yet)
			}
			st.sum = sum
			if err := fb.Put([]byte(st.first), encodeStoredSegment(st)); err != nil {
				return err
			}
			keep[st.first] = true
			written = append(written, st)
		}
		var stale [][]byte
		fb.ForEach(func(k, _ []byte) error {
			if !keep[string(k)] {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range stale {
			if err := fb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		written = nil
	}
	return written, err
}

// runSum checks that the project's records in the catalog (files) are,
// from st.first on, exactly st.names (and, for the page's first run, that
// none comes before), and returns the digest of their encodings.
func runSum(files *bolt.Bucket, st *storedSegment) (uint32, bool) {
	cur := files.Cursor()
	if st.lead {
		if k, _ := cur.First(); string(k) != st.first {
			return 0, false
		}
	}
	var sum uint32
	k, v := cur.Seek([]byte(st.first))
	for _, name := range st.names {
		if k == nil || string(k) != name {
			return 0, false
		}
		sum = foldSum(sum, recordSum(v))
		k, v = cur.Next()
	}
	return sum, len(st.names) > 0
}

func encodeStoredSegment(st *storedSegment) []byte {
	e := encoder{b: make([]byte, 0, len(st.raw)+len(st.gz)+len(st.last)+len(st.stamp)+32)}
	e.b = append(e.b, storedSegmentVersion)
	e.str(st.stamp)
	lead := byte(0)
	if st.lead {
		lead = 1
	}
	e.b = append(e.b, lead)
	e.b = binary.AppendUvarint(e.b, uint64(st.count))
	e.str(st.last)
	e.b = binary.LittleEndian.AppendUint32(e.b, st.sum)
	e.b = binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(st.raw, castagnoli()))
	e.b = binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(st.gz, castagnoli()))
	e.b = binary.AppendUvarint(e.b, uint64(len(st.raw)))
	e.b = append(e.b, st.raw...)
	e.b = binary.AppendUvarint(e.b, uint64(len(st.gz)))
	e.b = append(e.b, st.gz...)
	return e.b
}

// decodeStoredSegment reverses encodeStoredSegment; raw and gz are
// slices of v.
func decodeStoredSegment(v []byte) (*storedSegment, bool) {
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(v)
		if k <= 0 || n > uint64(len(v)-k) {
			return nil, false
		}
		f := v[k : k+int(n)]
		v = v[k+int(n):]
		return f, true
	}
	if len(v) < 1 || v[0] != storedSegmentVersion {
		return nil, false
	}
	v = v[1:]
	st := &storedSegment{}
	stamp, ok := next()
	if !ok || len(v) < 1 || v[0] > 1 {
		return nil, false
	}
	st.stamp, st.lead, v = string(stamp), v[0] == 1, v[1:]
	count, k := binary.Uvarint(v)
	if k <= 0 || count == 0 || count > maxSegment {
		return nil, false
	}
	st.count, v = int(count), v[k:]
	last, ok := next()
	if !ok || len(v) < 12 {
		return nil, false
	}
	st.last, st.sum = string(last), binary.LittleEndian.Uint32(v)
	rawSum, gzSum := binary.LittleEndian.Uint32(v[4:]), binary.LittleEndian.Uint32(v[8:])
	v = v[12:]
	if st.raw, ok = next(); !ok || len(st.raw) == 0 {
		return nil, false
	}
	if st.gz, ok = next(); !ok || len(v) != 0 {
		return nil, false
	}
	return st, st.intact(rawSum, gzSum)
}
