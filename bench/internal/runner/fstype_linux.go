//go:build linux

package runner

import (
	"fmt"
	"syscall"
)

// FSType names the filesystem that holds path ("tmpfs", "ext4", ...), or
// "" when it cannot be told.
func FSType(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return ""
	}
	switch int64(st.Type) {
	case 0x01021994:
		return "tmpfs"
	case 0xEF53:
		return "ext4" // also ext2 and ext3: they share the magic
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x794C7630:
		return "overlayfs"
	case 0x2FC12FC1:
		return "zfs"
	}
	return fmt.Sprintf("filesystem 0x%x", st.Type)
}

// FreeBytes returns the bytes available to this user on the filesystem that
// holds path, and whether that could be told.
func FreeBytes(path string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
