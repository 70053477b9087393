//go:build unix

package database

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockName is the file in the data directory whose lock tells a restore
// that a Parley process has the database open.
const lockName = "parley.lock"

// lockDataDir locks dataDir: shared for every process that opens the
// database (they may run together; a shared lock waits for a restore to
// finish), exclusive for a restore, which refuses at once (ErrInUse) while
// any of them runs. The lock goes with the process, however it ends.
func lockDataDir(dataDir string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dataDir, lockName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX | syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is %w (stop parley serve first)", dataDir, ErrInUse)
		}
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	return func() { f.Close() }, nil
}
