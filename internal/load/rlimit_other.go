//go:build !unix

package load

// raiseOpenFiles assumes a conservative limit where there is no rlimit.
func raiseOpenFiles() int { return 1024 }
