// Package startup measures the start-up of the trustpub binary against a Go
// hello world built the same way (static, CGO_ENABLED=0): `trustpub
// version` does nothing but start and print, so the difference is what
// trustpub's size, package initialisation and command-line parser cost
// every command. A third program, the floor (./floor), is a hello world
// that links the Sigstore libraries trustpub needs for attestations and
// calls nothing of them: it splits that difference into what those
// libraries cost every process and what trustpub's own code costs.
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

// floorPackage is the floor program's package, built from the module root.
const floorPackage = "./bench/internal/startup/floor"

// Programs are the binaries Measure times; Floor may be empty (not built).
type Programs struct {
	Trustpub, Hello, Floor string
}

// Result is the programs' wall times, in seconds.
type Result struct {
	Trustpub stats.Summary `json:"trustpub_version_s"`
	Hello    stats.Summary `json:"hello_world_s"`
	// Floor is the hello world linking the Sigstore libraries (nil: not
	// measured).
	Floor *stats.Summary `json:"sigstore_floor_s,omitempty"`
	// Ratio is the medians' ratio, trustpub over hello world.
	Ratio float64 `json:"ratio"`
	// FloorRatio is trustpub over the floor, and FloorOverHello the floor
	// over the hello world (0: no floor).
	FloorRatio     float64 `json:"ratio_to_floor,omitempty"`
	FloorOverHello float64 `json:"floor_over_hello,omitempty"`
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

// BuildFloor builds the floor program statically from the module at root
// into dir and returns its path.
func BuildFloor(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "floor-bin")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, floorPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the start-up floor (%s): %w\n%s", floorPackage, err, out)
	}
	return bin, nil
}

// Measure runs `trustpub version`, the hello world and the floor (if
// built) runs times each through the measuring wrapper, rotating which goes
// first run by run so that none is always first after the others.
func Measure(ctx context.Context, p Programs, wrapper string, runs int) (Result, error) {
	progs := []string{p.Trustpub, p.Hello}
	if p.Floor != "" {
		progs = append(progs, p.Floor)
	}
	walls := make([][]float64, len(progs))
	for i := range runs {
		for k := range progs {
			j := (i + k) % len(progs)
			c := runner.Command{Path: progs[j], Wrapper: wrapper}
			if j == 0 {
				c.Args = []string{"version"}
			}
			r, err := runner.Run(ctx, c)
			if err != nil {
				return Result{}, err
			}
			walls[j] = append(walls[j], r.Wall.Seconds())
		}
	}
	var res Result
	var err error
	if res.Trustpub, err = stats.Summarize(walls[0]); err != nil {
		return res, err
	}
	if res.Hello, err = stats.Summarize(walls[1]); err != nil {
		return res, err
	}
	res.Ratio = stats.Ratio(res.Trustpub.Median, res.Hello.Median)
	if p.Floor != "" {
		floor, err := stats.Summarize(walls[2])
		if err != nil {
			return res, err
		}
		res.Floor = &floor
		res.FloorRatio = stats.Ratio(res.Trustpub.Median, floor.Median)
		res.FloorOverHello = stats.Ratio(floor.Median, res.Hello.Median)
	}
	return res, nil
}
