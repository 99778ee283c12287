package gen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/trustpub/trustpub/internal/atomicfile"
)

// File is one generated distribution file on disk.
type File struct {
	Name   string `json:"name"`
	Path   string `json:"-"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// ModTime is the file's modification time (Unix nanoseconds) when it was
	// written; a file touched since then is regenerated.
	ModTime int64 `json:"mtime_ns"`
}

// Input is a case's files, ready to upload.
type Input struct {
	Plan   Plan
	Files  []File
	Reused bool // true when the files came from the cache
}

// Paths returns the files' paths in upload order.
func (in Input) Paths() []string {
	out := make([]string, len(in.Files))
	for i, f := range in.Files {
		out[i] = f.Path
	}
	return out
}

// Bytes is the total size of the input's files.
func (in Input) Bytes() int64 {
	var n int64
	for _, f := range in.Files {
		n += f.Size
	}
	return n
}

// manifest records what a cache directory holds; it is written last, so a
// directory without one (an interrupted generation) is never trusted.
type manifest struct {
	Generator int    `json:"generator"`
	Key       string `json:"key"`
	Files     []File `json:"files"`
}

const manifestName = "manifest.json"

// fullCheckLimit is the size up to which a cached file is re-hashed on every
// run; bigger files are checked by size and mtime only (use VerifyFile).
const fullCheckLimit = 64 << 20

// Prepare returns the plan's files from cacheDir/plan.Key, generating them
// first when the cache is missing, from another generator version, or does
// not match (a file missing, resized, touched, or with another sha256).
// logf, if not nil, is told what happens.
func Prepare(ctx context.Context, cacheDir string, plan Plan, logf func(string, ...any)) (Input, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir := filepath.Join(cacheDir, plan.Key)
	files, err := loadCached(dir, plan)
	if err == nil {
		return Input{Plan: plan, Files: files, Reused: true}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		logf("case %s: regenerating the cached inputs in %s: %v", plan.ID, dir, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return Input{}, fmt.Errorf("case %s: clearing the cache directory: %w", plan.ID, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Input{}, fmt.Errorf("case %s: creating the cache directory (set -cache to a writable directory): %w", plan.ID, err)
	}
	logf("case %s: generating %d file(s) in %s", plan.ID, len(plan.Filenames()), dir)
	m := manifest{Generator: GeneratorVersion, Key: plan.Key}
	for _, w := range plan.Wheels {
		f, err := writeFile(ctx, dir, w.Filename(), func(out io.Writer) error { return WriteWheel(out, w) })
		if err != nil {
			return Input{}, fmt.Errorf("case %s: %w", plan.ID, err)
		}
		m.Files = append(m.Files, f)
	}
	for _, s := range plan.Sdists {
		f, err := writeFile(ctx, dir, s.Filename(), func(out io.Writer) error { return WriteSdist(out, s) })
		if err != nil {
			return Input{}, fmt.Errorf("case %s: %w", plan.ID, err)
		}
		m.Files = append(m.Files, f)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Input{}, fmt.Errorf("case %s: encoding the manifest: %w", plan.ID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestName), b, 0o644); err != nil {
		return Input{}, fmt.Errorf("case %s: writing the manifest: %w", plan.ID, err)
	}
	return Input{Plan: plan, Files: m.Files}, nil
}

// loadCached returns the cached files of plan in dir if they are all valid.
// A missing manifest is reported as os.ErrNotExist.
func loadCached(dir string, plan Plan) ([]File, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	if m.Generator != GeneratorVersion || m.Key != plan.Key {
		return nil, fmt.Errorf("%s was written by generator %d for %q, want %d for %q", manifestName, m.Generator, m.Key, GeneratorVersion, plan.Key)
	}
	want := plan.Filenames()
	if len(m.Files) != len(want) {
		return nil, fmt.Errorf("%s lists %d files, want %d", manifestName, len(m.Files), len(want))
	}
	for i := range m.Files {
		f := &m.Files[i]
		if f.Name != want[i] {
			return nil, fmt.Errorf("%s lists %s where %s was expected", manifestName, f.Name, want[i])
		}
		f.Path = filepath.Join(dir, f.Name)
		fi, err := os.Stat(f.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if fi.Size() != f.Size || fi.ModTime().UnixNano() != f.ModTime {
			return nil, fmt.Errorf("%s changed since it was generated (size %d, want %d)", f.Name, fi.Size(), f.Size)
		}
		if f.Size <= fullCheckLimit {
			if err := VerifyFile(*f); err != nil {
				return nil, err
			}
		}
	}
	return m.Files, nil
}

// VerifyFile re-hashes f and reports whether it still has its recorded sha256.
func VerifyFile(f File) error {
	sum, err := hashFile(f.Path)
	if err != nil {
		return err
	}
	if sum != f.SHA256 {
		return fmt.Errorf("%s: sha256 is %s, the manifest says %s", f.Name, sum, f.SHA256)
	}
	return nil
}

func hashFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeFile writes name in dir through a temporary file, renamed into place
// only when complete, and returns its size, sha256 and mtime.
func writeFile(ctx context.Context, dir, name string, write func(io.Writer) error) (File, error) {
	path := filepath.Join(dir, name)
	var hw *hashingWriter
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		hw = &hashingWriter{w: ctxWriter{ctx, w}, h: sha256.New()}
		return write(hw)
	})
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	return File{Name: name, Path: path, Size: hw.n, SHA256: hex.EncodeToString(hw.h.Sum(nil)), ModTime: fi.ModTime().UnixNano()}, nil
}

// ctxWriter stops a long generation when ctx is cancelled.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

// Write implements io.Writer, failing once ctx is done.
func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
