package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireTool returns the path of a tool a test needs (running it with
// args first, when given, to see that it works). When the tool is missing
// or does not work it skips the test, except under CI=true, where it fails
// it: CI installs every tool, so a missing one there is a broken setup.
// install says how to get the tool, as "install it with: apt-get install -y
// twine".
func RequireTool(t testing.TB, install, name string, args ...string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil && len(args) > 0 {
		err = exec.Command(p, args...).Run()
	}
	if err != nil {
		msg := fmt.Sprintf("%s %s is not usable (%v); %s", name, strings.Join(args, " "), err, install)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}
