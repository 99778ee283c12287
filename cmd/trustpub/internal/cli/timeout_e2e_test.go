package cli_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trustpub/trustpub/internal/testutil/fakepypiserver"
)

// TestUVFlagsAndFileTimeout runs the real binary: uv's options trustpub
// does not take are refused with what to use instead, a bad
// --file-timeout or TRUSTPUB_FILE_TIMEOUT names itself, and a file that
// runs out of its time fails with the hint that names the flag.
func TestUVFlagsAndFileTimeout(t *testing.T) {
	ps := httptest.NewServer(fakepypiserver.New("peer", "peerpass"))
	defer ps.Close()
	// An index that takes the whole body of an upload and then never
	// answers (its simple API, asked whether a lost upload landed, has no
	// such project).
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	defer silent.Close()
	dists := sampleDists(t, "slow-proj", "1.0")
	pub := func(url string, extra ...string) []string {
		return append(append([]string{"publish", "--publish-url", url + "/", "-u", "peer", "-p", "peerpass"}, extra...), dists)
	}
	runCLICases(t, []cliCase{
		{name: "uv's keyring provider", args: pub(ps.URL, "--keyring-provider", "subprocess"), code: 2,
			want: []string{"--keyring-provider is not supported", "--token or --username/--password"}, dontWant: []string{"unknown flag"}},
		{name: "uv's insecure host", args: pub(ps.URL, "--allow-insecure-host", "index.internal"), code: 2,
			want: []string{"--allow-insecure-host is not supported", "--cert FILE", "--allow-plain-http index.internal"}},
		{name: "bad --file-timeout", args: pub(ps.URL, "--file-timeout", "soon"), code: 2,
			want: []string{`--file-timeout: "soon" is not a positive duration`}},
		{name: "bad TRUSTPUB_FILE_TIMEOUT", env: []string{"TRUSTPUB_FILE_TIMEOUT=-1s"}, args: pub(ps.URL), code: 2,
			want: []string{`TRUSTPUB_FILE_TIMEOUT: "-1s" is not a positive duration`}},
		{name: "a file runs out of time", args: pub(silent.URL, "--file-timeout", "1s"), code: 1,
			want: []string{"the time allowed for one file ran out (after 1s)", "hint:", "--file-timeout DURATION"}},
		{name: "from the environment", env: []string{"TRUSTPUB_FILE_TIMEOUT=1s"}, args: pub(silent.URL), code: 1,
			want: []string{"the time allowed for one file ran out (after 1s)"}},
		{name: "a generous timeout uploads", args: pub(ps.URL, "--file-timeout", "2h"),
			want: []string{"summary: 2 uploaded"}},
	})
}

// cliCase is one run of the real binary and what its output (stdout and
// stderr together) must and must not hold.
type cliCase struct {
	name     string
	args     []string
	env      []string
	code     int
	want     []string
	dontWant []string
}

// runCLICases runs each case as a subtest.
func runCLICases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.env, tc.args...)
			out := r.stdout + r.stderr
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", r.code, tc.code, out)
			}
			checkOutput(t, out, tc.want, tc.dontWant)
		})
	}
}
