// Package harness runs the side-by-side benchmark: for every case and run it
// starts a fresh `trustpub serve`, uploads the case's files with one client,
// checks they arrived, stops the server, and alternates the clients run by
// run. It returns a report.Report for the caller to print.
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trustpub/trustpub/bench/internal/gen"
	"github.com/trustpub/trustpub/bench/internal/hashrate"
	"github.com/trustpub/trustpub/bench/internal/report"
	"github.com/trustpub/trustpub/bench/internal/runner"
	"github.com/trustpub/trustpub/bench/internal/size"
	"github.com/trustpub/trustpub/internal/sink"
	"github.com/trustpub/trustpub/secret"
)

// Config is one benchmark run.
type Config struct {
	// Trustpub is the trustpub binary: server and client.
	Trustpub string
	// Twine is twine's path, or "" to skip its column.
	Twine string
	// TwineSkipReason explains an empty Twine in the report.
	TwineSkipReason string
	// Cases lists case IDs (gen.CaseSmall...) in run order.
	Cases []string
	// Runs is the number of measured runs per tool and case (≥ 1).
	Runs int
	// Warmup is the number of untimed runs per tool and case first.
	Warmup int
	// BigSize is the size of case c's big member.
	BigSize int64
	// HashRuns is how many times each hashing mode is timed.
	HashRuns int
	// CacheDir holds generated inputs between benchmark runs.
	CacheDir string
	// WorkDir receives per-run data directories, ready files and logs;
	// the caller creates and removes it.
	WorkDir string
	// DataDir receives the index's per-run data directories; "" means
	// WorkDir. The caller creates and removes it.
	DataDir string
	// DataInMemory says DataDir is a memory filesystem (tmpfs): every run's
	// data directory is then removed as soon as the run ends, to free the
	// memory.
	DataInMemory bool
	// Keep leaves every run's data directory in place, except a big run's
	// in memory.
	Keep bool
	// RunTimeout bounds one client run.
	RunTimeout time.Duration
	// Log receives progress lines (nil: discarded).
	Log io.Writer
	// HTTPClient checks the uploads (nil: a client with a 60 s timeout).
	HTTPClient *http.Client
	// Wrapper starts every client, so that its own peak RSS is measured
	// (see runner.Command.Wrapper): the benchmark's own binary. Empty: the
	// clients are started directly.
	Wrapper string
}

// tool is a client under test.
type tool struct {
	name string
	// command builds the client's command line for an upload URL and files.
	command func(uploadURL string, files []string) runner.Command
	// display is the command line shown in the report.
	display string
}

