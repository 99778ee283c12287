package ambient

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
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

// fetchBuildkite is Buildkite's second half: `buildkite-agent oidc request-token`.
func (d *Detector) fetchBuildkite(ctx context.Context, audience string) (string, error) {
	fail := func(hint string, err error) (string, error) {
		return "", &ProviderError{Provider: ProviderBuildkite, Hint: hint, Err: err}
	}
	path, err := d.lookPath("buildkite-agent")
	if err != nil {
		return fail(buildkiteNotFoundHint, fmt.Errorf("Buildkite: could not find Buildkite agent in Buildkite environment: %w", err))
	}
	stdout, stderr, err := d.run(ctx, path, "oidc", "request-token", "--audience", audience)
	if err != nil {
		// Like `id`, the message quotes the agent's standard output; its
		// standard error follows, since that is where the agent writes.
		return fail(buildkiteErrorHint, commandFailure("Buildkite: the Buildkite agent encountered an error: ", stdout, stderr, err, d.timeout()))
	}
	return strings.TrimSpace(string(stdout)), nil
}

// fetchCircleCI is CircleCI's second half: `circleci run oidc get`.
func (d *Detector) fetchCircleCI(ctx context.Context, audience string) (string, error) {
	fail := func(hint string, err error) (string, error) {
		return "", &ProviderError{Provider: ProviderCircleCI, Hint: hint, Err: err}
	}
	path, err := d.lookPath("circleci")
	if err != nil {
		return fail(circleciNotFoundHint, fmt.Errorf("CircleCI: could not find `circleci` in the environment: %w", err))
	}
	args := []string{"run", "oidc", "get", "--claims", `{"aud": ` + pyrepr.JSONString(audience) + `}`}
	if !d.CircleCIProjectIssuer {
		args = append(args, "--root-issuer")
	}
	stdout, stderr, err := d.run(ctx, path, args...)
	if err != nil {
		// Like `id`, the message quotes the tool's standard error.
		return fail(circleciErrorHint, commandFailure("CircleCI: the `circleci` tool encountered an error: ", stderr, stdout, err, d.timeout()))
	}
	return strings.TrimSpace(string(stdout)), nil
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
var jwtShape = regexp.MustCompile(`ey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// redactJWTs replaces every JWT-shaped substring of s with [REDACTED].
func redactJWTs(s string) string {
	return jwtShape.ReplaceAllString(s, secret.Redacted)
}
