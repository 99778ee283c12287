//go:build !unix

package runner

import "os"

// maxRSSKiB is unknown where rusage does not exist.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
