package index

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustpub/trustpub/pydist"
)

// Layout of the data directory:
//
//	DATA/.lock                            held (flock) while a Server runs
//	DATA/tmp/                             uploads in progress; emptied on start
//	DATA/projects/{normalized}/{filename}          the distribution file
//	DATA/projects/{normalized}/{filename}.metadata PEP 658 core metadata (wheels)
//	DATA/projects/{normalized}/{filename}.json     the record: the commit point
//
// A file is visible once its record exists. The record is written last
// (temp file, fsync, rename, fsync of the directory), so a crash at any point
// leaves either the complete file with its record, or no record; files
// without a record are removed when the next Server starts.
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

	fragOnce           sync.Once // guards the two cached fragments below
	htmlFrag, jsonFrag []byte    // simple API entries, see fragments
}

// project is the in-memory index of one project.
type project struct {
	normalized string

	mu      sync.RWMutex
	name    string             // display name: from the latest upload
	newest  time.Time          // upload time of the latest upload
	files   []*record          // sorted by filename
	byName  map[string]*record // filename → record
	version map[string]time.Time

	// serial is the store serial of the project's latest change, written
	// under mu; a cached page is current when its serial equals it.
	serial atomic.Int64
	page   atomic.Pointer[renderedPage] // cached simple page
}

// store is the on-disk storage with its in-memory index.
type store struct {
	dir  string
	log  *slog.Logger
	lock *os.File

	// commitMu serialises the check-and-reserve step of uploads, so that
	// two uploads of the same filename (or content, or a release's second
	// sdist) cannot both win; pending holds the reservations whose files
	// are being moved into place and synced, outside the lock, so that
	// uploads of different files commit concurrently.
	commitMu sync.Mutex
	pending  []*reservation

	mu       sync.RWMutex
	projects map[string]*project // normalized name → project
	blake2   map[string]*record  // blake2_256 → record, across all projects
	serial   atomic.Int64        // bumped on every change (X-PyPI-Last-Serial)
	index    atomic.Pointer[renderedPage]
}

// openStore opens dir, takes its lock, cleans up after a crash and loads the
// index.
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
	s := &store{dir: dir, log: log, lock: lock, projects: map[string]*project{}, blake2: map[string]*record{}}
	if err := s.cleanTmp(); err != nil {
		lock.Close()
		return nil, err
	}
	if err := s.load(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) close() error { return s.lock.Close() }

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

// load rebuilds the in-memory index from the records on disk and removes
// files that have no record (a crash between their rename and the record's).
func (s *store) load() error {
	root := filepath.Join(s.dir, projectsDir)
	dirs, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("reading %s: %w", root, err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		pdir := filepath.Join(root, d.Name())
		entries, err := os.ReadDir(pdir)
		if err != nil {
			return fmt.Errorf("reading %s: %w", pdir, err)
		}
		names := map[string]bool{}
		for _, e := range entries {
			names[e.Name()] = true
		}
		for _, e := range entries {
			n := e.Name()
			switch {
			case strings.HasSuffix(n, recordSuffix):
				rec, err := readRecord(filepath.Join(pdir, n))
				if err != nil {
					return err
				}
				if rec.Filename+recordSuffix != n || rec.Normalized != d.Name() {
					return fmt.Errorf("record %s does not match its file (filename %q, project %q): restore the file or remove the record", filepath.Join(pdir, n), rec.Filename, rec.Normalized)
				}
				if !names[rec.Filename] {
					// A crash before the commit's directory sync: the
					// upload was never answered, so it is not stored.
					s.removeOrphan(filepath.Join(pdir, n))
					s.removeOrphan(filepath.Join(pdir, rec.Filename+metadataSuffix))
					s.removeOrphan(filepath.Join(pdir, rec.Filename+provenanceSuffix))
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
				s.insert(rec, false)
			case strings.HasSuffix(n, metadataSuffix), strings.HasSuffix(n, provenanceSuffix):
				base := strings.TrimSuffix(strings.TrimSuffix(n, metadataSuffix), provenanceSuffix)
				if !names[base+recordSuffix] {
					s.removeOrphan(filepath.Join(pdir, n))
				}
			default:
				if !names[n+recordSuffix] {
					s.removeOrphan(filepath.Join(pdir, n))
				}
			}
		}
	}
	for _, p := range s.projects {
		sort.Slice(p.files, func(i, j int) bool { return p.files[i].Filename < p.files[j].Filename })
	}
	return nil
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
func (s *store) add(rec *record) { s.insert(rec, true) }

// insert adds rec to the index; with sorted false it only appends (load
// sorts once at the end).
func (s *store) insert(rec *record, sorted bool) {
	s.mu.Lock()
	p := s.projects[rec.Normalized]
	if p == nil {
		p = &project{normalized: rec.Normalized, byName: map[string]*record{}, version: map[string]time.Time{}}
		s.projects[rec.Normalized] = p
	}
	s.blake2[rec.Blake2b256] = rec
	s.mu.Unlock()

	p.mu.Lock()
	if sorted {
		i := sort.Search(len(p.files), func(i int) bool { return p.files[i].Filename >= rec.Filename })
		p.files = append(p.files, nil)
		copy(p.files[i+1:], p.files[i:])
		p.files[i] = rec
	} else {
		p.files = append(p.files, rec)
	}
	p.byName[rec.Filename] = rec
	if t, ok := p.version[rec.Version]; !ok || rec.UploadTime.Before(t) {
		p.version[rec.Version] = rec.UploadTime
	}
	if p.name == "" || !rec.UploadTime.Before(p.newest) {
		p.name = rec.Project
		p.newest = rec.UploadTime
	}
	p.serial.Store(s.serial.Add(1))
	p.mu.Unlock()
}

// project returns the project with the normalized name, or nil.
func (s *store) project(normalized string) *project {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.projects[normalized]
}

// lookup returns the stored record of filename in project normalized.
func (s *store) lookup(normalized, filename string) *record {
	p := s.project(normalized)
	if p == nil {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.byName[filename]
}

// existing returns a stored file with the same filename or the same
// blake2_256 digest (PyPI's duplicate rule), or nil.
func (s *store) existing(normalized, filename, blake2 string) *record {
	if r := s.lookup(normalized, filename); r != nil {
		return r
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.blake2[blake2]
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
	return syncDir(pdir)
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

// projectList returns the projects sorted by normalized name.
func (s *store) projectList() []*project {
	s.mu.RLock()
	ps := make([]*project, 0, len(s.projects))
	for _, p := range s.projects {
		ps = append(ps, p)
	}
	s.mu.RUnlock()
	sort.Slice(ps, func(i, j int) bool { return ps[i].normalized < ps[j].normalized })
	return ps
}
