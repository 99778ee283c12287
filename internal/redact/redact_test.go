package redact

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/secret"
)

func TestRedactor(t *testing.T) {
	r := New(secret.New("pypi-short-secret"), secret.String{})
	r.Add(secret.New("pypi-short-secret-and-long"), secret.New("pypi-short-secret"))
	if got := r.Redact("a pypi-short-secret-and-long b pypi-short-secret c"); got != "a [REDACTED] b [REDACTED] c" {
		t.Errorf("Redact = %q", got)
	}
	var none *Redactor
	none.Add(secret.New("pypi-short")) // no panic
	if got := none.Redact("pypi-short"); got != "pypi-short" {
		t.Errorf("nil Redactor changed the text: %q", got)
	}
	// The Authorization header's form of a Basic credential is redacted
	// too, in case an index echoes the header back.
	basic := New()
	basic.AddBasicAuth("__token__", secret.New("pypi-basic"))
	basic.AddBasicAuth("__token__", secret.String{}) // nothing to add
	header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:pypi-basic"))
	if got := basic.Redact(header + " and pypi-basic"); got != "Authorization: Basic [REDACTED] and [REDACTED]" {
		t.Errorf("Redact(Basic header) = %q", got)
	}
	// Error is redacted when read, with secrets added after it was wrapped,
	// and keeps the chain.
	cause := errors.New("index said: pypi-late-added-token")
	err := r.Error(cause)
	r.Add(secret.New("pypi-late-added-token"))
	if err.Error() != "index said: [REDACTED]" || !errors.Is(err, cause) {
		t.Errorf("Error() = %q", err)
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}

// TestShortSecrets: a short secret is hidden where it stands as a word
// and never garbles file names, versions, host names or URLs.
func TestShortSecrets(t *testing.T) {
	tests := []struct {
		secret, in, want string
	}{
		// The case: `-p pip` and pip's own wheel.
		{"pip", "uploading pip-23.0.1-py3-none-any.whl (2.0 MiB)", "uploading pip-23.0.1-py3-none-any.whl (2.0 MiB)"},
		{"pip", "uploaded pip-23.0.1.tar.gz to https://pip.example.org/legacy/", "uploaded pip-23.0.1.tar.gz to https://pip.example.org/legacy/"},
		{"pip", "skipped my_pip: already there; pkg.pip and pipx", "skipped my_pip: already there; pkg.pip and pipx"},
		{"pip", "403 invalid password pip for user bob", "403 invalid password [REDACTED] for user bob"},
		{"pip", "the password was pip.", "the password was [REDACTED]."},
		{"pip", "http://bob:pip@host/x (pip)", "http://bob:[REDACTED]@host/x ([REDACTED])"},
		{"pip", "pip", "[REDACTED]"},
		{"hunter2", "got 'hunter2', hunter2x, xhunter2, hunter2-1.0.tar.gz", "got '[REDACTED]', hunter2x, xhunter2, hunter2-1.0.tar.gz"},
		// Long secrets go wherever they are, even inside a word.
		{"pypi-AgEIcHlwaS5vcmcCJDA", "xpypi-AgEIcHlwaS5vcmcCJDAy", "x[REDACTED]y"},
		// Too short to tell apart from text: not searched for.
		{"a", "a different file", "a different file"},
		{"is", "it is here", "it is here"},
	}
	for _, tt := range tests {
		if got := String(tt.in, secret.New(tt.secret)); got != tt.want {
			t.Errorf("secret %q in %q:\n got %q\nwant %q", tt.secret, tt.in, got, tt.want)
		}
	}
	for s, want := range map[string]bool{"": false, "a": true, "is": true, "pip": false} {
		if TooShort(secret.New(s)) != want {
			t.Errorf("TooShort(%q) = %v", s, !want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("pip", "uploading pip-23.0.1-py3-none-any.whl, password pip")
	f.Add("é€x", "é€xé€x é€x.")
	f.Fuzz(func(t *testing.T, sec, text string) {
		got := String(text, secret.New(sec))
		if len(sec) < MinLength {
			if got != text {
				t.Fatalf("a too-short secret changed the text")
			}
			return
		}
		// Every occurrence left is inside a name, never standing alone.
		if strings.Contains(" "+got+" ", " "+sec+" ") {
			t.Fatalf("secret %q left standing in %q", sec, got)
		}
	})
}
