//go:build unix

package runner

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSKiB returns the process's peak RSS in KiB: Linux reports ru_maxrss
// in KiB, macOS in bytes.
func maxRSSKiB(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024
	}
	return int64(ru.Maxrss)
}
