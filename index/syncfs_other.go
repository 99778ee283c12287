//go:build !linux

package index

import "errors"

// syncFS is syncfs(2) where the system has it; elsewhere the catalog is
// never marked current, and every start rebuilds it from the record files.
func syncFS(string) error { return errors.New("syncfs is not available") }
