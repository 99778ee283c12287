package index

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// TestDamagedDataDirectoryStarts damages a data directory in every way a
// record can stop matching what is on disk, then starts the index: it must
// start, serve every other file, leave the damaged file out (reported in
// the log, nothing of it removed) and accept uploads. Each case runs after
// a crash (the catalog is rebuilt from the record files) and, where the
// damage changes the project directory, after a clean stop (the project is
// read again when first asked for).
func TestDamagedDataDirectoryStarts(t *testing.T) {
	type env struct {
		dir, pdir string
		victim    dfile // the file the damage is done to
	}
	writeRecord := func(t *testing.T, path string, edit func(map[string]any)) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ = json.Marshal(m)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, e env)
		// kept lists paths (relative to the project directory, with
		// %s for the victim's filename) that must still exist.
		kept []string
		// cleanToo: the damage renames or removes names in the project
		// directory, so a clean stop must notice it as well.
		cleanToo bool
	}{
		{
			name: "record is not JSON",
			damage: func(t *testing.T, e env) {
				os.WriteFile(filepath.Join(e.pdir, e.victim.filename+".json"), []byte("{not json"), 0o644)
			},
			kept: []string{"%s", "%s.json"},
		},
		{
			name: "record truncated",
			damage: func(t *testing.T, e env) {
				p := filepath.Join(e.pdir, e.victim.filename+".json")
				b, _ := os.ReadFile(p)
				os.WriteFile(p, b[:len(b)/2], 0o644)
			},
			kept: []string{"%s", "%s.json"},
		},
		{
			name: "record is empty",
			damage: func(t *testing.T, e env) {
				os.WriteFile(filepath.Join(e.pdir, e.victim.filename+".json"), nil, 0o644)
			},
			kept: []string{"%s", "%s.json"},
		},
		{
			name: "distribution file truncated",
			damage: func(t *testing.T, e env) {
				os.Truncate(filepath.Join(e.pdir, e.victim.filename), int64(len(e.victim.data)/2))
			},
			kept: []string{"%s", "%s.json"},
		},
		{
			name: "distribution file replaced by a directory",
			damage: func(t *testing.T, e env) {
				p := filepath.Join(e.pdir, e.victim.filename)
				os.Remove(p)
				os.Mkdir(p, 0o755)
			},
			kept:     []string{"%s", "%s.json"},
			cleanToo: true,
		},
		{
			name: "record names another file",
			damage: func(t *testing.T, e env) {
				writeRecord(t, filepath.Join(e.pdir, e.victim.filename+".json"), func(m map[string]any) { m["filename"] = "dmg-9.9-py3-none-any.whl" })
			},
			kept: []string{"%s", "%s.json"},
		},
		{
			name: "record belongs to another project",
			damage: func(t *testing.T, e env) {
				writeRecord(t, filepath.Join(e.pdir, e.victim.filename+".json"), func(m map[string]any) { m["normalized"] = "other" })
			},
			kept: []string{"%s", "%s.json"},
		},
		{
			name: "record with a NUL in its filename",
			damage: func(t *testing.T, e env) {
				writeRecord(t, filepath.Join(e.pdir, e.victim.filename+".json"), func(m map[string]any) {
					m["filename"] = strings.Replace(e.victim.filename, "-py3", "\x00-py3", 1)
				})
			},
			kept: []string{"%s", "%s.json"},
		},
		{
			name: "non-UTF-8 filename on disk, with its record",
			damage: func(t *testing.T, e env) {
				// What an upload of a Latin-1 filename would have left:
				// the file and record under the raw bytes, the record's
				// JSON holding them too (decoded as U+FFFD).
				bad := strings.Replace(e.victim.filename, "dmg", "dmg\xe9", 1)
				for _, suffix := range []string{"", ".json", ".metadata"} {
					os.Rename(filepath.Join(e.pdir, e.victim.filename+suffix), filepath.Join(e.pdir, bad+suffix))
				}
				p := filepath.Join(e.pdir, bad+".json")
				b, _ := os.ReadFile(p)
				os.WriteFile(p, []byte(strings.Replace(string(b), `"`+e.victim.filename+`"`, `"`+bad+`"`, 1)), 0o644)
			},
			kept:     []string{"%s.json"}, // the victim's name is now the raw one
			cleanToo: true,
		},
		{
			name: "non-UTF-8 project directory",
			damage: func(t *testing.T, e env) {
				os.Rename(e.pdir, filepath.Join(e.dir, "projects", "dmg\xff"))
			},
			cleanToo: true,
		},
		{
			name: "project directory under a name that is not normalized",
			damage: func(t *testing.T, e env) {
				os.Rename(e.pdir, filepath.Join(e.dir, "projects", "Dmg"))
			},
			cleanToo: true,
		},
	} {
		for _, crashed := range []bool{true, false} {
			if !crashed && !tc.cleanToo {
				continue
			}
			name := tc.name + "/after a crash"
			if !crashed {
				name = tc.name + "/after a clean stop"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				ti := newTestIndexAt(t, dir, nil)
				good := wheel(t, "dmg", "1.0", disttest.Options{})
				victim := wheel(t, "dmg", "1.1", disttest.Options{})
				other := wheel(t, "other", "1.0", disttest.Options{})
				for _, f := range []dfile{good, victim, other} {
					ti.mustUpload(t, f)
				}
				if crashed {
					ti.crash()
				} else {
					ti.stop()
				}
				pdir := filepath.Join(dir, "projects", "dmg")
				tc.damage(t, env{dir: dir, pdir: pdir, victim: victim})

				ti2 := newTestIndexAt(t, dir, nil) // fails the test if New fails
				if resp, body := get(t, ti2.url+"/files/other/"+other.filename, ""); resp.StatusCode != 200 || string(body) != string(other.data) {
					t.Errorf("a file of another project: %d", resp.StatusCode)
				}
				damagedProject := strings.Contains(tc.name, "project directory")
				resp, body := get(t, ti2.url+"/files/dmg/"+good.filename, "")
				if damagedProject {
					if resp.StatusCode != 404 {
						t.Errorf("a file of the damaged project directory: %d", resp.StatusCode)
					}
				} else if resp.StatusCode != 200 || string(body) != string(good.data) {
					t.Errorf("the undamaged file beside the victim: %d", resp.StatusCode)
				}
				if resp, _ := get(t, ti2.url+"/files/dmg/"+victim.filename, ""); resp.StatusCode != 404 {
					t.Errorf("the damaged file is served: %d", resp.StatusCode)
				}
				if _, page := get(t, ti2.url+"/simple/dmg/", MediaTypeJSON); strings.Contains(string(page), victim.filename) {
					t.Errorf("the damaged file is listed:\n%s", page)
				}
				if !strings.Contains(ti2.logs.String(), "not serving a stored file") {
					t.Errorf("the damage is not reported:\n%s", ti2.logs.String())
				}
				for _, k := range tc.kept {
					p := filepath.Join(pdir, strings.ReplaceAll(k, "%s", victim.filename))
					if strings.Contains(tc.name, "non-UTF-8 filename") {
						p = filepath.Join(pdir, strings.ReplaceAll(k, "%s", strings.Replace(victim.filename, "dmg", "dmg\xe9", 1)))
					}
					if _, err := os.Lstat(p); err != nil {
						t.Errorf("start-up removed %s of the damaged file: %v", p, err)
					}
				}
				// The index still takes uploads, and a second start (clean)
				// serves the same.
				ti2.mustUpload(t, wheel(t, "other", "2.0", disttest.Options{}))
				ti2.stop()
				ti3 := newTestIndexAt(t, dir, nil)
				if resp, _ := get(t, ti3.url+"/files/other/"+other.filename, ""); resp.StatusCode != 200 {
					t.Errorf("after a second start: %d", resp.StatusCode)
				}
				if resp, _ := get(t, ti3.url+"/files/dmg/"+victim.filename, ""); resp.StatusCode != 404 {
					t.Errorf("the damaged file is served after a second start: %d", resp.StatusCode)
				}
			})
		}
	}
}

