package index

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// benchServer returns a Server whose project "big" has n files in its
// in-memory index (records as uploads would create them).
func benchServer(b *testing.B, n int) *Server {
	b.Helper()
	srv, err := New(Options{DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	fillProject(srv, "big", n)
	return srv
}

// fillProject adds n synthetic records to the in-memory index of project,
// with the filename lengths of real wheels (see realisticWheel).
func fillProject(srv *Server, project string, n int) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fn, v := realisticWheel(project, i)
		srv.store.add(&record{
			Filename: fn, Project: project, Normalized: project, Version: v, FileType: "bdist_wheel", PyVersion: "cp312",
			Size: 12345, SHA256: sha256Hex([]byte(fn)), Blake2b256: blake2Hex([]byte(fn)), MD5: md5Hex([]byte(fn)),
			UploadTime: t0.Add(time.Duration(i) * time.Minute), RequiresPython: ">=3.9",
			MetadataSHA256: sha256Hex([]byte(fn + ".metadata")),
		})
	}
}

// BenchmarkSimpleProjectPage10k serves /simple/big/ for a project with
// 10,000 files, as pip and uv request it (target: well under 50 ms).
// "render-*" measure a page rebuilt after every upload (cold cache).
func BenchmarkSimpleProjectPage10k(b *testing.B) {
	srv := benchServer(b, 10000)
	for _, tc := range []struct{ name, accept, encoding string }{
		{"html", "text/html", ""},
		{"json", MediaTypeJSON, ""},
		{"json-gzip", MediaTypeJSON, "gzip"}, // as pip asks for it
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/simple/big/", nil)
			req.Header.Set("Accept", tc.accept)
			req.Header.Set("Accept-Encoding", tc.encoding)
			srv.ServeHTTP(&countingWriter{h: http.Header{}}, req) // render once
			for b.Loop() {
				w := &countingWriter{h: http.Header{}}
				srv.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatal(w.code)
				}
				b.SetBytes(w.n)
			}
		})
	}
	// What pip waits for after an upload: the page rebuilt, in JSON,
	// compressed, served.
	b.Run("rebuilt-json-gzip", func(b *testing.B) {
		p := srv.store.project("big")
		req := httptest.NewRequest("GET", "/simple/big/", nil)
		req.Header.Set("Accept", MediaTypeJSON)
		req.Header.Set("Accept-Encoding", "gzip")
		for b.Loop() {
			p.page.Store(nil) // as after an upload
			w := &countingWriter{h: http.Header{}}
			srv.ServeHTTP(w, req)
			if w.code != http.StatusOK || w.h.Get("Content-Encoding") != "gzip" {
				b.Fatal(w.code, w.h)
			}
		}
	})
	// What pip waits for after an upload, for real: one more file in the
	// project (its segment alone is rendered and compressed again), the
	// page in JSON, compressed, served. Target: under 5 ms.
	b.Run("after-upload-json-gzip", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/simple/big/", nil)
		req.Header.Set("Accept", MediaTypeJSON)
		req.Header.Set("Accept-Encoding", "gzip")
		srv.ServeHTTP(&countingWriter{h: http.Header{}}, req)
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		i := 0
		for b.Loop() {
			b.StopTimer()
			fn, v := realisticWheel("big", 20000+i)
			srv.store.add(&record{
				Filename: fn, Project: "big", Normalized: "big", Version: v, FileType: "bdist_wheel", PyVersion: "cp312",
				Size: 12345, SHA256: sha256Hex([]byte(fn)), Blake2b256: blake2Hex([]byte(fn)), UploadTime: t0.Add(time.Duration(i) * time.Second),
				RequiresPython: ">=3.9", MetadataSHA256: sha256Hex([]byte(fn + ".metadata")),
			})
			i++
			b.StartTimer()
			w := &countingWriter{h: http.Header{}}
			srv.ServeHTTP(w, req)
			if w.code != http.StatusOK || w.h.Get("Content-Encoding") != "gzip" {
				b.Fatal(w.code, w.h)
			}
		}
	})
	// A page rebuilt after an upload renders the format asked for.
	for _, tc := range []struct {
		name   string
		format func(*renderedPage) *lazyBody
	}{
		{"render-json", func(pg *renderedPage) *lazyBody { return &pg.json }},
		{"render-html", func(pg *renderedPage) *lazyBody { return &pg.html }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := srv.store.project("big")
			for b.Loop() {
				if body, _ := tc.format(p.render()).get(); len(body) < 10000*100 {
					b.Fatalf("page of %d bytes", len(body))
				}
			}
		})
	}
}

// BenchmarkUpload measures one authenticated 1 MiB wheel upload end to end
// over loopback (multipart parse, hashing, archive checks, fsync, rename).
func BenchmarkUpload(b *testing.B) {
	srv, err := New(Options{DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler), Tokens: []APIToken{{Name: "all", Token: secretOf(tokAll)}}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	i := 0
	for b.Loop() {
		b.StopTimer()
		f := wheel(b, "bench", fmt.Sprintf("1.%d", i), disttest.Options{PayloadSize: 1 << 20, Seed: uint64(i)})
		ct, body := f.req().body()
		i++
		b.StartTimer()
		req, _ := http.NewRequest("POST", hs.URL+"/legacy/", bytesReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", basic("__token__", tokAll))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
		b.SetBytes(int64(len(f.data)))
	}
}

// countingWriter is an http.ResponseWriter that discards the body, like a
// fast client, so the benchmark measures the server and not a recorder.
type countingWriter struct {
	h    http.Header
	code int
	n    int64
}

func (w *countingWriter) Header() http.Header { return w.h }
func (w *countingWriter) WriteHeader(c int) {
	if w.code == 0 {
		w.code = c
	}
}
func (w *countingWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += int64(len(b))
	return len(b), nil
}
