package upload

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
)

// Stage is where a Publish run stopped.
type Stage string

const (
	// StageConfig: the options or the publish URL are invalid.
	StageConfig Stage = "config"
	// StageCredentials: no credential could be obtained, or it may not be
	// sent to this URL (plain http).
	StageCredentials Stage = "credentials"
	// StageCheck: a file is unreadable or conflicts with the index (check
	// URL) — found before any byte was sent.
	StageCheck Stage = "check"
	// StageUpload: a file failed while uploading (or the run was cancelled).
	StageUpload Stage = "upload"
)

// PublishError is returned by Publish when the release is not complete on
// the index. It names every file by what happened to it, so a partly
// uploaded release is never silent.
type PublishError struct {
	// Failed are the files that failed, with their errors.
	Failed []FileReport
	// NotAttempted are the files never sent because of the failures.
	NotAttempted []string
	// Landed are the files that are on the index (uploaded or existing).
	Landed []string
	// Cause is a failure before any upload (credentials, check URL) or a
	// cancellation, or nil.
	Cause error
	// Stage is where the run stopped.
	Stage Stage
}

// Error implements error.
func (e *PublishError) Error() string {
	var b strings.Builder
	if e.Cause != nil && e.Stage != StageUpload {
		fmt.Fprintf(&b, "nothing was uploaded: %v", e.Cause)
	} else if e.Cause != nil {
		fmt.Fprintf(&b, "%v", e.Cause)
	} else {
		fmt.Fprintf(&b, "%d file(s) failed", len(e.Failed))
	}
	if e.Cause == nil || e.Stage == StageUpload {
		for _, f := range e.Failed {
			fmt.Fprintf(&b, "\n  %s: %s", f.Name, indent(f.Error))
		}
	}
	if len(e.NotAttempted) > 0 {
		fmt.Fprintf(&b, "\nnot uploaded (not attempted): %s", strings.Join(e.NotAttempted, ", "))
	}
	if len(e.Landed) > 0 {
		fmt.Fprintf(&b, "\nalready on the index: %s\nthe release is incomplete: fix the error and run again (files already there are accepted again when identical, or use --skip-existing)", strings.Join(e.Landed, ", "))
	}
	return b.String()
}

// Unwrap returns the cause or the failures' errors.
func (e *PublishError) Unwrap() []error {
	var errs []error
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	for _, f := range e.Failed {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

// OrderFiles returns files in upload order: wheels first, then sdists (as
// twine does: installers prefer wheels, so a release is usable as soon as
// possible), keeping the given order within each group.
func OrderFiles(files []*pydist.File) []*pydist.File {
	out := append([]*pydist.File(nil), files...)
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Filename.Kind == pydist.Wheel && out[j].Filename.Kind != pydist.Wheel
	})
	return out
}

// projectName is the name of f's project, from metadata or filename.
func projectName(f *pydist.File) string {
	if f.Metadata != nil {
		if n := f.Metadata.Get("Name"); n != "" {
			return n
		}
	}
	return f.Filename.Name
}

// releaseVersion is f's version, from metadata or filename.
func releaseVersion(f *pydist.File) string {
	if v := f.Filename.Version.String(); v != "" {
		return v
	}
	if f.Metadata != nil {
		return f.Metadata.Get("Version")
	}
	return ""
}

