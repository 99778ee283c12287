package gen

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// headers parses "Key: value" lines up to the first blank line.
func headers(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("malformed header line %q", line)
		}
		out[k] = v
	}
	return out
}

// checkWheel opens a wheel with archive/zip and checks it the way an index
// and an installer do: RECORD covers every member with the right sha256 and
// size, METADATA and WHEEL agree with the filename, every CRC is right.
func checkWheel(t *testing.T, path string, wantBig int64) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: not a zip: %v", path, err)
	}
	defer zr.Close()
	base := strings.TrimSuffix(filepath.Base(path), ".whl")
	parts := strings.Split(base, "-")
	if len(parts) != 5 {
		t.Fatalf("%s: want name-version-py-abi-plat, got %d parts", base, len(parts))
	}
	distInfo := parts[0] + "-" + parts[1] + ".dist-info/"
	read := func(f *zip.File) []byte {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: opening %s: %v", path, f.Name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc) // zip's reader checks the CRC-32 at EOF
		if err != nil {
			t.Fatalf("%s: reading %s: %v", path, f.Name, err)
		}
		return b
	}
	type sum struct {
		hash string
		size int64
	}
	actual := map[string]sum{}
	var record, metadata, wheel []byte
	var big *zip.File
	for _, f := range zr.File {
		if f.UncompressedSize64 > 1<<20 {
			big = f
			h := sha256.New()
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(h, rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: reading %s: %v", path, f.Name, err)
			}
			actual[f.Name] = sum{RecordHash(h.Sum(nil)), n}
			continue
		}
		b := read(f)
		s := sha256.Sum256(b)
		actual[f.Name] = sum{RecordHash(s[:]), int64(len(b))}
		switch f.Name {
		case distInfo + "RECORD":
			record = b
		case distInfo + "METADATA":
			metadata = b
		case distInfo + "WHEEL":
			wheel = b
		}
	}
	if record == nil || metadata == nil || wheel == nil {
		t.Fatalf("%s: missing RECORD, METADATA or WHEEL under %s", path, distInfo)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(record)), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 3 {
			t.Fatalf("%s: RECORD line %q has %d fields", path, line, len(f))
		}
		listed[f[0]] = true
		if f[0] == distInfo+"RECORD" {
			if f[1] != "" || f[2] != "" {
				t.Errorf("%s: RECORD's own line must have no hash or size: %q", path, line)
			}
			continue
		}
		a, ok := actual[f[0]]
		if !ok {
			t.Errorf("%s: RECORD lists %s, which is not in the archive", path, f[0])
			continue
		}
		size, _ := strconv.ParseInt(f[2], 10, 64)
		if f[1] != a.hash || size != a.size {
			t.Errorf("%s: RECORD says %s %s %s; the member is %s %d", path, f[0], f[1], f[2], a.hash, a.size)
		}
	}
	for name := range actual {
		if !listed[name] {
			t.Errorf("%s: %s is not in RECORD", path, name)
		}
	}
	md := headers(t, metadata)
	if md["Name"] != parts[0] || md["Version"] != parts[1] || md["Metadata-Version"] == "" {
		t.Errorf("%s: METADATA has Name %q Version %q Metadata-Version %q", path, md["Name"], md["Version"], md["Metadata-Version"])
	}
	wh := headers(t, wheel)
	if tag := strings.Join(parts[2:], "-"); wh["Tag"] != tag {
		t.Errorf("%s: WHEEL Tag %q, filename says %q", path, wh["Tag"], tag)
	}
	if want := strconv.FormatBool(parts[3] == "none" && parts[4] == "any"); wh["Root-Is-Purelib"] != want {
		t.Errorf("%s: Root-Is-Purelib %q, want %s", path, wh["Root-Is-Purelib"], want)
	}
	switch {
	case wantBig == 0 && big != nil:
		t.Errorf("%s: unexpected big member %s", path, big.Name)
	case wantBig > 0 && big == nil:
		t.Errorf("%s: no big member", path)
	case wantBig > 0:
		if big.Method != zip.Store || big.UncompressedSize64 != uint64(wantBig) || big.CompressedSize64 != uint64(wantBig) {
			t.Errorf("%s: big member method %d sizes %d/%d, want STORED %d", path, big.Method, big.CompressedSize64, big.UncompressedSize64, wantBig)
		}
		if big.Flags&0x8 != 0 {
			t.Errorf("%s: big member uses a data descriptor; want sizes and CRC in the local header", path)
		}
	}
}