// Run benchmarks every case and returns the report (Finish already called).
// A tool that fails on a case is marked skipped with the reason, the other
// cases still run, and the returned error lists every failure.
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	if cfg.Runs < 1 {
		return nil, fmt.Errorf("-runs must be at least 1, got %d", cfg.Runs)
	}
	if cfg.Warmup < 0 {
		return nil, fmt.Errorf("-warmup must not be negative, got %d", cfg.Warmup)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.RunTimeout <= 0 {
		cfg.RunTimeout = 30 * time.Minute
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(cfg.WorkDir, "token")
	if err := os.WriteFile(tokenFile, []byte(token.Reveal()+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing the token file: %w", err)
	}
	home := filepath.Join(cfg.WorkDir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("creating the clients' HOME: %w", err)
	}
	base := baseEnv(home, cfg.WorkDir)

	tools := []tool{{
		name:    report.Trustpub,
		display: "trustpub publish --publish-url BASE/legacy/ --quiet FILES… (token in TRUSTPUB_TOKEN)",
		command: func(u string, files []string) runner.Command {
			return runner.Command{
				Path: cfg.Trustpub,
				Args: append([]string{"publish", "--publish-url", u, "--quiet"}, files...),
				Env:  append(base[:len(base):len(base)], "TRUSTPUB_TOKEN="+token.Reveal()),
			}
		},
	}}
	if cfg.Twine != "" {
		tools = append(tools, tool{
			name:    report.Twine,
			display: "twine upload --repository-url BASE/legacy/ --disable-progress-bar --non-interactive FILES… (token in TWINE_USERNAME/TWINE_PASSWORD)",
			command: func(u string, files []string) runner.Command {
				return runner.Command{
					Path: cfg.Twine,
					Args: append([]string{"upload", "--repository-url", u, "--disable-progress-bar", "--non-interactive"}, files...),
					Env:  append(base[:len(base):len(base)], "TWINE_USERNAME=__token__", "TWINE_PASSWORD="+token.Reveal()),
				}
			},
		})
	}

	rep := &report.Report{RunsPerTool: cfg.Runs, Warmup: cfg.Warmup}
	var failures []error
	for _, id := range cfg.Cases {
		if err := ctx.Err(); err != nil {
			failures = append(failures, err)
			break
		}
		c, err := runCase(ctx, cfg, id, tools, tokenFile)
		if c != nil {
			rep.Cases = append(rep.Cases, *c)
		}
		if err != nil {
			failures = append(failures, err)
			if ctx.Err() != nil {
				break // interrupted: report what was measured so far
			}
		}
	}
	if err := rep.Finish(); err != nil {
		failures = append(failures, err)
	}
	return rep, errors.Join(failures...)
}

// runCase prepares one case's input and runs every tool on it.
func runCase(ctx context.Context, cfg Config, id string, tools []tool, tokenFile string) (*report.Case, error) {
	plan, err := gen.PlanFor(id, cfg.BigSize)
	if err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(cfg.Log, format+"\n", a...) }
	in, err := gen.Prepare(ctx, cfg.CacheDir, plan, logf)
	if err != nil {
		return nil, err
	}
	if in.Reused {
		logf("case %s: reusing %d cached file(s) in %s", id, len(in.Files), filepath.Join(cfg.CacheDir, plan.Key))
	}
	c := &report.Case{
		ID: id, Title: plan.Title, Project: plan.Project, Files: len(in.Files), Bytes: in.Bytes(),
		Big: id == gen.CaseBig,
	}
	if c.Big {
		h, err := measureHash(ctx, cfg, plan, &in, logf)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", id, err)
		}
		c.Hash = &h
		sk, err := measureSink(ctx, cfg, tools[0], in, logf)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", id, err)
		}
		c.Sink = sk
	}
	for _, t := range tools {
		c.Tools = append(c.Tools, report.Tool{Name: t.name, Command: t.display})
	}
	if cfg.Twine == "" {
		c.Tools = append(c.Tools, report.Tool{Name: report.Twine, Skipped: cfg.TwineSkipReason})
	}

	failed := map[string]error{}
	for i := -cfg.Warmup; i < cfg.Runs; i++ {
		for pos, t := range Order(tools, i) {
			if failed[t.name] != nil {
				continue
			}
			label := fmt.Sprintf("case %s, %s, run %d/%d", id, t.name, i+1, cfg.Runs)
			if i < 0 {
				label = fmt.Sprintf("case %s, %s, warm-up %d/%d", id, t.name, i+cfg.Warmup+1, cfg.Warmup)
			}
			res, err := runOnce(ctx, cfg, t, in, tokenFile, fmt.Sprintf("%s-%s-%d", id, t.name, i+cfg.Warmup))
			if err != nil {
				if ctx.Err() != nil {
					return c, err
				}
				logf("%s: FAILED: %v", label, err)
				failed[t.name] = err
				ct := c.Tool(t.name)
				ct.Skipped = "failed: " + firstLine(err.Error())
				ct.Runs = nil
				continue
			}
			extra := ""
			if c.Big {
				extra = fmt.Sprintf(", %.0f MiB/s", float64(c.Bytes)/(1<<20)/res.Wall.Seconds())
			}
			logf("%s: %s, peak RSS %s%s", label, report.Duration(res.Wall.Seconds()), size.Format(res.MaxRSSKiB<<10), extra)
			if i >= 0 {
				ct := c.Tool(t.name)
				ct.Runs = append(ct.Runs, report.Run{WallSeconds: res.Wall.Seconds(), MaxRSSKiB: res.MaxRSSKiB, FloorKiB: res.FloorKiB, First: pos == 0})
			}
		}
	}
	var errs []error
	for _, t := range tools {
		if err := failed[t.name]; err != nil {
			errs = append(errs, fmt.Errorf("case %s, %s: %w", id, t.name, err))
		}
	}
	return c, errors.Join(errs...)
}

