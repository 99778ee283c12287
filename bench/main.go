// Command bench measures trustpub against Debian's twine, side by side, on
// one machine in one run: it builds trustpub, starts a fresh `trustpub serve`
// on loopback for every run, uploads the same generated inputs with
// `trustpub publish` and `twine upload` (alternating them run by run), and
// prints a markdown table (stdout) and, when asked, JSON (-json FILE) and a
// PNG chart (-png FILE) of the ratios; nothing is written into the
// repository unless a flag names a file there.
//
// Usage, from the repository root:
//
//	go run ./bench [-runs 5] [-cases a,b,c] [-big-size 1GiB] [-json FILE] [-png chart.png] [-keep]
//
// Cases: (a) one small sdist; (b) a release of 40 small wheels and one
// sdist; (c) one wheel with a -big-size member of incompressible bytes. See
// bench/README.md for the columns and the targets.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/trustpub/trustpub/bench/internal/gen"
	"github.com/trustpub/trustpub/bench/internal/harness"
	"github.com/trustpub/trustpub/bench/internal/machine"
	"github.com/trustpub/trustpub/bench/internal/runner"
	"github.com/trustpub/trustpub/bench/internal/size"
	"github.com/trustpub/trustpub/bench/internal/startup"
)

// modulePath identifies the repository root (the directory whose go.mod
// declares it).
const modulePath = "github.com/trustpub/trustpub"

func main() {
	runner.WrapperMain() // when started as the wrapper of a measured client
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: error:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	runs, warmup, hashRuns int
	cases                  string
	bigSize                size.Value
	jsonPath, pngPath      string
	keep                   bool
	cacheDir               string
	twine, trustpub        string
	timeout                time.Duration
	quiet                  bool
	indexData              string
	startupRuns            int
}

func parseFlags(args []string, stderr io.Writer, root string) (*options, error) {
	o := &options{bigSize: size.Value(1 << 30)}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./bench [flags]\n\nBenchmarks trustpub publish against twine upload on a local trustpub serve.\nCases: a = 1 small sdist, b = 40 small wheels + 1 sdist, c = 1 wheel of -big-size random bytes.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&o.runs, "runs", 5, "measured runs per tool and case (median and spread are over these)")
	fs.IntVar(&o.warmup, "warmup", 1, "untimed warm-up runs per tool and case before the measured ones")
	fs.StringVar(&o.cases, "cases", "a,b,c", "comma-separated cases to run: a (1 small sdist), b (40 wheels + 1 sdist), c (1 big wheel)")
	fs.Var(&o.bigSize, "big-size", "size of case c's incompressible member, e.g. 1GiB, or 64MiB for a smoke test")
	fs.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file (default: none; the table goes to stdout)")
	fs.StringVar(&o.pngPath, "png", "", "also draw a PNG bar chart of the twine/trustpub ratios to this file")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (binary, server logs, data directories; in memory, the small runs' only) and print its path")
	fs.StringVar(&o.cacheDir, "cache", filepath.Join(cache, "trustpub-bench"), "directory for the generated inputs, reused between runs while valid")
	fs.StringVar(&o.twine, "twine", "twine", "twine command (name on PATH or path); its column is skipped when absent")
	fs.StringVar(&o.trustpub, "trustpub", "", "use this trustpub binary instead of building ./cmd/trustpub")
	fs.IntVar(&o.hashRuns, "hash-runs", 3, "timed passes per hashing mode for case c's ceiling")
	fs.IntVar(&o.startupRuns, "startup-runs", 20, "runs of \"trustpub version\" and of a static Go hello world, alternated (0: skip)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "limit for one client run")
	fs.BoolVar(&o.quiet, "q", false, "no progress lines on stderr")
	fs.StringVar(&o.indexData, "index-data", "memory", "where the index keeps each run's data: memory (a tmpfs, /dev/shm, so that the disk's state does not weigh on the clients compared) or disk (the work directory)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every option is a flag (see -h)", fs.Arg(0))
	}
	if o.runs < 1 {
		return nil, fmt.Errorf("-runs must be at least 1, got %d", o.runs)
	}
	if o.warmup < 0 || o.hashRuns < 1 {
		return nil, fmt.Errorf("-warmup must be ≥ 0 and -hash-runs ≥ 1 (got %d and %d)", o.warmup, o.hashRuns)
	}
	if o.indexData != "memory" && o.indexData != "disk" {
		return nil, fmt.Errorf("-index-data %q: use memory or disk", o.indexData)
	}
	if _, err := parseCases(o.cases); err != nil {
		return nil, err
	}
	if o.bigSize < 1<<20 {
		return nil, fmt.Errorf("-big-size %s is too small to measure throughput: use at least 1MiB (64MiB for a smoke test, 1GiB for the real figure)", o.bigSize.String())
	}
	if o.bigSize > gen.MaxBigSize {
		return nil, fmt.Errorf("-big-size %s is too large: the generated wheel is a classic zip, so at most %s", o.bigSize.String(), size.Format(gen.MaxBigSize))
	}
	return o, nil
}

