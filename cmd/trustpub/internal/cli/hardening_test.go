package cli_test

// Hostile clients against the real `trustpub serve`, and the real binary
// against hostile indexes.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeDevIssuerRebinding posts to the dev issuer of a real
// `trustpub serve --dev-issuer` as a web page could through a DNS name
// rebound to loopback (another Host), and without a JSON content type:
// both are refused; the server's own addresses and --public-url's host are
// served.
func TestServeDevIssuerRebinding(t *testing.T) {
	s := startServer(t, "--dev-issuer", "--public-url", "https://pypi.example.test")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.base, "http://"))
	tests := []struct {
		name, host, contentType string
		status                  int
	}{
		{"listen address", "", "application/json", 200},
		{"localhost", "localhost:" + port, "application/json", 200},
		{"public URL's host", "pypi.example.test", "application/json", 200},
		{"rebound name", "attacker.example:" + port, "application/json", 403},
		{"rebound name without port", "attacker.example", "application/json", 403},
		{"a page's simple request", "", "text/plain", 415},
		{"a form", "", "application/x-www-form-urlencoded", 415},
		{"no content type", "", "", 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.base+"/_/dev-issuer/github/mint", strings.NewReader(`{"sub": "repo:octo/x:ref:refs/heads/main", "aud": "pypi"}`))
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct{ Token, Message string }
			json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != tc.status || (tc.status == 200) != (out.Token != "") {
				t.Fatalf("%d %+v, want %d", resp.StatusCode, out, tc.status)
			}
		})
	}
	// dev-token, the issuer's own client, still works.
	if tok := devToken(t, s, "--github", "octo/x"); strings.Count(tok, ".") != 2 {
		t.Fatalf("dev-token: %q", tok)
	}
}

// TestServeLimitFlags starts the real server with short limits and holds
// connections the way a slow client would: each is closed; the limits are
// logged; bad values are usage errors naming the flag.
func TestServeLimitFlags(t *testing.T) {
	s := startServer(t, "--read-header-timeout", "200ms", "--idle-timeout", "200ms", "--max-connections", "8", "--min-transfer-rate", "1MiB")
	for _, tc := range []struct{ name, send string }{
		{"headers never finished", "GET /simple/ HTTP/1.1\r\nHost: x\r\n"},
		{"idle keep-alive", "GET /simple/ HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, tc.send)
			if _, err := io.Copy(io.Discard, c); err != nil {
				t.Fatalf("the server did not close the connection: %v", err)
			}
		})
	}
	if log := s.log.String(); !strings.Contains(log, "max_connections=8") || !strings.Contains(log, "idle_timeout=200ms") || !strings.Contains(log, "min_transfer_rate=1048576") {
		t.Errorf("limits not logged:\n%s", log)
	}
	for _, bad := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--min-transfer-rate", "fast"}, "--min-transfer-rate: size \"fast\""},
		{[]string{"--max-connections=-1"}, "--max-connections -1 must be positive"},
		{[]string{"--stall-timeout=-5s"}, "--stall-timeout -5s must be positive"},
	} {
		r := run(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, bad.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, bad.msg) {
			t.Errorf("%v: exit %d %q, want 2 and %q", bad.args, r.code, r.stderr, bad.msg)
		}
	}
}

// TestExchangeRefusesInjectedToken runs `exchange` in a simulated GitHub
// Actions job against an index that mints a token carrying a workflow
// command after a line break: the exchange fails with a clear error, and
// neither stream carries a line that the runner would take as a command.
func TestExchangeRefusesInjectedToken(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	jwt := b64([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." +
		b64([]byte(fmt.Sprintf(`{"aud":"pypi","iss":"https://token.actions.githubusercontent.com","repository":"o/r","exp":%d}`, time.Now().Add(time.Hour).Unix()))) + ".sig"
	tokenService := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"value": jwt})
	})
	gha := []string{"GITHUB_ACTIONS=true", "ACTIONS_ID_TOKEN_REQUEST_URL=" + tokenService + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=request-token"}
	for _, tc := range []struct{ name, minted string }{
		{"line feed", "pypi-ok\n::set-env name=PATH::/tmp/evil"},
		{"carriage return", "pypi-ok\r::error::pwned"},
		{"space", "pypi-ok ::warning::x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := echoingIndex(t, tc.minted)
			r := run(t, gha, "exchange", "--publish-url", base+"/legacy/")
			if r.code == 0 || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q: the token was accepted", r.code, r.stdout)
			}
			if !strings.Contains(r.stderr, "not one line of printable ASCII") {
				t.Fatalf("stderr does not say why: %s", r.stderr)
			}
			for _, line := range strings.FieldsFunc(r.stdout+r.stderr, func(c rune) bool { return c == '\n' || c == '\r' }) {
				if strings.HasPrefix(line, "::") {
					t.Fatalf("a workflow command reached the output: %q\n%s", line, r.stderr)
				}
			}
		})
	}
	// A good token: one mask line on stderr, the token alone on stdout.
	base, _ := echoingIndex(t, "pypi-GOOD0123456789")
	r := run(t, gha, "exchange", "--publish-url", base+"/legacy/")
	if r.code != 0 || r.stdout != "pypi-GOOD0123456789\n" || !bytes.Contains([]byte(r.stderr), []byte("::add-mask::pypi-GOOD0123456789\n")) {
		t.Fatalf("good token: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
