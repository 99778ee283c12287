package index

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustpub/trustpub/pydist"
)

// Layout of the data directory:
//
//	DATA/.lock                            held (flock) while a Server runs
//	DATA/tmp/                             uploads in progress; emptied on start
//	DATA/projects/{normalized}/{filename}          the distribution file
//	DATA/projects/{normalized}/{filename}.metadata PEP 658 core metadata (wheels)
//	DATA/projects/{normalized}/{filename}.provenance PEP 740 provenance (see provenance.go)
//	DATA/projects/{normalized}/{filename}.json     the record: the commit point
//	DATA/catalog.db                       every record, by project and by digest (see boltCatalog)
//	DATA/catalog.clean                    present while catalog.db is current (between runs)
//
// A file is visible once its record exists. The record is written last
// (temp file, fsync, rename, fsync of the directory), so a crash at any point
// leaves either the complete file with its record, or no record; files
// without a record are removed when the next Server starts. Start-up reads
// the catalog, not the records, when the previous Server closed cleanly;
// otherwise it rebuilds the catalog from the records (see store.rebuild).
const (
	recordSuffix   = ".json"
	metadataSuffix = ".metadata"
	tmpDirName     = "tmp"
	projectsDir    = "projects"
)

// record is what is stored beside each distribution file and served by the
// simple API.
type record struct {
	Filename       string    `json:"filename"`
	Project        string    `json:"project"`    // name as uploaded
	Normalized     string    `json:"normalized"` // PEP 503 normal form
	Version        string    `json:"version"`    // canonical version
	FileType       string    `json:"filetype"`
	PyVersion      string    `json:"pyversion"`
	Size           int64     `json:"size"`
	SHA256         string    `json:"sha256"`
	Blake2b256     string    `json:"blake2_256"`
	MD5            string    `json:"md5"`
	UploadTime     time.Time `json:"upload_time"`
	RequiresPython string    `json:"requires_python,omitempty"`
	MetadataSHA256 string    `json:"metadata_sha256,omitempty"`
	MetadataBlake2 string    `json:"metadata_blake2_256,omitempty"`
	Comment        string    `json:"comment,omitempty"`
	Uploader       string    `json:"uploader,omitempty"` // token name, never the token

	// ProvenanceSHA256 is the digest of the file's PEP 740 provenance
	// ({filename}.provenance, see provenance.go); empty: none.
	ProvenanceSHA256 string `json:"provenance_sha256,omitempty"`

	// Serial is the index's serial when the file was stored (see
	// store.nextSerial); 0 in records written before serials were kept.
	Serial int64 `json:"serial,omitempty"`

	htmlOnce, jsonOnce sync.Once // guard the cached fragments below
	htmlFrag, jsonFrag []byte    // simple API entries, see fragments
	segStart           bool      // a page segment may start at this file (see isBoundary)
	// catSum is recordSum of the record's catalog encoding, set
	// (catSummed) when it was read from the catalog: stored page
	// segments are checked against it (see project.fromStored).
	catSum    uint32
	catSummed bool
}

// project is the in-memory index of one project.
type project struct {
	normalized string

	mu      sync.RWMutex
	name    string    // display name: from the latest upload
	newest  time.Time // upload time of the latest upload
	files   []*record // sorted by filename (see find)
	version map[string]time.Time
	// versions lists the versions in the order of their first upload, or
	// is nil until a page needs it (see firstUploadOrder).
	versions []string

	// gen is the store's change count at the project's latest change,
	// written under mu; a cached page is current when its gen equals it.
	gen  atomic.Int64
	page atomic.Pointer[renderedPage] // cached simple page
	// serial is the highest serial of the project's files (its
	// X-PyPI-Last-Serial), written under mu.
	serial atomic.Int64

	seed  maphash.Seed // the store's, for ETags
	st    *store       // keeps the rendered segments in the catalog
	segMu sync.Mutex
	segs  [2]map[*record]*segment // by format: the last render's segments, by first record
	// saves counts the saves of segments queued, by format, so that a
	// save that a newer one overtook is dropped.
	saves [2]atomic.Int64
}

