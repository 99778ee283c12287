package pydist_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/pydist/disttest"
)

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

// BenchmarkOpenWheel measures metadata extraction (Open + Check) from a
// wheel with many entries, the per-file cost before an upload starts.
func BenchmarkOpenWheel(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			files := make(map[string][]byte, n)
			for i := range n {
				files[fmt.Sprintf("pkg/mod%05d.py", i)] = []byte(fmt.Sprintf("X = %d\n", i))
			}
			p := disttest.BuildWheel(b, b.TempDir(), "pkg", "1.0", disttest.Options{Files: files})
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f, err := pydist.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				if ps := pydist.Errors(pydist.Check(f, pydist.CheckOptions{})); len(ps) != 0 {
					b.Fatal(ps)
				}
			}
		})
	}
}

// BenchmarkOpenSdist measures reading PKG-INFO from an sdist, which means
// decompressing the whole tarball to count its top-level directories.
func BenchmarkOpenSdist(b *testing.B) {
	p := disttest.BuildSdist(b, b.TempDir(), "pkg", "1.0", disttest.Options{PayloadSize: 8 << 20})
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pydist.Open(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMetadata(b *testing.B) {
	md := disttest.Metadata("pkg", "1.0", disttest.Options{Fields: fields(
		"Classifier", "Programming Language :: Python :: 3", "Classifier", "License :: OSI Approved :: MIT License",
		"Requires-Dist", "requests>=2", "Requires-Dist", "idna; extra == 'x'", "Project-URL", "Home, https://example.com")})
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pydist.ParseMetadata(md); err != nil {
			b.Fatal(err)
		}
	}
}
