package index

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// pageVariants are the forms of a project page clients ask for: pip and uv
// ask for JSON with gzip.
var pageVariants = []struct {
	name, accept, encoding string
	format                 int
}{
	{"json-gzip", MediaTypeJSON, "gzip", formatJSON},
	{"json", MediaTypeJSON, "", formatJSON},
	{"html-gzip", MediaTypeHTML, "gzip", formatHTML},
	{"html", "text/html", "", formatHTML},
}

// fetchPage gets a simple page over loopback, gzip-decoded (checking the
// stream's CRC and length) when it was asked for with gzip, and its
// X-PyPI-Last-Serial.
func fetchPage(t *testing.T, url, accept, encoding string) (body []byte, serial string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", encoding)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	if got := resp.Header.Get("Content-Encoding"); got != encoding {
		t.Fatalf("GET %s with Accept-Encoding %q: Content-Encoding %q", url, encoding, got)
	}
	if encoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatalf("the gzip page does not decompress: %v", err)
		}
	}
	return b, resp.Header.Get("X-PyPI-Last-Serial")
}

// fetchAll gets the page of project in every variant, by variant name.
func fetchAll(t *testing.T, ti *testIndex, project string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, v := range pageVariants {
		out[v.name], _ = fetchPage(t, ti.url+"/simple/"+project+"/", v.accept, v.encoding)
	}
	return out
}

// storedCount returns how many of the project's current segments in a
// format were read from the catalog, and how many there are.
func storedCount(ti *testIndex, project string, format int) (stored, all int) {
	p := ti.srv.store.project(project)
	p.segMu.Lock()
	defer p.segMu.Unlock()
	for _, sg := range p.segs[format] {
		all++
		if sg.stored {
			stored++
		}
	}
	return stored, all
}

// bigDataDir writes a data directory with project "big" of 1,000 files
// (several page segments), starts an index on it (which rebuilds the
// catalog and so has no stored page), serves every variant of the page
// (rendered afresh, and then kept by the catalog), stops it and returns
// the pages.
func bigDataDir(t *testing.T) (dir string, fresh map[string][]byte) {
	t.Helper()
	dir = t.TempDir()
	writeDataDir(t, dir, 1000, 1000)
	ti := newTestIndexAt(t, dir, nil)
	fresh = fetchAll(t, ti, "big")
	for _, v := range pageVariants {
		if stored, all := storedCount(ti, "big", v.format); stored != 0 || all < 2 {
			t.Fatalf("the first start's page: %d of %d segments from the catalog, want 0 of several", stored, all)
		}
	}
	ti.stop()
	return dir, fresh
}