// checkSdist opens an sdist and checks its one top-level directory and PKG-INFO.
func checkSdist(t *testing.T, path string) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: not gzip: %v", path, err)
	}
	root := strings.TrimSuffix(filepath.Base(path), ".tar.gz")
	tr := tar.NewReader(gz)
	var pkgInfo []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: bad tar: %v", path, err)
		}
		if top, _, _ := strings.Cut(strings.TrimSuffix(h.Name, "/"), "/"); top != root {
			t.Errorf("%s: member %s is outside the top-level directory %s", path, h.Name, root)
		}
		if h.Name == root+"/PKG-INFO" {
			pkgInfo, _ = io.ReadAll(tr)
		}
	}
	if pkgInfo == nil {
		t.Fatalf("%s: no %s/PKG-INFO", path, root)
	}
	md := headers(t, pkgInfo)
	if got := md["Name"] + "-" + md["Version"]; got != root {
		t.Errorf("%s: PKG-INFO says %s", path, got)
	}
}

func TestPrepareWritesValidDistributions(t *testing.T) {
	const bigSize = 3<<20 + 17 // not a multiple of any buffer size
	tests := []struct {
		id        string
		wheels    int
		sdists    int
		wantBig   int64
		wantTitle string
	}{
		{CaseSmall, 0, 1, 0, "1 small sdist"},
		{CaseRelease, ReleaseWheels, 1, 0, "40 small wheels + 1 sdist"},
		{CaseBig, 1, 0, bigSize, "1 big wheel"},
	}
	cache := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			plan, err := PlanFor(tc.id, bigSize)
			if err != nil {
				t.Fatal(err)
			}
			in, err := Prepare(context.Background(), cache, plan, t.Logf)
			if err != nil {
				t.Fatal(err)
			}
			if in.Reused {
				t.Error("first Prepare reports a cache hit")
			}
			if plan.Title != tc.wantTitle {
				t.Errorf("title %q, want %q", plan.Title, tc.wantTitle)
			}
			var wheels, sdists int
			seen := map[string]bool{}
			for _, f := range in.Files {
				if seen[f.Name] {
					t.Errorf("duplicate file %s", f.Name)
				}
				seen[f.Name] = true
				fi, err := os.Stat(f.Path)
				if err != nil || fi.Size() != f.Size {
					t.Fatalf("%s: stat %v, size %d vs recorded %d", f.Name, err, fi.Size(), f.Size)
				}
				if err := VerifyFile(f); err != nil {
					t.Error(err)
				}
				switch {
				case strings.HasSuffix(f.Name, ".whl"):
					wheels++
					checkWheel(t, f.Path, tc.wantBig)
				case strings.HasSuffix(f.Name, ".tar.gz"):
					sdists++
					checkSdist(t, f.Path)
				default:
					t.Errorf("unexpected file %s", f.Name)
				}
			}
			if wheels != tc.wheels || sdists != tc.sdists {
				t.Errorf("got %d wheels and %d sdists, want %d and %d", wheels, sdists, tc.wheels, tc.sdists)
			}
			if tc.wantBig > 0 && in.Bytes() < tc.wantBig {
				t.Errorf("input is %d bytes, smaller than its big member (%d)", in.Bytes(), tc.wantBig)
			}
		})
	}
}

