package index

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS makes every write to the file system holding dir durable
// (syncfs(2)), so that the files written without their own fsync (metadata
// files) are on disk before the catalog is marked current.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
