package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/exitcode"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/upload"
)

const canary = "pypi-CANARY-0f3e9b1d"

func file(name string, size int64) *pydist.File {
	return &pydist.File{Path: "dist/" + name, Filename: pydist.Filename{Raw: name}, Size: size}
}

// fakeClock advances by step on every call.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

// script plays one run of events into r.
func script(r *Renderer) *upload.Report {
	w, s := file("demo-1.0-py3-none-any.whl", 4<<20), file("demo-1.0.tar.gz", 2048)
	r.Start("https://upload.example.org/legacy/", 2, false)
	r.FileStarted(w)
	r.Progress(w, 0, w.Size)
	r.Progress(w, 1<<20, w.Size)
	r.Progress(w, 2<<20, w.Size)
	r.Retrying(w, 1, errors.New("upload of demo-1.0-py3-none-any.whl: connection reset\n\x1b[31mred\x1b[0m"), 2*time.Second)
	r.Progress(w, 4<<20, w.Size)
	wr := upload.FileReport{Name: w.Filename.Raw, Path: w.Path, Size: w.Size, SHA256: "ab12", Outcome: upload.OutcomeUploaded, Attempts: 2, Duration: 2 * time.Second}
	r.FileDone(wr)
	r.FileStarted(s)
	sr := upload.FileReport{Name: s.Filename.Raw, Path: s.Path, Size: s.Size, Outcome: upload.OutcomeFailed,
		Err: errors.New("upload of demo-1.0.tar.gz failed: 400 File already exists\nhint: bump the version (token " + canary + ")")}
	r.FileDone(sr)
	rep := &upload.Report{PublishURL: "https://upload.example.org/legacy/", Files: []upload.FileReport{wr, sr}}
	r.Finish(rep)
	return rep
}

func TestLineMode(t *testing.T) {
	tests := []struct {
		level Level
		want  []string
	}{
		{Quiet, []string{
			"FAILED demo-1.0.tar.gz: upload of demo-1.0.tar.gz failed: 400 File already exists | hint: bump the version (token [REDACTED])",
			"summary: 1 uploaded, 1 failed",
		}},
		{Normal, []string{
			"Uploading 2 files to https://upload.example.org/legacy/",
			"uploading demo-1.0-py3-none-any.whl (4.0 MiB)",
			"retrying demo-1.0-py3-none-any.whl in 2s: attempt 1 failed: upload of demo-1.0-py3-none-any.whl: connection reset | [31mred[0m",
			"uploaded demo-1.0-py3-none-any.whl (4.0 MiB in 2s, 2.0 MiB/s)",
			"uploading demo-1.0.tar.gz (2.0 KiB)",
			"FAILED demo-1.0.tar.gz: upload of demo-1.0.tar.gz failed: 400 File already exists | hint: bump the version (token [REDACTED])",
			"summary: 1 uploaded, 1 failed",
		}},
		{Verbose, []string{
			"Uploading 2 files to https://upload.example.org/legacy/",
			"uploading demo-1.0-py3-none-any.whl (4.0 MiB)",
			// The clock advances 1 s per reading: started at 1 s, 1 MiB at 2 s.
			"demo-1.0-py3-none-any.whl: 25% (1.0 MiB of 4.0 MiB, 1.0 MiB/s, ETA 3s)",
			"demo-1.0-py3-none-any.whl: 50% (2.0 MiB of 4.0 MiB, 1.0 MiB/s, ETA 2s)",
			"retrying demo-1.0-py3-none-any.whl in 2s: attempt 1 failed: upload of demo-1.0-py3-none-any.whl: connection reset | [31mred[0m",
			"uploaded demo-1.0-py3-none-any.whl (4.0 MiB in 2s, 2.0 MiB/s) sha256=ab12 attempts=2",
			"uploading demo-1.0.tar.gz (2.0 KiB)",
			"FAILED demo-1.0.tar.gz: upload of demo-1.0.tar.gz failed: 400 File already exists | hint: bump the version (token [REDACTED])",
			"summary: 1 uploaded, 1 failed",
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.level), func(t *testing.T) {
			var buf bytes.Buffer
			clk := &fakeClock{t: time.Unix(0, 0), step: time.Second}
			r := New(Options{Out: &buf, Level: tt.level, Redact: []secret.String{secret.New(canary)}, Now: clk.now})
			script(r)
			got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, c := range buf.String() {
				if c < 0x20 && c != '\n' || c == 0x7f {
					t.Fatalf("control character %q in line output", c)
				}
			}
			if strings.Contains(buf.String(), canary) {
				t.Fatal("secret rendered")
			}
		})
	}
}

func TestTTYMode(t *testing.T) {
	var buf bytes.Buffer
	r := New(Options{Out: &buf, TTY: true, Level: Normal, Redact: []secret.String{secret.New(canary)}})
	done := make(chan struct{})
	go func() { script(r); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("progress display did not finish")
	}
	out := buf.String()
	for _, want := range []string{"demo-1.0-py3-none-any.whl", "summary: 1 uploaded, 1 failed", "[REDACTED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, canary) {
		t.Fatal("secret rendered")
	}
}