// TestDamagedCatalog: a catalog that cannot be trusted (garbage, truncated,
// another data directory's, or one damaged record) costs a rebuild or one
// file, never the start.
func TestDamagedCatalog(t *testing.T) {
	for _, tc := range []struct {
		name        string
		damage      func(t *testing.T, dir string, victim dfile)
		victimGone  bool // the damaged record is left out
		wantRebuild bool
	}{
		{
			name: "garbage",
			damage: func(t *testing.T, dir string, _ dfile) {
				os.WriteFile(filepath.Join(dir, catalogFile), []byte(strings.Repeat("garbage!", 4096)), 0o644)
			},
			wantRebuild: true,
		},
		{
			name: "truncated",
			damage: func(t *testing.T, dir string, _ dfile) {
				os.Truncate(filepath.Join(dir, catalogFile), 4096)
			},
			wantRebuild: true,
		},
		{
			name: "removed",
			damage: func(t *testing.T, dir string, _ dfile) {
				os.Remove(filepath.Join(dir, catalogFile))
			},
			wantRebuild: true,
		},
		{
			name: "marker of another catalog",
			damage: func(t *testing.T, dir string, _ dfile) {
				os.WriteFile(filepath.Join(dir, cleanFile), []byte("0123456789abcdef\n"), 0o644)
			},
			wantRebuild: true,
		},
		{
			name: "one record undecodable",
			damage: func(t *testing.T, dir string, victim dfile) {
				editCatalog(t, dir, func(tx *bolt.Tx) error {
					return tx.Bucket(bucketFiles).Bucket([]byte("cat")).Put([]byte(victim.filename), []byte{recordVersion, 0xff, 0xff})
				})
			},
			victimGone: true,
		},
		{
			name: "one record under another name",
			damage: func(t *testing.T, dir string, victim dfile) {
				editCatalog(t, dir, func(tx *bolt.Tx) error {
					b := tx.Bucket(bucketFiles).Bucket([]byte("cat"))
					rec, err := decodeRecord(b.Get([]byte(victim.filename)))
					if err != nil {
						return err
					}
					rec.Filename = "../../../etc/passwd"
					return b.Put([]byte(victim.filename), encodeRecord(rec))
				})
			},
			victimGone: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, good, victim := storedPair(t, "cat")
			tc.damage(t, dir, victim)

			ti2 := newTestIndexAt(t, dir, nil)
			if got := strings.Contains(ti2.logs.String(), "rebuilt the catalog"); got != tc.wantRebuild {
				t.Errorf("catalog rebuilt: %v, want %v", got, tc.wantRebuild)
			}
			if resp, body := get(t, ti2.url+"/files/cat/"+good.filename, ""); resp.StatusCode != 200 || string(body) != string(good.data) {
				t.Errorf("undamaged file: %d", resp.StatusCode)
			}
			want := 200
			if tc.victimGone {
				want = 404
				if !strings.Contains(ti2.logs.String(), "not serving a stored file") {
					t.Errorf("the damaged record is not reported:\n%s", ti2.logs.String())
				}
			}
			if resp, _ := get(t, ti2.url+"/files/cat/"+victim.filename, ""); resp.StatusCode != want {
				t.Errorf("the file whose catalog entry was damaged: %d, want %d", resp.StatusCode, want)
			}
		})
	}
}

