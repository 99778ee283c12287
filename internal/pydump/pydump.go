// Package pydump reads data out of an installed Python package: it runs a
// short script under a given interpreter and decodes the JSON the script
// prints. It is the one home of that step for the programs that generate
// trustpub's embedded tables from Debian's Python packages (trove
// classifiers; docutils' and Pygments' tables).
package pydump

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// Decode runs `python -c script` and decodes the one JSON value it prints
// into v. A script that fails is reported with its standard error and
// install, what to install when the interpreter or its modules are
// missing ("apt-get install -y python3-docutils"); output that is not one
// JSON value for v is an error naming the interpreter.
func Decode(ctx context.Context, python, script, install string, v any) error {
	cmd := exec.CommandContext(ctx, python, "-c", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("running %s (%s): %w\n%s", python, install, err, strings.TrimSpace(stderr.String()))
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("reading what %s printed: %w", python, err)
	}
	if dec.More() {
		return fmt.Errorf("reading what %s printed: more than one JSON value", python)
	}
	return nil
}
