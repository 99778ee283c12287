package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/exitcode"
	"github.com/trustpub/trustpub/cmd/trustpub/internal/output"
	"github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/upload"
)

type publishCmd struct {
	Files []string `arg:"" optional:"" placeholder:"PATH" help:"Files, globs or directories to upload (default dist/*)."`
	TargetFlags
	AttestFlags

	CheckURL           string `name:"check-url" placeholder:"URL" help:"Simple-API URL of the index (e.g. https://pypi.org/simple/): files already there with the same sha256 are skipped, a different sha256 is an error before any upload. Env: TRUSTPUB_CHECK_URL, UV_PUBLISH_CHECK_URL."`
	SkipExisting       bool   `name:"skip-existing" help:"Treat files the index already has (\"File already exists\") as skipped, as twine does."`
	Concurrency        int    `default:"8" help:"Files sent at once (the first file of a new release goes alone)."`
	DryRun             bool   `name:"dry-run" help:"Do every check and resolve credentials, but send no file."`
	JSON               string `name:"json" placeholder:"FILE" help:"Write a machine-readable report (per file: name, size, sha256, outcome, URL) to FILE ('-' for stdout)."`
	Quiet              bool   `short:"q" help:"Print only errors and the summary."`
	Verbose            bool   `short:"v" help:"Print more detail (credential source, retries, server answers)."`
	AllowLocalVersions bool   `name:"allow-local-versions" help:"Accept local versions (1.0+local); PyPI refuses them."`
	Rules              string `name:"rules" enum:"auto,pypi,index" default:"auto" help:"Whose rules to check against: auto (PyPI's for upload.pypi.org and test.pypi.org, another index's elsewhere), pypi, or index (PyPI-only rules are warnings)."`
	connFlags

	// foundAttestationsOnly sends the attestation files found beside the
	// dists but signs none (twine's upload --attestations).
	foundAttestationsOnly bool `kong:"-"`
}

func (c *publishCmd) Run(ctx context.Context, a *App) error {
	// Every secret of the run (a given credential, the OIDC token, each
	// minted upload token) is registered with red as soon as it is had;
	// progress lines, the JSON report and the final error are redacted
	// with it, in case an index echoes one back.
	red := redact.New()
	return red.Error(c.run(ctx, a, red))
}

