package pydist

import (
	"fmt"
	"strings"
	"time"
)

// PyPIReleaseWindow is how long after a release's first file PyPI accepts
// new files for it (warehouse/forklift/legacy.py
// MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS, enforced since July 2026).
const PyPIReleaseWindow = 14 * 24 * time.Hour

// IndexFile is what an index lists about one file of a project (PEP 691
// JSON, with PEP 700's upload-time).
type IndexFile struct {
	Filename   string
	SHA256     string    // lowercase hex, "" if the index gives none
	UploadTime time.Time // zero if the index gives none
}

// IndexState is what is known, before uploading, about a project on the
// target index.
type IndexState struct {
	Files []IndexFile
	// Now is the time the check is made (injected, for tests).
	Now time.Time
	// ReleaseWindow is how long a release accepts new files (PyPI:
	// PyPIReleaseWindow); 0 when the index has no such rule.
	ReleaseWindow time.Duration
}

// CheckIndexState returns the refusals that depend on what the index
// already has, for a file whose sha256 is sha (lowercase hex):
//   - CodeFileExists: the filename is taken by a file with other contents,
//     or these contents are on the index under another filename (PyPI
//     answers "File already exists" to both; the same file again is not a
//     problem: the upload is skipped or answered 200);
//   - CodeReleaseClosed: a new file for a release whose first file was
//     uploaded longer ago than ReleaseWindow;
//   - CodeSdistExists: an sdist for a release that already has another.
//
// Files the index lists without a digest or upload time are not judged on
// what is missing.
func CheckIndexState(f *File, sha string, st IndexState, opts CheckOptions) []Problem {
	if f == nil {
		return nil
	}
	c := checker{f: f, path: f.Path, opts: opts}
	if c.path == "" {
		c.path = f.Filename.Raw
	}
	sha = strings.ToLower(sha)
	var first time.Time
	sdistSeen := false
	for _, x := range st.Files {
		same := x.Filename == f.Filename.Raw
		switch {
		case same && x.SHA256 != "" && sha != "" && !strings.EqualFold(x.SHA256, sha):
			p := c.add(CodeFileExists, "filename", f.Filename.Raw, "a different file named %s is already on the index (sha256 %s, yours %s); a filename can never be reused: give the release a new version", f.Filename.Raw, x.SHA256, sha)
			p.Want = x.SHA256
		case same:
			return c.problems // the same file: nothing new is uploaded
		case x.SHA256 != "" && strings.EqualFold(x.SHA256, sha):
			p := c.add(CodeFileExists, "filename", f.Filename.Raw, "the index already has these exact contents as %s; upload each file once, under its own name", x.Filename)
			p.Want = x.Filename
		}
		fn, err := ParseFilename(x.Filename)
		if err != nil || !sameRelease(fn, f.Filename) {
			continue
		}
		if fn.Kind == Sdist && f.Filename.Kind == Sdist && x.Filename != f.Filename.Raw && !sdistSeen {
			sdistSeen = true
			p := c.add(CodeSdistExists, "filename", f.Filename.Raw, "release %s already has an sdist on the index, %s; a release has one sdist: upload the wheels alone, or publish a new version", f.Filename.Version, x.Filename)
			p.Want = x.Filename
		}
		if !x.UploadTime.IsZero() && (first.IsZero() || x.UploadTime.Before(first)) {
			first = x.UploadTime
		}
	}
	if st.ReleaseWindow > 0 && !first.IsZero() && st.Now.Sub(first) > st.ReleaseWindow {
		p := c.add(CodeReleaseClosed, "Version", f.Filename.Version.String(), "release %s got its first file on %s, more than %s ago; the index accepts no new files for it: publish a new version", f.Filename.Version, first.UTC().Format(time.RFC3339), FormatWindow(st.ReleaseWindow))
		p.Want = first.UTC().Format(time.RFC3339)
	}
	return c.problems
}

// FormatWindow writes a release window as PyPI does ("14 days").
func FormatWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if d == 24*time.Hour {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// sameRelease reports whether two filenames are of one release: the same
// normalised project name and equal versions (1.1 and 1.1.0 are one).
func sameRelease(a, b Filename) bool {
	return a.Version.Equal(b.Version) && NormalizeName(a.Name) == b.NormalizedName()
}

// CheckUploadSet returns the refusals that come from the files of one
// upload together, before the index is asked: CodeSdistExists on each sdist
// after the first of a release (PyPI stores the first and refuses the
// others). Files are judged in the order given, which is the upload order.
func CheckUploadSet(files []*File, opts CheckOptions) []Problem {
	var problems []Problem
	var sdists []*File
	for _, f := range files {
		if f == nil || f.Filename.Kind != Sdist {
			continue
		}
		for _, prev := range sdists {
			if sameRelease(prev.Filename, f.Filename) {
				c := checker{f: f, path: f.Path, opts: opts}
				p := c.add(CodeSdistExists, "filename", f.Filename.Raw, "release %s has two sdists in this upload, %s and %s; a release has one sdist: keep one", f.Filename.Version, prev.Filename.Raw, f.Filename.Raw)
				p.Want = prev.Filename.Raw
				problems = append(problems, c.problems...)
				break
			}
		}
		sdists = append(sdists, f)
	}
	return problems
}
