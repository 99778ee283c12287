package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// A client's peak RSS cannot be read from the rusage of a child of the
// harness: Go starts children with vfork semantics (the child shares the
// parent's memory until exec), and Linux's ru_maxrss of the child is the
// larger of its own peak and that of the memory it ran in before exec, the
// harness's (a hello world reports 100 MiB under a 100 MiB parent). So
// every client is started by a small wrapper process (this program itself,
// run again with wrapperEnv set, before it does anything else): the
// client's pre-exec memory is then the wrapper's few MiB, reported beside
// the figure as its floor, and the wrapper times the client and reports
// its rusage.

// wrapperEnv marks a process started as the measuring wrapper.
const wrapperEnv = "TRUSTPUB_BENCH_WRAPPER"

// wrapperFD is the file descriptor the wrapper writes its report to.
const wrapperFD = 3

// wrapperReport is what the wrapper tells Run.
type wrapperReport struct {
	WallNS    int64  `json:"wall_ns"`
	MaxRSSKiB int64  `json:"max_rss_kib"`
	FloorKiB  int64  `json:"floor_kib"` // the wrapper's own peak RSS when it started the client
	Exit      int    `json:"exit"`
	Err       string `json:"err,omitempty"`
}

// WrapperMain runs the measuring wrapper and exits when this process was
// started as one; otherwise it returns at once. Call it first in main (and
// in TestMain of tests that use Run).
func WrapperMain() {
	if os.Getenv(wrapperEnv) == "" {
		return
	}
	os.Exit(wrap(os.Args[1:]))
}

func wrap(args []string) int {
	report := os.NewFile(wrapperFD, "report")
	write := func(r wrapperReport) {
		if report != nil {
			json.NewEncoder(report).Encode(r)
			report.Close()
		}
	}
	if len(args) == 0 {
		write(wrapperReport{Exit: -1, Err: "the wrapper was given no command"})
		return 1
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, wrapperEnv+"=") })
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	floor := selfMaxRSSKiB()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	r := wrapperReport{WallNS: wall.Nanoseconds(), FloorKiB: floor, Exit: -1}
	if cmd.ProcessState != nil {
		r.MaxRSSKiB = maxRSSKiB(cmd.ProcessState)
		r.Exit = cmd.ProcessState.ExitCode()
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		r.Err = err.Error()
	}
	write(r)
	if r.Exit < 0 {
		return 1
	}
	return r.Exit
}

// wrapped returns the command that runs c under its wrapper; ok is false
// when c has none (then c runs directly).
func wrapped(c Command) (path string, args, env []string, ok bool) {
	if c.Wrapper == "" {
		return "", nil, nil, false
	}
	env = append(slices.Clone(c.Env), wrapperEnv+"=1")
	return c.Wrapper, append([]string{c.Path}, c.Args...), env, true
}

// readReport decodes the wrapper's report.
func readReport(b []byte) (wrapperReport, error) {
	var r wrapperReport
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("the measuring wrapper reported %q: %w", b, err)
	}
	if r.Err != "" {
		return r, errors.New(r.Err)
	}
	return r, nil
}
