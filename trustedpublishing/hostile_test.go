package trustedpublishing_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tp "github.com/trustpub/trustpub/trustedpublishing"
)

// hostileIndex answers the audience like an index, and mint-token with
// body (status 200 unless code is set).
func hostileIndex(t *testing.T, code int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_/oidc/audience" {
			fmt.Fprint(w, `{"audience": "pypi"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if code != 0 {
			w.WriteHeader(code)
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/legacy/"
}

// TestHostileMintedToken runs the exchange in a GitHub Actions job against
// indexes that answer with tokens that would inject workflow commands
// after ::add-mask::, or other unprintable tokens: each is refused with a
// TokenFormatError and nothing reaches the workflow-command stream. A
// refusal whose messages carry line breaks is reported on lines that
// cannot start a workflow command.
func TestHostileMintedToken(t *testing.T) {
	gha := envOf(map[string]string{"GITHUB_ACTIONS": "true"})
	tests := []struct {
		name, token string
		problem     string
	}{
		{"workflow command after a line feed", `pypi-ok\n::set-env name=PATH::/tmp/evil`, "a line break at byte 7"},
		{"carriage return", `pypi-ok\r::error::pwned`, "a line break at byte 7"},
		{"space", `pypi-ok ::warning::x`, "the byte 0x20 at byte 7"},
		{"escape sequence", `pypi-\u001b[2Jok`, "the byte 0x1b at byte 5"},
		{"non-ASCII", `pypi-é`, "the byte 0xc3 at byte 5"},
		{"line separator", `pypi-\u2028::error::x`, "the byte 0xe2 at byte 5"},
		{"too long", "pypi-" + strings.Repeat("a", 5000), "5005 bytes long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := hostileIndex(t, 0, fmt.Sprintf(`{"success": true, "token": "%s"}`, tc.token))
			rec := &recorder{}
			x := &tp.Exchanger{Detect: fixed("a.b.c"), LookupEnv: gha, Mask: rec, Warn: rec.warn}
			_, err := x.Exchange(context.Background(), url)
			var fe *tp.TokenFormatError
			if !errors.As(err, &fe) || !strings.Contains(fe.Problem, tc.problem) {
				t.Fatalf("err = %v, want a TokenFormatError with %q", err, tc.problem)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("the error has several lines: %q", err)
			}
			if ev := rec.all(); len(ev) != 0 {
				t.Fatalf("written to the workflow-command stream: %q", ev)
			}
		})
	}
	t.Run("a good token is masked on one line", func(t *testing.T) {
		rec := &recorder{}
		x := &tp.Exchanger{Detect: fixed("a.b.c"), LookupEnv: gha, Mask: rec, Warn: rec.warn}
		ut, err := x.Exchange(context.Background(), hostileIndex(t, 0, `{"success": true, "token": "pypi-AgEIcHlwaS5vcmc_-"}`))
		if err != nil || ut.Token.Reveal() != "pypi-AgEIcHlwaS5vcmc_-" {
			t.Fatalf("%v", err)
		}
		if ev := rec.all(); len(ev) != 1 || ev[0] != "out:::add-mask::pypi-AgEIcHlwaS5vcmc_-\n" {
			t.Fatalf("mask: %q", ev)
		}
	})
	t.Run("refusal messages with line breaks", func(t *testing.T) {
		x := &tp.Exchanger{Detect: fixed("a.b.c"), LookupEnv: gha, Mask: &recorder{}}
		_, err := x.Exchange(context.Background(), hostileIndex(t, 422,
			`{"message": "failed\n::add-mask::x", "errors": [{"code": "invalid-token\n::error::a", "description": "bad\r\n::set-output name=a::b\u2028::error::c"}]}`))
		var me *tp.MintError
		if !errors.As(err, &me) {
			t.Fatalf("err %v", err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") || strings.Contains(line, "\r") || strings.Contains(line, "\u2028") {
				t.Fatalf("a line of the error could be a workflow command: %q\n%s", line, err)
			}
		}
		if !strings.Contains(err.Error(), `bad\x0d\x0a::set-output name=a::b\u2028::error::c`) {
			t.Fatalf("the description is not shown escaped: %s", err)
		}
	})
}

// TestExpiresClamped sends absurd "expires" values: overflowing, far in
// the future, negative. The token is taken to expire at most MaxLifetime
// from now, and DefaultLifetime from now when the value is unusable.
func TestExpiresClamped(t *testing.T) {
	now := time.Unix(1800000000, 0)
	tests := []struct {
		name, expires string
		want          time.Time
	}{
		{"sensible", fmt.Sprint(now.Add(10 * time.Minute).Unix()), now.Add(10 * time.Minute)},
		{"ten days ahead", fmt.Sprint(now.Add(240 * time.Hour).Unix()), now.Add(tp.MaxLifetime)},
		{"overflows int64", "1e19", now.Add(tp.MaxLifetime)},
		{"overflows time", "1e300", now.Add(tp.MaxLifetime)},
		{"negative", "-5", now.Add(tp.DefaultLifetime)},
		{"zero", "0", now.Add(tp.DefaultLifetime)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := hostileIndex(t, 0, `{"success": true, "token": "pypi-x", "expires": `+tc.expires+`}`)
			x := &tp.Exchanger{Detect: fixed("a.b.c"), LookupEnv: envOf(nil), Now: func() time.Time { return now }}
			ut, err := x.Exchange(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			if !ut.Expires.Equal(tc.want) {
				t.Fatalf("expires %v, want %v", ut.Expires, tc.want)
			}
		})
	}
}
