// Package upload sends Python distributions to a PyPI-compatible index over
// the legacy upload API (POST multipart/form-data to the publish URL, as
// twine and uv do), and orchestrates the upload of a whole release.
//
// The file is streamed: it is read once, both digests (sha256 and
// blake2b-256) are computed in that same pass and sent after the content
// part, and the request carries an exact Content-Length computed from the
// multipart framing, so memory stays flat whatever the file size.
//
// [Client.Upload] sends one file; [Client.Publish] sends a release (wheels
// first, the first file of each new release before the rest of it, then up
// to PublishOptions.Concurrency at once) and reports every file's outcome.
// Credentials come from a [CredentialSource] asked before every request:
// [StaticCredentials] for an API token, [TrustedPublishing] for tokens
// minted by a trustedpublishing.TokenSource.
//
// Temporary failures (see internal/retry) are retried with exponential
// backoff and jitter. An
// attempt whose answer was lost after the whole body was sent is
// "ambiguous": the file may have landed. PyPI answers an identical
// re-upload with 200, so the retry settles it; if the retry is told "File
// already exists", the index's simple API is asked for the file's sha256 and
// the file is reported as "already uploaded (landed on an earlier attempt)"
// only when it matches. Nothing is uploaded twice silently and no file is
// lost silently.
package upload

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/trustpub/trustpub/internal/bufpool"
	"github.com/trustpub/trustpub/pydist"
	"github.com/trustpub/trustpub/secret"
)

// TokenUsername is the username PyPI requires with an API token.
const TokenUsername = "__token__"

// Credentials are what an upload is authenticated with (HTTP Basic).
type Credentials struct {
	// Username is "__token__" for API tokens and trusted-publishing tokens.
	Username string
	// Password is the token or password; it never appears in output.
	Password secret.String
}

// TokenCredentials returns the credentials for an API token
// (username "__token__").
func TokenCredentials(token secret.String) Credentials {
	return Credentials{Username: TokenUsername, Password: token}
}

// IsZero reports whether no credential is set.
func (c Credentials) IsZero() bool { return c.Username == "" && c.Password.IsZero() }

// CredentialSource supplies credentials. The client calls it before every
// request (including each retry), so a trusted-publishing source can mint a
// fresh token before the previous one expires during a long upload.
type CredentialSource interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// StaticCredentials is a CredentialSource that always returns itself.
type StaticCredentials Credentials

// Credentials implements CredentialSource.
func (s StaticCredentials) Credentials(context.Context) (Credentials, error) {
	return Credentials(s), nil
}

// CredentialFunc adapts a function to a CredentialSource.
type CredentialFunc func(ctx context.Context) (Credentials, error)

// Credentials implements CredentialSource.
func (f CredentialFunc) Credentials(ctx context.Context) (Credentials, error) { return f(ctx) }

// RetryPolicy bounds the retries of one file's upload. The zero value of a
// field means its default (see DefaultRetryPolicy).
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, first one included.
	MaxAttempts int
	// BaseDelay is the delay before the first retry; it doubles each retry.
	BaseDelay time.Duration
	// MaxDelay caps the exponential backoff.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a
	// server asking for longer makes the upload fail with that reason.
	MaxRetryAfter time.Duration
	// Jitter is the fraction (0..1) of each backoff delay that is
	// randomised, so that parallel uploads do not retry in lockstep.
	// Negative disables jitter.
	Jitter float64
}

// DefaultRetryPolicy is 5 attempts, 1 s doubling to at most 30 s, 20 %
// jitter, Retry-After honoured up to 5 minutes.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 30 * time.Second, MaxRetryAfter: 5 * time.Minute, Jitter: 0.2}
}

