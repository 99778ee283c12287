package upload

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
)

// benchFileSize is the payload of the benchmark wheels; override with
// TRUSTPUB_BENCH_MIB (e.g. 1024 for the 1 GiB run).
func benchFileSize(b *testing.B, def int64) int64 {
	if v := os.Getenv("TRUSTPUB_BENCH_MIB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("TRUSTPUB_BENCH_MIB=%q: want a positive number of MiB", v)
		}
		return n << 20
	}
	return def
}

// discardServer accepts any POST, reading and discarding the body, as fast
// as loopback allows.
func discardServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchUpload builds a wheel of about def bytes (benchFileSize) and returns
// a Client for a loopback index that discards what it receives, with the
// benchmark's bytes set to the file's size.
func benchUpload(b *testing.B, name string, def int64) (*Client, *pydist.File) {
	path := disttest.BuildWheel(b, b.TempDir(), name, "1.0", disttest.Options{PayloadSize: benchFileSize(b, def)})
	f := openDist(b, path)
	b.SetBytes(f.Size)
	return &Client{URL: discardServer(b).URL + "/legacy/"}, f
}

// BenchmarkUploadStream measures streaming upload throughput (multipart
// framing, sha256 and blake2b-256 in the same pass, loopback HTTP) of a
// 64 MiB wheel; compare with BenchmarkHashOnly (the target is >= 70 %).
func BenchmarkUploadStream(b *testing.B) {
	c, f := benchUpload(b, "bench", 64<<20)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Upload(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashOnly is the baseline: sha256 and blake2b-256 of the same
// file, read once, no network.
func BenchmarkHashOnly(b *testing.B) {
	path := benchWheelFile(b)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := fileDigests(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUploadMemory uploads a large wheel (256 MiB by default) and
// reports the peak Go heap during the upload, which must stay flat (a few
// MiB) whatever the file size, and the process's peak RSS.
func BenchmarkUploadMemory(b *testing.B) {
	c, f := benchUpload(b, "bigbench", 256<<20)
	ctx := context.Background()
	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if h := heapBytes(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Upload(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	growth := float64(0)
	if p := peak.Load(); p > base {
		growth = float64(p - base)
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(growth/(1<<20), "heap-growth-MiB")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	}
}

// heapBytes is the live heap (objects) from runtime/metrics.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakRSS is the process's peak resident set (VmHWM), 0 if unknown.
func peakRSS() int64 {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