// copyDataDir copies a stopped index's data directory, with the project
// directories' modification times (which the catalog checks).
func copyDataDir(t *testing.T, dir string) string {
	t.Helper()
	cp := t.TempDir()
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(cp, ".lock"))
	projects, err := os.ReadDir(filepath.Join(dir, projectsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range projects {
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(cp, projectsDir, p.Name()), info.ModTime(), info.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	return cp
}

// renderedAfresh returns the page of project in every variant as an index
// renders it from the record files alone: started on a copy of dir whose
// catalog is not trusted (as after a crash), so it keeps no page.
func renderedAfresh(t *testing.T, dir, project string) map[string][]byte {
	t.Helper()
	cp := copyDataDir(t, dir)
	os.Remove(filepath.Join(cp, cleanFile))
	ti := newTestIndexAt(t, cp, nil)
	defer ti.stop()
	return fetchAll(t, ti, project)
}

// TestStoredPageAfterRestart: a page served before a clean stop is, after
// the restart, read from the catalog (every segment) and byte-identical in
// every variant to the page rendered afresh from the records; pip resolves
// and downloads against it.
func TestStoredPageAfterRestart(t *testing.T) {
	dir := t.TempDir()
	writeDataDir(t, dir, 1000, 1000)
	ti := newTestIndexAt(t, dir, nil)
	whl := wheel(t, "big", "99.0", disttest.Options{})
	ti.mustUpload(t, whl)
	fresh := fetchAll(t, ti, "big")
	ti.stop()

	ti = newTestIndexAt(t, dir, nil)
	t.Run("pip", func(t *testing.T) {
		// pip's request is the first page after the start.
		python := "/usr/bin/python3"
		if exec.Command(python, "-m", "pip", "--version").Run() != nil {
			python = requireTool(t, "python3", "-m", "pip", "--version")
		}
		out := t.TempDir()
		log, err := run(t, out, python, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--index-url", ti.url+"/simple/", "big==99.0", "-d", out)
		if err != nil {
			t.Fatalf("pip download after a restart: %v\n%s", err, log)
		}
		if got, err := os.ReadFile(filepath.Join(out, whl.filename)); err != nil || !bytes.Equal(got, whl.data) {
			t.Fatalf("pip downloaded %s: %v (same bytes: %v)\n%s", whl.filename, err, bytes.Equal(got, whl.data), log)
		}
	})
	for _, v := range pageVariants {
		t.Run(v.name, func(t *testing.T) {
			got, _ := fetchPage(t, ti.url+"/simple/big/", v.accept, v.encoding)
			if stored, all := storedCount(ti, "big", v.format); stored != all || all < 2 {
				t.Errorf("%d of %d segments read from the catalog, want all", stored, all)
			}
			if !bytes.Equal(got, fresh[v.name]) {
				t.Errorf("the page read from the catalog (%d bytes) differs from the one rendered before the stop (%d bytes)", len(got), len(fresh[v.name]))
			}
			if !strings.Contains(string(got), whl.filename) || strings.Count(string(got), "big-")+strings.Count(string(got), "big_") < 1000 {
				t.Errorf("the page does not list every file")
			}
		})
	}
}

// TestStoredPageNeverStale changes what a stored page shows behind its
// back in every way a data directory can change between two runs, and
// checks that the page after the restart is the page of the records, not
// the stored one.
func TestStoredPageNeverStale(t *testing.T) {
	extra := wheel(t, "big", "99.0", disttest.Options{})
	template, before := bigDataDir(t)
	for _, tc := range []struct {
		name string
		// change alters the data directory; the index is running and
		// must be stopped (or crash) by change.
		change func(t *testing.T, dir string, ti *testIndex)
		// want checks the page after the restart against the pages
		// served before the change and rendered afresh after it.
		want func(t *testing.T, ti *testIndex, before, after map[string][]byte)
	}{
		{
			name: "an upload, then a crash",
			change: func(t *testing.T, dir string, ti *testIndex) {
				ti.mustUpload(t, extra)
				ti.crash()
			},
			want: wantFreshAndListed(extra.filename, 0),
		},
		{
			name: "an upload, then a clean stop before any page",
			change: func(t *testing.T, dir string, ti *testIndex) {
				ti.mustUpload(t, extra)
				ti.stop()
			},
			// One segment (or two, if the file split one) is rendered
			// again; the others are read from the catalog.
			want: wantFreshAndListed(extra.filename, 1),
		},
		{
			name: "a file removed while stopped",
			change: func(t *testing.T, dir string, ti *testIndex) {
				ti.stop()
				fn, _ := realisticWheel("big", 500)
				for _, suffix := range []string{"", metadataSuffix, recordSuffix} {
					if err := os.Remove(filepath.Join(dir, "projects", "big", fn+suffix)); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: func(t *testing.T, ti *testIndex, before, after map[string][]byte) {
				fn, _ := realisticWheel("big", 500)
				wantFreshAndListed("", 0)(t, ti, before, after)
				if bytes.Contains(after["json"], []byte(fn)) {
					t.Errorf("the removed file %s is still listed", fn)
				}
			},
		},
		{
			name: "a record changed in the catalog",
			change: func(t *testing.T, dir string, ti *testIndex) {
				ti.stop()
				fn, _ := realisticWheel("big", 500)
				editCatalog(t, dir, func(tx *bolt.Tx) error {
					b := tx.Bucket(bucketFiles).Bucket([]byte("big"))
					rec, err := decodeRecord(b.Get([]byte(fn)))
					if err != nil {
						return err
					}
					rec.SHA256 = strings.Repeat("e", 64)
					return b.Put([]byte(fn), encodeRecord(rec))
				})
			},
			want: func(t *testing.T, ti *testIndex, before, after map[string][]byte) {
				for _, v := range pageVariants {
					got, _ := fetchPage(t, ti.url+"/simple/big/", v.accept, v.encoding)
					if !bytes.Contains(got, []byte(strings.Repeat("e", 64))) {
						t.Errorf("%s: the page does not show the record as the catalog holds it now", v.name)
					}
					if stored, all := storedCount(ti, "big", v.format); stored != all-1 {
						t.Errorf("%s: %d of %d segments read from the catalog, want all but the changed one", v.name, stored, all)
					}
				}
			},
		},
		{
			name: "segments rendered by another build",
			change: func(t *testing.T, dir string, ti *testIndex) {
				ti.stop()
				editStoredSegments(t, dir, func(st *storedSegment) { st.stamp = "another build" })
			},
			want: wantRenderedAgain,
		},
		{
			name: "stored bytes damaged",
			change: func(t *testing.T, dir string, ti *testIndex) {
				ti.stop()
				editCatalog(t, dir, func(tx *bolt.Tx) error {
					for _, f := range []string{"json", "html"} {
						b := tx.Bucket(bucketPages).Bucket([]byte("big")).Bucket([]byte(f))
						var keys [][]byte
						b.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
						for _, k := range keys {
							v := bytes.Clone(b.Get(k))
							v[len(v)-1] ^= 0x55 // in the compressed bytes
							v[len(v)/2] ^= 0x55 // in the entries
							if err := b.Put(k, v); err != nil {
								return err
							}
						}
					}
					return nil
				})
			},
			want: wantRenderedAgain,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDataDir(t, template)
			ti := newTestIndexAt(t, dir, nil)
			tc.change(t, dir, ti)
			after := renderedAfresh(t, dir, "big")
			ti = newTestIndexAt(t, dir, nil)
			tc.want(t, ti, before, after)
		})
	}
}

// wantFreshAndListed checks that every variant of the page is the one
// rendered afresh from the records, lists filename (unless ""), and that
// at most rendered segments of each were not read from the catalog.
func wantFreshAndListed(filename string, rendered int) func(t *testing.T, ti *testIndex, before, after map[string][]byte) {
	return func(t *testing.T, ti *testIndex, before, after map[string][]byte) {
		t.Helper()
		for _, v := range pageVariants {
			got, _ := fetchPage(t, ti.url+"/simple/big/", v.accept, v.encoding)
			if !bytes.Equal(got, after[v.name]) {
				t.Errorf("%s: the page (%d bytes) is not the one rendered from the records (%d bytes)", v.name, len(got), len(after[v.name]))
			}
			if filename != "" && !bytes.Contains(got, []byte(filename)) {
				t.Errorf("%s: %s is not listed", v.name, filename)
			}
			if stored, all := storedCount(ti, "big", v.format); rendered > 0 && (stored < all-2*rendered || stored == all) {
				t.Errorf("%s: %d of %d segments read from the catalog, want all but %d or %d", v.name, stored, all, rendered, 2*rendered)
			}
		}
	}
}

// wantRenderedAgain checks that no segment was read from the catalog and
// that the page is the same as before.
func wantRenderedAgain(t *testing.T, ti *testIndex, before, after map[string][]byte) {
	t.Helper()
	for _, v := range pageVariants {
		got, _ := fetchPage(t, ti.url+"/simple/big/", v.accept, v.encoding)
		if !bytes.Equal(got, before[v.name]) || !bytes.Equal(got, after[v.name]) {
			t.Errorf("%s: the page differs from the one rendered from the records", v.name)
		}
		if stored, _ := storedCount(ti, "big", v.format); stored != 0 {
			t.Errorf("%s: %d segments read from the catalog, want none", v.name, stored)
		}
	}
}

// editStoredSegments rewrites every stored segment of project "big" in a
// stopped index's catalog.
func editStoredSegments(t *testing.T, dir string, fn func(*storedSegment)) {
	t.Helper()
	editCatalog(t, dir, func(tx *bolt.Tx) error {
		for _, f := range []string{"json", "html"} {
			b := tx.Bucket(bucketPages).Bucket([]byte("big")).Bucket([]byte(f))
			segs := map[string]*storedSegment{}
			b.ForEach(func(k, v []byte) error {
				st, ok := decodeStoredSegment(bytes.Clone(v))
				if !ok {
					t.Fatalf("stored segment %q does not decode", k)
				}
				segs[string(k)] = st
				return nil
			})
			if len(segs) < 2 {
				t.Fatalf("%d stored %s segments, want several", len(segs), f)
			}
			for k, st := range segs {
				fn(st)
				if err := b.Put([]byte(k), encodeStoredSegment(st)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// FuzzDecodeStoredSegment: any bytes in the catalog's pages bucket decode
// without a panic, and what decodes is what it encodes to (a damaged
// segment is rendered again).
func FuzzDecodeStoredSegment(f *testing.F) {
	st := &storedSegment{last: "b-1.0.tar.gz", count: 2, lead: true, stamp: "stamp", sum: 7, raw: []byte(`{"a":1},{"b":2}`), gz: []byte{1, 2, 3}}
	enc := encodeStoredSegment(st)
	f.Add(enc)
	f.Add(enc[:len(enc)-1])
	f.Add([]byte{storedSegmentVersion})
	f.Fuzz(func(t *testing.T, v []byte) {
		got, ok := decodeStoredSegment(bytes.Clone(v))
		if !ok {
			return
		}
		back, ok := decodeStoredSegment(encodeStoredSegment(got))
		if !ok || !reflect.DeepEqual(back, got) {
			t.Fatalf("decoded %x as %+v, which encodes to %+v", v, got, back)
		}
	})
}
