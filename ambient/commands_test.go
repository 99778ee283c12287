package ambient_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustpub/trustpub/ambient"
)

// shQuote quotes s for a POSIX shell script.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fakeTool writes an executable shell script called name into dir that
// records its arguments (one per line) in dir/name.args, prints stdout and
// stderr, and exits with code: a real subprocess standing in for
// buildkite-agent or circleci.
func fakeTool(t *testing.T, dir, name, stdout, stderr string, code int) (argsFile string) {
	t.Helper()
	argsFile = filepath.Join(dir, name+".args")
	script := "#!/bin/sh\n" +
		"for a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + shQuote(argsFile) + "\n" +
		"printf '%s' " + shQuote(stdout) + "\n" +
		"printf '%s' " + shQuote(stderr) + " >&2\n" +
		"exit " + strconv.Itoa(code) + "\n"
	writeFile(t, dir, name, script, 0o755)
	return argsFile
}

// TestCommandProviders mirrors id's test_buildkite_* and test_circleci_*
// cases with real subprocesses found on the (injected) PATH.
func TestCommandProviders(t *testing.T) {
	const aud = "some-audience"
	token := makeJWT(map[string]any{"aud": aud, "iss": "https://agent.buildkite.com"})
	bkArgs := []string{"oidc", "request-token", "--audience", aud}
	ciArgs := []string{"run", "oidc", "get", "--claims", `{"aud": "some-audience"}`}
	ciRoot := append(append([]string{}, ciArgs...), "--root-issuer")
	tests := []struct {
		name           string
		envVar         string // BUILDKITE or CIRCLECI, "" for neither
		tool           string // program to write on PATH, "" for none
		stdout, stderr string
		code           int
		notExecutable  bool
		projectIssuer  bool
		provider       string
		wantErr        string // "" for success, "no CI" for none
		wantArgs       []string
		wantHint       string
		wantLogs       []string
	}{
		{name: "buildkite_bad_env", provider: ambient.ProviderBuildkite, tool: "buildkite-agent", stdout: token, wantErr: "no CI",
			wantLogs: []string{"Buildkite: looking for OIDC credentials", "Buildkite: environment doesn't look like BuildKite; giving up"}},
		{name: "buildkite_no_agent", envVar: "BUILDKITE", provider: ambient.ProviderBuildkite,
			wantErr: "Buildkite: could not find Buildkite agent in Buildkite environment", wantHint: "buildkite-agent on the step's PATH"},
		{name: "buildkite_agent_not_executable", envVar: "BUILDKITE", provider: ambient.ProviderBuildkite, tool: "buildkite-agent", notExecutable: true,
			wantErr: "Buildkite: could not find Buildkite agent in Buildkite environment"},
		{name: "buildkite_agent_error", envVar: "BUILDKITE", provider: ambient.ProviderBuildkite, tool: "buildkite-agent",
			stdout: "mock error message", stderr: "fatal: failed to get OIDC token", code: 1, wantArgs: bkArgs,
			wantErr:  "Buildkite: the Buildkite agent encountered an error: mock error message (it also printed: fatal: failed to get OIDC token) [exit status 1]",
			wantHint: "BUILDKITE_AGENT_ACCESS_TOKEN"},
		{name: "buildkite_agent_error_on_stderr_only", envVar: "BUILDKITE", provider: ambient.ProviderBuildkite, tool: "buildkite-agent",
			stderr: "fatal: access token invalid", code: 255, wantArgs: bkArgs,
			wantErr: "Buildkite: the Buildkite agent encountered an error: fatal: access token invalid [exit status 255]"},
		{name: "buildkite", envVar: "BUILDKITE", provider: ambient.ProviderBuildkite, tool: "buildkite-agent", stdout: token + "\n", wantArgs: bkArgs,
			wantLogs: []string{"Buildkite: looking for OIDC credentials"}},
		{name: "buildkite_agent_hangs", envVar: "BUILDKITE", provider: ambient.ProviderBuildkite, tool: "buildkite-agent",
			stdout: "exec sleep 30", wantArgs: bkArgs, wantErr: "Buildkite: the Buildkite agent encountered an error: [timed out after 300ms"},
		{name: "circleci_bad_env", provider: ambient.ProviderCircleCI, tool: "circleci", stdout: token, wantErr: "no CI",
			wantLogs: []string{"CircleCI: looking for OIDC credentials", "CircleCI: environment doesn't look like CircleCI; giving up"}},
		{name: "circleci_no_cli", envVar: "CIRCLECI", provider: ambient.ProviderCircleCI,
			wantErr: "CircleCI: could not find `circleci` in the environment", wantHint: "cimg/"},
		{name: "circleci_error_root_issuer", envVar: "CIRCLECI", provider: ambient.ProviderCircleCI, tool: "circleci",
			stdout: "", stderr: "mock error message", code: 1, wantArgs: ciRoot,
			wantErr: "CircleCI: the `circleci` tool encountered an error: mock error message [exit status 1]", wantHint: "context"},
		{name: "circleci_error_project_issuer", envVar: "CIRCLECI", provider: ambient.ProviderCircleCI, tool: "circleci", projectIssuer: true,
			stdout: "Usage: circleci run oidc get [flags]", stderr: "mock error message", code: 2, wantArgs: ciArgs,
			wantErr: "CircleCI: the `circleci` tool encountered an error: mock error message (it also printed: Usage: circleci run oidc get [flags])"},
		{name: "circleci_root_issuer", envVar: "CIRCLECI", provider: ambient.ProviderCircleCI, tool: "circleci", stdout: token + "\n", wantArgs: ciRoot,
			wantLogs: []string{"CircleCI: looking for OIDC credentials"}},
		{name: "circleci_project_issuer", envVar: "CIRCLECI", provider: ambient.ProviderCircleCI, tool: "circleci", projectIssuer: true,
			stdout: "  " + token + "\n\n", wantArgs: ciArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bin := t.TempDir()
			var argsFile string
			if tt.tool != "" {
				argsFile = fakeTool(t, bin, tt.tool, tt.stdout, tt.stderr, tt.code)
				if tt.notExecutable {
					if err := os.Chmod(filepath.Join(bin, tt.tool), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			env := map[string]string{"PATH": t.TempDir() + string(os.PathListSeparator) + bin}
			if tt.envVar != "" {
				env[tt.envVar] = "true"
			}
			d, logs := testDetector(t, env)
			d.CircleCIProjectIssuer = tt.projectIssuer
			if strings.HasPrefix(tt.stdout, "exec sleep") {
				// The fake hangs: Detector.Timeout must stop it.
				writeFile(t, bin, tt.tool, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > "+shQuote(argsFile)+"\nexec sleep 30\n", 0o755)
				d.Timeout = 300 * time.Millisecond
			}
			tok, ok, err := d.Detect(context.Background(), aud)
			outcome(t, tok, ok, err, tt.provider, token, tt.wantErr, tt.wantHint)
			if tt.wantArgs != nil {
				got, err := os.ReadFile(argsFile)
				if err != nil {
					t.Fatalf("the tool did not run: %v", err)
				}
				equalLines(t, "argv", strings.Split(strings.TrimSuffix(string(got), "\n"), "\n"), tt.wantArgs)
			} else if argsFile != "" {
				if _, err := os.Stat(argsFile); err == nil {
					t.Errorf("%s ran, but should not have", tt.tool)
				}
			}
			if tt.wantLogs != nil {
				equalLines(t, tt.provider+" debug lines", logs.lines(tt.provider+":"), tt.wantLogs)
			}
		})
	}
}
