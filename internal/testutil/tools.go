package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireTool returns the path of a Debian tool the test drives (twine,
// flit, poetry, pip), checked by running it with args when given. Without
// it the test is skipped, except under CI=true, where .ci/run installs it
// and its absence fails the test.
func RequireTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil && len(args) > 0 {
		err = exec.Command(p, args...).Run()
	}
	if err != nil {
		msg := name + " " + strings.Join(args, " ") + " is not usable (" + err.Error() + "); .ci/run installs it with apt-get (twine, flit, python3-poetry, python3-pip)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// PythonEnv is a clean environment for a Python client tool: home as
// HOME, no user configuration, no keyring, no prompts, no colours, no line
// wrapping, and reproducible builds; extra entries are appended.
func PythonEnv(home string, extra ...string) []string {
	return append([]string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring",
		"PIP_CONFIG_FILE=/dev/null",
		"PIP_NO_INPUT=1",
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"TWINE_NON_INTERACTIVE=1",
		"NO_COLOR=1",
		"COLUMNS=1000",
		"SOURCE_DATE_EPOCH=1700000000",
		"POETRY_VIRTUALENVS_CREATE=false",
		"POETRY_CACHE_DIR=" + home + "/.poetry-cache",
	}, extra...)
}
