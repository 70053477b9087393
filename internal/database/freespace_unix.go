//go:build unix

package database

import "syscall"

// freeSpace reports the bytes free to unprivileged writers on dir's file
// system, and whether it could tell.
func freeSpace(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
