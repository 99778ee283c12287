package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
)

func TestRestartServesStoredFiles(t *testing.T) {
	dir := t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	w := wheel(t, "Persist", "1.0", disttest.Options{})
	s := sdist(t, "Persist", "1.0", disttest.Options{})
	ti.mustUpload(t, w)
	ti.mustUpload(t, s)
	_, before := get(t, ti.url+"/simple/persist/", MediaTypeJSON)

	// A second server on the same data directory is refused.
	var locked *LockedError
	if _, err := New(Options{DataDir: dir}); !errors.As(err, &locked) || !strings.Contains(err.Error(), "another trustpub server is using it") {
		t.Fatalf("second server on the same dir: %v", err)
	}
	ti.crash()

	// Leftovers of a crash: an upload in progress, and a file moved into
	// place whose record was never written.
	os.WriteFile(filepath.Join(dir, "tmp", "upload-123"), []byte("partial"), 0o644)
	orphan := filepath.Join(dir, "projects", "persist", "persist-2.0-py3-none-any.whl")
	os.WriteFile(orphan, []byte("complete but uncommitted"), 0o644)
	os.WriteFile(orphan+".metadata", []byte("Metadata-Version: 2.1\n"), 0o644)

	ti2 := newTestIndexAt(t, dir, nil)
	_, after := get(t, ti2.url+"/simple/persist/", MediaTypeJSON)
	// The serial differs between processes; compare the files.
	if strip := func(b []byte) string { return string(b[strings.Index(string(b), `"name"`):]) }; strip(before) != strip(after) {
		t.Errorf("page changed across restart:\n%s\n%s", before, after)
	}
	for _, f := range []dfile{w, s} {
		resp, body := get(t, ti2.url+"/files/persist/"+f.filename, "")
		if resp.StatusCode != 200 || string(body) != string(f.data) {
			t.Errorf("%s after restart: %d", f.filename, resp.StatusCode)
		}
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp not cleaned: %v", tmp)
	}
	for _, p := range []string{orphan, orphan + ".metadata"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("orphan %s not removed: %v", p, err)
		}
	}
	if resp, _ := get(t, ti2.url+"/files/persist/persist-2.0-py3-none-any.whl", ""); resp.StatusCode != 404 {
		t.Errorf("uncommitted file served: %d", resp.StatusCode)
	}
	// Re-uploading the same files after the restart is an identical upload.
	ti2.mustUpload(t, w)
}

