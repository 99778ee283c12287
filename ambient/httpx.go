package ambient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/trustpub/trustpub/internal/pyrepr"
	"github.com/trustpub/trustpub/internal/retry"
)

// maxBody bounds what is read of any answer: tokens are a few KiB.
const maxBody = 1 << 20

// response is an HTTP answer, read in full (up to maxBody).
type response struct {
	status   int
	body     []byte
	attempts int // how many requests were sent to get it
}

// transportError is a request that got no HTTP answer after every attempt.
type transportError struct {
	attempts int
	timeout  time.Duration
	err      error
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// timedOut reports whether the last attempt failed by running out of time.
func (e *transportError) timedOut() bool {
	var ne net.Error
	return errors.Is(e.err, context.DeadlineExceeded) || (errors.As(e.err, &ne) && ne.Timeout())
}

// send performs the request that build makes, once per attempt, each
// attempt bounded by the Detector's Timeout. Temporary failures (see
// package retry: connection errors, timeouts, 429 and most 5xx answers)
// are retried up to Retries times after a backoff;
// any other answer, whatever its status, is returned as is. what names the
// request in debug lines ("GitHub: OIDC token request").
func (d *Detector) send(ctx context.Context, what string, build func(context.Context) (*http.Request, error)) (*response, error) {
	n := d.attempts()
	for i := 1; ; i++ {
		resp, err := d.attempt(ctx, build)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, &transportError{attempts: i, timeout: d.timeout(), err: ctxErr}
		}
		var reason string
		switch {
		case err != nil:
			var be *buildError
			if errors.As(err, &be) {
				return nil, be.err
			}
			if !retry.TemporaryError(err) { // an unknown host, a bad certificate
				return nil, &transportError{attempts: i, timeout: d.timeout(), err: err}
			}
			reason = err.Error()
		case retry.TemporaryStatus(resp.status):
			reason = fmt.Sprintf("code=%d", resp.status)
		default:
			resp.attempts = i
			return resp, nil
		}
		if i >= n {
			if err != nil {
				return nil, &transportError{attempts: i, timeout: d.timeout(), err: err}
			}
			resp.attempts = i
			return resp, nil
		}
		delay := d.backoff(i)
		d.debug(ctx, fmt.Sprintf("%s: attempt %d of %d failed (%s); retrying in %s", what, i, n, reason, delay))
		if retry.Sleep(ctx, delay) != nil {
			return nil, &transportError{attempts: i, timeout: d.timeout(), err: ctx.Err()}
		}
	}
}

// buildError is a request that could not be made (a bad URL): not retried.
type buildError struct{ err error }

func (e *buildError) Error() string { return e.err.Error() }

func (d *Detector) attempt(ctx context.Context, build func(context.Context) (*http.Request, error)) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	req, err := build(ctx)
	if err != nil {
		return nil, &buildError{err}
	}
	res, err := d.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	return &response{status: res.StatusCode, body: body}, nil
}

// requestFailure turns a failed send into an error whose text starts with
// `id`'s: "<what> timed out" for timeouts. Other transport failures, which
// `id` also reports as "timed out", say what happened instead.
func requestFailure(what string, err error) error {
	var te *transportError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s could not be made: %w", what, err)
	}
	switch {
	case errors.Is(te.err, context.Canceled):
		return fmt.Errorf("%s was cancelled: %w", what, te.err)
	case te.timedOut():
		return fmt.Errorf("%s timed out (%d %s of %s each): %w", what, te.attempts, plural(te.attempts, "attempt"), te.timeout, te.err)
	}
	return fmt.Errorf("%s failed (no answer after %d %s): %w", what, te.attempts, plural(te.attempts, "attempt"), te.err)
}

// statusFailure is `id`'s "<what> failed (code=N, body='...')", with the
// number of attempts when the request was retried.
func statusFailure(what string, r *response) error {
	msg := fmt.Sprintf("%s failed (code=%d, body=%s)", what, r.status, pyrepr.Str(truncate(r.body, 2000)))
	if r.attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", r.attempts)
	}
	return errors.New(msg)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// truncate shortens b to at most n bytes, marking the cut.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + fmt.Sprintf("… [%d more bytes]", len(b)-n)
}

// fetch sends the request and wants a 200: a transport failure is
// requestFailure's error, another status statusFailure's (with the
// response, for a caller that chooses its hint by status).
func (d *Detector) fetch(ctx context.Context, what string, build func(context.Context) (*http.Request, error)) (*response, error) {
	resp, err := d.send(ctx, what, build)
	if err != nil {
		return nil, requestFailure(what, err)
	}
	if resp.status != http.StatusOK {
		return resp, statusFailure(what, resp)
	}
	return resp, nil
}

// newRequest returns a builder of a request with body (nil for none) and
// headers given as name, value pairs.
func newRequest(method, u string, body []byte, headers ...string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return req, nil
	}
}
