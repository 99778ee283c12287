package upload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trustpub/trustpub/internal/retry"
	"github.com/trustpub/trustpub/internal/urlpolicy"
	"github.com/trustpub/trustpub/pydist"
)

// Defaults of the Client's time bounds: a stalled or silent index is
// reported DefaultStallTimeout after its last sign of life, a dripping one
// once it falls below DefaultMinRate, and no file takes more than
// DefaultFileTimeout, retries included — or, for a file too large to be sent
// in that time at DefaultFileRate, the time it takes at that rate.
const (
	DefaultStallTimeout = time.Minute
	DefaultMinRate      = 4 << 10 // bytes per second
	DefaultFileTimeout  = 15 * time.Minute
	DefaultFileRate     = 256 << 10 // bytes per second
)

// ErrFileTimeout is the cause of a file's upload ending because the time
// allowed for one file (Client.FileTimeout) ran out; match it with
// errors.Is.
var ErrFileTimeout = errors.New("the time allowed for one file ran out")

// bodyCloseWait bounds the wait for net/http to release a request body
// after Do returned (it closes it once the connection is done with it).
const bodyCloseWait = 5 * time.Second

// maxOKBody bounds how much of a 200 body (warnings) is read.
const maxOKBody = 64 << 10

// errStalled is the cause of an attempt aborted by the stall watchdog.
var errStalled = errors.New("no progress")

// DefaultHTTPClient returns the HTTP client used when Client.HTTPClient is
// nil: dial, TLS-handshake and response-header timeouts, proxies from the
// environment, and HTTP/1.1 only, as twine: PyPI puts its error messages in
// the status line's reason phrase, which HTTP/2 does not have.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	// Offer only HTTP/1.1 in the TLS handshake too: a clone of a transport
	// that has been used may carry "h2" in NextProtos, and a server that
	// picks it would then answer in HTTP/2 frames to an HTTP/1.1 request.
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	} else {
		t.TLSClientConfig = t.TLSClientConfig.Clone()
	}
	t.TLSClientConfig.NextProtos = []string{"http/1.1"}
	// Upload bodies go straight from the file's buffers to the connection
	// (see uploadConn).
	t.DialContext = dialUploadConns((&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext)
	t.TLSHandshakeTimeout = 30 * time.Second
	// The stall watchdog (StallTimeout) bounds the wait for the answer;
	// this is the transport's own backstop.
	t.ResponseHeaderTimeout = 5 * time.Minute
	// The transport's default 4 KiB buffers: the body bypasses the write
	// buffer (it is copied straight to the connection) and answers are
	// small, so bigger ones only cost memory on every connection.
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t}
}

// httpClient returns the client for upload POSTs: the configured one with
// redirects never followed (the 3xx is reported instead).
func (c *Client) httpClient() *http.Client {
	base := c.HTTPClient
	if base == nil {
		base = c.defaultHTTPClient()
	}
	hc := *base
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// checkHTTPClient returns the client for simple-API GETs. Redirects are
// followed (net/http drops Authorization when the host changes). Every read
// has a deadline, body included: the configured client's Timeout, or twice
// StallTimeout.
func (c *Client) checkHTTPClient() *http.Client {
	base := c.HTTPClient
	if base == nil {
		base = c.defaultHTTPClient()
	}
	if base.Timeout > 0 {
		return base
	}
	hc := *base
	hc.Timeout = 2 * c.stallTimeout()
	return &hc
}

// defaultHTTPClient is the Client's own DefaultHTTPClient, made once so
// that connections are reused across files and attempts.
func (c *Client) defaultHTTPClient() *http.Client {
	c.defaultOnce.Do(func() { c.defaultHC = DefaultHTTPClient() })
	return c.defaultHC
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Client) userAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return "trustpub"
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return retry.Sleep(ctx, d)
}

func (c *Client) rand() float64 {
	if c.Rand != nil {
		return c.Rand()
	}
	return rand.Float64()
}

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return DefaultStallTimeout
}

// writeSize is the most of a body written to the connection at once (see
// uploadConn): what a connection at MinRate sends in half a StallTimeout,
// since the stall watchdog hears of progress between writes and must not
// abort a connection that keeps the minimum rate; at least net/http's own
// 32 KiB, at most a chunk. With the defaults, 120 KiB: measured here on
// loopback, writing 1 GiB in 120 KiB writes costs as little CPU as in 1 MiB
// ones, and a third less than in 32 KiB ones.
func (c *Client) writeSize() int {
	n := int64(c.stallTimeout().Seconds() * float64(c.minRate()) / 2)
	return int(min(max(n, 32<<10), chunkSize))
}

