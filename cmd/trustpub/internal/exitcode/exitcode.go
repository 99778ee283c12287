// Package exitcode is the one home of trustpub's process exit codes
// (documented in README.md) and of the mapping from a publish run's error
// to its code. Both the command line (package cli) and its JSON report
// (package output) read them here.
package exitcode

import (
	"errors"

	"github.com/trustpub/trustpub/upload"
)

// The exit codes of trustpub.
const (
	// OK: everything asked for was done (every file is on the index, or the
	// dry run found nothing wrong), or there was nothing to do.
	OK = 0
	// Failure: an upload or exchange failed, or a file was not attempted
	// because of a failure or cancellation; the report says which landed.
	Failure = 1
	// Usage: bad flags, configuration or environment (a malformed URL).
	Usage = 2
	// Check: a distribution file was refused before any byte was sent
	// (unreadable, or on the index with a different sha256).
	Check = 3
	// Credentials: no usable credential, it may not be sent to the publish
	// URL (plain http to a non-loopback host), or trusted publishing failed.
	Credentials = 4
)

// ForPublish maps the error of [upload.Client.Publish] to an exit code: by
// the stage an [*upload.PublishError] stopped at, Failure for any other
// error, OK for nil.
func ForPublish(err error) int {
	if err == nil {
		return OK
	}
	var pe *upload.PublishError
	if !errors.As(err, &pe) {
		return Failure
	}
	switch pe.Stage {
	case upload.StageConfig:
		return Usage
	case upload.StageCredentials:
		return Credentials
	case upload.StageCheck:
		return Check
	}
	return Failure
}
