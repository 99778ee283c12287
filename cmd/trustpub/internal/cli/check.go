package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/output"
	"github.com/trustpub/trustpub/pep740"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/upload"
)

type checkCmd struct {
	Files              []string `arg:"" optional:"" placeholder:"PATH" help:"Files, globs or directories (default dist/*)."`
	Rules              string   `name:"rules" enum:"pypi,index" default:"pypi" help:"Whose rules to apply: pypi (PyPI and TestPyPI, the default) or index (another index: PyPI-only rules such as normalised filenames, platform tags, classifiers and description rendering are warnings)."`
	Strict             bool     `help:"Treat warnings (e.g. a missing long description or Description-Content-Type, as twine check warns) as errors."`
	JSON               bool     `name:"json" help:"Print the results as JSON on stdout (files, and each problem with its stable code, severity, file and field), for CI annotations."`
	AllowLocalVersions bool     `name:"allow-local-versions" help:"Accept local versions (1.0+local); PyPI refuses them."`
	CheckURL           string   `name:"check-url" placeholder:"URL" help:"Simple-API URL of the target index (e.g. https://pypi.org/simple/): also report what it would refuse given what it already has (a filename used by other contents; under PyPI's rules, a new file for a release older than 14 days)."`
}

func (c *checkCmd) Run(ctx context.Context, a *App) error {
	opts := pydist.CheckOptions{Profile: profileOf(c.Rules), AllowLocalVersions: c.AllowLocalVersions}
	files, problems, err := loadDists(a.Stderr, c.Files, opts, c.Strict, false)
	if err != nil {
		return err
	}
	if c.CheckURL != "" && len(files) > 0 {
		sc := upload.StateCheck{IndexURL: c.CheckURL, Rules: opts}
		if c.Rules == "pypi" {
			sc.ReleaseWindow = pydist.PyPIReleaseWindow
		}
		client := &upload.Client{UserAgent: "trustpub/" + Version}
		ps, err := client.CheckIndexState(ctx, files, sc)
		if err != nil {
			return fmt.Errorf("--check-url: %w", err)
		}
		problems = append(problems, ps...)
		failedPaths := map[string]bool{}
		for _, p := range ps {
			if p.Severity == pydist.Error || c.Strict {
				failedPaths[p.Path] = true
			}
		}
		files = slices.DeleteFunc(files, func(f *pydist.File) bool { return failedPaths[f.Path] })
	}
	failed := len(pydist.Errors(problems)) > 0 || (c.Strict && len(problems) > 0)
	if c.JSON {
		if err := writeCheckJSON(a.Stdout, files, problems, failed); err != nil {
			return err
		}
	} else {
		for _, f := range files {
			fmt.Fprintf(a.Stdout, "%s: ok (%s %s, %s)\n", f.Path, f.Metadata.Get("Name"), f.Metadata.Get("Version"), f.Filename.Kind.FileType())
		}
		printProblems(a.Stderr, problems, false, c.Strict)
	}
	if failed {
		return silentExit(ExitCheck)
	}
	return nil
}

// profileOf maps the --rules value to the rules profile.
func profileOf(rules string) pydist.Profile {
	if rules == "index" {
		return pydist.ProfileIndex
	}
	return pydist.ProfilePyPI
}

// checkJSON is the --json output of check.
type checkJSON struct {
	OK       bool               `json:"ok"`
	Files    []checkJSONFile    `json:"files"`
	Problems []checkJSONProblem `json:"problems"`
}