// Order returns the tools in the order of run i: as given on even runs,
// reversed on odd ones (warm-up runs are negative), so that neither tool
// always runs first, right after the other's server wrote to the disk.
func Order[T any](tools []T, i int) []T {
	out := make([]T, len(tools))
	for k := range tools {
		if i%2 != 0 {
			out[k] = tools[len(tools)-1-k]
		} else {
			out[k] = tools[k]
		}
	}
	return out
}

// measureHash measures the hashing ceiling of the big case's wheel; the pass
// also re-checks the cached file's sha256 and regenerates it on a mismatch.
func measureHash(ctx context.Context, cfg Config, plan gen.Plan, in *gen.Input, logf func(string, ...any)) (hashrate.Result, error) {
	for attempt := 0; ; attempt++ {
		f := in.Files[0]
		logf("case %s: timing sha256 and blake2b over %s (%s)", plan.ID, f.Name, size.Format(f.Size))
		h, err := hashrate.Measure(ctx, f.Path, cfg.HashRuns)
		if err != nil {
			return h, err
		}
		if h.Digest == f.SHA256 {
			return h, nil
		}
		if attempt > 0 {
			return h, fmt.Errorf("%s: sha256 %s after regeneration, manifest says %s", f.Name, h.Digest, f.SHA256)
		}
		logf("case %s: %s does not match its manifest (sha256 %s): regenerating", plan.ID, f.Name, h.Digest)
		if err := os.Remove(f.Path); err != nil {
			return h, fmt.Errorf("removing the stale %s: %w", f.Name, err)
		}
		regen, err := gen.Prepare(ctx, cfg.CacheDir, plan, logf)
		if err != nil {
			return h, err
		}
		*in = regen
	}
}

// measureSink times trustpub's client (tool) uploading the big case to a
// discarding loopback server, cfg.Runs times: the client's own throughput,
// which an index on the same 2 cores cannot show.
func measureSink(ctx context.Context, cfg Config, t tool, in gen.Input, logf func(string, ...any)) (*report.Tool, error) {
	res := &report.Tool{Name: t.name + " → discarding sink", Command: t.display}
	for i := 0; i < cfg.Runs; i++ {
		s, err := sink.Start()
		if err != nil {
			return nil, fmt.Errorf("starting the sink: %w", err)
		}
		rctx, cancel := context.WithTimeout(ctx, cfg.RunTimeout)
		rc := t.command(s.URL, in.Paths())
		rc.Wrapper = cfg.Wrapper
		r, err := runner.Run(rctx, rc)
		cancel()
		got := s.Received()
		s.Close()
		if err != nil {
			return nil, fmt.Errorf("trustpub to the sink: %w", err)
		}
		if got < in.Bytes() {
			return nil, fmt.Errorf("trustpub to the sink: the sink received %d bytes, less than the %d of the file", got, in.Bytes())
		}
		logf("case %s, %s, run %d/%d: %s, peak RSS %s, %.0f MiB/s", in.Plan.ID, res.Name, i+1, cfg.Runs,
			report.Duration(r.Wall.Seconds()), size.Format(r.MaxRSSKiB<<10), float64(in.Bytes())/(1<<20)/r.Wall.Seconds())
		res.Runs = append(res.Runs, report.Run{WallSeconds: r.Wall.Seconds(), MaxRSSKiB: r.MaxRSSKiB, FloorKiB: r.FloorKiB})
	}
	return res, nil
}