// store is the on-disk storage with its in-memory index. Projects are
// loaded into memory from the catalog when first asked for, so start-up
// reads neither the records nor the project directories: it takes the same
// time for ten files as for a million.
type store struct {
	dir  string
	log  *slog.Logger
	lock *os.File
	cat  catalog
	// catDirty is set when a committed record could not be added to the
	// catalog: it is then not marked current at close, and the next start
	// rebuilds it from the record files.
	catDirty atomic.Bool

	// commitMu serialises the check-and-reserve step of uploads, so that
	// two uploads of the same filename (or content, or a release's second
	// sdist) cannot both win; pending holds the reservations whose files
	// are being moved into place and synced, outside the lock, so that
	// uploads of different files commit concurrently.
	commitMu sync.Mutex
	pending  []*reservation

	loadMu   sync.Mutex      // serialises loading projects from the catalog
	touched  map[string]bool // projects whose directory this process changed (under mu)
	mu       sync.RWMutex
	projects map[string]*project // normalized name → project, once loaded
	blake2   map[string]*record  // blake2_256 → record, for files stored by this process
	gen      atomic.Int64        // bumped on every change in memory (see renderedPage)
	// serial is the last serial handed to an upload (see nextSerial);
	// lastSerial the highest of a stored file, the index's
	// X-PyPI-Last-Serial. Both start from the catalog's.
	serial, lastSerial atomic.Int64
	index              atomic.Pointer[renderedPage]
	seed               maphash.Seed // seeds the pages' ETags (stable while the index runs)

	// stamp identifies how this build renders page segments (see
	// renderStamp); segments stored by another are rendered again.
	stamp string
	// saving tracks the saves of rendered segments to the catalog, which
	// run after the page is served; close waits for them.
	saveMu      sync.Mutex
	saveClosed  bool
	saving      sync.WaitGroup
	saveWriteMu sync.Mutex
}

// openStore opens dir, takes its lock, cleans up after a crash and opens
// the catalog, rebuilding it from the record files when the previous run
// did not close it cleanly.
func openStore(dir string, log *slog.Logger) (*store, error) {
	for _, d := range []string{dir, filepath.Join(dir, tmpDirName), filepath.Join(dir, projectsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating data directory: %w", err)
		}
	}
	lock, err := lockDir(filepath.Join(dir, ".lock"))
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	s := &store{dir: dir, log: log, lock: lock, projects: map[string]*project{}, blake2: map[string]*record{}, touched: map[string]bool{}, seed: maphash.MakeSeed(), stamp: renderStamp()}
	if err := s.cleanTmp(); err != nil {
		lock.Close()
		return nil, err
	}
	cat, current, err := openBoltCatalog(dir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.cat = cat
	if !current {
		if err := s.rebuild(); err != nil {
			cat.close(false)
			lock.Close()
			return nil, err
		}
	}
	serial, err := cat.lastSerial()
	if err != nil {
		cat.close(false)
		lock.Close()
		return nil, fmt.Errorf("reading the catalog: %w", err)
	}
	s.serial.Store(serial)
	s.lastSerial.Store(serial)
	return s, nil
}

// close closes the catalog (marking it current unless a commit failed to
// reach it) and releases the lock.
func (s *store) close() error {
	s.saveMu.Lock()
	s.saveClosed = true
	s.saveMu.Unlock()
	s.saving.Wait()
	s.mu.Lock()
	touched := s.touched
	s.touched = map[string]bool{}
	s.mu.Unlock()
	if err := s.cat.setDirTimes(s.dirTimes(touched)); err != nil {
		s.catDirty.Store(true)
	}
	err := s.cat.close(!s.catDirty.Load())
	if lerr := s.lock.Close(); err == nil {
		err = lerr
	}
	return err
}

func (s *store) tmpDir() string { return filepath.Join(s.dir, tmpDirName) }

func (s *store) projectDir(normalized string) string {
	return filepath.Join(s.dir, projectsDir, normalized)
}

// cleanTmp removes uploads that were in progress when a server stopped.
func (s *store) cleanTmp() error {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.tmpDir(), err)
	}
	for _, e := range entries {
		p := filepath.Join(s.tmpDir(), e.Name())
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing unfinished upload %s: %w", p, err)
		}
		s.log.Info("removed unfinished upload", "path", p)
	}
	return nil
}