// Client uploads files to one publish URL. Its fields are read-only once an
// upload started; a Client is safe for concurrent use and must not be
// copied after first use.
type Client struct {
	// URL is the publish (legacy upload) URL, e.g. https://upload.pypi.org/legacy/.
	URL string
	// Credentials is asked for credentials before each request. Nil means
	// no Authorization header.
	Credentials CredentialSource
	// SimpleURL is the index's simple-API URL: the index root, e.g.
	// https://pypi.org/simple/, or the page of the release's one project,
	// e.g. https://pypi.org/simple/example/ (see ClassifyCheckURL); read as
	// PEP 691 JSON or PEP 503 HTML. It is read to settle an ambiguous
	// failure or a "File already exists" refusal (is it this file?) and,
	// with PublishOptions.PreCheck, before any upload. Empty: derived as
	// {scheme}://{host}/simple/ of URL (pypi.org for upload.pypi.org); when
	// that cannot be read a lost answer is reported as unverified, never as
	// success.
	SimpleURL string
	// HTTPClient sends the requests; nil uses a client with dial, TLS and
	// response-header timeouts. Its CheckRedirect is never used for the
	// upload POST: redirects are always reported, never followed.
	HTTPClient *http.Client
	// UserAgent is sent with every request; empty means "trustpub".
	UserAgent string
	// AllowPlainHTTP lists hosts ("host" for any port, or "host:port") to
	// which credentials may be sent over plain http: an explicit opt-in for
	// a private index without TLS. Otherwise credentials go over https
	// only, or plain http to a loopback address.
	AllowPlainHTTP []string
	// Retry bounds retries; the zero value means DefaultRetryPolicy.
	Retry RetryPolicy
	// StallTimeout aborts (and retries) an attempt when no body byte was
	// taken by the connection, or no answer came, for this long; 0 means
	// DefaultStallTimeout.
	StallTimeout time.Duration
	// MinRate is the slowest the index may take the body, in bytes per
	// second averaged from the attempt's start (after StallTimeout);
	// slower is a stall. 0 means DefaultMinRate.
	MinRate int64
	// FileTimeout bounds the time spent on one file, every attempt and the
	// waits between them included; 0 means DefaultFileTimeout, or for a
	// file too large to send in that time at DefaultFileRate, its time at
	// that rate. A file that runs out fails with ErrFileTimeout.
	FileTimeout time.Duration
	// Logger receives debug/info records (never secrets); nil discards.
	Logger *slog.Logger
	// Sleep waits between attempts; nil uses a timer honouring ctx. Tests
	// inject a recorder to run instantly.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (for Retry-After HTTP dates); nil is time.Now.
	Now func() time.Time
	// Rand returns a float in [0,1) for jitter; nil uses math/rand/v2.
	Rand func() float64

	defaultOnce sync.Once    // makes defaultHC
	defaultHC   *http.Client // used when HTTPClient is nil
	chunks      bufpool.Pool // file buffers, reused across files and attempts
}

// Result describes a file the index accepted.
type Result struct {
	// Filename is the distribution's base name.
	Filename string
	// Size is the number of content bytes sent.
	Size int64
	// SHA256 and Blake2b256 are the lowercase hex digests sent.
	SHA256, Blake2b256 string
	// StatusCode is the final HTTP status (200), or 0 when the file was
	// confirmed through the simple API after a lost answer.
	StatusCode int
	// Attempts is how many POSTs were made (1 without retries).
	Attempts int
	// LandedEarlier is true when a retry was told the file already exists
	// and the index has it with the same sha256: it landed on an earlier
	// attempt whose answer was lost.
	LandedEarlier bool
	// Warnings are the non-empty lines of the server's 200 body.
	Warnings []string
}

// Observer receives progress events. Methods may be called concurrently
// from several goroutines (one per file in flight) and must not block long.
type Observer interface {
	// FileStarted is called when a file's upload (or dry-run check) begins.
	FileStarted(f *pydist.File)
	// Progress reports content bytes sent of total for the current attempt.
	Progress(f *pydist.File, sent, total int64)
	// Retrying reports that attempt (1-based, the one that failed) failed
	// with err and the next attempt starts after delay.
	Retrying(f *pydist.File, attempt int, err error, delay time.Duration)
	// FileDone reports a file's final outcome. Files skipped before any
	// upload (already on the index per PublishOptions.PreCheck) get
	// FileDone without FileStarted.
	FileDone(r FileReport)
}

// NopObserver ignores every event; embed it to implement only some.
type NopObserver struct{}

// FileStarted implements Observer.
func (NopObserver) FileStarted(*pydist.File) {}

// Progress implements Observer.
func (NopObserver) Progress(*pydist.File, int64, int64) {}

// Retrying implements Observer.
func (NopObserver) Retrying(*pydist.File, int, error, time.Duration) {}

// FileDone implements Observer.
func (NopObserver) FileDone(FileReport) {}

// Outcome is what happened to one file.
type Outcome string

