//go:build unix

package index

import (
	"errors"
	"syscall"
)

// isNoSpace reports whether err is a full disk or an exceeded quota.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// isNameTooLong reports whether err is a name or path too long for the
// file system.
func isNameTooLong(err error) bool { return errors.Is(err, syscall.ENAMETOOLONG) }
