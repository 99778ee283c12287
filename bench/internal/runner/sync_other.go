//go:build !unix

package runner

// FlushDisks does nothing where sync(2) does not exist.
func FlushDisks() {}
