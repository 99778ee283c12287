package index

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
	bucketMeta     = []byte("meta")     // generation → random id
	keyGeneration  = []byte("generation")
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
		recs := make([]*record, len(vals))
		errs := make([]error, len(vals))
		const perWorker = 1024
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for start := 0; start < len(vals); start += perWorker {
			g.Go(func() error {
				for i := start; i < min(start+perWorker, len(vals)); i++ {
					recs[i], errs[i] = decodeRecord(vals[i])
					if errs[i] == nil {
						errs[i] = checkRecord(recs[i], normalized, string(keys[i]))
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
	for _, rec := range recs {
		pb, err := files.CreateBucketIfNotExists([]byte(rec.Normalized))
		if err != nil {
			return err
		}
		added := pb.Get([]byte(rec.Filename)) == nil
		if err := pb.Put([]byte(rec.Filename), encodeRecord(rec)); err != nil {
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
	if name == "" || name == "." || name == ".." || !utf8.ValidString(name) {
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
// recordFields it was written with. Version 2 added provenance_sha256; a
// catalog written by version 1 is read as it was written (see
// recordField.since).
const recordVersion = 2

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
	if len(v) == 0 || v[0] < 1 || v[0] > recordVersion {
		return nil, errors.New("the record is not in a known encoding")
	}
	version := v[0]
	s := string(v[1:]) // one allocation; every field is a substring of it
	d := decoder{s: s}
	r := &record{}
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
		return nil, fmt.Errorf("the record is damaged: %w", d.err)
	}
	return r, nil
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
