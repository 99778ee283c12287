package output

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/exitcode"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/upload"
)

func TestRedactor(t *testing.T) {
	r := NewRedactor(secret.New("pypi-short"), secret.String{})
	r.Add(secret.New("pypi-short-and-long"), secret.New("pypi-short"))
	got := r.Redact("a pypi-short-and-long b pypi-short c")
	if got != "a [REDACTED] b [REDACTED] c" {
		t.Errorf("Redact = %q", got)
	}
	var none *Redactor
	none.Add(secret.New("pypi-short")) // no panic
	if got := none.Redact("pypi-short"); got != "pypi-short" {
		t.Errorf("nil Redactor changed the text: %q", got)
	}

	// The Authorization header's form of a Basic credential is redacted
	// too, in case an index echoes the header back.
	basic := NewRedactor()
	basic.AddBasicAuth("__token__", secret.New("pypi-basic"))
	basic.AddBasicAuth("__token__", secret.String{}) // nothing to add
	header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:pypi-basic"))
	if got := basic.Redact(header + " and pypi-basic"); got != "Authorization: Basic [REDACTED] and [REDACTED]" {
		t.Errorf("Redact(Basic header) = %q", got)
	}

	// Error is redacted when read, with secrets added after it was wrapped,
	// and keeps the chain.
	pe := &upload.PublishError{Stage: upload.StageCredentials, Cause: errors.New("index said: pypi-late")}
	err := r.Error(pe)
	r.Add(secret.New("pypi-late"))
	if strings.Contains(err.Error(), "pypi-late") || !strings.Contains(err.Error(), "index said: [REDACTED]") {
		t.Errorf("Error() = %q", err)
	}
	var got2 *upload.PublishError
	if !errors.As(err, &got2) || got2 != pe || exitcode.ForPublish(err) != exitcode.Credentials {
		t.Errorf("chain lost: %v", err)
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}

	rep := &upload.Report{PublishURL: "https://upload.example.org/legacy/", Files: []upload.FileReport{
		{Name: "a.whl", Outcome: upload.OutcomeFailed, Err: errors.New("refused pypi-late"), Note: "pypi-short"},
	}}
	red := r.Report(rep)
	if f := red.Files[0]; f.Err.Error() != "refused [REDACTED]" || f.Note != "[REDACTED]" || f.Name != "a.whl" {
		t.Errorf("Report file = %+v", f)
	}
	if rep.Files[0].ErrorText() != "refused pypi-late" {
		t.Error("Report changed its argument")
	}
	if r.Report(nil) != nil {
		t.Error("Report(nil) is not nil")
	}
}

// TestRendererRedactsSecretsAddedLater: a secret added to the Redactor
// after the Renderer was made (a token minted mid-run) is redacted from the
// lines written after that, concurrently with the rendering.
func TestRendererRedactsSecretsAddedLater(t *testing.T) {
	var buf bytes.Buffer
	red := NewRedactor()
	r := New(Options{Out: &buf, Level: Normal, Redactor: red, Redact: []secret.String{secret.New(canary)}})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); red.Add(secret.New("pypi-MINTED-late")) }()
	r.Start("https://upload.example.org/legacy/", 1, false)
	wg.Wait()
	f := file("demo-1.0.tar.gz", 10)
	r.FileStarted(f)
	r.FileDone(upload.FileReport{Name: f.Filename.Raw, Outcome: upload.OutcomeFailed, Err: errors.New("403 bad token pypi-MINTED-late, not " + canary)})
	r.Finish(nil)
	out := buf.String()
	if strings.Contains(out, "MINTED") || strings.Contains(out, canary) || !strings.Contains(out, "403 bad token [REDACTED], not [REDACTED]") {
		t.Errorf("output:\n%s", out)
	}
	if red.Redact(canary) != secret.Redacted {
		t.Error("Options.Redact was not added to Options.Redactor")
	}
}
