// Package cli is the trustpub command line: flags, configuration precedence
// (flags > environment > .pypirc > trusted publishing) and output. Everything
// a library user would need lives in the packages it calls.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/trustpub/trustpub/cmd/trustpub/internal/exitcode"
	"github.com/trustpub/trustpub/internal/version"
)

// The exit codes, by their names in package exitcode (their one home).
const (
	ExitOK          = exitcode.OK
	ExitFailure     = exitcode.Failure
	ExitUsage       = exitcode.Usage
	ExitCheck       = exitcode.Check
	ExitCredentials = exitcode.Credentials
)

// App is what the commands touch outside the process, injectable for tests.
type App struct {
	Stdout, Stderr io.Writer
	Env            Env
	Home           string
	HTTPClient     *http.Client
	// IsTerminal reports whether Stderr is a terminal (progress bars).
	IsTerminal bool
	// Dir is the working directory (pyproject.toml is read there); ""
	// is the process's.
	Dir string

	// indexHTTP, when set, is the client for the index (uploads, simple
	// API, exchange) with --cert/--client-cert; CI token services keep
	// HTTPClient.
	indexHTTP *http.Client
}

// exitError carries an exit code with an error message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func usageErr(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// silentExit ends the command with a code after it has printed its own output.
type silentExit int

func (e silentExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Version is this binary's version (internal/version: stamped by
// scripts/release, else the module version), as sent in the User-Agent.
var Version = version.Read().Version

type root struct {
	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and exit."`

	Publish  publishCmd  `cmd:"" help:"Check and upload distributions (wheels, sdists) to an index."`
	Upload   uploadCmd   `cmd:"" help:"twine upload's command line: check and upload distributions (see README: Switching from twine or uv)."`
	Check    checkCmd    `cmd:"" help:"Run every check on distribution files and report all problems at once."`
	Attest   attestCmd   `cmd:"" help:"Sign PEP 740 publish attestations (<file>.publish.attestation) with the CI's identity through Sigstore, for other uploaders."`
	Serve    serveCmd    `cmd:"" help:"Run a PyPI-compatible index with trusted publishing on this machine."`
	Token    tokenCmd    `cmd:"" help:"Print the CI's ambient OIDC token for an audience (for scripts)."`
	Exchange exchangeCmd `cmd:"" help:"Exchange the CI's OIDC token for an upload token at an index and print it."`
	DevToken devTokenCmd `cmd:"" name:"dev-token" help:"Mint a GitHub- or GitLab-shaped OIDC token from a 'trustpub serve --dev-issuer' index."`
	Version  versionCmd  `cmd:"" help:"Print the version."`
}

type versionCmd struct{}

func (versionCmd) Run(a *App) error {
	fmt.Fprintln(a.Stdout, versionLine())
	return nil
}

// versionLine is what `trustpub --version` and `trustpub version` print.
func versionLine() string { return "trustpub " + version.Read().String() }

// Main runs trustpub with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, a *App) int {
	return run(ctx, args, a, grammarFor(args))
}

// run is Main with the grammar kong builds its parser from (see
// grammarFor).
func run(ctx context.Context, args []string, a *App, grammar any) int {
	if a.HTTPClient == nil {
		a.HTTPClient = &http.Client{}
	}
	exitCode := -1
	parser, err := kong.New(grammar,
		kong.Name("trustpub"),
		kong.Description("Publish Python distributions with Trusted Publishing: no long-lived token."),
		kong.Writers(a.Stdout, a.Stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.UsageOnError(),
		kong.Bind(a),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Vars{"version": versionLine()},
	)
	if err != nil {
		fmt.Fprintln(a.Stderr, "trustpub:", err)
		return ExitUsage
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help
		return exitCode
	}
	if err != nil {
		fmt.Fprintln(a.Stderr, "trustpub:", err)
		return ExitUsage
	}
	err = kctx.Run()
	if exitCode >= 0 {
		return exitCode
	}
	return report(a.Stderr, err)
}

// report prints err (if any) and maps it to an exit code.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var se silentExit
	if errors.As(err, &se) {
		return int(se)
	}
	code := ExitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	msg := strings.TrimRight(err.Error(), "\n")
	fmt.Fprintln(stderr, "trustpub: error:", msg)
	return code
}

// OSApp returns an App over the real process environment.
func OSApp() *App {
	home, _ := os.UserHomeDir()
	dir, _ := os.Getwd()
	return &App{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Env:        os.LookupEnv,
		Home:       home,
		HTTPClient: &http.Client{},
		IsTerminal: isTerminal(os.Stderr),
		Dir:        dir,
	}
}
