// Package startup measures the start-up of the trustpub binary against a Go
// hello world built the same way (static, CGO_ENABLED=0): `trustpub
// version` does nothing but start and print, so the difference is what
// trustpub's size, package initialisation and command-line parser cost
// every command.
package startup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/trustpub/trustpub/bench/internal/runner"
	"github.com/trustpub/trustpub/bench/internal/stats"
)

// TargetRatio is issue 14's target: `trustpub version` within this many
// times a hello world's wall time.
const TargetRatio = 2.0

// helloSource is the hello world's program.
const helloSource = `package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
`

// Result is the two programs' wall times, in seconds.
type Result struct {
	Trustpub stats.Summary `json:"trustpub_version_s"`
	Hello    stats.Summary `json:"hello_world_s"`
	// Ratio is the medians' ratio, trustpub over hello world.
	Ratio float64 `json:"ratio"`
}

// BuildHello builds the hello world statically in dir and returns its path.
func BuildHello(ctx context.Context, dir string) (string, error) {
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(helloSource), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hello-bin")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the hello world: %w\n%s", err, out)
	}
	return bin, nil
}

// Measure runs `trustpub version` and the hello world runs times each,
// alternating which goes first, through the measuring wrapper.
func Measure(ctx context.Context, trustpub, hello, wrapper string, runs int) (Result, error) {
	var tp, hw []float64
	for i := range runs {
		order := []string{trustpub, hello}
		if i%2 == 1 {
			order = []string{hello, trustpub}
		}
		for _, bin := range order {
			c := runner.Command{Path: bin, Wrapper: wrapper}
			if bin == trustpub {
				c.Args = []string{"version"}
			}
			r, err := runner.Run(ctx, c)
			if err != nil {
				return Result{}, err
			}
			if bin == trustpub {
				tp = append(tp, r.Wall.Seconds())
			} else {
				hw = append(hw, r.Wall.Seconds())
			}
		}
	}
	var res Result
	var err error
	if res.Trustpub, err = stats.Summarize(tp); err != nil {
		return res, err
	}
	if res.Hello, err = stats.Summarize(hw); err != nil {
		return res, err
	}
	res.Ratio = stats.Ratio(res.Trustpub.Median, res.Hello.Median)
	return res, nil
}
