// Package runner runs the benchmark's processes: a client whose wall time
// and peak RSS are measured, and an index server started for one run and
// stopped after it.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Command is a process to run.
type Command struct {
	Path string
	Args []string // without the program name
	// Env is the process's whole environment (nil: an empty one, not the
	// parent's, so that stray TWINE_* or TRUSTPUB_* variables cannot change
	// what is measured).
	Env []string
	Dir string
	// Wrapper, when set, is a program that calls WrapperMain first (the
	// benchmark itself): Run starts the client through it, to measure the
	// client's own peak RSS (see wrapper.go). Empty: the client is started
	// directly, and its RSS may be the caller's.
	Wrapper string
}

// String renders the command for messages. It never includes Env, where
// credentials are passed.
func (c Command) String() string {
	return strings.Join(append([]string{c.Path}, c.Args...), " ")
}

// Result is one measured client run.
type Result struct {
	Wall time.Duration
	// MaxRSSKiB is the peak resident set size of the client (and of any
	// child it waited for), from wait4's rusage, in KiB, as the measuring
	// wrapper saw it (see wrapper.go).
	MaxRSSKiB int64
	// FloorKiB is the wrapper's own peak RSS when it started the client:
	// MaxRSSKiB cannot be smaller, so a figure at the floor only bounds the
	// client's from above. Zero when the client ran without the wrapper.
	FloorKiB int64
	// Output is the tail of the process's combined stdout and stderr.
	Output string
}

// outputTail is how much of a client's output is kept for error messages.
const outputTail = 8 << 10

// Run starts c under the measuring wrapper, waits for it and measures it:
// wall time from just before the client is started to just after it has
// been reaped, and its peak RSS, both taken by the wrapper. A non-zero exit
// is an error that quotes the end of the output.
func Run(ctx context.Context, c Command) (Result, error) {
	path, args, env, viaWrapper := wrapped(c)
	if !viaWrapper {
		path, args, env = c.Path, c.Args, c.Env
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	out := &tailBuffer{max: outputTail}
	cmd.Stdout, cmd.Stderr = out, out
	var report chan []byte
	if viaWrapper {
		pr, pw, err := os.Pipe()
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", c, err)
		}
		defer pr.Close()
		cmd.ExtraFiles = []*os.File{pw}
		ownGroup(cmd)
		report = make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(io.LimitReader(pr, 1<<16))
			report <- b
		}()
		defer pw.Close()
	}
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		if len(cmd.ExtraFiles) > 0 {
			cmd.ExtraFiles[0].Close() // the wrapper holds it now
		}
		err = cmd.Wait()
	}
	wall := time.Since(start)
	res := Result{Wall: wall, Output: out.String()}
	if cmd.ProcessState != nil {
		res.MaxRSSKiB = maxRSSKiB(cmd.ProcessState)
	}
	if report != nil && cmd.ProcessState != nil {
		rep, rerr := readReport(<-report)
		if rerr != nil && err == nil {
			err = rerr
		}
		if rerr == nil {
			res.Wall, res.MaxRSSKiB, res.FloorKiB = time.Duration(rep.WallNS), rep.MaxRSSKiB, rep.FloorKiB
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("%s: %w", c, ctx.Err())
		}
		return res, fmt.Errorf("%s: %w\n%s", c, err, indent(res.Output))
	}
	return res, nil
}

// Server is an index server process that announced its base URL.
type Server struct {
	// Base is the URL the server wrote to its ready file, without a
	// trailing slash, e.g. "http://127.0.0.1:41234".
	Base    string
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	done    chan struct{}
	waitErr error
	// stopTimeout bounds the wait after SIGTERM.
	stopTimeout time.Duration
}

// ServerConfig says how to start a server and how long to wait for it.
type ServerConfig struct {
	Command Command
	// ReadyFile is where the server writes its base URL once listening; it
	// must not exist yet.
	ReadyFile string
	// LogFile receives the server's stdout and stderr.
	LogFile string
	// ReadyTimeout bounds the wait for ReadyFile (default 30s).
	ReadyTimeout time.Duration
	// StopTimeout bounds the wait after SIGTERM before SIGKILL (default 30s).
	StopTimeout time.Duration
	// Poll is the ready-file polling interval (default 5ms).
	Poll time.Duration
}

// StartServer starts the server and waits until it writes its ready file.
// A server that exits first, or is not ready in time, is reported with the
// end of its log.
func StartServer(ctx context.Context, cfg ServerConfig) (*Server, error) {
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	if _, err := os.Stat(cfg.ReadyFile); err == nil {
		return nil, fmt.Errorf("ready file %s already exists: give every server a fresh one", cfg.ReadyFile)
	}
	logf, err := os.Create(cfg.LogFile)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	c := cfg.Command
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", c, err)
	}
	s := &Server{cmd: cmd, logPath: cfg.LogFile, log: logf, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	stopTimeout := cfg.StopTimeout
	fail := func(err error) (*Server, error) {
		_ = s.stop(stopTimeout)
		return nil, fmt.Errorf("%w\nserver log (%s):\n%s", err, s.logPath, indent(s.logTail()))
	}
	deadline := time.NewTimer(cfg.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	for {
		b, err := os.ReadFile(cfg.ReadyFile)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			base := strings.TrimRight(strings.TrimSpace(string(b)), "/")
			if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
				return fail(fmt.Errorf("%s: ready file %s holds %q, not a base URL", c, cfg.ReadyFile, base))
			}
			s.Base = base
			s.stopTimeout = stopTimeout
			return s, nil
		}
		select {
		case <-s.done:
			return fail(fmt.Errorf("%s exited before writing its ready file: %v", c, s.waitErr))
		case <-deadline.C:
			return fail(fmt.Errorf("%s did not write its ready file %s within %s", c, cfg.ReadyFile, cfg.ReadyTimeout))
		case <-ctx.Done():
			return fail(fmt.Errorf("waiting for %s: %w", c, ctx.Err()))
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM, waits for the server to exit (SIGKILL after the stop
// timeout) and reports an exit that was not clean, with the end of its log.
func (s *Server) Stop() error {
	if err := s.stop(s.stopTimeout); err != nil {
		return fmt.Errorf("%w\nserver log (%s):\n%s", err, s.logPath, indent(s.logTail()))
	}
	return nil
}

func (s *Server) stop(timeout time.Duration) error {
	defer s.log.Close()
	select {
	case <-s.done:
		return fmt.Errorf("server exited early: %v", s.waitErr)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping the server: %w", err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.done:
		if s.waitErr != nil {
			return fmt.Errorf("server exited after SIGTERM with %v", s.waitErr)
		}
		return nil
	case <-t.C:
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("server did not stop within %s of SIGTERM and was killed", timeout)
	}
}

// logTail returns the end of the server's log.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	if len(b) > outputTail {
		b = b[len(b)-outputTail:]
	}
	return string(b)
}

// Verify fetches the project's page of the simple API and checks that every
// file name appears on it, so that a client that exits 0 without uploading
// (or a server that drops files) cannot produce a figure.
func Verify(ctx context.Context, client *http.Client, base, project string, filenames []string) error {
	url := base + "/simple/" + project + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json, text/html;q=0.5")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("checking the upload: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("checking the upload: reading %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("checking the upload: GET %s: %s", url, resp.Status)
	}
	var missing []string
	for _, f := range filenames {
		if !strings.Contains(string(body), f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("checking the upload: %d of %d files are not listed at %s, e.g. %s", len(missing), len(filenames), url, missing[0])
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

// Write implements io.Writer; it never fails.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// String returns what is kept.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// indent prefixes every line of s for nesting under an error message.
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
