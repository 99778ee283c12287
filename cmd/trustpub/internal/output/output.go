// Package output renders upload progress and results for the trustpub CLI:
// progress bars on a terminal, one plain line per event elsewhere (CI logs),
// a JSON report, and the exit code.
//
// Nothing here ever sees a credential: it renders file names, sizes,
// digests, outcomes and error messages, which the upload package keeps free
// of secrets. As a second line of defence, every line is passed through
// Options.Redact and Options.Redactor before it is written.
package output

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/upload"
)

// Level is how much is printed.
type Level int

const (
	// Quiet prints failures and the final error only.
	Quiet Level = iota - 1
	// Normal prints one line per file start/finish, retries and a summary.
	Normal
	// Verbose adds progress lines (every 25 %) in line mode, digests and
	// attempt counts.
	Verbose
)

// Options configures a Renderer.
type Options struct {
	// Out receives everything (usually os.Stderr, so stdout stays clean
	// for --json -).
	Out io.Writer
	// TTY selects progress bars; use IsTerminal(Out).
	TTY bool
	// Level is Quiet, Normal or Verbose.
	Level Level
	// Redact lists secrets that must never appear; any occurrence in a
	// line is replaced by secret.Redacted.
	Redact []secret.String
	// Redactor, if set, redacts every line with the secrets it holds when
	// the line is written, so that a secret obtained mid-run (a minted
	// upload token) can be added to it; Redact's secrets are added to it.
	Redactor *redact.Redactor
	// Now is the clock for rates; nil is time.Now.
	Now func() time.Time
}

// IsTerminal reports whether w is a terminal (progress bars make sense).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Renderer turns upload.Observer events into output. It implements
// upload.Observer and is safe for concurrent use. Call Start before the
// upload and Finish after it.
type Renderer struct {
	opts   Options
	now    func() time.Time
	redact *redact.Redactor // Options.Redactor, or one holding Options.Redact

	ticker      sync.WaitGroup // the refresh goroutine
	refresh     chan any       // manual refresh requests to mpb
	stopRefresh chan struct{}  // closed to stop the refresh goroutine

	mu       sync.Mutex
	dryRun   bool
	progress *mpb.Progress           // TTY only
	bars     map[string]*mpb.Bar     // by file name, TTY only
	started  map[string]time.Time    // by file name
	lastPct  map[string]int64        // line mode: last progress quarter printed
	files    map[string]*pydist.File // by file name
}

var _ upload.Observer = (*Renderer)(nil)

// New returns a Renderer.
func New(opts Options) *Renderer {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	red := opts.Redactor
	if red == nil {
		red = redact.New()
	}
	red.Add(opts.Redact...)
	return &Renderer{opts: opts, now: now, redact: red, bars: map[string]*mpb.Bar{}, started: map[string]time.Time{}, lastPct: map[string]int64{}, files: map[string]*pydist.File{}}
}

// Start announces the run: "Uploading N files to URL" (or "Checking" for a
// dry run) and, on a terminal, starts the progress display.
func (r *Renderer) Start(publishURL string, files int, dryRun bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.opts.TTY && r.opts.Level >= Normal && !dryRun && r.progress == nil {
		// Refreshes are driven here (not by mpb's own timer) so that Finish
		// can force one: lines printed above the bars are only written at a
		// refresh, and the last ones would otherwise be lost at shutdown.
		r.refresh = make(chan any)
		r.stopRefresh = make(chan struct{})
		r.progress = mpb.New(mpb.WithOutput(r.opts.Out), mpb.WithManualRefresh(r.refresh), mpb.WithWidth(40))
		r.ticker.Add(1)
		go r.tick(r.refresh, r.stopRefresh)
	}
	r.dryRun = dryRun
	verb := "Uploading"
	if dryRun {
		verb = "Dry run: checking"
	}
	r.linef(Normal, "%s %d %s to %s", verb, files, plural(files, "file", "files"), publishURL)
}

// FileStarted implements upload.Observer.
func (r *Renderer) FileStarted(f *pydist.File) {
	name := fileName(f)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started[name] = r.now()
	r.files[name] = f
	if r.progress != nil {
		r.bars[name] = r.progress.AddBar(f.Size,
			mpb.PrependDecorators(decor.Name(Clean(name), decor.WCSyncSpaceR)),
			mpb.AppendDecorators(
				decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
				decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace),
				decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), "done"),
			),
		)
		return
	}
	verb := "uploading"
	if r.dryRun {
		verb = "checking"
	}
	r.linef(Normal, "%s %s (%s)", verb, name, formatBytes(f.Size))
}

// Progress implements upload.Observer.
func (r *Renderer) Progress(f *pydist.File, sent, total int64) {
	name := fileName(f)
	r.mu.Lock()
	defer r.mu.Unlock()
	if bar := r.bars[name]; bar != nil {
		bar.SetCurrent(sent)
		return
	}
	if r.opts.Level < Verbose || total <= 0 {
		return
	}
	q := sent * 4 / total // quarters: 0..4
	if sent == 0 {
		r.lastPct[name] = 0
		return
	}
	if q <= r.lastPct[name] || q >= 4 {
		return
	}
	r.lastPct[name] = q
	elapsed := r.now().Sub(r.started[name])
	r.linef(Verbose, "%s: %d%% (%s of %s, %s, ETA %s)", name, q*25, formatBytes(sent), formatBytes(total), rate(sent, elapsed), eta(sent, total, elapsed))
}