// parseCases splits "a,b,c" into known case IDs, without duplicates.
func parseCases(s string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(s, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		if !slices.Contains(gen.CaseIDs, c) {
			return nil, fmt.Errorf("-cases: unknown case %q: use a, b and/or c, e.g. -cases a,b", c)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-cases is empty: use a, b and/or c")
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	o, err := parseFlags(args, stderr, root)
	if err != nil {
		return err
	}
	cases, _ := parseCases(o.cases)
	progress := stderr
	if o.quiet {
		progress = io.Discard
	}
	logf := func(format string, a ...any) { fmt.Fprintf(progress, format+"\n", a...) }

	work, err := os.MkdirTemp("", "trustpub-bench-")
	if err != nil {
		return fmt.Errorf("creating the work directory: %w", err)
	}
	if o.keep {
		defer fmt.Fprintln(stderr, "bench: kept the work directory", work)
	} else {
		defer os.RemoveAll(work)
	}

	bin := o.trustpub
	if bin == "" {
		bin = filepath.Join(work, "trustpub")
		logf("building trustpub (CGO_ENABLED=0 go build -o %s ./cmd/trustpub)", bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/trustpub")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as released
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/trustpub in %s: %w\n%s", root, err, out)
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	if err := checkServe(ctx, bin); err != nil {
		return err
	}

	info := machine.Collect()
	info.Trustpub = machine.ToolVersion(ctx, bin, "version")
	twine, twineSkip := "", ""
	if p, err := exec.LookPath(o.twine); err == nil {
		twine = p
		// "twine version 4.0.2 (importlib-metadata: …, pkginfo: …)": keep the version.
		info.Twine, _, _ = strings.Cut(machine.ToolVersion(ctx, twine, "--version"), " (")
		info.TwinePython = shebang(twine)
	} else {
		twineSkip = fmt.Sprintf("%s not found (install Debian's: apt-get install -y twine)", o.twine)
		fmt.Fprintf(stderr, "bench: %s: skipping the twine column\n", twineSkip)
	}
	if la := info.LoadAverage1; la != "" {
		logf("machine: %s, %d cores, load average %s", info.CPU, info.Cores, la)
	}

	need := int64(64 << 20) // (a) and (b) take a few MiB
	if slices.Contains(cases, gen.CaseBig) {
		need += int64(o.bigSize) + 64<<20
	}
	data, err := indexDataDir(o.indexData, work, need)
	if err != nil {
		return err
	}
	if data.inMemory {
		if o.keep {
			defer fmt.Fprintln(stderr, "bench: kept the index data directory", data.dir)
		} else {
			defer os.RemoveAll(data.dir)
		}
	}
	if data.note != "" {
		fmt.Fprintf(stderr, "bench: %s\n", data.note)
	}
	logf("index data: %s", data.where)

	// Every client is started by this program run again as a wrapper, so
	// that its peak RSS is its own (see runner.WrapperMain).
	wrapper, err := os.Executable()
	if err != nil {
		wrapper = ""
		fmt.Fprintf(stderr, "bench: cannot find this program (%v): clients are started directly, and their peak RSS may include the harness's\n", err)
	}
	rep, runErr := harness.Run(ctx, harness.Config{
		Trustpub: bin, Twine: twine, TwineSkipReason: twineSkip,
		Cases: cases, Runs: o.runs, Warmup: o.warmup, BigSize: int64(o.bigSize), HashRuns: o.hashRuns,
		CacheDir: o.cacheDir, WorkDir: work, DataDir: data.dir, DataInMemory: data.inMemory,
		Keep: o.keep, RunTimeout: o.timeout, Log: progress, Wrapper: wrapper,
	})
	if rep == nil {
		return runErr
	}
	if o.startupRuns > 0 && runErr == nil {
		logf("start-up: trustpub version against a static hello world, %d runs each", o.startupRuns)
		progs := startup.Programs{Trustpub: bin}
		var err error
		if progs.Hello, err = startup.BuildHello(ctx, work); err == nil {
			if progs.Floor, err = startup.BuildFloor(ctx, root, work); err != nil {
				rep.Notes = append(rep.Notes, fmt.Sprintf("start-up floor not measured: %v", err))
			}
			var st startup.Result
			if st, err = startup.Measure(ctx, progs, wrapper, o.startupRuns); err == nil {
				rep.Startup = &st
			}
		}
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("start-up not measured: %v", err))
		}
	}
	rep.Started = start
	rep.Seconds = time.Since(start).Seconds()
	rep.Machine = info
	rep.Command = "go run ./bench " + strings.Join(args, " ")
	rep.IndexData = data.where
	if data.note != "" {
		rep.Notes = append(rep.Notes, data.note)
	}
	if int64(o.bigSize) != 1<<30 && slices.Contains(cases, gen.CaseBig) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("case (c) ran with -big-size %s, not the 1 GiB of the published figure.", o.bigSize.String()))
	}
	if o.runs < 5 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("only %d run(s) per tool: a smoke test, not a figure to publish (use -runs 5 or more).", o.runs))
	}
	if err := rep.Markdown(stdout); err != nil {
		return err
	}
	if o.jsonPath != "" {
		if err := rep.WriteJSON(o.jsonPath); err != nil {
			return err
		}
		logf("wrote %s", o.jsonPath)
	}
	if o.pngPath != "" {
		if err := rep.WritePNG(o.pngPath); err != nil {
			return err
		}
		logf("wrote %s", o.pngPath)
	}
	return runErr
}