func publish(ctx context.Context, c *Client, files []*pydist.File, opts PublishOptions) (*Report, error) {
	obs := opts.Observer
	if obs == nil {
		obs = NopObserver{}
	}
	order := OrderFiles(files)
	rep := &Report{PublishURL: c.URL, DryRun: opts.DryRun, Files: make([]FileReport, len(order))}
	for i, f := range order {
		rep.Files[i] = FileReport{Name: distName(f), Path: f.Path, Size: f.Size, Outcome: OutcomeNotAttempted}
	}
	stage := StageConfig
	fail := func(cause error) (*Report, error) {
		for i := range rep.Files {
			if rep.Files[i].Outcome == OutcomeNotAttempted {
				rep.Files[i].Err = cause
				rep.Files[i].Error = "not attempted: " + cause.Error()
			}
		}
		return rep, finalError(rep, cause, stage)
	}
	if opts.Concurrency < 0 {
		return fail(fmt.Errorf("concurrency must be at least 1, got %d", opts.Concurrency))
	}
	conc := opts.Concurrency
	if conc == 0 {
		conc = DefaultConcurrency
	}
	u, err := ParsePublishURL(c.URL)
	if err != nil {
		return fail(err)
	}
	rep.PublishURL = u.Redacted()
	if len(order) == 0 {
		return rep, nil
	}

	stage = StageCredentials
	// Credentials are resolved once up front, so a bad token source or a
	// token over plain http fails before the first byte.
	if c.Credentials != nil {
		creds, err := c.Credentials.Credentials(ctx)
		if err != nil {
			return fail(fmt.Errorf("getting credentials for %s: %w", u.Redacted(), err))
		}
		if !creds.IsZero() {
			if err := urlpolicy.CheckSecure("publish URL", u); err != nil {
				return fail(err)
			}
		}
	}
	stage = StageCheck
	for _, f := range order {
		if _, err := formFields(f); err != nil {
			return fail(err)
		}
		if _, err := os.Stat(f.Path); err != nil {
			return fail(fmt.Errorf("reading %s: %w", f.Path, err))
		}
	}

	// What the index already has, when a check URL is known.
	pages := map[string]*ProjectPage{}
	if opts.CheckURL != "" {
		cu, _, err := c.checkURL(u, opts.CheckURL)
		if err != nil {
			stage = StageConfig // a bad --check-url is a usage error, not a refused file
			return fail(err)
		}
		for _, f := range order {
			key := pydist.NormalizeName(projectName(f))
			if _, ok := pages[key]; ok {
				continue
			}
			p, err := c.FetchProject(ctx, cu.String(), projectName(f))
			if err != nil {
				// The index could not be asked: a failure, not a refused file.
				stage = StageUpload
				return fail(fmt.Errorf("checking what the index has: %w", err))
			}
			pages[key] = p
		}
		var conflicts []error
		for i, f := range order {
			p := pages[pydist.NormalizeName(projectName(f))]
			have, ok := p.Files[distName(f)]
			if !ok {
				continue
			}
			sha, _, err := fileDigests(f.Path)
			if err != nil {
				return fail(err)
			}
			r := &rep.Files[i]
			r.SHA256, r.URL = sha, have.URL
			switch {
			case have.SHA256 == "":
				conflicts = append(conflicts, fmt.Errorf("%s is already on the index without a sha256 to compare with: it cannot be uploaded again; bump the version", r.Name))
			case have.SHA256 == sha:
				r.Outcome = OutcomeSkippedExisting
				r.Note = "already on the index with the same sha256"
			default:
				e := fmt.Errorf("%s is already on the index with different content (sha256 %s there, %s here): PyPI never allows re-using a filename; bump the version", r.Name, have.SHA256, sha)
				r.Outcome, r.Err, r.Error = OutcomeFailed, e, e.Error()
				conflicts = append(conflicts, e)
			}
		}
		if len(conflicts) > 0 {
			return fail(errors.Join(conflicts...))
		}
	}

	var pending []int
	for i := range order {
		if rep.Files[i].Outcome == OutcomeNotAttempted {
			pending = append(pending, i)
		} else {
			obs.FileDone(rep.Files[i]) // skipped by the check: never started
		}
	}

	if opts.DryRun {
		for _, i := range pending {
			f, r := order[i], &rep.Files[i]
			obs.FileStarted(f)
			sha, _, err := fileDigests(f.Path)
			if err != nil {
				r.Outcome, r.Err, r.Error = OutcomeFailed, err, err.Error()
			} else {
				r.SHA256, r.Outcome = sha, OutcomeDryRun
			}
			obs.FileDone(*r)
		}
		return rep, finalError(rep, nil, StageCheck)
	}

	// The first file of each release not known to be on the index goes
	// alone: it creates the project or release, and PyPI races badly when
	// several uploads create it at once.
	var first, rest []int
	seen := map[string]bool{}
	for _, i := range pending {
		f := order[i]
		key := pydist.NormalizeName(projectName(f)) + "==" + releaseVersion(f)
		p := pages[pydist.NormalizeName(projectName(f))]
		if !seen[key] && !p.HasVersion(releaseVersion(f)) {
			first = append(first, i)
		} else {
			rest = append(rest, i)
		}
		seen[key] = true
	}

	var stopped atomic.Bool
	one := func(i int) {
		f := order[i]
		obs.FileStarted(f)
		start := time.Now()
		r := c.publishOne(ctx, u, f, opts)
		r.Duration = time.Since(start)
		rep.Files[i] = r // each goroutine writes its own element
		if r.Outcome == OutcomeFailed {
			stopped.Store(true)
		}
		obs.FileDone(r)
	}
	for _, i := range first {
		if stopped.Load() || ctx.Err() != nil {
			break
		}
		one(i)
	}
	var g errgroup.Group
	g.SetLimit(conc)
	for _, i := range rest {
		if stopped.Load() || ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if stopped.Load() || ctx.Err() != nil {
				return nil
			}
			one(i)
			return nil
		})
	}
	_ = g.Wait()

	var cause error
	if ctx.Err() != nil {
		cause = fmt.Errorf("publishing was cancelled: %w", context.Cause(ctx))
	}
	for i := range rep.Files {
		if r := &rep.Files[i]; r.Outcome == OutcomeNotAttempted {
			reason := "not attempted because another file failed"
			if cause != nil {
				reason = "not attempted: publishing was cancelled"
			}
			r.Err, r.Error = errors.New(reason), reason
		}
	}
	if opts.CheckURL != "" {
		c.fillURLs(ctx, u, opts.CheckURL, order, rep)
	}
	return rep, finalError(rep, cause, StageUpload)
}