// dirTimes returns the modification times of the projects' directories.
func (s *store) dirTimes(projects map[string]bool) map[string]time.Time {
	times := make(map[string]time.Time, len(projects))
	for norm := range projects {
		if info, err := os.Stat(s.projectDir(norm)); err == nil {
			times[norm] = info.ModTime()
		}
	}
	return times
}

// skip reports a stored item that start-up leaves out rather than refuse
// to start: the rest of the index is served, and nothing of the item is
// removed, so that an operator can restore it.
func (s *store) skip(path, why string) {
	s.log.Error("not serving a stored file: its record cannot be reconciled with the data directory (restore it, or remove the record and its file)", "path", path, "reason", why)
}

// rebuild fills the catalog from the record files: the first start on a
// data directory, or the start after a crash. It removes what a crash left
// (files without a record, records without their file), repairs metadata
// files, and skips (reporting each) any record it cannot reconcile, so that
// a damaged data directory degrades those files, never the whole index.
func (s *store) rebuild() error {
	start := time.Now()
	root := filepath.Join(s.dir, projectsDir)
	dirs, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("reading %s: %w", root, err)
	}
	files := 0
	scanned := map[string]bool{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		name := d.Name()
		if !safeName(name) || pydist.NormalizeName(name) != name {
			s.skip(filepath.Join(root, name), "the directory's name is not a normalized project name")
			continue
		}
		recs := s.scanProject(name)
		if len(recs) == 0 {
			continue
		}
		if err := s.cat.put(recs...); err != nil {
			return fmt.Errorf("writing the catalog: %w", err)
		}
		scanned[name] = true
		files += len(recs)
	}
	if err := s.cat.setDirTimes(s.dirTimes(scanned)); err != nil {
		return fmt.Errorf("writing the catalog: %w", err)
	}
	s.log.Info("rebuilt the catalog from the record files", "files", files, "duration", time.Since(start))
	return nil
}

// scanProject reads the records of one project directory and returns those
// that can be served, sorted by filename.
func (s *store) scanProject(name string) []*record {
	pdir := filepath.Join(s.dir, projectsDir, name)
	entries, err := os.ReadDir(pdir)
	if err != nil {
		s.skip(pdir, err.Error())
		return nil
	}
	names := make(map[string]fs.DirEntry, len(entries))
	for _, e := range entries {
		names[e.Name()] = e
	}
	var recs []*record
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasSuffix(n, recordSuffix):
			path := filepath.Join(pdir, n)
			rec, err := readRecord(path)
			if err != nil {
				s.skip(path, err.Error())
				continue
			}
			if rec.Filename+recordSuffix != n || rec.Normalized != name {
				s.skip(path, fmt.Sprintf("the record does not match its file (filename %q, project %q)", rec.Filename, rec.Normalized))
				continue
			}
			if err := checkRecord(rec, name, rec.Filename); err != nil {
				s.skip(path, err.Error())
				continue
			}
			fe := names[rec.Filename]
			if fe == nil {
				// A crash before the commit's directory sync: the
				// upload was never answered, so it is not stored.
				s.removeOrphan(path)
				s.removeOrphan(filepath.Join(pdir, rec.Filename+metadataSuffix))
				s.removeOrphan(filepath.Join(pdir, rec.Filename+provenanceSuffix))
				continue
			}
			if info, err := fe.Info(); err != nil || !info.Mode().IsRegular() || info.Size() != rec.Size {
				why := fmt.Sprintf("the file is not the %d bytes its record says", rec.Size)
				if err == nil && info.Mode().IsRegular() {
					why = fmt.Sprintf("the file has %d bytes, its record says %d (truncated or replaced)", info.Size(), rec.Size)
				}
				s.skip(filepath.Join(pdir, rec.Filename), why)
				continue
			}
			s.checkProvenance(pdir, rec)
			if err := s.repairMetadata(pdir, rec); err != nil {
				// The file itself is intact: serve it without a
				// metadata file rather than refuse to start.
				s.log.Error("serving a wheel without its metadata file", "file", rec.Filename, "err", err)
				os.Remove(filepath.Join(pdir, rec.Filename+metadataSuffix))
				rec.MetadataSHA256, rec.MetadataBlake2 = "", ""
			}
			recs = append(recs, rec)
		case strings.HasSuffix(n, metadataSuffix), strings.HasSuffix(n, provenanceSuffix):
			base := strings.TrimSuffix(strings.TrimSuffix(n, metadataSuffix), provenanceSuffix)
			if names[base+recordSuffix] == nil {
				s.removeOrphan(filepath.Join(pdir, n))
			}
		default:
			if names[n+recordSuffix] == nil {
				s.removeOrphan(filepath.Join(pdir, n))
			}
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Filename < recs[j].Filename })
	return recs
}