func (c *Client) minRate() int64 {
	if c.MinRate > 0 {
		return c.MinRate
	}
	return DefaultMinRate
}

// fileTimeout is the bound on one file of size bytes: FileTimeout if set,
// else DefaultFileTimeout, raised for a large file to its time at
// DefaultFileRate (a 1 GiB file gets 68 minutes), so that the default never
// refuses a big file on an ordinary link.
func (c *Client) fileTimeout(size int64) time.Duration {
	if c.FileTimeout > 0 {
		return c.FileTimeout
	}
	if atRate := time.Duration(size/DefaultFileRate) * time.Second; atRate > DefaultFileTimeout {
		return atRate
	}
	return DefaultFileTimeout
}

// progressDeadline is how long from now an attempt that started at start
// and has had sent bytes taken may go on: StallTimeout after this progress,
// and no later than when sent bytes were due at MinRate (plus StallTimeout).
func (c *Client) progressDeadline(start time.Time, sent int64) time.Duration {
	stall := c.stallTimeout()
	byRate := time.Until(start.Add(stall + time.Duration(float64(sent)/float64(c.minRate())*float64(time.Second))))
	return max(min(stall, byRate), 0)
}

// retryPolicy returns the policy with defaults filled in.
func (c *Client) retryPolicy() RetryPolicy {
	p, d := c.Retry, DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.Jitter == 0 {
		p.Jitter = d.Jitter
	}
	if p.Jitter < 0 {
		p.Jitter = 0
	}
	if p.Jitter > 1 {
		p.Jitter = 1
	}
	return p
}

// backoff is the delay before retry number n (1 for the first retry).
func (p RetryPolicy) backoff(n int, rnd float64) time.Duration {
	return retry.Backoff{Base: p.BaseDelay, Max: p.MaxDelay, Jitter: p.Jitter}.Delay(n, rnd)
}

// upload is Upload with progress and retry events sent to obs (nil ignores
// them) and extra form fields sent after the metadata. The Result's digests
// are filled whenever the file was read to the end, even when an error is
// returned.
func (c *Client) upload(ctx context.Context, f *pydist.File, obs Observer, extra []formField) (Result, error) {
	if obs == nil {
		obs = NopObserver{}
	}
	name := distName(f)
	res := Result{Filename: name}
	u, err := urlpolicy.ParseIndexURL("publish URL", c.URL)
	if err != nil {
		return res, err
	}
	fields, err := formFields(f)
	if err != nil {
		return res, err
	}
	fields = append(fields, extra...)
	st, err := os.Stat(f.Path)
	if err != nil {
		return res, fmt.Errorf("reading %s: %w", f.Path, err)
	}
	if f.Size != 0 && st.Size() != f.Size {
		return res, fmt.Errorf("%s changed size since it was checked (%d bytes, was %d): rebuild and upload again", f.Path, st.Size(), f.Size)
	}
	plan, err := planBody(fields, name, st.Size())
	if err != nil {
		return res, fmt.Errorf("%s: %w", f.Path, err)
	}
	res.Size = plan.size
	hc := c.httpClient()
	policy := c.retryPolicy()
	log := c.logger().With("file", name, "url", u.Redacted())

	// Every attempt and wait of this file shares one deadline; checking
	// the index after a lost answer uses ctx (it has its own deadline).
	timeout := c.fileTimeout(plan.totalLength)
	fileCtx, cancelFile := context.WithTimeoutCause(ctx, timeout, ErrFileTimeout)
	defer cancelFile()

	ambiguous := false // some attempt may have stored the file
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		log.Debug("uploading", "attempt", attempt, "bytes", plan.totalLength)
		out, err := c.attempt(fileCtx, hc, u, f, plan, obs)
		if err != nil && errors.Is(context.Cause(fileCtx), ErrFileTimeout) {
			if errors.Is(err, ErrFileTimeout) {
				err = fmt.Errorf("%w (after %s)", err, timeout)
			} else {
				err = fmt.Errorf("%w (gave up after %s: %w)", err, timeout, ErrFileTimeout)
			}
		}
		if out.sha != "" {
			res.SHA256, res.Blake2b256 = out.sha, out.blake
		}
		if err == nil {
			res.StatusCode = out.status
			res.Warnings = out.warnings
			log.Info("uploaded", "attempts", attempt, "status", out.status)
			return res, nil
		}
		if ambiguous && IsFileExists(err) {
			// An earlier attempt's answer was lost and now the index has
			// a file of this name. Same bytes: it landed then.
			same, verr := c.verifyOnIndex(ctx, u, f, res.SHA256)
			switch {
			case verr != nil:
				return res, fmt.Errorf("%w\nan earlier attempt's answer was lost, so this file may have been stored by that attempt, but it could not be verified (%v): look at the project's files on the index before re-running", err, verr)
			case same:
				res.LandedEarlier = true
				log.Info("already uploaded: landed on an earlier attempt", "attempts", attempt)
				return res, nil
			default:
				return res, err
			}
		}
		ambiguous = ambiguous || out.ambiguous
		delay, retry, why := c.shouldRetry(fileCtx, err, policy, attempt)
		if !retry {
			if why != "" {
				err = fmt.Errorf("%w (%s)", err, why)
			}
			if ambiguous && ctx.Err() == nil && res.SHA256 != "" {
				// Out of attempts, but one of them may have landed: ask
				// the index before calling it a failure.
				if same, verr := c.verifyOnIndex(ctx, u, f, res.SHA256); verr == nil && same {
					res.LandedEarlier = true
					log.Info("already uploaded: landed on an earlier attempt", "attempts", attempt)
					return res, nil
				}
			}
			if ambiguous {
				err = fmt.Errorf("%w\nthe file may or may not have been stored (an attempt's answer was lost): re-running is safe, an identical re-upload is accepted", err)
			}
			return res, err
		}
		log.Warn("retrying upload", "attempt", attempt, "delay", delay, "error", err.Error())
		obs.Retrying(f, attempt, err, delay)
		if err := c.sleep(fileCtx, delay); err != nil {
			if errors.Is(err, ErrFileTimeout) {
				err = fmt.Errorf("%w (%s)", err, timeout)
			}
			return res, fmt.Errorf("upload of %s cancelled while waiting to retry: %w", name, err)
		}
	}
}

