package pydist

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
)

// AskPythonOracle runs script under python (a cross-check against the
// Python library that is the reference for a rule) with every request
// written to its standard input as one JSON line, and decodes the one JSON
// answer per request the script prints into T. The environment is
// PYTHONIOENCODING=utf-8 and env, nothing else. A script that fails, or
// answers a different number of requests, fails the test. Exported for the
// external tests (pydist_test); it exists only in test builds.
func AskPythonOracle[T any](t testing.TB, python string, env []string, script string, reqs []map[string]string) []T {
	t.Helper()
	var stdin bytes.Buffer
	enc := json.NewEncoder(&stdin)
	for _, r := range reqs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(python, "-c", script)
	cmd.Env = append([]string{"PYTHONIOENCODING=utf-8"}, env...)
	cmd.Stdin = &stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s oracle: %v\n%s", python, err, stderr.Bytes())
	}
	var res []T
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var a T
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("%s oracle's answer %d: %v", python, len(res)+1, err)
		}
		res = append(res, a)
	}
	if len(res) != len(reqs) {
		t.Fatalf("%s oracle answered %d of %d requests", python, len(res), len(reqs))
	}
	return res
}
