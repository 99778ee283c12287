package cli

// What publish says and refuses before anything is sent, and the links it
// prints when no trusted publisher matches.

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/trustpub/trustpub/internal/filehash"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/trustedpublishing"
	"github.com/trustpub/trustpub/upload"
)

// describeCheckURL says which kind of check URL was given (uv silently
// skips its check for a project page) and refuses a project page when the
// release has files of another project.
func describeCheckURL(w io.Writer, raw string, files []*pydist.File, quiet bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil // the upload package words the error
	}
	projects := map[string]string{}
	for _, f := range files {
		name := f.Filename.Name
		if f.Metadata != nil && f.Metadata.Get("Name") != "" {
			name = f.Metadata.Get("Name")
		}
		projects[pydist.NormalizeName(name)] = name
	}
	var pageOf string
	for norm := range projects {
		if upload.ClassifyCheckURL(u, norm) == upload.CheckURLProjectPage {
			pageOf = norm
		}
	}
	if pageOf == "" {
		if !quiet {
			fmt.Fprintf(w, "check URL %s: the index root; each project's page under it is read before uploading\n", u.Redacted())
		}
		return nil
	}
	for norm := range projects {
		if norm != pageOf {
			root := *u
			root.Path = strings.TrimSuffix(root.Path, "/")
			root.Path = root.Path[:strings.LastIndex(root.Path, "/")+1]
			root.RawPath = ""
			return usageErr("--check-url %s is the page of project %s, but the files include project %s: give the index root (here probably %s)", u.Redacted(), pageOf, projects[norm], root.Redacted())
		}
	}
	if !quiet {
		fmt.Fprintf(w, "check URL %s: the page of project %s (not the index root); it is read before uploading\n", u.Redacted(), pageOf)
	}
	return nil
}

// sameNames handles files given twice under one name from different
// places (dist/x.whl and build/x.whl): an index keeps one file per name,
// so copies with the same bytes are sent once, and different contents are
// refused before anything is sent.
func sameNames(w io.Writer, files []*pydist.File) ([]*pydist.File, []pydist.Problem) {
	byName := map[string][]*pydist.File{}
	for _, f := range files {
		byName[filepath.Base(f.Path)] = append(byName[filepath.Base(f.Path)], f)
	}
	var out []*pydist.File
	var problems []pydist.Problem
	done := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f.Path)
		group := byName[name]
		if done[name] {
			continue
		}
		done[name] = true
		if len(group) == 1 {
			out = append(out, f)
			continue
		}
		sums := make([]string, len(group))
		same := true
		for i, g := range group {
			sum, err := filehash.SHA256(g.Path)
			if err != nil {
				problems = append(problems, pydist.Problem{Path: g.Path, Message: err.Error()})
				same = false
				continue
			}
			sums[i] = sum
			same = same && sums[i] == sums[0]
		}
		if same {
			out = append(out, f)
			for _, g := range group[1:] {
				fmt.Fprintf(w, "skipping %s: the same file as %s\n", g.Path, f.Path)
			}
			continue
		}
		var paths []string
		for _, g := range group {
			paths = append(paths, g.Path)
		}
		for i, g := range group {
			problems = append(problems, pydist.Problem{Path: g.Path, Message: fmt.Sprintf("%d files named %s differ (%s; this one's sha256 %s): an index keeps one file per name; remove all but one", len(group), name, strings.Join(paths, ", "), sums[i])})
		}
	}
	return out, problems
}

// withPublisherLinks adds, when PyPI or TestPyPI found no trusted publisher
// matching the job's token, the links that open the index's "add a trusted
// publisher" form pre-filled from the token's claims, one per project of
// the release (as gh-action-pypi-publish prints them).
func withPublisherLinks(err error, t Target, files []*pydist.File) error {
	var me *trustedpublishing.MintError
	if !errors.As(err, &me) {
		return err
	}
	invalid := false
	for _, e := range me.Errors {
		invalid = invalid || e.Code == "invalid-publisher"
	}
	base := ""
	switch strings.ToLower(t.PublishURL.Hostname()) {
	case "upload.pypi.org", "pypi.org":
		base = "https://pypi.org"
	case "test.pypi.org":
		base = "https://test.pypi.org"
	}
	if !invalid || base == "" {
		return err
	}
	var links []string
	seen := map[string]bool{}
	for _, f := range files {
		name := pydist.NormalizeName(f.Filename.Name)
		if f.Metadata != nil && f.Metadata.Get("Name") != "" {
			name = pydist.NormalizeName(f.Metadata.Get("Name"))
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if link, ok := trustedpublishing.AddPublisherURL(base, name, me.Claims); ok {
			links = append(links, "  "+link)
		}
	}
	if len(links) == 0 {
		return err
	}
	more := fmt.Sprintf("\nto add a trusted publisher for this job, open (logged in as an owner of the project):\n%s\nfor a project not yet on the index, add a pending publisher at %s/manage/account/publishing/", strings.Join(links, "\n"), base)
	var ee *exitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.code, err: fmt.Errorf("%w%s", ee.err, more)}
	}
	return fmt.Errorf("%w%s", err, more)
}