// ServeArgs are the server's flags for one run: loopback on a free port, a
// fresh data directory, the bench token, a ready file, and a file-size limit
// of 2 GiB or enough for the big wheel.
func ServeArgs(dataDir, tokenFile, readyFile string, bigSize int64) []string {
	limit := "2GiB"
	if need := bigSize + 64<<20; need > 2<<30 {
		limit = fmt.Sprintf("%dMiB", (need+1<<20-1)>>20)
	}
	return []string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--token-file", tokenFile, "--ready-file", readyFile, "--max-file-size", limit}
}

// removeAfterRun is the upload size from which an on-disk run's data
// directory is removed as soon as the run ends; smaller ones stay until the
// work directory is removed at the end of the benchmark. Deleting thousands
// of small files between runs slows the next runs' server: ext4 without a
// journal will not reuse an inode deleted in the last minutes while its
// inode-table block is dirty, and scans past every such inode each time it
// allocates one (measured: file creation grew from 1 % to 40 % of the
// index's CPU time in case (b)). A big run's directory holds a handful of
// inodes and gigabytes of data.
const removeAfterRun = 64 << 20

// runOnce starts a fresh server, runs one client, checks the upload and
// stops the server. Only the client is timed.
func runOnce(ctx context.Context, cfg Config, t tool, in gen.Input, tokenFile, name string) (runner.Result, error) {
	dir := filepath.Join(cfg.WorkDir, "runs", name)
	data := filepath.Join(dir, "data")
	if cfg.DataDir != "" {
		data = filepath.Join(cfg.DataDir, name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return runner.Result{}, fmt.Errorf("creating the run directory: %w", err)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return runner.Result{}, fmt.Errorf("creating the index's data directory: %w", err)
	}
	switch big := in.Bytes() >= removeAfterRun; {
	case cfg.DataInMemory && big:
		defer os.RemoveAll(data) // even with Keep: it is gigabytes of memory
	case cfg.Keep:
	case cfg.DataInMemory || big:
		defer os.RemoveAll(data)
	}
	ready := filepath.Join(dir, "ready")
	srv, err := runner.StartServer(ctx, runner.ServerConfig{
		Command:   runner.Command{Path: cfg.Trustpub, Args: ServeArgs(data, tokenFile, ready, cfg.BigSize), Env: baseEnv(filepath.Join(cfg.WorkDir, "home"), cfg.WorkDir)},
		ReadyFile: ready,
		LogFile:   filepath.Join(dir, "server.log"),
	})
	if err != nil {
		return runner.Result{}, err
	}
	runner.FlushDisks() // untimed: earlier runs' writeback stays out of this one
	rctx, cancel := context.WithTimeout(ctx, cfg.RunTimeout)
	defer cancel()
	rc := t.command(srv.Base+"/legacy/", in.Paths())
	rc.Wrapper = cfg.Wrapper
	res, runErr := runner.Run(rctx, rc)
	if runErr == nil {
		runErr = runner.Verify(ctx, cfg.HTTPClient, srv.Base, in.Plan.Project, in.Plan.Filenames())
	}
	stopErr := srv.Stop()
	if runErr != nil {
		return res, runErr
	}
	return res, stopErr
}

// baseEnv is the environment every process gets: PATH, a private empty HOME
// (no ~/.pypirc, keyring or trustpub config can change the result), a UTF-8
// locale and a TMPDIR inside the work directory.
func baseEnv(home, tmp string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TMPDIR=" + tmp}
}

// newToken returns a random token of the shape PyPI tokens have ("pypi-"
// prefix), valid for this benchmark run only.
func newToken() (secret.String, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return secret.String{}, fmt.Errorf("generating the upload token: %w", err)
	}
	return secret.New("pypi-bench-" + hex.EncodeToString(b)), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