// Retrying implements upload.Observer.
func (r *Renderer) Retrying(f *pydist.File, attempt int, err error, delay time.Duration) {
	name := fileName(f)
	r.mu.Lock()
	defer r.mu.Unlock()
	if bar := r.bars[name]; bar != nil {
		bar.SetCurrent(0)
	}
	r.linef(Normal, "retrying %s in %s: attempt %d failed: %v", name, delay.Round(time.Millisecond), attempt, err)
}

// FileDone implements upload.Observer.
func (r *Renderer) FileDone(rep upload.FileReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	elapsed := rep.Duration
	if t, ok := r.started[rep.Name]; ok && elapsed == 0 {
		elapsed = r.now().Sub(t)
	}
	if bar := r.bars[rep.Name]; bar != nil {
		if rep.Outcome == upload.OutcomeUploaded {
			bar.SetTotal(-1, true)
		} else {
			bar.Abort(false)
		}
	}
	var line string
	level := Normal
	switch rep.Outcome {
	case upload.OutcomeUploaded:
		line = fmt.Sprintf("uploaded %s (%s in %s, %s)", rep.Name, formatBytes(rep.Size), elapsed.Round(time.Millisecond), rate(rep.Size, elapsed))
	case upload.OutcomeSkippedExisting:
		line = fmt.Sprintf("skipped %s: already on the index", rep.Name)
		if strings.HasPrefix(rep.Note, "already on the index") {
			line = "skipped " + rep.Name
		}
	case upload.OutcomeDryRun:
		line = fmt.Sprintf("would upload %s (%s)", rep.Name, formatBytes(rep.Size))
	case upload.OutcomeFailed:
		line, level = fmt.Sprintf("FAILED %s: %s", rep.Name, rep.ErrorText()), Quiet
		if h := ErrorHint(rep.Err); h != "" {
			line += "\nhint: " + h
		}
	case upload.OutcomeNotAttempted:
		line = fmt.Sprintf("not uploaded %s: %s", rep.Name, rep.ErrorText())
	default:
		line = fmt.Sprintf("%s %s", rep.Outcome, rep.Name)
	}
	if rep.Note != "" {
		line += ": " + rep.Note
	}
	if r.opts.Level >= Verbose {
		if rep.SHA256 != "" {
			line += " sha256=" + rep.SHA256
		}
		if rep.Attempts > 1 {
			line += fmt.Sprintf(" attempts=%d", rep.Attempts)
		}
		if rep.URL != "" {
			line += " url=" + rep.URL
		}
	}
	r.linef(level, "%s", line)
}

// Finish stops the progress display and prints the summary: counts per
// outcome and, when something failed, which files are on the index and
// which are not.
func (r *Renderer) Finish(rep *upload.Report) {
	r.mu.Lock()
	p, refresh, stop := r.progress, r.refresh, r.stopRefresh
	r.progress = nil
	for _, bar := range r.bars {
		if !bar.AbortedOrCompleted() {
			bar.Abort(false) // a file without FileDone must not hang Wait
		}
	}
	r.bars = map[string]*mpb.Bar{}
	r.mu.Unlock()
	if p != nil {
		// Flush lines printed since the last refresh (bounded: mpb stops
		// listening if it shut down after a drawing error).
		select {
		case refresh <- time.Now():
		case <-time.After(time.Second):
		}
		p.Wait() // the ticker keeps refreshing until bars are done
		close(stop)
		r.ticker.Wait()
	}
	if rep == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := map[upload.Outcome]int{}
	for _, f := range rep.Files {
		counts[f.Outcome]++
	}
	var parts []string
	for _, o := range []upload.Outcome{upload.OutcomeUploaded, upload.OutcomeSkippedExisting, upload.OutcomeDryRun, upload.OutcomeFailed, upload.OutcomeNotAttempted} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no files")
	}
	// The one line -q keeps, whatever happened.
	r.linef(Quiet, "summary: %s", strings.Join(parts, ", "))
}

// refreshRate is how often the progress bars are redrawn.
const refreshRate = 150 * time.Millisecond

// tick asks mpb for a redraw every refreshRate until stop is closed.
func (r *Renderer) tick(refresh chan<- any, stop <-chan struct{}) {
	defer r.ticker.Done()
	t := time.NewTicker(refreshRate)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			select {
			case refresh <- now:
			case <-stop:
				return
			}
		}
	}
}

// linef writes one sanitised line at the given level. Callers hold r.mu.
func (r *Renderer) linef(level Level, format string, a ...any) {
	if r.opts.Level < level {
		return
	}
	line := Clean(r.redact.Redact(fmt.Sprintf(format, a...))) + "\n"
	if r.progress != nil {
		// Printed above the bars.
		if _, err := r.progress.Write([]byte(line)); err == nil {
			return
		}
	}
	io.WriteString(r.opts.Out, line)
}

// Clean makes text from outside (an index's answer, a distribution's
// metadata, a filename an index lists) safe for one line of a terminal:
// line breaks become " | ", other control characters (escape sequences)
// are dropped.
func Clean(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n", " | ")
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func fileName(f *pydist.File) string {
	if f.Filename.Raw != "" {
		return f.Filename.Raw
	}
	return f.Path
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formatBytes prints a size with binary units: "512 B", "1.5 KiB", "3.2 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// rate prints bytes per second over d.
func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- B/s"
	}
	return formatBytes(int64(float64(n)/d.Seconds())) + "/s"
}

// eta estimates the remaining time at the average rate so far.
func eta(sent, total int64, d time.Duration) string {
	if sent <= 0 || d <= 0 {
		return "unknown"
	}
	left := time.Duration(float64(d) * float64(total-sent) / float64(sent))
	return left.Round(time.Second).String()
}