// distName is the file's base name as sent to the index.
func distName(f *pydist.File) string {
	if f.Filename.Raw != "" {
		return f.Filename.Raw
	}
	return filepath.Base(f.Path)
}

// attemptResult is what one POST produced.
type attemptResult struct {
	status     int
	warnings   []string
	sha, blake string
	// ambiguous is true when the whole body was handed to the connection
	// but no final answer came back, or the answer was a 5xx: the index may
	// have stored the file.
	ambiguous bool
}

// bodyError marks failures of our own body (file changed, unreadable): not
// worth retrying.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// policyError marks refusals decided before sending (URL policy,
// credentials): never retried.
type policyError struct{ err error }

func (e *policyError) Error() string { return e.err.Error() }
func (e *policyError) Unwrap() error { return e.err }

// attempt makes one POST.
func (c *Client) attempt(ctx context.Context, hc *http.Client, u *url.URL, f *pydist.File, plan *bodyPlan, obs Observer) (attemptResult, error) {
	var out attemptResult
	var creds Credentials
	if c.Credentials != nil {
		var err error
		creds, err = c.Credentials.Credentials(ctx)
		if err != nil {
			return out, &policyError{fmt.Errorf("getting credentials for %s: %w", u.Redacted(), err)}
		}
	}
	if !creds.IsZero() {
		if err := c.urlPolicy().Check("publish URL", u); err != nil {
			return out, &policyError{err}
		}
	}

	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := c.stallTimeout()
	start := time.Now()
	watchdog := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer watchdog.Stop()

	body, err := openBody(plan, f.Path, &c.chunks, func(sent, total int64) {
		if sent < total {
			watchdog.Reset(c.progressDeadline(start, sent))
		} else {
			watchdog.Reset(stall) // all sent: StallTimeout for the answer
		}
		obs.Progress(f, sent, total)
	})
	if err != nil {
		return out, &bodyError{err}
	}
	body.writeSize = c.writeSize()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), body)
	if err != nil {
		body.Close()
		return out, &policyError{fmt.Errorf("building request for %s: %w", u.Redacted(), err)}
	}
	req.ContentLength = plan.totalLength
	req.Header.Set("Content-Type", plan.contentType())
	req.Header.Set("User-Agent", c.userAgent())
	if !creds.IsZero() {
		req.SetBasicAuth(creds.Username, creds.Password.Reveal())
	}
	obs.Progress(f, 0, plan.size)

	resp, err := hc.Do(req)
	if err != nil {
		// net/http closes the body when it is done with it, which may be
		// after Do returns: wait, so the digests and "whole" are final.
		body.wait(bodyCloseWait)
		sha, blake, whole := body.digests()
		out.sha, out.blake = sha, blake
		if berr := body.failure(); berr != nil {
			return out, &bodyError{berr}
		}
		out.ambiguous = whole
		if errors.Is(context.Cause(actx), errStalled) {
			return out, &transportError{name: plan.fileName, url: u.Redacted(), err: fmt.Errorf("no progress for %s, or slower than %d bytes/s: %w", stall, c.minRate(), os.ErrDeadlineExceeded), sentAll: whole}
		}
		return out, &transportError{name: plan.fileName, url: u.Redacted(), err: unwrapURLError(err), sentAll: whole}
	}
	// The answer is being read: the stall watchdog also covers a body that
	// never ends.
	watchdog.Reset(stall)
	limit := int64(maxErrorBody)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		limit = maxOKBody
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	resp.Body.Close()
	body.wait(bodyCloseWait)
	sha, blake, whole := body.digests()
	out.sha, out.blake = sha, blake
	out.status = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		for _, line := range strings.Split(cleanText(string(b), maxOKBody), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out.warnings = append(out.warnings, line)
			}
		}
		if !whole {
			// A 2xx before the body was sent is not an upload.
			return out, &ServerError{URL: u.Redacted(), Filename: plan.fileName, StatusCode: resp.StatusCode, Reason: reasonPhrase(resp),
				Hint: Hint{Kind: HintNotEndpoint}}
		}
		return out, nil
	}
	reason, text := serverMessage(resp, b)
	se := &ServerError{
		URL:        u.Redacted(),
		Filename:   plan.fileName,
		StatusCode: resp.StatusCode,
		Reason:     reason,
		Body:       text,
		Location:   cleanText(resp.Header.Get("Location"), 2048),
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		se.RetryAfter = retry.After(resp.Header.Get("Retry-After"), c.now())
	}
	if se.Location != "" {
		if loc, err := url.Parse(se.Location); err == nil {
			se.Location = u.ResolveReference(loc).Redacted()
		}
	}
	se.Hint = hintFor(se, u, credentialKind(creds))
	out.ambiguous = whole && resp.StatusCode >= 500
	return out, se
}

