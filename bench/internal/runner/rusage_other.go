//go:build !unix

package runner

import (
	"os"
	"os/exec"
)

// maxRSSKiB is unknown where rusage does not exist.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }

// selfMaxRSSKiB is unknown where rusage does not exist.
func selfMaxRSSKiB() int64 { return 0 }

// ownGroup leaves cmd as it is: without process groups, cancelling kills
// the wrapper only.
func ownGroup(*exec.Cmd) {}