func TestJSONReport(t *testing.T) {
	rep := &upload.Report{PublishURL: "https://upload.example.org/legacy/", Files: []upload.FileReport{
		{Name: "a-1.0-py3-none-any.whl", Path: "dist/a-1.0-py3-none-any.whl", Size: 10, SHA256: "aa", Outcome: upload.OutcomeUploaded, URL: "https://files.example.org/a.whl", Duration: 1500 * time.Millisecond},
		{Name: "a-1.0.tar.gz", Path: "dist/a-1.0.tar.gz", Size: 20, Outcome: upload.OutcomeNotAttempted, Err: errors.New("not attempted because another file failed")},
	}}
	runErr := &upload.PublishError{Stage: upload.StageUpload, NotAttempted: []string{"a-1.0.tar.gz"}}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := WriteJSONFile(path, rep, runErr); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got JSONReport
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	if got.Version != 1 || got.OK || got.ExitCode != exitcode.Failure || len(got.Files) != 2 || got.PublishURL != rep.PublishURL {
		t.Errorf("report %+v", got)
	}
	f := got.Files[0]
	if f.Name != "a-1.0-py3-none-any.whl" || f.Size != 10 || f.SHA256 != "aa" || f.Outcome != "uploaded" || f.URL != "https://files.example.org/a.whl" || f.Seconds != 1.5 {
		t.Errorf("file %+v", f)
	}
	if got.Files[1].Outcome != "not-attempted" || got.Files[1].Error == "" {
		t.Errorf("file %+v", got.Files[1])
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteJSONFile(filepath.Join(t.TempDir(), "missing", "r.json"), rep, nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unwritable path: err = %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestTTYFinishWithoutFileDone: a file that never got FileDone (a bug or a
// panic upstream) must not hang the progress display.
func TestTTYFinishWithoutFileDone(t *testing.T) {
	var buf bytes.Buffer
	r := New(Options{Out: &buf, TTY: true})
	done := make(chan struct{})
	go func() {
		r.Start("https://upload.example.org/legacy/", 1, false)
		r.FileStarted(file("stuck-1.0.tar.gz", 100))
		r.Progress(file("stuck-1.0.tar.gz", 100), 50, 100)
		r.Finish(nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Finish hung on an unfinished bar")
	}
}

func TestDryRunLines(t *testing.T) {
	var buf bytes.Buffer
	r := New(Options{Out: &buf, TTY: true}) // a dry run never draws bars
	f := file("dry-1.0.tar.gz", 3000)
	r.Start("https://upload.example.org/legacy/", 1, true)
	r.FileStarted(f)
	rep := upload.FileReport{Name: "dry-1.0.tar.gz", Size: 3000, Outcome: upload.OutcomeDryRun}
	r.FileDone(rep)
	r.Finish(&upload.Report{DryRun: true, Files: []upload.FileReport{rep}})
	want := "Dry run: checking 1 file to https://upload.example.org/legacy/\nchecking dry-1.0.tar.gz (2.9 KiB)\nwould upload dry-1.0.tar.gz (2.9 KiB)\nsummary: 1 dry-run\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// TestQuietKeepsSummary: -q prints the one-line summary its help promises,
// also when everything went well.
func TestQuietKeepsSummary(t *testing.T) {
	var buf bytes.Buffer
	r := New(Options{Out: &buf, Level: Quiet})
	w := file("demo-1.0-py3-none-any.whl", 10)
	r.Start("https://upload.example.org/legacy/", 1, false)
	r.FileStarted(w)
	done := upload.FileReport{Name: w.Filename.Raw, Size: 10, Outcome: upload.OutcomeUploaded}
	r.FileDone(done)
	r.Finish(&upload.Report{Files: []upload.FileReport{done}})
	if buf.String() != "summary: 1 uploaded\n" {
		t.Errorf("quiet output %q", buf.String())
	}
}

// TestJSONReportHint: a failed file's advice is in the JSON report as data
// and as the printed wording.
func TestJSONReportHint(t *testing.T) {
	se := &upload.ServerError{StatusCode: 409, Reason: "exists", Hint: upload.Hint{Kind: upload.HintFileDiffers, SHA256Here: "aa", SHA256There: "bb"}}
	rep := &upload.Report{Files: []upload.FileReport{{Name: "a.whl", Outcome: upload.OutcomeFailed, Err: se}, {Name: "b.whl", Outcome: upload.OutcomeUploaded}}}
	jr := NewJSONReport(rep, errors.New("failed"))
	if h := jr.Files[0].Hint; h == nil || h.Kind != upload.HintFileDiffers || h.SHA256There != "bb" || !strings.Contains(jr.Files[0].Advice, "--skip-existing") {
		t.Fatalf("hint %+v advice %q", h, jr.Files[0].Advice)
	}
	if jr.Files[1].Hint != nil {
		t.Errorf("hint on a success")
	}
	var buf bytes.Buffer
	WriteJSON(&buf, rep, errors.New("failed"))
	if !strings.Contains(buf.String(), `"kind": "file-differs"`) {
		t.Errorf("JSON:\n%s", buf.String())
	}
}