// repairMetadata rewrites a wheel's metadata file from the wheel when it is
// missing or does not match the record's digest (a crash before the
// commit's directory sync can leave it short).
func (s *store) repairMetadata(pdir string, rec *record) error {
	if rec.MetadataSHA256 == "" {
		return nil
	}
	mpath := filepath.Join(pdir, rec.Filename+metadataSuffix)
	if b, err := os.ReadFile(mpath); err == nil {
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) == rec.MetadataSHA256 {
			return nil
		}
	}
	fn, err := pydist.ParseFilename(rec.Filename)
	if err != nil {
		return fmt.Errorf("repairing metadata of %s: %w", rec.Filename, err)
	}
	f, err := os.Open(filepath.Join(pdir, rec.Filename))
	if err != nil {
		return fmt.Errorf("repairing metadata of %s: %w", rec.Filename, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("repairing metadata of %s: %w", rec.Filename, err)
	}
	meta, err := pydist.ReadMetadata(f, st.Size(), fn)
	if err != nil {
		return fmt.Errorf("repairing metadata of %s: %w", rec.Filename, err)
	}
	if sum := sha256.Sum256(meta); hex.EncodeToString(sum[:]) != rec.MetadataSHA256 {
		return fmt.Errorf("metadata of %s does not match its record: restore the file or remove %s%s", filepath.Join(pdir, rec.Filename), rec.Filename, recordSuffix)
	}
	tmp, err := writeTemp(s.tmpDir(), meta, true)
	if err != nil {
		return fmt.Errorf("repairing metadata of %s: %w", rec.Filename, err)
	}
	if err := os.Rename(tmp, mpath); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("repairing metadata of %s: %w", rec.Filename, err)
	}
	s.log.Warn("rewrote metadata file from its wheel (interrupted commit)", "file", rec.Filename)
	return syncDir(pdir)
}

func (s *store) removeOrphan(p string) {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("cannot remove file without record", "path", p, "err", err)
		return
	}
	s.log.Info("removed a leftover of an upload interrupted before its commit", "path", p)
}

func readRecord(path string) (*record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading record: %w", err)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("record %s is not valid JSON: %w", path, err)
	}
	return &rec, nil
}

// add puts rec into the in-memory index and invalidates cached pages.
func (s *store) add(rec *record) { s.insert(rec) }

// newProject returns an empty in-memory project.
func (s *store) newProject(normalized string) *project {
	return &project{normalized: normalized, seed: s.seed, st: s, version: map[string]time.Time{}}
}

// insert adds rec to the index (loading its project first), replacing a
// record of the same filename (the project's load may already have read rec
// from the catalog).
func (s *store) insert(rec *record) {
	p := s.project(rec.Normalized)
	s.mu.Lock()
	if p == nil {
		if p = s.projects[rec.Normalized]; p == nil {
			p = s.newProject(rec.Normalized)
			s.projects[rec.Normalized] = p
		}
	}
	s.blake2[rec.Blake2b256] = rec
	s.mu.Unlock()

	p.mu.Lock()
	i, found := p.search(rec.Filename)
	if found {
		p.files[i] = rec
	} else {
		p.files = slices.Insert(p.files, i, rec)
	}
	rec.segStart = isBoundary(rec)
	p.note(rec)
	p.gen.Store(s.gen.Add(1))
	raise(&p.serial, rec.Serial)
	p.mu.Unlock()
	raise(&s.lastSerial, rec.Serial)
}

