// Package ghactions is the one home of what trustpub knows about the GitHub
// Actions runner's environment and its workflow commands: whether the
// process runs in GitHub Actions, and the ::add-mask:: and ::warning::
// commands it writes.
package ghactions

import (
	"fmt"
	"io"
	"strings"
)

// EnvVar is the variable the runner sets to "true" in every step.
const EnvVar = "GITHUB_ACTIONS"

// InActions reports whether lookup's environment is a GitHub Actions job:
// GITHUB_ACTIONS is exactly "true", the value the runner sets (the rule of
// astral-sh/ambient-id and of @actions/core). Any other value ("1",
// "yes", "") is not GitHub Actions, so a token is masked exactly when
// GitHub is detected. A nil lookup means "not in GitHub Actions".
func InActions(lookup func(key string) (string, bool)) bool {
	if lookup == nil {
		return false
	}
	v, _ := lookup(EnvVar)
	return v == "true"
}

// AddMask writes the ::add-mask:: command for value to w, which makes the
// runner replace value by *** in the job's log from then on. The runner
// reads workflow commands from both output streams; callers write them to
// stderr so that a captured stdout (a token in $(...)) never holds one.
func AddMask(w io.Writer, value string) error {
	_, err := fmt.Fprintf(w, "::add-mask::%s\n", escapeData(value))
	return err
}

// Warning writes msg as a ::warning:: command to w, so that the runner
// shows it on the run's summary page.
func Warning(w io.Writer, msg string) error {
	_, err := fmt.Fprintf(w, "::warning::%s\n", escapeData(msg))
	return err
}

// escapeData escapes a command's data as @actions/core does: % first, then
// CR and LF, so that a multi-line value stays one command.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}
