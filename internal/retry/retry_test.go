package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestTemporaryStatus(t *testing.T) {
	for code, want := range map[int]bool{
		200: false, 301: false, 400: false, 401: false, 403: false, 404: false, 409: false,
		429: true, 500: true, 502: true, 503: true, 504: true, 599: true,
		501: false, 505: false, 507: false, 600: false, 999: false,
	} {
		if got := TemporaryStatus(code); got != want {
			t.Errorf("TemporaryStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestTemporaryError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"deadline", os.ErrDeadlineExceeded, true},
		{"early EOF", io.ErrUnexpectedEOF, true},
		{"context deadline", context.DeadlineExceeded, true},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, false},
		{"dns timeout", &net.DNSError{Err: "timeout", Name: "pypi.org", IsTimeout: true}, true},
		{"unknown CA", fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), false},
		{"wrong host", x509.HostnameError{Host: "evil"}, false},
		{"cert verification", &tls.CertificateVerificationError{Err: errors.New("expired")}, false},
		{"invalid cert", x509.CertificateInvalidError{Reason: x509.Expired}, false},
	} {
		if got := TemporaryError(tc.err); got != tc.want {
			t.Errorf("%s: TemporaryError(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	for _, tc := range []struct {
		b    Backoff
		n    int
		rnd  float64
		want time.Duration
	}{
		{Backoff{Base: 250 * time.Millisecond, Max: 4 * time.Second}, 1, 0.9, 250 * time.Millisecond},
		{Backoff{Base: 250 * time.Millisecond, Max: 4 * time.Second}, 3, 0, time.Second},
		{Backoff{Base: 250 * time.Millisecond, Max: 4 * time.Second}, 5, 0, 4 * time.Second},
		{Backoff{Base: 250 * time.Millisecond, Max: 4 * time.Second}, 1000, 0, 4 * time.Second},
		{Backoff{Base: time.Second, Max: 30 * time.Second, Jitter: 0.2}, 1, 0.5, 900 * time.Millisecond},
		{Backoff{Base: time.Second, Max: 30 * time.Second, Jitter: 0.2}, 6, 0, 30 * time.Second},
		{Backoff{Base: time.Second, Max: 30 * time.Second, Jitter: 5}, 2, 0.5, time.Second}, // jitter capped at 1
		{Backoff{Base: time.Second, Max: 30 * time.Second, Jitter: -1}, 2, 0.5, 2 * time.Second},
	} {
		if got := tc.b.Delay(tc.n, tc.rnd); got != tc.want {
			t.Errorf("%+v.Delay(%d, %v) = %v, want %v", tc.b, tc.n, tc.rnd, got, tc.want)
		}
	}
}

func TestAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"12", 12 * time.Second}, {" 7 ", 7 * time.Second}, {"-3", 0}, {"soon", 0},
		{"99999999999999999999", maxAfter}, {"-99999999999999999999", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(3 * maxAfter).Format(http.TimeFormat), maxAfter},
	} {
		if got := After(tt.in, now); got != tt.want {
			t.Errorf("After(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzAfter: never negative, never more than a year.
func FuzzAfter(f *testing.F) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "120", "-1", "Wed, 21 Oct 2026 07:28:00 GMT", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := After(v, now); d < 0 || d > maxAfter {
			t.Fatalf("After(%q) = %s", v, d)
		}
	})
}

func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	cancel(stop)
	if err := Sleep(ctx, time.Hour); !errors.Is(err, stop) {
		t.Fatalf("Sleep = %v, want the context's cause", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatalf("Sleep(0) = %v", err)
	}
}
