package ambient

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/trustpub/trustpub/internal/pyrepr"
	"github.com/trustpub/trustpub/secret"
)

// Buildkite and CircleCI: a program on PATH prints the token.

const (
	buildkiteNotFoundHint = `To fix: run this step on a Buildkite agent, which puts buildkite-agent on the step's PATH; in a container step, mount the agent binary into the container (the docker plugin's "mount-buildkite-agent: true") or add its directory to PATH.`
	buildkiteErrorHint    = `To fix: make sure the step runs on a Buildkite agent recent enough to issue OIDC tokens ("buildkite-agent oidc request-token --help") and that the step's environment still has BUILDKITE_AGENT_ACCESS_TOKEN and BUILDKITE_JOB_ID, which the agent needs to ask Buildkite for the token.`
	circleciNotFoundHint  = "To fix: put the CircleCI CLI on PATH. CircleCI's convenience images (cimg/*) include `circleci`; in another image install it (https://circleci.com/docs/local-cli/) or use a cimg/python image for the publishing job."
	circleciErrorHint     = "To fix: `circleci run oidc get` only works inside a CircleCI job; make sure the job runs on CircleCI (not a local `circleci local execute`), that the project has OIDC tokens available (jobs that use a context), and that the CLI is recent enough to have `run oidc get`."
)

// tool is a CI's command-line program that prints the token.
type tool struct {
	provider, program string
	notFound          string // `id`'s message when the program is not on PATH
	notFoundHint      string
	failed            string // `id`'s message prefix when it fails
	failedHint        string
	// quoteStderr: `id` quotes the program's standard error (CircleCI)
	// rather than its standard output (Buildkite); the other follows.
	quoteStderr bool
}

// runTool runs t's program with args and returns its standard output,
// trimmed, as the token.
func (d *Detector) runTool(ctx context.Context, t tool, args ...string) (string, error) {
	fail := func(hint string, err error) (string, error) {
		return "", &ProviderError{Provider: t.provider, Hint: hint, Err: err}
	}
	path, err := d.lookPath(t.program)
	if err != nil {
		return fail(t.notFoundHint, fmt.Errorf("%s: %w", t.notFound, err))
	}
	stdout, stderr, err := d.run(ctx, path, args...)
	if err != nil {
		primary, other := stdout, stderr
		if t.quoteStderr {
			primary, other = stderr, stdout
		}
		return fail(t.failedHint, commandFailure(t.failed, primary, other, err, d.timeout()))
	}
	return strings.TrimSpace(string(stdout)), nil
}

// fetchBuildkite is Buildkite's second half: `buildkite-agent oidc request-token`.
func (d *Detector) fetchBuildkite(ctx context.Context, audience string) (string, error) {
	return d.runTool(ctx, tool{
		provider: ProviderBuildkite, program: "buildkite-agent",
		notFound: "Buildkite: could not find Buildkite agent in Buildkite environment", notFoundHint: buildkiteNotFoundHint,
		failed: "Buildkite: the Buildkite agent encountered an error: ", failedHint: buildkiteErrorHint,
	}, "oidc", "request-token", "--audience", audience)
}

// fetchCircleCI is CircleCI's second half: `circleci run oidc get`.
func (d *Detector) fetchCircleCI(ctx context.Context, audience string) (string, error) {
	args := []string{"run", "oidc", "get", "--claims", `{"aud": ` + pyrepr.JSONString(audience) + `}`}
	if !d.CircleCIProjectIssuer {
		args = append(args, "--root-issuer")
	}
	return d.runTool(ctx, tool{
		provider: ProviderCircleCI, program: "circleci",
		notFound: "CircleCI: could not find `circleci` in the environment", notFoundHint: circleciNotFoundHint,
		failed: "CircleCI: the `circleci` tool encountered an error: ", failedHint: circleciErrorHint,
		quoteStderr: true,
	}, args...)
}

// commandFailure builds "<prefix><primary output>" as `id` does, then adds
// the other output stream (alone when the primary one is empty) and how
// the program ended, and wraps err.
//
// A failing tool may have printed a token before it failed (or was killed):
// anything shaped like a JWT in its output is replaced by [REDACTED].
func commandFailure(prefix string, primary, other []byte, err error, timeout time.Duration) error {
	p := redactJWTs(strings.TrimSpace(string(primary)))
	o := redactJWTs(strings.TrimSpace(string(other)))
	msg := prefix + truncate([]byte(p), 2000)
	switch {
	case p == "" && o != "":
		msg += truncate([]byte(o), 2000)
	case o != "":
		msg += " (it also printed: " + truncate([]byte(o), 2000) + ")"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s [timed out after %s: %w]", strings.TrimRight(msg, " "), timeout, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s [cancelled: %w]", strings.TrimRight(msg, " "), err)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return fmt.Errorf("%s [%w]", msg, err)
	}
	return fmt.Errorf("%s [could not run it: %w]", msg, err)
}

// jwtShape matches three dot-separated base64url segments, the first two
// starting as a JSON object's encoding does ("ey").
var jwtShape = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`ey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
})

// redactJWTs replaces every JWT-shaped substring of s with [REDACTED].
func redactJWTs(s string) string {
	return jwtShape().ReplaceAllString(s, secret.Redacted)
}
