package ambient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/trustpub/trustpub/internal/retry"
	"github.com/trustpub/trustpub/secret"
)

// Default values of the [Detector] fields.
const (
	// DefaultTimeout bounds each HTTP attempt and each command, as `id`'s 30 s.
	DefaultTimeout = 30 * time.Second
	// DefaultRetries is how many times a transient failure is retried.
	DefaultRetries = 2
	// DefaultProductNamePath is where Linux exposes the DMI product name,
	// which reads "Google" or "Google Compute Engine" on Google Cloud VMs.
	DefaultProductNamePath = "/sys/class/dmi/id/product_name"
	// DefaultGCPMetadataURL is the Compute Engine metadata server. `id` uses
	// the short name http://metadata; the full name also resolves inside
	// containers whose DNS search path lacks google.internal.
	DefaultGCPMetadataURL = "http://metadata.google.internal"
	// DefaultGCPIAMCredentialsURL is Google's IAM Service Account
	// Credentials API, which mints identity tokens for impersonation.
	DefaultGCPIAMCredentialsURL = "https://iamcredentials.googleapis.com"
)

// RunFunc runs the program at path with args and returns what it wrote to
// standard output and standard error. A non-zero exit is reported as an
// *exec.ExitError (or any error); the output is returned in every case.
type RunFunc func(ctx context.Context, path string, args ...string) (stdout, stderr []byte, err error)

// Detector tries each CI provider in turn. Its fields are the environment,
// HTTP client, commands and files it touches; every zero field means the
// real one, so &Detector{} is ready to use. A Detector is not modified by
// Detect and may be used by several goroutines at once.
type Detector struct {
	// LookupEnv reads an environment variable; default os.LookupEnv. As in
	// `id`, a variable that is unset or empty counts as absent.
	LookupEnv func(key string) (string, bool)
	// HTTPClient sends the GitHub and Google requests; default
	// http.DefaultClient. Timeouts come from Timeout, per attempt.
	HTTPClient *http.Client
	// LookPath finds a program; default: search the PATH that LookupEnv
	// returns, with exec.LookPath's rules for each candidate.
	LookPath func(file string) (string, error)
	// Run runs a program (buildkite-agent, circleci); default os/exec with
	// the process environment, killed when its context ends.
	Run RunFunc
	// ReadFile reads the DMI product name and GITHUB_EVENT_PATH; default os.ReadFile.
	ReadFile func(name string) ([]byte, error)
	// ProductNamePath defaults to DefaultProductNamePath.
	ProductNamePath string
	// GCPMetadataURL is the base URL of the metadata server; default DefaultGCPMetadataURL.
	GCPMetadataURL string
	// GCPIAMCredentialsURL is the base URL of the IAM credentials API; default DefaultGCPIAMCredentialsURL.
	GCPIAMCredentialsURL string
	// CircleCIProjectIssuer omits `--root-issuer` from `circleci run oidc
	// get`, asking for a token from the project-level issuer instead of the
	// organisation's root issuer (`id`'s root_issuer=False).
	CircleCIProjectIssuer bool
	// Logger receives debug lines with the texts of `id`'s log messages
	// ("GitHub: looking for OIDC credentials", ...); default: discarded.
	Logger *slog.Logger
	// Timeout bounds each HTTP attempt (including reading the body) and
	// each command; default DefaultTimeout.
	Timeout time.Duration
	// Retries is how many times an HTTP request is retried after a
	// temporary failure (connection error, timeout, 429 or 5xx answer but
	// 501 and 505, as package retry decides for uploads too);
	// 0 means DefaultRetries and a negative value means none.
	Retries int
	// Backoff returns the pause before retry n (1, 2, ...); default 250 ms
	// doubling up to 4 s. The pause ends early if the context ends.
	Backoff func(n int) time.Duration
}

func (d *Detector) detect(ctx context.Context, audience string) (Token, bool, error) {
	if audience == "" {
		return Token{}, false, errors.New(`ambient: empty audience; pass the audience the index expects (PyPI's is "pypi", see https://{index}/_/oidc/audience)`)
	}
	log := func(msg string) { d.debug(ctx, msg) }
	for _, p := range Chain() {
		if !p.here(d, log) {
			continue
		}
		raw, err := p.fetch(d, ctx, audience)
		if err != nil {
			return Token{}, false, err
		}
		tok := Token{s: secret.New(raw), provider: p.Name}
		if err := tok.Validate(audience); err != nil {
			return Token{}, false, &ProviderError{Provider: p.Name, Hint: invalidTokenHint(p.Name, audience, err), Err: err}
		}
		return tok, true, nil
	}
	return Token{}, false, nil
}

// env returns the variable's value, "" when unset or empty (`id`'s truthiness).
func (d *Detector) env(key string) string {
	v, _ := d.lookupEnv()(key)
	return v
}

// lookupEnv is LookupEnv or os.LookupEnv.
func (d *Detector) lookupEnv() func(string) (string, bool) {
	if d.LookupEnv != nil {
		return d.LookupEnv
	}
	return os.LookupEnv
}

func (d *Detector) debug(ctx context.Context, msg string) {
	if d.Logger != nil {
		d.Logger.DebugContext(ctx, msg)
	}
}

func (d *Detector) httpClient() *http.Client {
	if d.HTTPClient != nil {
		return d.HTTPClient
	}
	return http.DefaultClient
}

func (d *Detector) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return DefaultTimeout
}

func (d *Detector) attempts() int {
	switch {
	case d.Retries < 0:
		return 1
	case d.Retries == 0:
		return 1 + DefaultRetries
	}
	return 1 + d.Retries
}

// defaultBackoff is the pause before each retry without Detector.Backoff.
var defaultBackoff = retry.Backoff{Base: 250 * time.Millisecond, Max: 4 * time.Second}

func (d *Detector) backoff(n int) time.Duration {
	if d.Backoff != nil {
		return d.Backoff(n)
	}
	return defaultBackoff.Delay(n, 0)
}

func (d *Detector) readFile(name string) ([]byte, error) {
	if d.ReadFile != nil {
		return d.ReadFile(name)
	}
	return os.ReadFile(name)
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// lookPath finds file on the PATH of the Detector's environment.
func (d *Detector) lookPath(file string) (string, error) {
	if d.LookPath != nil {
		return d.LookPath(file)
	}
	if d.LookupEnv == nil {
		return exec.LookPath(file)
	}
	for _, dir := range filepath.SplitList(d.env("PATH")) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // like exec.LookPath, never resolve against the working directory
		}
		if p, err := exec.LookPath(filepath.Join(dir, file)); err == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
}

// run runs a program with the Detector's Run or os/exec, bounded by Timeout.
// If the time runs out the error matches context.DeadlineExceeded.
func (d *Detector) run(ctx context.Context, path string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	if d.Run != nil {
		return d.Run(ctx, path, args...)
	}
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return out.Bytes(), errOut.Bytes(), err
}