const (
	// OutcomeUploaded: the index has the file now (sent by this run).
	OutcomeUploaded Outcome = "uploaded"
	// OutcomeSkippedExisting: the index already had the file (same sha256
	// per PreCheck, or "File already exists" with SkipExisting).
	OutcomeSkippedExisting Outcome = "skipped-existing"
	// OutcomeDryRun: every check passed; nothing was sent (DryRun).
	OutcomeDryRun Outcome = "dry-run"
	// OutcomeFailed: the upload (or a check) failed; see FileReport.Err.
	OutcomeFailed Outcome = "failed"
	// OutcomeNotAttempted: not sent because another file failed first or
	// the run was cancelled; the file is NOT on the index (from this run).
	OutcomeNotAttempted Outcome = "not-attempted"
)

// FileReport is the final state of one file.
type FileReport struct {
	// Name is the file's base name.
	Name string `json:"name"`
	// Path is the file's path as given.
	Path string `json:"path"`
	// Size is the file size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the lowercase hex sha256, when it was computed.
	SHA256 string `json:"sha256,omitempty"`
	// Outcome is what happened.
	Outcome Outcome `json:"outcome"`
	// URL is the file's download URL on the index when known (from the
	// simple API), else empty.
	URL string `json:"url,omitempty"`
	// Note explains a success that needs a word ("landed on an earlier
	// attempt", "same sha256 already on the index").
	Note string `json:"note,omitempty"`
	// Attempts is the number of POSTs made for this file.
	Attempts int `json:"attempts,omitempty"`
	// Duration is how long the file took, send and answer included.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Err is the failure (nil unless OutcomeFailed or OutcomeNotAttempted);
	// in JSON, its message as "error".
	Err error `json:"-"`
}

// ErrorText is Err's message, or "" without a failure.
func (r FileReport) ErrorText() string {
	if r.Err == nil {
		return ""
	}
	return r.Err.Error()
}

// MarshalJSON writes the report with Err as its message, "error".
func (r FileReport) MarshalJSON() ([]byte, error) {
	type plain FileReport // without this method
	return json.Marshal(struct {
		plain
		Error string `json:"error,omitempty"`
	}{plain(r), r.ErrorText()})
}

// Report is the result of [Client.Publish]: one entry per file, in upload order.
type Report struct {
	// PublishURL is where files were (or would have been) sent.
	PublishURL string `json:"publish_url"`
	// DryRun is true when nothing was sent.
	DryRun bool `json:"dry_run"`
	// Files lists every file given to Publish, in upload order.
	Files []FileReport `json:"files"`
}

// PublishOptions tunes [Client.Publish].
type PublishOptions struct {
	// Concurrency is how many files are sent at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// SkipExisting treats "File already exists" (400) and 409 as skipped,
	// as twine --skip-existing does.
	SkipExisting bool
	// PreCheck reads each project's page on the index's simple API
	// (Client.SimpleURL) before any upload: a file there with the same
	// sha256 is skipped, one with a different sha256 is an error before any
	// byte is sent, and uploaded files get their download URL.
	PreCheck bool
	// DryRun does every check and resolves credentials but sends no file.
	DryRun bool
	// Observer receives progress events; nil ignores them.
	Observer Observer
	// Attestations, when set, gives the value of a file's "attestations"
	// form field (PEP 740: a JSON array of attestation objects, see package
	// pep740), or nil to send none. The caller checks them before Publish.
	Attestations func(f *pydist.File) []byte
}

// DefaultConcurrency is the number of files sent at once by default. Each
// upload waits on the index (network round trips, and the index making the
// file durable before it answers) far longer than it uses the CPU, so a
// release of many files finishes sooner with several in flight; each holds
// one read buffer of at most 1 MiB.
const DefaultConcurrency = 8

// Upload sends one file (see the package doc for streaming, retries and the
// lost-answer case). On failure the error is a *ServerError when the index
// answered, or wraps the transport error; it never contains a credential.
// The Result's digests are filled whenever the file was read to the end,
// even when an error is returned.
func (c *Client) Upload(ctx context.Context, f *pydist.File, opts ...UploadOption) (Result, error) {
	var o uploadOptions
	for _, opt := range opts {
		opt(&o)
	}
	return c.upload(ctx, f, o.observer, nil)
}

// An UploadOption tunes one [Client.Upload].
type UploadOption func(*uploadOptions)

type uploadOptions struct{ observer Observer }

// WithObserver sends the upload's progress and retry events to obs.
func WithObserver(obs Observer) UploadOption {
	return func(o *uploadOptions) { o.observer = obs }
}
