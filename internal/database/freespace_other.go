//go:build !unix

package database

// freeSpace cannot tell the free space here; the probe write decides.
func freeSpace(string) (int64, bool) { return 0, false }