func (c *publishCmd) run(ctx context.Context, a *App, red *redact.Redactor) error {
	if c.Quiet && c.Verbose {
		return usageErr("--quiet and --verbose contradict each other: give one")
	}
	if c.Concurrency < 1 {
		return usageErr("--concurrency must be at least 1, got %d", c.Concurrency)
	}
	if err := c.unsupportedUVFlags(); err != nil {
		return err
	}
	fileTimeout, err := c.fileTimeout(a.Env)
	if err != nil {
		return usageErr("%w", err)
	}
	t, idx, err := c.target(a)
	if err != nil {
		return err
	}
	red.AddBasicAuth(t.Username, t.Password)
	if redact.TooShort(t.Password) {
		fmt.Fprintf(a.Stderr, "warning: the password from %s is too short (under %d characters) to be told apart from other text: it is not redacted if the index repeats it; use an API token or a longer password\n", t.CredSource, redact.MinLength)
	}
	// An explicit check URL pre-checks every file; the index's own simple
	// API (known for PyPI) is still used to settle a lost answer.
	explicitCheck := c.CheckURL
	if explicitCheck == "" {
		explicitCheck, _ = a.Env.get("TRUSTPUB_CHECK_URL", "UV_PUBLISH_CHECK_URL")
	}
	if explicitCheck == "" && idx != nil {
		explicitCheck = idx.checkURL // uv checks against the index's url
	}
	checkURL := orDefault(explicitCheck, t.CheckURL)
	plainHosts := c.plainHTTPHosts(a.Env)
	if t.HasCredentials() {
		if err := checkPlainHTTP(a.Stderr, "publish URL (from "+t.URLSource+")", t.PublishURL, plainHosts); err != nil {
			return usageErr("%w", err)
		}
	}
	indexHC, err := c.httpClient(a.Env)
	if err != nil {
		return usageErr("%w", err)
	}
	if indexHC != nil {
		b := *a
		b.indexHTTP = indexHC
		a = &b
	}

	// Every file is checked before any credential is used or byte is sent.
	rules := c.Rules
	if rules == "auto" || rules == "" {
		rules = "index"
		if isPyPI(t.PublishURL.Hostname()) {
			rules = "pypi"
		}
	}
	if v, _ := a.Env.get("TRUSTPUB_NO_ATTESTATIONS", "UV_PUBLISH_NO_ATTESTATIONS"); !c.NoAttestations && envTrue(v) {
		c.NoAttestations = true
	}
	files, problems, err := loadDists(a.Stderr, c.Files, pydist.CheckOptions{Profile: profileOf(rules), AllowLocalVersions: c.AllowLocalVersions}, false, !c.NoAttestations)
	if err != nil {
		return err
	}
	if len(pydist.Errors(problems)) == 0 && len(problems) > 0 && !c.Quiet {
		printProblems(a.Stderr, problems, true, false) // warnings only
	}
	if problems = pydist.Errors(problems); len(problems) > 0 {
		printProblems(a.Stderr, problems, true, false)
		if c.JSON != "" {
			rep, err := refusedReport(t.PublishURL.Redacted(), files, problems)
			if werr := c.writeJSON(a, red, rep, err); werr != nil {
				return werr
			}
		}
		return silentExit(ExitCheck)
	}

	if explicitCheck != "" {
		if err := describeCheckURL(a.Stderr, explicitCheck, files, c.Quiet); err != nil {
			return err
		}
	}

	// Attestation files beside the dists are checked with them.
	var found map[string][]foundAttestation
	if !c.NoAttestations {
		if found, problems = findAttestations(files); len(problems) > 0 {
			printProblems(a.Stderr, problems, true, false)
			return silentExit(ExitCheck)
		}
	}

	mode, err := c.trustedPublishingMode(a.Env)
	if err != nil {
		return err
	}
	creds, how, err := a.credentialSource(ctx, t, mode, c.DryRun, red)
	if err != nil {
		return withPublisherLinks(err, t, files)
	}
	if c.Verbose {
		fmt.Fprintf(a.Stderr, "publishing to %s (from %s) with %s\n", t.PublishURL.Redacted(), t.URLSource, how)
	}
	attestations, err := c.attestations(ctx, a, t, files, found, !t.HasCredentials(), red)
	if err != nil {
		return err
	}

	client := &upload.Client{
		URL:         t.PublishURL.String(),
		Credentials: creds,
		SimpleURL:   checkURL,
		UserAgent:   "trustpub/" + Version,
		HTTPClient:  indexHC,
		FileTimeout: fileTimeout,

		AllowPlainHTTP: plainHosts,
	}
	if checkURL != "" {
		// Refusals that depend on the index's state, known before upload.
		if ps := preflightIndexState(ctx, a, client, files, checkURL, rules, c.AllowLocalVersions); len(ps) > 0 {
			if c.JSON != "" {
				rep, err := refusedReport(t.PublishURL.Redacted(), files, ps)
				if werr := c.writeJSON(a, red, rep, err); werr != nil {
					return werr
				}
			}
			return silentExit(ExitCheck)
		}
	}

	level := output.Normal
	switch {
	case c.Quiet:
		level = output.Quiet
	case c.Verbose:
		level = output.Verbose
	}
	obs := output.New(output.Options{Out: a.Stderr, TTY: a.IsTerminal, Level: level, Redactor: red})
	obs.Start(t.PublishURL.Redacted(), len(files), c.DryRun)
	report, perr := client.Publish(ctx, files, upload.PublishOptions{
		Concurrency:  c.Concurrency,
		SkipExisting: c.SkipExisting,
		PreCheck:     explicitCheck != "",
		DryRun:       c.DryRun,
		Observer:     obs,
		Attestations: attestations,
	})
	obs.Finish(report)
	if c.JSON != "" {
		if err := c.writeJSON(a, red, report, perr); err != nil {
			if perr == nil {
				return err
			}
			// The upload's own failure decides the exit code.
			fmt.Fprintln(a.Stderr, "trustpub: error:", err)
		}
	}
	if perr != nil {
		return withCode(exitcode.ForPublish(perr), output.WithHints(perr))
	}
	return nil
}

