package index

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment of the start-up benchmarks.
const (
	// startupDirEnv makes the test binary open the data directory, print
	// "READY <VmHWM kB>" and exit (see TestMain).
	startupDirEnv = "TRUSTPUB_INDEX_TEST_STARTUP_DIR"
	// coldEnv=1 drops the page cache before every measured start (root
	// only): the cold figure.
	coldEnv = "TRUSTPUB_BENCH_COLD"
)

// startupForBench opens dir as `trustpub serve` would, reports the
// process's peak RSS, and closes it.
func startupForBench(dir string) int {
	srv, err := New(Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("READY %d\n", procStatusKB("VmHWM"))
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// procStatusKB reads a "kB" field of /proc/self/status, or -1.
func procStatusKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// realisticWheel is the filename of the i-th file of a project, with the
// lengths of real wheels (a manylinux CPython wheel: ~70 characters).
func realisticWheel(project string, i int) (filename, version string) {
	version = fmt.Sprintf("%d.%d.%d", i/400, (i/20)%20, i%20)
	pys := []string{"cp39-cp39", "cp310-cp310", "cp311-cp311", "cp312-cp312", "cp313-cp313"}
	plats := []string{
		"manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_17_aarch64.manylinux2014_aarch64",
		"musllinux_1_2_x86_64", "macosx_11_0_arm64", "win_amd64",
	}
	k := i % 20
	return fmt.Sprintf("%s-%s-%s-%s.whl", strings.ReplaceAll(project, "-", "_"), version, pys[k%5], plats[k/5%5]), version
}

// genDataDir writes a data directory holding files distribution files in
// projects of perProject files each (the last may be smaller), laid out as
// uploads leave it: file, metadata and record; tiny contents with correct
// digests, no fsync. Directories are cached under the temp directory by
// their shape and reused.
func genDataDir(tb testing.TB, files, perProject int) string {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("trustpub-index-bench-%d-%d-v1", files, perProject))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	writeDataDir(tb, dir, files, perProject)
	// The first start reads every record (and writes the catalog); the
	// benchmarks measure the starts after it.
	srv, err := New(Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// writeDataDir writes into dir the distribution files, metadata and
// records of files files in projects of perProject files each (one
// project "big" when perProject >= files), as uploads leave them, without
// a catalog: the first start reads them.
func writeDataDir(tb testing.TB, dir string, files, perProject int) {
	tb.Helper()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < files; i++ {
		pi := i / perProject
		project := fmt.Sprintf("bench-project-%05d", pi)
		if perProject >= files {
			project = "big"
		}
		pdir := filepath.Join(dir, "projects", project)
		if i%perProject == 0 {
			if err := os.MkdirAll(pdir, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		fn, version := realisticWheel(project, i%perProject)
		data := []byte("not a real wheel: " + fn)
		meta := []byte("Metadata-Version: 2.1\nName: " + project + "\nVersion: " + version + "\n")
		msum := md5.Sum(data)
		rec := &record{
			Filename: fn, Project: project, Normalized: project, Version: version, FileType: "bdist_wheel",
			PyVersion: "cp312", Size: int64(len(data)), SHA256: sha256Hex(data), Blake2b256: blake2Hex(data),
			MD5: hex.EncodeToString(msum[:]), UploadTime: t0.Add(time.Duration(i) * time.Minute),
			RequiresPython: ">=3.9", MetadataSHA256: sha256Hex(meta), MetadataBlake2: blake2Hex(meta), Uploader: "ci",
		}
		rb, _ := json.MarshalIndent(rec, "", "  ")
		for _, w := range []struct {
			name string
			b    []byte
		}{{fn, data}, {fn + metadataSuffix, meta}, {fn + recordSuffix, rb}} {
			if err := os.WriteFile(filepath.Join(pdir, w.name), w.b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// dropCaches empties the page cache (root only) when coldEnv is set.
func dropCaches(b *testing.B) bool {
	if os.Getenv(coldEnv) != "1" {
		return false
	}
	exec.Command("sync").Run()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200); err != nil {
		b.Fatalf("%s=1 needs root to drop the page cache: %v", coldEnv, err)
	}
	return true
}

// BenchmarkStartup measures a start of the index on a data directory of
// 1,000, 10,000 and 100,000 files (100 per project), closed cleanly by the
// previous run: from exec of a fresh process to the index ready
// ("ms/ready"), and that process's peak RSS ("MiB-rss"). With
// TRUSTPUB_BENCH_COLD=1 (root) the page cache is dropped before every start.
// Targets: 100,000 files under 1 s warm, under 3 s cold, under 80 MiB, and
// growing sub-linearly. Run with -benchtime 5x -count 5 and benchstat.
func BenchmarkStartup(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			dir := genDataDir(b, n, 100)
			cold := false
			var rss int64
			for b.Loop() {
				b.StopTimer()
				cold = dropCaches(b)
				b.StartTimer()
				rss = max(rss, startOnce(b, dir))
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/ready")
			b.ReportMetric(float64(rss)/1024, "MiB-rss")
			if cold {
				b.Log("cold page cache")
			}
		})
	}
}

// startOnce runs one start in a fresh process and returns its peak RSS in
// kB.
func startOnce(b *testing.B, dir string) int64 {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), startupDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("start-up process: %v", err)
	}
	kb, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
	if !ok {
		b.Fatalf("start-up process said %q", line)
	}
	n, _ := strconv.ParseInt(kb, 10, 64)
	return n
}

// BenchmarkFirstPageAfterStart opens a data directory holding a project of
// 10,000 files with real filename lengths (closed cleanly) and measures its
// first simple page, as the first pip or uv to ask gets it: the project
// loaded from the catalog and its page read from the segments the catalog
// kept when the page was served before the start (an untimed start and
// request first, as on any index in use). Target: under 20 ms.
// "after-crash-*" is the first page after a start that rebuilt the catalog
// from the record files (catalog.clean removed), which keeps no page: the
// page rendered and compressed in full.
func BenchmarkFirstPageAfterStart(b *testing.B) {
	dir := genDataDir(b, 10000, 10000)
	for _, tc := range []struct {
		name, accept, encoding string
		crash                  bool
	}{
		{"json-gzip", MediaTypeJSON, "gzip", false},
		{"html-gzip", "text/html", "gzip", false},
		{"json", MediaTypeJSON, "", false},
		{"html", "text/html", "", false},
		{"after-crash-json-gzip", MediaTypeJSON, "gzip", true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			firstPage(b, dir, tc.accept, tc.encoding, false) // the page served once before
			for b.Loop() {
				firstPage(b, dir, tc.accept, tc.encoding, tc.crash)
			}
		})
	}
}

// firstPage starts an index on dir (after a crash: without catalog.clean),
// and serves /simple/big/ once, timing only the request.
func firstPage(b *testing.B, dir, accept, encoding string, crash bool) {
	b.StopTimer()
	if crash {
		if err := os.Remove(filepath.Join(dir, cleanFile)); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := New(Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/simple/big/", nil)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", encoding)
	w := &countingWriter{h: http.Header{}}
	b.StartTimer()
	srv.ServeHTTP(w, req)
	b.StopTimer()
	if w.code != http.StatusOK || w.n < 10000*50 && encoding == "" {
		b.Fatalf("status %d, %d bytes", w.code, w.n)
	}
	if err := srv.Close(); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
}
