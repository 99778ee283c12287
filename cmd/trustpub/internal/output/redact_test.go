package output

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/exitcode"
	"github.com/trustpub/trustpub/internal/redact"
	"github.com/trustpub/trustpub/secret"
	"github.com/trustpub/trustpub/upload"
)

func TestRedactReport(t *testing.T) {
	r := redact.New(secret.New("pypi-late-added-token"), secret.New("pypi-short"))
	rep := &upload.Report{PublishURL: "https://upload.example.org/legacy/", Files: []upload.FileReport{
		{Name: "a.whl", Outcome: upload.OutcomeFailed, Err: errors.New("refused pypi-late-added-token"), Note: "pypi-short"},
	}}
	red := RedactReport(r, rep)
	if f := red.Files[0]; f.Err.Error() != "refused [REDACTED]" || f.Note != "[REDACTED]" || f.Name != "a.whl" {
		t.Errorf("Report file = %+v", f)
	}
	if rep.Files[0].ErrorText() != "refused pypi-late-added-token" {
		t.Error("Report changed its argument")
	}
	if RedactReport(r, nil) != nil {
		t.Error("Report(nil) is not nil")
	}
	pe := &upload.PublishError{Stage: upload.StageCredentials, Cause: errors.New("x")}
	var got *upload.PublishError
	if err := r.Error(pe); !errors.As(err, &got) || got != pe || exitcode.ForPublish(err) != exitcode.Credentials {
		t.Errorf("chain lost: %v", err)
	}
}

// TestRendererKeepsFileNames: a short password that is also the start of
// a file's name leaves the name alone on every line.
func TestRendererKeepsFileNames(t *testing.T) {
	var buf bytes.Buffer
	red := redact.New()
	red.AddBasicAuth("bob", secret.New("pip"))
	red.AddBasicAuth("bob", secret.New("demo"))
	r := New(Options{Out: &buf, Level: Verbose, Redactor: red})
	r.Start("https://pip.example.org/legacy/", 1, false)
	f := file("pip-23.0.1-py3-none-any.whl", 10)
	r.FileStarted(f)
	r.FileDone(upload.FileReport{Name: f.Filename.Raw, Outcome: upload.OutcomeFailed, Err: errors.New("403 password demo refused")})
	r.Finish(nil)
	out := buf.String()
	for _, want := range []string{"to https://pip.example.org/legacy/", "uploading pip-23.0.1-py3-none-any.whl", "FAILED pip-23.0.1-py3-none-any.whl: 403 password [REDACTED] refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRendererRedactsSecretsAddedLater: a secret added to the Redactor
// after the Renderer was made (a token minted mid-run) is redacted from the
// lines written after that, concurrently with the rendering.
func TestRendererRedactsSecretsAddedLater(t *testing.T) {
	var buf bytes.Buffer
	red := redact.New()
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