// preflightIndexState reads what the index at checkURL has of the files'
// projects and returns (having printed them) the errors that refuse the
// run: a filename already used by other contents or a new file for a
// closed release (PyPI's 14-day rule, under PyPI's rules). An index that
// cannot be read is a warning: the upload itself still meets the index's
// own refusal.
func preflightIndexState(ctx context.Context, a *App, client *upload.Client, files []*pydist.File, checkURL, rules string, allowLocal bool) []pydist.Problem {
	sc := upload.StateCheck{IndexURL: checkURL, Rules: pydist.CheckOptions{Profile: profileOf(rules), AllowLocalVersions: allowLocal}}
	if rules == "pypi" {
		sc.ReleaseWindow = pydist.PyPIReleaseWindow
	}
	ps, err := client.CheckIndexState(ctx, files, sc)
	if err != nil {
		fmt.Fprintf(a.Stderr, "warning: the index's files could not be read to check them before upload: %v\n", err)
		return nil
	}
	if len(ps) > 0 {
		printProblems(a.Stderr, ps, true, false)
	}
	return pydist.Errors(ps)
}

// isPyPI reports whether host is PyPI's or TestPyPI's upload host.
func isPyPI(host string) bool {
	switch strings.ToLower(host) {
	case "upload.pypi.org", "test.pypi.org", "pypi.org":
		return true
	}
	return false
}

// writeJSON writes the --json report to a file or, for "-", to stdout,
// redacted with red.
func (c *publishCmd) writeJSON(a *App, red *redact.Redactor, rep *upload.Report, perr error) error {
	rep, perr = output.RedactReport(red, rep), red.Error(perr)
	var err error
	if c.JSON == "-" {
		err = output.WriteJSON(a.Stdout, rep, perr)
	} else {
		err = output.WriteJSONFile(c.JSON, rep, perr)
	}
	if err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	return nil
}

// refusedReport is the report of a run stopped by the checks: the refused
// files failed, the others were not attempted, and nothing was sent.
func refusedReport(publishURL string, passed []*pydist.File, problems []pydist.Problem) (*upload.Report, error) {
	rep := &upload.Report{PublishURL: publishURL}
	perr := &upload.PublishError{Stage: upload.StageCheck}
	byPath := map[string][]string{}
	var order []string
	for _, p := range problems {
		if _, seen := byPath[p.Path]; !seen {
			order = append(order, p.Path)
		}
		msg := p.Message
		if p.Field != "" {
			msg = p.Field + ": " + msg
		}
		byPath[p.Path] = append(byPath[p.Path], msg)
	}
	for _, path := range order {
		fr := upload.FileReport{Name: filepath.Base(path), Path: path, Outcome: upload.OutcomeFailed, Err: errors.New(strings.Join(byPath[path], "; "))}
		if st, err := os.Stat(path); err == nil {
			fr.Size = st.Size()
		}
		rep.Files = append(rep.Files, fr)
		perr.Failed = append(perr.Failed, fr)
	}
	for _, f := range passed {
		rep.Files = append(rep.Files, upload.FileReport{Name: f.Filename.Raw, Path: f.Path, Size: f.Size, Outcome: upload.OutcomeNotAttempted, Err: errNotSentChecks})
		perr.NotAttempted = append(perr.NotAttempted, f.Filename.Raw)
	}
	perr.Cause = fmt.Errorf("%d file(s) refused by the checks", len(order))
	return rep, perr
}

// errNotSentChecks is why the files that passed the checks were not sent.
var errNotSentChecks = errors.New("not sent: other files were refused by the checks")