// TestConcurrentUploads runs 32 uploaders at once: each project gets
// distinct files from several uploaders and identical files from several
// others, racing on the same filename. Every file must be stored exactly
// once with the right hash, every identical racer answered 200, every
// conflicting racer "File already exists", and nothing lost.
func TestConcurrentUploads(t *testing.T) {
	ti := newTestIndex(t, nil)
	const (
		uploaders = 32
		projects  = 4
		versions  = 6
	)
	type job struct{ f dfile }
	// For every (project, version): the same wheel sent by 3 uploaders,
	// plus a different wheel under the same filename sent by 1. Exactly one
	// content wins; the other content must be refused.
	var jobs []job
	winners := map[string][]dfile{}
	for p := range projects {
		for v := range versions {
			name := fmt.Sprintf("load%d", p)
			version := fmt.Sprintf("1.%d", v)
			a := wheel(t, name, version, disttest.Options{PayloadSize: 64 << 10, Seed: uint64(p*100 + v)})
			b := wheel(t, name, version, disttest.Options{PayloadSize: 64 << 10, Seed: uint64(p*100 + v + 50)})
			winners[a.filename] = []dfile{a, b}
			jobs = append(jobs, job{a}, job{a}, job{a}, job{b})
		}
	}
	type result struct {
		f    dfile
		code int
		body string
	}
	results := make(chan result, len(jobs))
	work := make(chan job)
	var wg sync.WaitGroup
	start := time.Now()
	for range uploaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				code, body, _, err := j.f.req().trySend(ti.url + "/legacy/")
				if err != nil {
					body = err.Error()
				}
				results <- result{j.f, code, body}
			}
		}()
	}
	// Readers fetch the pages while uploads land, so that pages are
	// rendered and cached concurrently with commits.
	stopReaders := make(chan struct{})
	var readers sync.WaitGroup
	for i := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stopReaders:
					return
				default:
				}
				resp, err := noRedirect.Get(fmt.Sprintf("%s/simple/load%d/", ti.url, i))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(stopReaders)
	readers.Wait()
	close(results)
	t.Logf("%d uploads by %d uploaders in %v", len(jobs), uploaders, time.Since(start))

	ok := map[string]map[string]int{} // filename → sha256 → 200 count
	for r := range results {
		switch {
		case r.code == 200:
			if ok[r.f.filename] == nil {
				ok[r.f.filename] = map[string]int{}
			}
			ok[r.f.filename][sha256Hex(r.f.data)]++
		case r.code == 400 && strings.HasPrefix(r.body, "File already exists ('"+r.f.filename+"'"):
		default:
			t.Errorf("%s: unexpected answer %d %q", r.f.filename, r.code, r.body)
		}
	}
	for fn, pair := range winners {
		counts := ok[fn]
		if len(counts) != 1 {
			t.Errorf("%s: %d different contents accepted, want exactly 1", fn, len(counts))
			continue
		}
		var won dfile
		for _, d := range pair {
			if counts[sha256Hex(d.data)] > 0 {
				won = d
			}
		}
		// Whichever content won, all its senders were answered 200.
		wantCount := 1
		if sha256Hex(won.data) == sha256Hex(pair[0].data) {
			wantCount = 3
		}
		if counts[sha256Hex(won.data)] != wantCount {
			t.Errorf("%s: %d uploads of the winning content answered 200, want %d", fn, counts[sha256Hex(won.data)], wantCount)
		}
		rec := ti.srv.store.lookup(won.name, fn)
		if rec == nil || rec.SHA256 != sha256Hex(won.data) {
			t.Errorf("%s: record %+v does not hold the winner", fn, rec)
			continue
		}
		disk, err := os.ReadFile(filepath.Join(ti.dir, "projects", won.name, fn))
		if err != nil || sha256Hex(disk) != rec.SHA256 {
			t.Errorf("%s: stored bytes hash %s, record %s (%v)", fn, sha256Hex(disk), rec.SHA256, err)
		}
	}
	// The pages read during the load do not hide any file afterwards.
	for p := range projects {
		_, body := get(t, fmt.Sprintf("%s/simple/load%d/", ti.url, p), MediaTypeJSON)
		var pj projectJSON
		if err := json.Unmarshal(body, &pj); err != nil || len(pj.Files) != versions {
			t.Errorf("load%d page lists %d files after the load, want %d (%v)", p, len(pj.Files), versions, err)
		}
	}
	// Exactly one file per filename on disk, nothing else left over.
	total := 0
	for p := range projects {
		entries, _ := os.ReadDir(filepath.Join(ti.dir, "projects", fmt.Sprintf("load%d", p)))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".whl") {
				total++
			}
		}
	}
	if total != projects*versions {
		t.Errorf("%d wheels on disk, want %d", total, projects*versions)
	}
	if tmp, _ := os.ReadDir(filepath.Join(ti.dir, "tmp")); len(tmp) != 0 {
		t.Errorf("temp files left: %d", len(tmp))
	}
}

// TestInterruptedCommitRecovery covers what a crash between the renames of
// a commit and its directory sync can leave: a record whose file never
// became durable (the upload was not answered: removed, uploadable again),
// and a short metadata file (rewritten from the wheel).
func TestInterruptedCommitRecovery(t *testing.T) {
	dir := t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	kept := wheel(t, "crash", "1.0", disttest.Options{})
	lost := wheel(t, "crash", "1.1", disttest.Options{})
	ti.mustUpload(t, kept)
	ti.mustUpload(t, lost)
	ti.crash()

	pdir := filepath.Join(dir, "projects", "crash")
	os.Remove(filepath.Join(pdir, lost.filename))                            // the file's rename was lost
	os.WriteFile(filepath.Join(pdir, kept.filename+".metadata"), nil, 0o644) // the metadata's data was lost

	ti2 := newTestIndexAt(t, dir, nil)
	if _, err := os.Stat(filepath.Join(pdir, lost.filename+".json")); !os.IsNotExist(err) {
		t.Errorf("record of the lost file kept: %v", err)
	}
	if rec := ti2.srv.store.lookup("crash", lost.filename); rec != nil {
		t.Errorf("the lost file is in the index: %+v", rec)
	}
	if resp, _ := get(t, ti2.url+"/files/crash/"+lost.filename, ""); resp.StatusCode != 404 {
		t.Errorf("lost file served: %d", resp.StatusCode)
	}
	resp, meta := get(t, ti2.url+"/files/crash/"+kept.filename+".metadata", "")
	want := disttest.Metadata("crash", "1.0", disttest.Options{})
	if resp.StatusCode != 200 || string(meta) != string(want) {
		t.Errorf("metadata after repair: %d %q", resp.StatusCode, meta)
	}
	ti2.mustUpload(t, lost) // the client's retry stores it
	if resp, body := get(t, ti2.url+"/files/crash/"+lost.filename, ""); resp.StatusCode != 200 || string(body) != string(lost.data) {
		t.Errorf("re-uploaded file: %d", resp.StatusCode)
	}
}