// publishOne uploads one file and turns the result into a FileReport.
func (c *Client) publishOne(ctx context.Context, u *url.URL, f *pydist.File, opts PublishOptions) FileReport {
	r := FileReport{Name: distName(f), Path: f.Path, Size: f.Size}
	var extra []formField
	if opts.Attestations != nil {
		if a := opts.Attestations(f); len(a) > 0 {
			extra = append(extra, formField{"attestations", string(a)})
		}
	}
	res, err := c.upload(ctx, f, opts.Observer, extra)
	r.SHA256, r.Attempts = res.SHA256, res.Attempts
	if res.Size != 0 {
		r.Size = res.Size
	}
	switch {
	case err == nil:
		r.Outcome = OutcomeUploaded
		if res.LandedEarlier {
			r.Note = "already uploaded (landed on an earlier attempt whose answer was lost)"
		}
		if len(res.Warnings) > 0 {
			r.Note = strings.TrimSpace(r.Note + " index warnings: " + strings.Join(res.Warnings, "; "))
		}
	case opts.SkipExisting && IsFileExists(err):
		r.Outcome = OutcomeSkippedExisting
		r.Note = "the index says it already exists (--skip-existing)"
	default:
		// Another run may have uploaded the same file meanwhile (the check
		// was done before): same sha256 on the index is not a failure.
		if opts.CheckURL != "" && IsFileExists(err) {
			if same, verr := c.verifyOnIndexAt(ctx, u, opts.CheckURL, f, res.SHA256); verr == nil && same {
				r.Outcome = OutcomeSkippedExisting
				r.Note = "already on the index with the same sha256 (uploaded meanwhile by another run)"
				return r
			}
		}
		r.Outcome, r.Err, r.Error = OutcomeFailed, err, err.Error()
	}
	return r
}

// fillURLs reads the index once more to give uploaded files their URL.
// It is best effort: an index's simple API may lag behind its uploads.
func (c *Client) fillURLs(ctx context.Context, u *url.URL, checkURL string, order []*pydist.File, rep *Report) {
	cu, _, err := c.checkURL(u, checkURL)
	if err != nil {
		return
	}
	pages := map[string]*ProjectPage{}
	for i, f := range order {
		r := &rep.Files[i]
		if r.Outcome != OutcomeUploaded || r.URL != "" {
			continue
		}
		key := pydist.NormalizeName(projectName(f))
		p, ok := pages[key]
		if !ok {
			p, _ = c.FetchProject(ctx, cu.String(), projectName(f))
			pages[key] = p
		}
		if p == nil {
			continue
		}
		if have, ok := p.Files[r.Name]; ok && (have.SHA256 == "" || have.SHA256 == r.SHA256) {
			r.URL = have.URL
		}
	}
}

// finalError summarises failures, or returns nil when every file landed
// (or would have, in a dry run).
func finalError(rep *Report, cause error, stage Stage) error {
	pe := &PublishError{Cause: cause, Stage: stage}
	for _, r := range rep.Files {
		switch r.Outcome {
		case OutcomeFailed:
			pe.Failed = append(pe.Failed, r)
		case OutcomeNotAttempted:
			pe.NotAttempted = append(pe.NotAttempted, r.Name)
		case OutcomeUploaded, OutcomeSkippedExisting:
			pe.Landed = append(pe.Landed, r.Name)
		}
	}
	if cause == nil && len(pe.Failed) == 0 && len(pe.NotAttempted) == 0 {
		return nil
	}
	return pe
}