// transportError is a failure to get an answer from the index.
type transportError struct {
	name, url string
	err       error
	sentAll   bool
}

func (e *transportError) Error() string {
	if e.sentAll {
		return fmt.Sprintf("upload of %s to %s: no answer after sending the file: %v", e.name, e.url, e.err)
	}
	return fmt.Sprintf("upload of %s to %s: %v", e.name, e.url, e.err)
}

func (e *transportError) Unwrap() error { return e.err }

// unwrapURLError drops net/http's *url.Error wrapper (its message repeats
// method and URL, which transportError already names).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// shouldRetry decides whether a failed attempt is retried, after how long,
// and if not, why (empty when the error says it all).
func (c *Client) shouldRetry(ctx context.Context, err error, p RetryPolicy, attempt int) (time.Duration, bool, string) {
	if ctx.Err() != nil {
		return 0, false, ""
	}
	var pe *policyError
	var be *bodyError
	if errors.As(err, &pe) || errors.As(err, &be) {
		return 0, false, ""
	}
	var se *ServerError
	if errors.As(err, &se) {
		if !se.Temporary() {
			return 0, false, ""
		}
		if attempt >= p.MaxAttempts {
			return 0, false, fmt.Sprintf("gave up after %d attempts", attempt)
		}
		if se.RetryAfter > p.MaxRetryAfter {
			return 0, false, fmt.Sprintf("the index asked to wait %s (Retry-After), longer than the %s limit", se.RetryAfter, p.MaxRetryAfter)
		}
		if se.RetryAfter > 0 {
			return se.RetryAfter, true, ""
		}
		return p.backoff(attempt, c.rand()), true, ""
	}
	if !retryableTransport(err) {
		return 0, false, ""
	}
	if attempt >= p.MaxAttempts {
		return 0, false, fmt.Sprintf("gave up after %d attempts", attempt)
	}
	return p.backoff(attempt, c.rand()), true, ""
}

// retryableTransport reports whether err is a transport error that
// retry.TemporaryError deems transient.
func retryableTransport(err error) bool {
	var te *transportError
	return errors.As(err, &te) && retry.TemporaryError(err)
}
