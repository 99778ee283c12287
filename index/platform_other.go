//go:build !unix

package index

import (
	"fmt"
	"os"
)

// lockDir opens the lock file; without flock on this platform it does not
// keep a second server out of the data directory.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	return f, nil
}

// syncDir does nothing where directories cannot be fsynced (Windows);
// renames are then as durable as the file system makes them.
func syncDir(dir string) error { return nil }