type checkJSONFile struct {
	Path     string `json:"path"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	FileType string `json:"filetype"`
}

type checkJSONProblem struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Path     string `json:"path"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

func writeCheckJSON(w io.Writer, files []*pydist.File, problems []pydist.Problem, failed bool) error {
	out := checkJSON{OK: !failed, Files: []checkJSONFile{}, Problems: []checkJSONProblem{}}
	for _, f := range files {
		out.Files = append(out.Files, checkJSONFile{Path: f.Path, Name: f.Metadata.Get("Name"), Version: f.Metadata.Get("Version"), FileType: f.Filename.Kind.FileType()})
	}
	for _, p := range problems {
		out.Problems = append(out.Problems, checkJSONProblem{Code: p.Code, Severity: p.Severity.String(), Path: p.Path, Field: p.Field, Message: p.Message})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// loadDists finds, opens and checks the inputs. It returns the files that
// passed (no errors; with strict, no warnings either) and every problem,
// warnings of passing files included; skipped inputs are reported on w,
// except, withAttestations, the attestation files of found dists (they go
// up with their dist).
func loadDists(w io.Writer, args []string, opts pydist.CheckOptions, strict, withAttestations bool) ([]*pydist.File, []pydist.Problem, error) {
	paths, skipped, err := pydist.Find(args)
	if err != nil {
		return nil, nil, usageErr("%w", err)
	}
	found := make(map[string]bool, len(paths))
	for _, p := range paths {
		found[p] = true
	}
	for _, s := range skipped {
		if dist, _, ok := pep740.DistFor(s.Path); ok && withAttestations && found[dist] {
			continue
		}
		fmt.Fprintf(w, "skipping %s: %s\n", s.Path, s.Reason)
	}
	if len(paths) == 0 {
		return nil, nil, usageErr("no distributions to upload in %v: build them first (python -m build) or name the files", orDefaultArgs(args))
	}
	// Open and check in parallel (each file is read with bounded reads);
	// results keep the order Find gave, wheels first.
	type result struct {
		file     *pydist.File
		problems []pydist.Problem
	}
	results := make([]result, len(paths))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range paths {
		g.Go(func() error {
			f, err := pydist.Open(p)
			if err != nil {
				// Open's errors name the file already.
				msg := strings.TrimPrefix(err.Error(), p+": ")
				msg = strings.TrimPrefix(msg, filepath.Base(p)+": ")
				pr := pydist.ProblemOf(err, p)
				pr.Message = msg
				results[i].problems = []pydist.Problem{pr}
				return nil
			}
			results[i] = result{file: f, problems: pydist.Check(f, opts)}
			return nil
		})
	}
	g.Wait()
	var ok []*pydist.File
	var problems []pydist.Problem
	for _, r := range results {
		problems = append(problems, r.problems...)
		if r.file != nil && len(pydist.Errors(r.problems)) == 0 && (!strict || len(r.problems) == 0) {
			ok = append(ok, r.file)
		}
	}
	ok, dup := sameNames(w, ok)
	problems = append(problems, dup...)
	// Refusals of the files together (a second sdist of a release): the
	// file refused is no longer ok.
	set := pydist.CheckUploadSet(ok, opts)
	ok = slices.DeleteFunc(ok, func(f *pydist.File) bool {
		return slices.ContainsFunc(set, func(p pydist.Problem) bool {
			return p.Path == f.Path && (p.Severity == pydist.Error || strict)
		})
	})
	return ok, append(problems, set...), nil
}

func orDefaultArgs(args []string) []string {
	if len(args) == 0 {
		return []string{"dist/*"}
	}
	return args
}

// printProblems lists the errors, then the warnings (as errors with
// strict); publishing says that nothing was sent.
func printProblems(w io.Writer, problems []pydist.Problem, publishing, strict bool) {
	var errs, warns []pydist.Problem
	for _, p := range problems {
		if p.Severity == pydist.Error || strict {
			errs = append(errs, p)
		} else {
			warns = append(warns, p)
		}
	}
	errHead, warnHead := "%d problem(s) found:\n", "%d warning(s) (not blocking; --strict makes them errors):\n"
	if publishing {
		errHead, warnHead = "%d problem(s) found; nothing was uploaded:\n", "%d warning(s) (not blocking; `trustpub check --strict` treats them as errors):\n"
	}
	for _, group := range []struct {
		head string
		ps   []pydist.Problem
	}{{errHead, errs}, {warnHead, warns}} {
		if len(group.ps) == 0 {
			continue
		}
		fmt.Fprintf(w, group.head, len(group.ps))
		for _, p := range group.ps {
			field := ""
			if p.Field != "" {
				field = " [" + output.Clean(p.Field) + "]"
			}
			// Messages carry values from the files and from the index:
			// neither may move the cursor or recolour the terminal.
			fmt.Fprintf(w, "  %s%s: %s (%s)\n", output.Clean(p.Path), field, output.Clean(p.Message), p.Code)
		}
	}
}
