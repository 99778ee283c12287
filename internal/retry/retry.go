// Package retry is the one home of trustpub's retry policy: which failures
// are temporary (worth another attempt), how long to wait before the next
// attempt (exponential backoff with optional jitter), and what a server's
// Retry-After asks for. The CI token requests (ambient) and the uploads
// (upload) both decide with it, so the two never disagree on what
// "temporary" means.
package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TemporaryStatus reports whether an HTTP status is worth retrying: 429
// (rate limited) and the 5xx server errors, except 501 Not Implemented and
// 505 HTTP Version Not Supported and 507 Insufficient Storage (a full
// disk on the index), which no retry changes.
func TemporaryStatus(code int) bool {
	switch code {
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported, http.StatusInsufficientStorage:
		return false // 507: the index is full until its operator acts
	}
	return code == http.StatusTooManyRequests || code >= 500 && code <= 599
}

// TemporaryError reports whether a request that got no HTTP answer is
// worth retrying: connection resets and refusals, timeouts, early EOFs.
// Certificate problems and a host name that does not exist are not:
// retrying cannot fix them. A cancelled context is not either (the caller
// checks its own context before asking).
func TemporaryError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid) {
		return false
	}
	var dnsErr *net.DNSError
	return !(errors.As(err, &dnsErr) && dnsErr.IsNotFound)
}

// Backoff is an exponential backoff: Base before the first retry, doubling
// each retry up to Max, with a fraction Jitter (0..1) of each delay
// randomised so that parallel clients do not retry in lockstep.
type Backoff struct {
	Base, Max time.Duration
	Jitter    float64
}

// Delay is the pause before retry n (1 for the first retry); rnd is a
// random number in [0, 1) (ignored without jitter). The delay is never
// above Max nor below (1-Jitter)·its unjittered value.
func (b Backoff) Delay(n int, rnd float64) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	j := min(max(b.Jitter, 0), 1)
	return d - time.Duration(float64(d)*j*rnd)
}

// maxAfter bounds what Retry-After may ask for: longer than a year is
// "never" for trustpub, and the cap keeps time.Duration from overflowing.
const maxAfter = 365 * 24 * time.Hour

// After reads a Retry-After header value: delay-seconds or an HTTP date
// (relative to now). It returns 0 when the value is empty, malformed,
// negative or in the past, and at most a year.
func After(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, int64(maxAfter/time.Second))) * time.Second
	} else if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") {
		return maxAfter
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d.Round(time.Second), maxAfter)
		}
	}
	return 0
}

// Sleep waits d, or until ctx ends (then it returns context.Cause(ctx)).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