// storedPair stores two wheels of project in a new data directory and
// stops the index cleanly.
func storedPair(t *testing.T, project string) (dir string, first, second dfile) {
	t.Helper()
	dir = t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	first = wheel(t, project, "1.0", disttest.Options{})
	second = wheel(t, project, "1.1", disttest.Options{})
	ti.mustUpload(t, first)
	ti.mustUpload(t, second)
	ti.stop()
	return dir, first, second
}

// editCatalog changes a stopped index's catalog, keeping it marked current.
func editCatalog(t *testing.T, dir string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, catalogFile), 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// TestCleanRestartReadsTheCatalog: after a clean stop, start-up trusts the
// catalog and reads no record file (one damaged in place goes unnoticed,
// where a rebuild would have refused it), and the catalog knows every
// project, file and digest across the restart.
func TestCleanRestartReadsTheCatalog(t *testing.T) {
	dir := t.TempDir()
	ti := newTestIndexAt(t, dir, nil)
	a := wheel(t, "Cat_A", "1.0", disttest.Options{})
	b := sdist(t, "cat-b", "2.0", disttest.Options{})
	for _, f := range []dfile{a, b} {
		ti.mustUpload(t, f)
	}
	ti.stop()
	if _, err := os.Stat(filepath.Join(dir, cleanFile)); err != nil {
		t.Fatalf("a clean stop left no %s: %v", cleanFile, err)
	}
	os.WriteFile(filepath.Join(dir, "projects", "cat-a", a.filename+".json"), []byte("{not json"), 0o644)

	ti2 := newTestIndexAt(t, dir, nil)
	if strings.Contains(ti2.logs.String(), "rebuilt the catalog") {
		t.Errorf("a clean restart rebuilt the catalog:\n%s", ti2.logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, cleanFile)); !os.IsNotExist(err) {
		t.Errorf("%s is still there while the index runs: %v", cleanFile, err)
	}
	if resp, body := get(t, ti2.url+"/files/cat-a/"+a.filename, ""); resp.StatusCode != 200 || string(body) != string(a.data) {
		t.Errorf("file after a clean restart: %d", resp.StatusCode)
	}
	_, idx := get(t, ti2.url+"/simple/", MediaTypeJSON)
	if !strings.Contains(string(idx), `"Cat_A"`) || !strings.Contains(string(idx), `"cat-b"`) {
		t.Errorf("project list after a clean restart: %s", idx)
	}
	// The same content under another name, in another project: refused,
	// though neither project was loaded yet.
	ti2.stop()
	ti3 := newTestIndexAt(t, dir, nil)
	dup := b
	dup.filename = strings.Replace(b.filename, "cat_b", "cat_c", 1)
	dup.name = "cat-c"
	code, body, _ := dup.req().set("name", "cat-c").send(t, ti3.url+"/legacy/")
	if code != 400 || !strings.Contains(body, "File already exists") {
		t.Errorf("the same content under another project after a restart: %d %s", code, body)
	}
}

