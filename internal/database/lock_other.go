//go:build !unix

package database

// lockDataDir does not lock where flock is missing: a restore cannot tell
// whether a server runs there.
func lockDataDir(dataDir string, exclusive bool) (unlock func(), err error) {
	return func() {}, nil
}
