//go:build unix

package load

import "syscall"

// raiseOpenFiles lifts the soft limit of open files to the hard limit (Go
// does this at start on Linux too) and returns the soft limit now in force.
func raiseOpenFiles() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 1024
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
		}
	}
	if l.Cur > 1<<30 {
		return 1 << 30
	}
	return int(l.Cur)
}
