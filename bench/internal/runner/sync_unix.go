//go:build unix

package runner

import "syscall"

// FlushDisks writes every filesystem's dirty data to disk (sync(2)), so that
// what earlier runs left in the page cache is not written back during the
// next timed run. It also ends ext4's (no journal) reluctance to reuse the
// inodes of files deleted within the last five minutes while their inode
// table block is dirty, which otherwise makes every file the index creates
// scan past them.
func FlushDisks() { syscall.Sync() }
