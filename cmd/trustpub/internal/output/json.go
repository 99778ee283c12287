package output

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/exitcode"
	"github.com/trustpub/trustpub/internal/atomicfile"
	"github.com/trustpub/trustpub/upload"
)

// JSONVersion is the version of the JSON report schema; it changes only
// when a field is removed or changes meaning.
const JSONVersion = 1

// JSONReport is the machine-readable report written by --json.
type JSONReport struct {
	// Version is JSONVersion.
	Version int `json:"version"`
	// PublishURL is where files were sent.
	PublishURL string `json:"publish_url"`
	// DryRun is true when nothing was sent.
	DryRun bool `json:"dry_run"`
	// OK is true when every file is on the index (or would be, dry run).
	OK bool `json:"ok"`
	// ExitCode is the process exit code (see package exitcode).
	ExitCode int `json:"exit_code"`
	// Error is the overall error message, "" when OK.
	Error string `json:"error,omitempty"`
	// Files has one entry per file, in upload order.
	Files []JSONFile `json:"files"`
}

// JSONFile is one file of the JSON report.
type JSONFile struct {
	// Name is the distribution's file name.
	Name string `json:"name"`
	// Path is the local path.
	Path string `json:"path"`
	// Size is in bytes.
	Size int64 `json:"size"`
	// SHA256 is the lowercase hex digest ("" when not computed).
	SHA256 string `json:"sha256"`
	// Outcome is uploaded, skipped-existing, dry-run, failed or not-attempted.
	Outcome string `json:"outcome"`
	// URL is the file's URL on the index when known.
	URL string `json:"url,omitempty"`
	// Note explains a success that needs a word.
	Note string `json:"note,omitempty"`
	// Error is the failure message.
	Error string `json:"error,omitempty"`
	// Hint is what can be done about the failure, as data (kind, URL,
	// digests, credential kind), when there is advice.
	Hint *upload.Hint `json:"hint,omitempty"`
	// Advice is Hint worded as the command line prints it.
	Advice string `json:"advice,omitempty"`
	// Attempts is the number of upload POSTs.
	Attempts int `json:"attempts,omitempty"`
	// Seconds is how long the file took.
	Seconds float64 `json:"seconds,omitempty"`
}

// NewJSONReport builds the JSON report from Publish's results.
func NewJSONReport(rep *upload.Report, err error) JSONReport {
	out := JSONReport{Version: JSONVersion, OK: err == nil, ExitCode: exitcode.ForPublish(err), Files: []JSONFile{}}
	if err != nil {
		out.Error = err.Error()
	}
	if rep == nil {
		return out
	}
	out.PublishURL, out.DryRun = rep.PublishURL, rep.DryRun
	for _, f := range rep.Files {
		jf := JSONFile{
			Name: f.Name, Path: f.Path, Size: f.Size, SHA256: f.SHA256, Outcome: string(f.Outcome),
			URL: f.URL, Note: f.Note, Error: f.ErrorText(), Attempts: f.Attempts, Seconds: f.Duration.Seconds(),
		}
		if h := hintOf(f.Err); h.Kind != upload.HintNone && f.Outcome == upload.OutcomeFailed {
			jf.Hint, jf.Advice = &h, HintText(h)
		}
		out.Files = append(out.Files, jf)
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep *upload.Report, err error) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if e := enc.Encode(NewJSONReport(rep, err)); e != nil {
		return fmt.Errorf("writing JSON report: %w", e)
	}
	return nil
}

// WriteJSONFile writes the report to path atomically (a temporary file in
// the same directory, then a rename), so a reader never sees half a report.
// Path "-" writes to stdout.
func WriteJSONFile(path string, rep *upload.Report, err error) error {
	if path == "-" {
		return WriteJSON(os.Stdout, rep, err)
	}
	if e := atomicfile.Write(path, 0o644, func(w io.Writer) error { return WriteJSON(w, rep, err) }); e != nil {
		return fmt.Errorf("JSON report: %w", e)
	}
	return nil
}
