//go:build !linux

package runner

// FSType is unknown outside Linux.
func FSType(string) string { return "" }

// FreeBytes is unknown outside Linux.
func FreeBytes(string) (int64, bool) { return 0, false }