func TestGenerationIsDeterministic(t *testing.T) {
	plan, err := PlanFor(CaseRelease, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Prepare(context.Background(), t.TempDir(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Prepare(context.Background(), t.TempDir(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for i := range a.Files {
		if a.Files[i].SHA256 != b.Files[i].SHA256 {
			t.Errorf("%s differs between two generations", a.Files[i].Name)
		}
		distinct[a.Files[i].SHA256] = true
	}
	if len(distinct) != len(a.Files) {
		t.Errorf("only %d distinct files among %d: wheels must differ (PyPI refuses a blake2 it has seen)", len(distinct), len(a.Files))
	}
}

func TestPrepareCache(t *testing.T) {
	plan, err := PlanFor(CaseBig, 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		spoil      func(t *testing.T, dir string, in Input)
		wantReused bool
	}{
		{"untouched cache is reused", func(*testing.T, string, Input) {}, true},
		{"missing manifest (interrupted run)", func(t *testing.T, dir string, _ Input) {
			if err := os.Remove(filepath.Join(dir, manifestName)); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"file removed", func(t *testing.T, _ string, in Input) {
			if err := os.Remove(in.Files[0].Path); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"file modified in place, same size", func(t *testing.T, _ string, in Input) {
			f, err := os.OpenFile(in.Files[0].Path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte{0xff, 0xfe}, 100); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, false},
		{"older generator", func(t *testing.T, dir string, _ Input) {
			p := filepath.Join(dir, manifestName)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var m manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			m.Generator--
			b, _ = json.Marshal(m)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"corrupt manifest", func(t *testing.T, dir string, _ Input) {
			if err := os.WriteFile(filepath.Join(dir, manifestName), []byte("{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			first, err := Prepare(context.Background(), cache, plan, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, filepath.Join(cache, plan.Key), first)
			var logged []string
			second, err := Prepare(context.Background(), cache, plan, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
			if err != nil {
				t.Fatal(err)
			}
			if second.Reused != tc.wantReused {
				t.Errorf("Reused = %v, want %v (log: %q)", second.Reused, tc.wantReused, logged)
			}
			for _, f := range second.Files {
				if err := VerifyFile(f); err != nil {
					t.Errorf("after Prepare: %v", err)
				}
				if f.SHA256 != first.Files[0].SHA256 {
					t.Errorf("regenerated file differs from the first generation")
				}
			}
		})
	}
}

func TestPlanForRejectsBadInput(t *testing.T) {
	tests := []struct {
		id      string
		size    int64
		wantErr string
	}{
		{"d", 1, `unknown case "d"`},
		{CaseBig, 0, "-big-size"},
		{CaseBig, -5, "-big-size"},
		{CaseBig, 4 << 30, "above the generator's limit"},
	}
	for _, tc := range tests {
		_, err := PlanFor(tc.id, tc.size)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("PlanFor(%q, %d) = %v, want an error containing %q", tc.id, tc.size, err, tc.wantErr)
		}
	}
}

func TestPrepareStopsWhenCancelled(t *testing.T) {
	plan, err := PlanFor(CaseBig, 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cache := t.TempDir()
	if _, err := Prepare(ctx, cache, plan, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Prepare with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(cache, plan.Key, manifestName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupted generation left a manifest (stat: %v)", err)
	}
}

// TestPythonReadsInputs checks the inputs with the readers twine itself uses
// (Python's zipfile and tarfile, and pkginfo when installed).
func TestPythonReadsInputs(t *testing.T) {
	py := twinePython()
	if py == "" {
		t.Skip("neither twine nor python3 is installed")
	}
	cache := t.TempDir()
	var paths []string
	for _, id := range CaseIDs {
		plan, err := PlanFor(id, 2<<20+1)
		if err != nil {
			t.Fatal(err)
		}
		in, err := Prepare(context.Background(), cache, plan, nil)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, in.Paths()...)
	}
	const script = `
import sys, zipfile, tarfile
try:
    import pkginfo
except ImportError:
    pkginfo = None
for p in sys.argv[1:]:
    if p.endswith(".whl"):
        with zipfile.ZipFile(p) as z:
            bad = z.testzip()
            if bad:
                sys.exit(p + ": bad CRC in " + bad)
        if pkginfo:
            md = pkginfo.Wheel(p)
            if not md.name or not md.version:
                sys.exit(p + ": pkginfo read no name/version")
    else:
        with tarfile.open(p) as t:
            t.getmembers()
        if pkginfo:
            md = pkginfo.SDist(p)
            if not md.name or not md.version:
                sys.exit(p + ": pkginfo read no name/version")
print("ok", len(sys.argv) - 1, "pkginfo" if pkginfo else "")
`
	out, err := exec.Command(py, append([]string{"-c", script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python rejected the inputs: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if len(got) < 2 || got[0] != "ok" || got[1] != strconv.Itoa(len(paths)) {
		t.Errorf("python said %q, want ok %d", out, len(paths))
	}
	if len(got) < 3 {
		t.Logf("%s has no pkginfo: checked zip CRCs and tar structure only", py)
	}
}

// twinePython returns the interpreter twine runs with (its #! line), or
// python3 from PATH, or "".
func twinePython() string {
	if tw, err := exec.LookPath("twine"); err == nil {
		if b, err := os.ReadFile(tw); err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			if f := strings.Fields(strings.TrimPrefix(line, "#!")); strings.HasPrefix(line, "#!") && len(f) == 1 {
				return f[0]
			}
		}
	}
	py, _ := exec.LookPath("python3")
	return py
}

// BenchmarkRandomReader backs RandomReader's speed claim (generating the
// 1 GiB member takes seconds, not minutes).
func BenchmarkRandomReader(b *testing.B) {
	buf := make([]byte, 1<<20)
	r := RandomReader(1)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteBigWheel measures generating a wheel with a 64 MiB member
// (two passes over the random stream, CRC-32 and sha256).
func BenchmarkWriteBigWheel(b *testing.B) {
	plan, err := PlanFor(CaseBig, 64<<20)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	for b.Loop() {
		if err := WriteWheel(io.Discard, plan.Wheels[0]); err != nil {
			b.Fatal(err)
		}
	}
}