// TestCatalogEncodesEveryRecordField fails when a field is added to record
// without being added to the catalog's encoding.
func TestCatalogEncodesEveryRecordField(t *testing.T) {
	var want []string
	rt := reflect.TypeOf(record{})
	for i := range rt.NumField() {
		if tag := rt.Field(i).Tag.Get("json"); tag != "" && tag != "-" {
			want = append(want, strings.Split(tag, ",")[0])
		}
	}
	var got []string
	for _, f := range recordFields {
		got = append(got, f.name)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the catalog encodes %v, record has %v: add the new field to recordFields", got, want)
	}
	rec := &record{
		Filename: "a-1.0-py3-none-any.whl", Project: "A", Normalized: "a", Version: "1.0", FileType: "bdist_wheel",
		PyVersion: "py3", Size: 1 << 40, SHA256: strings.Repeat("1", 64), Blake2b256: strings.Repeat("2", 64),
		MD5: strings.Repeat("3", 32), UploadTime: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), RequiresPython: ">=3.9",
		MetadataSHA256: strings.Repeat("4", 64), MetadataBlake2: strings.Repeat("5", 64), Comment: "ü", Uploader: "ci",
		ProvenanceSHA256: strings.Repeat("6", 64),
	}
	back, err := decodeRecord(encodeRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(rec)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Errorf("round trip:\n%s\n%s", a, b)
	}
	enc := encodeRecord(rec)
	for n := range len(enc) {
		if _, err := decodeRecord(enc[:n]); err == nil {
			t.Errorf("a record cut to %d of %d bytes decoded", n, len(enc))
		}
	}
}

// TestCatalogReadsVersion1Records: a catalog written before
// provenance_sha256 existed (recordVersion 1) is read as written, the new
// field empty, so an upgraded index trusts it instead of skipping every
// file.
func TestCatalogReadsVersion1Records(t *testing.T) {
	rec := &record{
		Filename: "a-1.0-py3-none-any.whl", Project: "A", Normalized: "a", Version: "1.0", FileType: "bdist_wheel",
		PyVersion: "py3", Size: 10, SHA256: strings.Repeat("1", 64), Blake2b256: strings.Repeat("2", 64),
		MD5: strings.Repeat("3", 32), UploadTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Uploader: "ci",
	}
	// Version 1's encoding: version byte 1, the fields before
	// provenance_sha256 (the empty field is its one length byte, last).
	enc := encodeRecord(rec)
	old := append([]byte{1}, enc[1:len(enc)-1]...)
	back, err := decodeRecord(old)
	if err != nil {
		t.Fatalf("version 1 record: %v", err)
	}
	a, _ := json.Marshal(rec)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Errorf("version 1 record read as\n%s\nwant\n%s", b, a)
	}
	if _, err := decodeRecord(append([]byte{recordVersion}, old[1:]...)); err == nil {
		t.Error("a version 2 record without provenance_sha256 decoded")
	}
	if _, err := decodeRecord(append([]byte{recordVersion + 1}, enc[1:]...)); err == nil {
		t.Error("a record of an unknown version decoded")
	}
}