// indexData is where the index keeps its per-run data directories.
type indexData struct {
	dir      string // "" for the work directory
	inMemory bool
	where    string // for the report, e.g. "in memory (tmpfs, /dev/shm)"
	note     string // why the data is not where -index-data asked, or ""
}

// memoryRoot is where -index-data memory puts the index's data.
const memoryRoot = "/dev/shm"

// indexDataDir resolves -index-data: "memory" is a new directory on the
// tmpfs at /dev/shm (the caller removes it), falling back to the disk with a
// note when there is none or it has less than need bytes free (one run's
// data at a time is there); "disk" is the work directory. In memory the
// index's fsyncs cost nothing and its file creations do not depend on what
// the disk went through before, so the figures compare the clients rather
// than the disk's state; -index-data disk measures with a durable index.
func indexDataDir(mode, work string, need int64) (indexData, error) {
	var note string
	if mode == "memory" {
		free, known := runner.FreeBytes(memoryRoot)
		switch {
		case runner.FSType(memoryRoot) != "tmpfs":
			note = fmt.Sprintf("-index-data memory: %s is not a tmpfs here, so the index's data is on disk.", memoryRoot)
		case known && free < need:
			note = fmt.Sprintf("-index-data memory: %s has %s free, less than the %s a run needs, so the index's data is on disk.", memoryRoot, size.Format(free), size.Format(need))
		default:
			dir, err := os.MkdirTemp(memoryRoot, "trustpub-bench-")
			if err != nil {
				return indexData{}, fmt.Errorf("-index-data memory: creating the index's data directory in %s: %w (use -index-data disk)", memoryRoot, err)
			}
			return indexData{dir: dir, inMemory: true, where: "in memory (tmpfs, " + memoryRoot + ")"}, nil
		}
	}
	where := "on disk (" + work + ")"
	switch fs := runner.FSType(work); fs {
	case "":
	case "tmpfs":
		where = "in the work directory (" + work + "), a tmpfs"
		if mode == "disk" {
			note = fmt.Sprintf("-index-data disk: the work directory %s is on a tmpfs, so the index's data is in memory after all; point TMPDIR at a directory on disk.", work)
		}
	default:
		where = "on disk (" + fs + ", " + work + ")"
	}
	return indexData{where: where, note: note}, nil
}

// checkServe makes sure the binary's serve command has the flags the
// benchmark drives it with.
func checkServe(ctx context.Context, bin string) error {
	out, _ := exec.CommandContext(ctx, bin, "serve", "--help").CombinedOutput()
	var missing []string
	for _, f := range []string{"--ready-file", "--token-file", "--max-file-size", "--addr", "--data"} {
		if !strings.Contains(string(out), f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s serve --help does not list %s: this trustpub cannot be benchmarked yet", bin, strings.Join(missing, ", "))
	}
	return nil
}

// moduleRoot walks up from the working directory to the trustpub module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if f, err := os.Open(filepath.Join(d, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			ok := false
			for sc.Scan() {
				if strings.TrimSpace(sc.Text()) == "module "+modulePath {
					ok = true
					break
				}
			}
			f.Close()
			if ok {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run the benchmark inside the trustpub repository (no go.mod for %s above %s)", modulePath, dir)
		}
	}
}

// shebang returns the interpreter of a script, e.g. /usr/bin/python3 for
// Debian's twine, or "".
func shebang(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if !strings.HasPrefix(line, "#!") {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "#!"))
}