// note adds rec to the project's name, newest upload and release times.
// p.mu must be held (or p not yet shared).
func (p *project) note(rec *record) {
	if t, ok := p.version[rec.Version]; !ok || rec.UploadTime.Before(t) {
		p.version[rec.Version] = rec.UploadTime
		switch {
		case p.versions == nil:
		case !ok && p.after(rec.Version, p.versions[len(p.versions)-1]):
			p.versions = append(p.versions, rec.Version) // the usual upload: the newest
		default:
			p.versions = nil // sorted again when a page needs it
		}
	}
	if p.name == "" || !rec.UploadTime.Before(p.newest) {
		p.name = rec.Project
		p.newest = rec.UploadTime
	}
}

// after reports whether version a comes after b in first-upload order
// (ties in time by version string, as firstUploadOrder sorts).
func (p *project) after(a, b string) bool {
	return cmp.Or(p.version[a].Compare(p.version[b]), strings.Compare(a, b)) > 0
}

// project returns the project with the normalized name, loading it from the
// catalog on first use, or nil when there is none.
func (s *store) project(normalized string) *project {
	s.mu.RLock()
	p := s.projects[normalized]
	s.mu.RUnlock()
	if p != nil {
		return p
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.RLock()
	p = s.projects[normalized]
	s.mu.RUnlock()
	if p != nil {
		return p
	}
	ps, ok, err := s.cat.project(normalized)
	if err != nil {
		s.log.Error("cannot read the catalog", "project", normalized, "err", err)
	}
	if !ok {
		// Unknown projects are not cached: anyone can ask for any name.
		return nil
	}
	s.mu.RLock()
	mine := s.touched[normalized]
	s.mu.RUnlock()
	// A project this process stored files in is current in the catalog
	// (and may have uploads moving files into place right now).
	if info, err := os.Stat(s.projectDir(normalized)); !mine && (err != nil || !info.ModTime().Equal(ps.dirTime)) {
		// The directory changed since the catalog last saw it (files
		// restored, removed or damaged while no Server ran): read it
		// again from its record files.
		s.log.Warn("project directory changed while the index was stopped: reading its records again (to make a start read every project's records, remove catalog.clean from the data directory while the index is stopped)", "project", normalized)
		recs := s.scanProject(normalized)
		err := s.cat.replace(normalized, recs)
		if err == nil {
			err = s.cat.setDirTimes(s.dirTimes(map[string]bool{normalized: true}))
		}
		if err != nil {
			s.catDirty.Store(true)
			s.log.Error("cannot update the catalog", "project", normalized, "err", err)
		}
	}
	recs, err := s.cat.records(normalized, func(key string, err error) {
		s.skip(filepath.Join(s.projectDir(normalized), key), "catalog: "+err.Error())
	})
	if err != nil {
		s.log.Error("cannot read the catalog", "project", normalized, "err", err)
		return nil
	}
	p = s.newProject(normalized)
	p.version = make(map[string]time.Time, len(recs)) // as many as files, at most
	p.files = recs                                    // sorted by filename: the catalog's key order
	var g errgroup.Group
	for start := 0; start < len(recs); start += 2048 {
		g.Go(func() error {
			for _, r := range recs[start:min(start+2048, len(recs))] {
				r.segStart = isBoundary(r)
			}
			return nil
		})
	}
	var serial int64
	for _, r := range recs {
		p.note(r)
		serial = max(serial, r.Serial)
	}
	g.Wait()
	p.gen.Store(s.gen.Add(1))
	p.serial.Store(serial)
	// A project read again from its records may hold a higher serial
	// than the catalog knew at start.
	raise(&s.serial, serial)
	raise(&s.lastSerial, serial)
	s.mu.Lock()
	s.projects[normalized] = p
	s.mu.Unlock()
	return p
}

// lookup returns the stored record of filename in project normalized.
func (s *store) lookup(normalized, filename string) *record {
	p := s.project(normalized)
	if p == nil {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.find(filename)
}

// search returns where filename is or would be in p.files. p.mu must be
// held.
func (p *project) search(filename string) (int, bool) {
	return sort.Find(len(p.files), func(i int) int { return strings.Compare(filename, p.files[i].Filename) })
}

// find returns the record of filename, or nil. p.mu must be held.
func (p *project) find(filename string) *record {
	if i, ok := p.search(filename); ok {
		return p.files[i]
	}
	return nil
}

// existing returns a stored file with the same filename or the same
// blake2_256 digest (PyPI's duplicate rule), or nil.
func (s *store) existing(normalized, filename, blake2 string) *record {
	if r := s.lookup(normalized, filename); r != nil {
		return r
	}
	s.mu.RLock()
	r := s.blake2[blake2]
	s.mu.RUnlock()
	if r != nil {
		return r
	}
	n, f, ok, err := s.cat.byBlake2(blake2)
	if err != nil {
		s.log.Error("cannot read the catalog", "blake2_256", blake2, "err", err)
	}
	if !ok {
		return nil
	}
	if r := s.lookup(n, f); r != nil && r.Blake2b256 == blake2 {
		return r
	}
	return nil
}

// releaseCreated returns when the release (by releaseKey) got its first
// file, and false when it has none.
func (s *store) releaseCreated(normalized, key string) (time.Time, bool) {
	p := s.project(normalized)
	if p == nil {
		return time.Time{}, false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var first time.Time
	found := false
	for v, t := range p.version {
		if releaseKey(v) == key && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found
}

// hasSdist reports whether a release (by releaseKey) already has an sdist.
func (s *store) hasSdist(normalized, key string) bool {
	p := s.project(normalized)
	if p == nil {
		return false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, r := range p.files {
		if r.FileType == "sdist" && releaseKey(r.Version) == key {
			return true
		}
	}
	return false
}

// reservation is an upload that passed the duplicate checks and is being
// committed; done is closed when it is stored or has failed.
type reservation struct {
	rec  *record
	done chan struct{}
}

// conflicting returns the pending reservation rec must wait for: the same
// filename, the same content, or another sdist of the same release.
// commitMu must be held.
func (s *store) conflicting(rec *record) *reservation {
	for _, r := range s.pending {
		o := r.rec
		if o.Filename == rec.Filename || o.Blake2b256 == rec.Blake2b256 ||
			(o.Normalized == rec.Normalized && o.FileType == "sdist" && rec.FileType == "sdist" && releaseKey(o.Version) == releaseKey(rec.Version)) {
			return r
		}
	}
	return nil
}

// reserve records that rec is being committed. commitMu must be held.
func (s *store) reserve(rec *record) *reservation {
	r := &reservation{rec: rec, done: make(chan struct{})}
	s.pending = append(s.pending, r)
	return r
}

// release ends a reservation, adding its record to the index when the
// commit succeeded, and wakes the uploads waiting for it.
func (s *store) release(r *reservation, stored bool) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if stored {
		s.add(r.rec)
	}
	for i, p := range s.pending {
		if p == r {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			break
		}
	}
	close(r.done)
}

// staged is an upload's metadata and record files, written and fsynced in
// the temp directory before the commit lock is taken, so that the locked
// step is a few renames and one directory fsync.
type staged struct {
	metaTmp, recTmp string
	provTmp         string // provenance (provenance.go), fsynced; "" for none
}

// remove deletes staged files that were not committed.
func (st *staged) remove() {
	for _, p := range []string{st.metaTmp, st.recTmp, st.provTmp} {
		if p != "" {
			os.Remove(p)
		}
	}
}

// stage writes rec durably, and meta (when not empty) without an fsync,
// into the temp directory. The metadata file is derived from the wheel, so
// load repairs it if a crash left it short, instead of every upload paying
// for its fsync.
func (s *store) stage(meta []byte, rec *record) (*staged, error) {
	st := &staged{}
	if len(meta) > 0 {
		p, err := writeTemp(s.tmpDir(), meta, false)
		if err != nil {
			return nil, fmt.Errorf("storing metadata: %w", err)
		}
		st.metaTmp = p
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		st.remove()
		return nil, fmt.Errorf("encoding record: %w", err)
	}
	p, err := writeTemp(s.tmpDir(), b, true)
	if err != nil {
		st.remove()
		return nil, fmt.Errorf("storing record: %w", err)
	}
	st.recTmp = p
	return st, nil
}

// commitFile moves a complete, fsynced temp file and its staged metadata
// and record into place and syncs the directory, so that all three names
// are durable before the upload is answered. If a crash comes first, load
// finds a record without its file (removed: the client got no answer and
// uploads again), a file without its record (removed likewise), or a short
// metadata file (repaired). If a step fails, the names already moved into
// place are removed again (best effort: the disk is failing), so that the
// file the client is told was not stored does not reappear at the next
// start. None of the names can exist (the caller holds a reservation for
// rec, and load removes leftovers), and a name that does anyway (another
// file's, on a case-insensitive file system) fails the commit rather than
// being replaced. The caller adds rec to the index (release) once this
// returns nil.
func (s *store) commitFile(tmpPath string, st *staged, rec *record) (err error) {
	pdir := s.projectDir(rec.Normalized)
	var placed []string // names moved into pdir, in order
	defer func() {
		if err == nil || len(placed) == 0 {
			return
		}
		for i := len(placed) - 1; i >= 0; i-- {
			if rerr := os.Remove(placed[i]); rerr != nil && !os.IsNotExist(rerr) {
				s.log.Error("cannot undo a failed commit: remove it by hand before the next start", "path", placed[i], "err", rerr)
			}
		}
		if serr := syncDir(pdir); serr != nil {
			s.log.Error("cannot make the undo of a failed commit durable", "dir", pdir, "err", serr)
		}
		s.log.Warn("commit failed: removed the names it had moved into place", "file", rec.Filename, "err", err)
	}()
	if s.project(rec.Normalized) == nil {
		// A new project: its directory must be durable in projects/ before
		// any file in it is acknowledged, whichever upload created it.
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return fmt.Errorf("creating project directory: %w", err)
		}
		if err := syncDir(filepath.Join(s.dir, projectsDir)); err != nil {
			return err
		}
	}
	if st.metaTmp != "" {
		p := filepath.Join(pdir, rec.Filename+metadataSuffix)
		if err := placeFile(st.metaTmp, p); err != nil {
			return fmt.Errorf("storing metadata: %w", err)
		}
		st.metaTmp = ""
		placed = append(placed, p)
	}
	if st.provTmp != "" {
		p := filepath.Join(pdir, rec.Filename+provenanceSuffix)
		if err := placeFile(st.provTmp, p); err != nil {
			return fmt.Errorf("storing provenance: %w", err)
		}
		st.provTmp = ""
		placed = append(placed, p)
	}
	p := filepath.Join(pdir, rec.Filename)
	if err := placeFile(tmpPath, p); err != nil {
		return fmt.Errorf("moving upload into place: %w", err)
	}
	placed = append(placed, p)
	p = filepath.Join(pdir, rec.Filename+recordSuffix)
	if err := placeFile(st.recTmp, p); err != nil {
		return fmt.Errorf("storing record: %w", err)
	}
	st.recTmp = ""
	placed = append(placed, p)
	if err := syncDir(pdir); err != nil {
		return err
	}
	s.mu.Lock()
	s.touched[rec.Normalized] = true
	s.mu.Unlock()
	// The record file is the commit point; the catalog follows it. If it
	// cannot, the next start rebuilds it from the record files.
	if err := s.cat.put(rec); err != nil {
		s.catDirty.Store(true)
		s.log.Error("cannot add a stored file to the catalog: the next start rebuilds it from the record files", "file", rec.Filename, "err", err)
	}
	return nil
}

// writeTemp writes b to a new file in tmpDir, fsynced when durable, and
// returns the file's path.
func writeTemp(tmpDir string, b []byte, durable bool) (string, error) {
	f, err := os.CreateTemp(tmpDir, "write-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, werr := f.Write(b)
	if werr == nil && durable {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(name)
		return "", werr
	}
	return name, nil
}

// projectList returns every project's summary, sorted by normalized name:
// the catalog's, with the projects loaded in memory as they are now.
func (s *store) projectList() []projectSummary {
	list, err := s.cat.projects()
	if err != nil {
		s.log.Error("cannot read the catalog's project list", "err", err)
	}
	s.mu.RLock()
	loaded := make([]*project, 0, len(s.projects))
	for _, p := range s.projects {
		loaded = append(loaded, p)
	}
	s.mu.RUnlock()
	at := make(map[string]int, len(list))
	for i, ps := range list {
		at[ps.normalized] = i
	}
	for _, p := range loaded {
		p.mu.RLock()
		ps := projectSummary{normalized: p.normalized, name: p.name, newest: p.newest, files: len(p.files)}
		p.mu.RUnlock()
		if i, ok := at[p.normalized]; ok {
			list[i] = ps
		} else {
			list = append(list, ps)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].normalized < list[j].normalized })
	return list
}

// storedSegments returns the project's page segments in format that the
// catalog kept, or none when it cannot be read (they are rendered again).
func (s *store) storedSegments(normalized string, format int) map[string]*storedSegment {
	segs, err := s.cat.storedSegments(normalized, format)
	if err != nil {
		s.log.Warn("cannot read the stored page of a project: rendering it again", "project", normalized, "err", err)
		return nil
	}
	return segs
}

// saveSegments hands a page's segments in format to the catalog to keep,
// in the background (the page is served meanwhile): those not yet saved
// are compressed (if no client asked for gzip yet) and written when the
// catalog holds exactly their records. A save overtaken by a newer one of
// the same project and format is dropped. It is best effort: a segment
// that is not saved is rendered again after a restart.
func (s *store) saveSegments(p *project, format int, segs []*segment) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if s.saveClosed {
		return
	}
	gen := p.saves[format].Add(1)
	s.saving.Add(1)
	go func() {
		defer s.saving.Done()
		if p.saves[format].Load() != gen {
			return
		}
		out := make([]*storedSegment, len(segs))
		bySeg := make(map[*storedSegment]*segment, len(segs))
		for i, sg := range segs {
			st := &storedSegment{first: sg.recs[0].Filename, last: sg.recs[len(sg.recs)-1].Filename, count: len(sg.recs), lead: sg.lead, stamp: s.stamp}
			if !sg.saved.Load() {
				st.raw, st.gz = sg.raw, sg.deflated()
				st.names = make([]string, len(sg.recs))
				for j, r := range sg.recs {
					st.names[j] = r.Filename
				}
				bySeg[st] = sg
			}
			out[i] = st
		}
		// Saves are written one at a time, so that the latest of a
		// project's format is written last.
		s.saveWriteMu.Lock()
		defer s.saveWriteMu.Unlock()
		if p.saves[format].Load() != gen {
			return
		}
		written, err := s.cat.saveSegments(p.normalized, format, out)
		if err != nil {
			s.log.Warn("cannot keep a rendered page in the catalog: it is rendered again after a restart", "project", p.normalized, "err", err)
		}
		for _, st := range written {
			bySeg[st].saved.Store(true)
		}
	}()
}

// nextSerial returns the serial of a new upload, stored in its record: the
// index's X-PyPI-Last-Serial once the upload is stored. Serials increase
// across restarts (the catalog keeps the highest, and a rebuild finds it
// in the records), so that a client never sees one go back.
func (s *store) nextSerial() int64 { return s.serial.Add(1) }

// raise sets v to n if n is greater.
func raise(v *atomic.Int64, n int64) {
	for {
		cur := v.Load()
		if n <= cur || v.CompareAndSwap(cur, n) {
			return
		}
	}
}
