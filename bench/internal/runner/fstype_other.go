//go:build !linux

package runner

// FSType is unknown outside Linux.
func FSType(string) string { return "" }
