package ambient

import (
	"errors"
	"strings"
)

// Provider names, as used in [ProviderError.Provider] and [Token.Provider].
// They are the prefixes Python `id` puts on its messages.
const (
	ProviderGitHub    = "GitHub"    // GitHub Actions
	ProviderGitLab    = "GitLab"    // GitLab CI/CD
	ProviderBuildkite = "Buildkite" // Buildkite
	ProviderCircleCI  = "CircleCI"  // CircleCI
	ProviderGCP       = "GCP"       // Google Cloud (impersonation or Compute Engine metadata)
)

// ErrPermission is matched (errors.Is) when GitHub Actions withholds the
// OIDC request variables, which happens when the job lacks
// `permissions: id-token: write` or runs for a pull request from a fork.
// It is `id`'s GitHubOidcPermissionCredentialError.
var ErrPermission = errors.New("missing OIDC token permission")

// ProviderError reports that a CI provider was detected but its token could
// not be had. It is the third outcome of [Detector.Detect], distinct from
// "no CI" (ok false, nil error); detection stops at the first such error.
type ProviderError struct {
	// Provider is one of the Provider* constants.
	Provider string
	// Hint says how to fix the problem; it may span several lines (YAML).
	Hint string
	// Err is the cause. Its text starts with Python `id` 1.6.1's message
	// for the same failure (e.g. "GitLab: Environment variable
	// PYPI_ID_TOKEN not found"); it never contains a token.
	Err error
}

// Error returns the cause, prefixed with the provider name when the cause
// does not already start with it, followed by the hint on the next lines.
func (e *ProviderError) Error() string {
	msg := "unknown error"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if !strings.HasPrefix(msg, e.Provider+":") {
		msg = e.Provider + ": " + msg
	}
	if e.Hint != "" {
		msg += "\n" + e.Hint
	}
	return msg
}

// Unwrap returns the cause, so that errors.Is finds [ErrPermission],
// [ErrInvalidToken], context.Canceled and the like.
func (e *ProviderError) Unwrap() error { return e.Err }

// permissionError is a GitHub permission failure with `id`'s exact text.
type permissionError struct{ msg string }

func (e *permissionError) Error() string        { return e.msg }
func (e *permissionError) Is(target error) bool { return target == ErrPermission }
