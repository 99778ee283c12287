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

	"github.com/trustpub/trustpub/internal/filehash"
	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
)

// Stage is where a [Client.Publish] run stopped.
type Stage string

const (
	// StageConfig: the options or the publish URL are invalid.
	StageConfig Stage = "config"
	// StageCredentials: no credential could be obtained, or it may not be
	// sent to this URL (plain http).
	StageCredentials Stage = "credentials"
	// StageCheck: a file is unreadable or conflicts with the index
	// (PublishOptions.PreCheck) — found before any byte was sent.
	StageCheck Stage = "check"
	// StageUpload: a file failed while uploading (or the run was cancelled).
	StageUpload Stage = "upload"
)

// PublishError is returned by [Client.Publish] when the release is not complete on
// the index. It names every file by what happened to it, so a partly
// uploaded release is never silent.
type PublishError struct {
	// Failed are the files that failed, with their errors.
	Failed []FileReport
	// NotAttempted are the files never sent because of the failures.
	NotAttempted []string
	// Landed are the files that are on the index (uploaded or existing).
	Landed []string
	// Cause is a failure before any upload (credentials, PreCheck) or a
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
			fmt.Fprintf(&b, "\n  %s: %s", f.Name, indent(f.ErrorText()))
		}
	}
	if len(e.NotAttempted) > 0 {
		fmt.Fprintf(&b, "\nnot uploaded (not attempted): %s", strings.Join(e.NotAttempted, ", "))
	}
	if len(e.Landed) > 0 {
		fmt.Fprintf(&b, "\nalready on the index: %s\nthe release is incomplete: fix the error and run again (files already there are accepted again when identical, or skipped with PublishOptions.SkipExisting)", strings.Join(e.Landed, ", "))
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

// orderFiles returns files in upload order: wheels first, then sdists (as
// twine does: installers prefer wheels, so a release is usable as soon as
// possible), keeping the given order within each group.
func orderFiles(files []*pydist.File) []*pydist.File {
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

// Publish uploads files in order (wheels before sdists) and reports every
// file's outcome. The first file of each release that the index does not
// have yet goes before the rest of that release (it creates the project or
// release, and PyPI races badly when several uploads create one at once);
// the first files of different releases go together, and then up to
// Concurrency files at once. The returned Report is never nil; err is a
// *PublishError when any file failed or was not attempted, and names them.
func (c *Client) Publish(ctx context.Context, files []*pydist.File, opts PublishOptions) (*Report, error) {
	r := c.newRun(files, opts)
	if err := r.configure(); err != nil {
		return r.fail(err)
	}
	if len(r.order) == 0 {
		return r.rep, nil
	}
	if err := r.resolveCredentials(ctx); err != nil {
		return r.fail(err)
	}
	if err := r.checkFiles(); err != nil {
		return r.fail(err)
	}
	if opts.PreCheck {
		if err := r.precheck(ctx); err != nil {
			return r.fail(err)
		}
	}
	pending := r.pending()
	if opts.DryRun {
		r.dryRun(pending)
		return r.rep, finalError(r.rep, nil, StageCheck)
	}
	r.send(ctx, r.schedule(pending))
	return r.finish(ctx)
}

// run is one Publish call: its files in upload order, their reports, and
// what the index's simple API said about their projects.
type run struct {
	c     *Client
	opts  PublishOptions
	obs   Observer
	conc  int
	u     *url.URL
	order []*pydist.File
	rep   *Report
	pages map[string]*ProjectPage // by normalised project name (PreCheck)
	stage Stage                   // where a failure now stops the run
}

func (c *Client) newRun(files []*pydist.File, opts PublishOptions) *run {
	r := &run{c: c, opts: opts, obs: opts.Observer, order: orderFiles(files), pages: map[string]*ProjectPage{}, stage: StageConfig}
	if r.obs == nil {
		r.obs = NopObserver{}
	}
	r.rep = &Report{PublishURL: c.URL, DryRun: opts.DryRun, Files: make([]FileReport, len(r.order))}
	for i, f := range r.order {
		r.rep.Files[i] = FileReport{Name: distName(f), Path: f.Path, Size: f.Size, Outcome: OutcomeNotAttempted}
	}
	return r
}

// fail ends the run before any upload: every file not yet decided is not
// attempted because of cause.
func (r *run) fail(cause error) (*Report, error) {
	for i := range r.rep.Files {
		if f := &r.rep.Files[i]; f.Outcome == OutcomeNotAttempted {
			f.Err = fmt.Errorf("not attempted: %w", cause)
		}
	}
	return r.rep, finalError(r.rep, cause, r.stage)
}

// configure checks the options and the publish URL (StageConfig).
func (r *run) configure() error {
	if r.opts.Concurrency < 0 {
		return fmt.Errorf("concurrency must be at least 1, got %d", r.opts.Concurrency)
	}
	r.conc = r.opts.Concurrency
	if r.conc == 0 {
		r.conc = DefaultConcurrency
	}
	u, err := urlpolicy.ParseIndexURL("publish URL", r.c.URL)
	if err != nil {
		return err
	}
	r.u, r.rep.PublishURL = u, u.Redacted()
	return nil
}

// resolveCredentials asks for credentials once up front, so that a bad
// token source or a token over plain http fails before the first byte
// (StageCredentials).
func (r *run) resolveCredentials(ctx context.Context) error {
	r.stage = StageCredentials
	if r.c.Credentials == nil {
		return nil
	}
	creds, err := r.c.Credentials.Credentials(ctx)
	if err != nil {
		return fmt.Errorf("getting credentials for %s: %w", r.u.Redacted(), err)
	}
	if !creds.IsZero() {
		return r.c.urlPolicy().Check("publish URL", r.u)
	}
	return nil
}

// checkFiles makes sure every file can be described and read (StageCheck).
func (r *run) checkFiles() error {
	r.stage = StageCheck
	for _, f := range r.order {
		if _, err := formFields(f); err != nil {
			return err
		}
		if _, err := os.Stat(f.Path); err != nil {
			return fmt.Errorf("reading %s: %w", f.Path, err)
		}
	}
	return nil
}

// precheck reads each project's simple-API page before any upload: a file
// there with the same sha256 is skipped, one with another sha256 fails the
// run before any byte is sent.
func (r *run) precheck(ctx context.Context) error {
	cu, _, err := r.c.checkURL(r.u, r.c.SimpleURL)
	if err != nil {
		r.stage = StageConfig // a bad simple-API URL is a usage error, not a refused file
		return err
	}
	for _, f := range r.order {
		key := pydist.NormalizeName(projectName(f))
		if _, ok := r.pages[key]; ok {
			continue
		}
		p, err := r.c.FetchProject(ctx, cu.String(), projectName(f))
		if err != nil {
			r.stage = StageUpload // the index could not be asked: a failure, not a refused file
			return fmt.Errorf("checking what the index has: %w", err)
		}
		r.pages[key] = p
	}
	var conflicts []error
	for i, f := range r.order {
		have, ok := r.page(f).Files[distName(f)]
		if !ok {
			continue
		}
		sha, err := filehash.SHA256(f.Path)
		if err != nil {
			return err
		}
		fr := &r.rep.Files[i]
		fr.SHA256, fr.URL = sha, have.URL
		switch {
		case have.SHA256 == "":
			conflicts = append(conflicts, fmt.Errorf("%s is already on the index without a sha256 to compare with: it cannot be uploaded again; bump the version", fr.Name))
		case have.SHA256 == sha:
			fr.Outcome = OutcomeSkippedExisting
			fr.Note = "already on the index with the same sha256"
		default:
			fr.Outcome = OutcomeFailed
			fr.Err = &ConflictError{Filename: fr.Name, Hint: Hint{Kind: HintFileDiffers, PyPI: isPyPIHost(r.u.Hostname()), SHA256Here: sha, SHA256There: have.SHA256}}
			conflicts = append(conflicts, fr.Err)
		}
	}
	return errors.Join(conflicts...)
}

// page is what the precheck read about f's project (nil without one).
func (r *run) page(f *pydist.File) *ProjectPage {
	return r.pages[pydist.NormalizeName(projectName(f))]
}

// pending returns the files still to send; those the precheck settled are
// reported done (they never start).
func (r *run) pending() []int {
	var pending []int
	for i := range r.order {
		if r.rep.Files[i].Outcome == OutcomeNotAttempted {
			pending = append(pending, i)
		} else {
			r.obs.FileDone(r.rep.Files[i])
		}
	}
	return pending
}

// dryRun hashes each pending file, as an upload would, and sends nothing.
func (r *run) dryRun(pending []int) {
	for _, i := range pending {
		f, fr := r.order[i], &r.rep.Files[i]
		r.obs.FileStarted(f)
		if sha, err := filehash.SHA256(f.Path); err != nil {
			fr.Outcome, fr.Err = OutcomeFailed, err
		} else {
			fr.SHA256, fr.Outcome = sha, OutcomeDryRun
		}
		r.obs.FileDone(*fr)
	}
}

// job is one file to send; after, when not nil, is closed once the first
// file of its release is done.
type job struct {
	i     int
	after chan struct{}
	done  chan struct{} // closed when this job ends (for a release's first file)
}

// schedule orders the pending files for sending: the first file of every
// release the index does not have yet (in upload order), then every other
// file (in upload order), each waiting for its release's first file.
func (r *run) schedule(pending []int) []job {
	var firsts, rest []job
	opened := map[string]chan struct{}{} // release key -> its first file's done
	for _, i := range pending {
		f := r.order[i]
		key := pydist.NormalizeName(projectName(f)) + "==" + releaseVersion(f)
		done, seen := opened[key]
		switch {
		case !seen && !r.page(f).HasVersion(releaseVersion(f)):
			done = make(chan struct{})
			opened[key] = done
			firsts = append(firsts, job{i: i, done: done})
		default:
			if !seen {
				opened[key] = nil // the release exists: its files need not wait
			}
			rest = append(rest, job{i: i, after: done})
		}
	}
	return append(firsts, rest...)
}

// send runs the jobs in their order, up to Concurrency at once. After a
// failure (or once ctx ends) no new file starts; those already sending
// finish.
func (r *run) send(ctx context.Context, jobs []job) {
	var stopped atomic.Bool
	halted := func() bool { return stopped.Load() || ctx.Err() != nil }
	var g errgroup.Group
	g.SetLimit(r.conc)
	for _, j := range jobs {
		if j.after != nil {
			select {
			case <-j.after:
			case <-ctx.Done():
			}
		}
		if halted() {
			break
		}
		g.Go(func() error {
			if j.done != nil {
				defer close(j.done)
			}
			if halted() {
				return nil
			}
			if r.sendOne(ctx, j.i).Outcome == OutcomeFailed {
				stopped.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait()
}

// sendOne uploads file i and records its report.
func (r *run) sendOne(ctx context.Context, i int) FileReport {
	f := r.order[i]
	r.obs.FileStarted(f)
	start := time.Now()
	fr := r.c.publishOne(ctx, r.u, f, r.opts)
	fr.Duration = time.Since(start)
	r.rep.Files[i] = fr // each goroutine writes its own element
	r.obs.FileDone(fr)
	return fr
}

// finish explains the files never sent, gives the uploaded ones their URL
// when the index's simple API was read, and summarises the run.
func (r *run) finish(ctx context.Context) (*Report, error) {
	var cause error
	if ctx.Err() != nil {
		cause = fmt.Errorf("publishing was cancelled: %w", context.Cause(ctx))
	}
	for i := range r.rep.Files {
		if fr := &r.rep.Files[i]; fr.Outcome == OutcomeNotAttempted {
			reason := "not attempted because another file failed"
			if cause != nil {
				reason = "not attempted: publishing was cancelled"
			}
			fr.Err = errors.New(reason)
		}
	}
	if r.opts.PreCheck {
		r.c.fillURLs(ctx, r.u, r.order, r.rep)
	}
	return r.rep, finalError(r.rep, cause, StageUpload)
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
		r.Note = "the index says it already exists (skip existing)"
	default:
		// The index has a file of this name: an index that refuses even an
		// identical re-upload (pypiserver), or another run meanwhile. The
		// same sha256 on the index is not a failure; a different one is
		// said only when the index's hash proves it.
		if IsFileExists(err) {
			if settled := c.settleExisting(ctx, u, c.SimpleURL, f, res.SHA256, err); settled {
				r.Outcome = OutcomeSkippedExisting
				r.Note = "already on the index with the same sha256"
				return r
			}
		}
		r.Outcome, r.Err = OutcomeFailed, err
	}
	return r
}

// fillURLs reads the index once more to give uploaded files their URL.
// It is best effort: an index's simple API may lag behind its uploads.
func (c *Client) fillURLs(ctx context.Context, u *url.URL, order []*pydist.File, rep *Report) {
	cu, _, err := c.checkURL(u, c.SimpleURL)
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