// TestUnrepairableMetadataStillStarts: when a wheel's metadata file cannot
// be rebuilt to match its record, the index starts and serves the wheel
// without a metadata file instead of refusing to start.
func TestUnrepairableMetadataStillStarts(t *testing.T) {
	dir := t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	w := wheel(t, "odd", "1.0", disttest.Options{})
	ti.mustUpload(t, w)
	ti.crash()

	pdir := filepath.Join(dir, "projects", "odd")
	recPath := filepath.Join(pdir, w.filename+".json")
	b, _ := os.ReadFile(recPath)
	var rec map[string]any
	json.Unmarshal(b, &rec)
	for k, v := range rec {
		if s, ok := v.(string); ok && len(s) == 64 && strings.Contains(strings.ToLower(k), "metadata") && strings.Contains(strings.ToLower(k), "sha") {
			rec[k] = strings.Repeat("0", 64)
		}
	}
	b, _ = json.Marshal(rec)
	os.WriteFile(recPath, b, 0o644)
	os.WriteFile(filepath.Join(pdir, w.filename+".metadata"), nil, 0o644)

	ti2 := newTestIndexAt(t, dir, nil)
	if resp, body := get(t, ti2.url+"/files/odd/"+w.filename, ""); resp.StatusCode != 200 || string(body) != string(w.data) {
		t.Fatalf("wheel: %d", resp.StatusCode)
	}
	if resp, _ := get(t, ti2.url+"/files/odd/"+w.filename+".metadata", ""); resp.StatusCode != 404 {
		t.Fatalf("metadata served: %d", resp.StatusCode)
	}
}

// TestCommitWithANameInTheWay: when a commit finds one of its names taken
// as it moves its files into place, the upload is refused, the names it had
// already placed are removed again (so the file the client was told is not
// stored is neither served nor back at the next start), and what held the
// name is left untouched, where a rename would have replaced it (on a
// case-insensitive file system, a stored file whose name differs only in
// case). Once the name is free, the retry stores the file.
func TestCommitWithANameInTheWay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		taken  func(w dfile) string // the name in the way, in the project directory
		block  func(path string) error
		intact func(path string) error // checks what held the name
		placed []string                // names the commit had placed, to be removed
		logged string
	}{
		{
			name:  "record name is a directory",
			taken: func(w dfile) string { return w.filename + ".json" },
			block: func(p string) error { return os.MkdirAll(filepath.Join(p, "x"), 0o755) },
			intact: func(p string) error {
				_, err := os.Stat(filepath.Join(p, "x"))
				return err
			},
			placed: []string{"", ".metadata"},
			logged: "commit failed: removed the names it had moved into place",
		},
		{
			name:  "file name held by another file",
			taken: func(w dfile) string { return w.filename },
			block: func(p string) error { return os.WriteFile(p, []byte("another stored file"), 0o644) },
			intact: func(p string) error {
				if b, err := os.ReadFile(p); err != nil || string(b) != "another stored file" {
					return fmt.Errorf("replaced or removed: %q, %v", b, err)
				}
				return nil
			},
			placed: []string{".metadata"},
			logged: "is already taken in",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ti := newTestIndexAt(t, dir, nil)
			ti.mustUpload(t, wheel(t, "inway", "1.0", disttest.Options{}))
			w := wheel(t, "inway", "1.1", disttest.Options{})
			pdir := filepath.Join(dir, "projects", "inway")
			taken := filepath.Join(pdir, tc.taken(w))
			if err := tc.block(taken); err != nil {
				t.Fatal(err)
			}
			if code, body, _ := w.req().send(t, ti.url+"/legacy/"); code != 500 || !strings.Contains(body, "could not be stored") {
				t.Fatalf("upload with a name taken: %d %s", code, body)
			}
			if err := tc.intact(taken); err != nil {
				t.Errorf("what held the name: %v", err)
			}
			for _, suffix := range tc.placed {
				if _, err := os.Stat(filepath.Join(pdir, w.filename+suffix)); !os.IsNotExist(err) {
					t.Errorf("%s%s left in place after the failed commit: %v", w.filename, suffix, err)
				}
			}
			if !strings.Contains(ti.logs.String(), tc.logged) {
				t.Errorf("the log lacks %q:\n%s", tc.logged, ti.logs.String())
			}
			if resp, _ := get(t, ti.url+"/files/inway/"+w.filename, ""); resp.StatusCode != 404 {
				t.Errorf("the refused file is served: %d", resp.StatusCode)
			}
			os.RemoveAll(taken)
			ti.mustUpload(t, w)
			if resp, body := get(t, ti.url+"/files/inway/"+w.filename, ""); resp.StatusCode != 200 || string(body) != string(w.data) {
				t.Errorf("the retried file: %d", resp.StatusCode)
			}
		})
	}
}
