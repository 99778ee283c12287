package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/trustpub/trustpub/pydist"
)

type checkCmd struct {
	Files              []string `arg:"" optional:"" placeholder:"PATH" help:"Files, globs or directories (default dist/*)."`
	AllowLocalVersions bool     `name:"allow-local-versions" help:"Accept local versions (1.0+local); PyPI refuses them."`
}

func (c *checkCmd) Run(a *App) error {
	files, problems, err := loadDists(a.Stderr, c.Files, pydist.CheckOptions{AllowLocalVersions: c.AllowLocalVersions})
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(a.Stdout, "%s: ok (%s %s, %s)\n", f.Path, f.Metadata.Get("Name"), f.Metadata.Get("Version"), f.Filename.Kind.FileType())
	}
	if len(problems) > 0 {
		printProblems(a.Stderr, problems, false)
		return silentExit(ExitCheck)
	}
	return nil
}

// loadDists finds, opens and checks the inputs. It returns the files that
// passed and every problem of the others; skipped inputs are reported on w.
func loadDists(w io.Writer, args []string, opts pydist.CheckOptions) ([]*pydist.File, []pydist.Problem, error) {
	paths, skipped, err := pydist.Find(args)
	if err != nil {
		return nil, nil, usageErr("%w", err)
	}
	for _, s := range skipped {
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
				results[i].problems = []pydist.Problem{{Path: p, Message: msg}}
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
		if len(r.problems) > 0 {
			problems = append(problems, r.problems...)
			continue
		}
		ok = append(ok, r.file)
	}
	ok, dup := sameNames(w, ok)
	return ok, append(problems, dup...), nil
}

func orDefaultArgs(args []string) []string {
	if len(args) == 0 {
		return []string{"dist/*"}
	}
	return args
}

// printProblems lists every problem; publishing says that nothing was sent.
func printProblems(w io.Writer, problems []pydist.Problem, publishing bool) {
	if publishing {
		fmt.Fprintf(w, "%d problem(s) found; nothing was uploaded:\n", len(problems))
	} else {
		fmt.Fprintf(w, "%d problem(s) found:\n", len(problems))
	}
	for _, p := range problems {
		field := ""
		if p.Field != "" {
			field = " [" + p.Field + "]"
		}
		fmt.Fprintf(w, "  %s%s: %s\n", p.Path, field, p.Message)
	}
}
