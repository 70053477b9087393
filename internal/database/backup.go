package database

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FileName is the SQLite database's file in the data directory.
const FileName = "parley.db"

// ErrInUse means a Parley process has the data directory open.
var ErrInUse = errors.New("in use by a running Parley process")

// ErrExists means the target of a restore already holds a database.
var ErrExists = errors.New("already holds a database")

// Backup writes a consistent copy of the SQLite database in dataDir to out,
// while servers go on reading and writing it. VACUUM INTO reads one
// snapshot inside a read transaction, which in WAL mode never blocks the
// writer; the copy is compact and complete without its log. It refuses to
// overwrite out, and out appears only once it is whole and synced.
func Backup(ctx context.Context, dataDir, out string) (int64, error) {
	src := filepath.Join(dataDir, FileName)
	if _, err := os.Stat(src); err != nil {
		return 0, fmt.Errorf("no database to back up: %w", err)
	}
	if _, err := os.Lstat(out); err == nil {
		return 0, fmt.Errorf("%s already exists; choose another file or remove it first", out)
	}
	partial := out + ".partial"
	os.Remove(partial) // left by a backup that was cut off
	// The copy holds every conversation: readable by its owner only.
	// VACUUM INTO writes into an empty file and keeps its mode.
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	f.Close()
	conn, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, partial); err != nil {
		os.Remove(partial)
		return 0, fmt.Errorf("copy the database: %w", err)
	}
	if err := syncFile(partial); err != nil {
		os.Remove(partial)
		return 0, err
	}
	info, err := os.Stat(partial)
	if err != nil {
		return 0, err
	}
	if err := os.Rename(partial, out); err != nil {
		os.Remove(partial)
		return 0, err
	}
	return info.Size(), syncDir(filepath.Dir(out))
}

// Restore puts the backup from in place as the SQLite database of dataDir.
// It refuses while a Parley process has dataDir open (ErrInUse), when from
// is not a sound Parley database, and — unless force — when dataDir already
// holds a database (ErrExists). A replaced database is kept beside, renamed
// with the time, together with its log. It returns that name, if any.
func Restore(ctx context.Context, from, dataDir string, force bool) (replaced string, err error) {
	if err := CheckBackup(ctx, from); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	unlock, err := lockDataDir(dataDir, true)
	if err != nil {
		return "", err
	}
	defer unlock()
	dst := filepath.Join(dataDir, FileName)
	if info, err := os.Stat(dst); err == nil && info.Size() > 0 && !force {
		return "", fmt.Errorf("%s %w; use --force to replace it", dst, ErrExists)
	}
	tmp := dst + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if _, err := os.Stat(dst); err == nil {
		// Keep the old database, with its log (without which its last
		// commits would be lost), under a name of its own.
		replaced = dst + ".replaced-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dst, replaced); err != nil {
			os.Remove(tmp)
			return "", err
		}
		if err := os.Rename(dst+"-wal", replaced+"-wal"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return replaced, err
		}
	}
	// A log or shared-memory file left here would be replayed into the
	// restored database and corrupt it.
	for _, f := range []string{dst + "-wal", dst + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return replaced, err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return replaced, err
	}
	return replaced, syncDir(dataDir)
}

// sqliteMagic begins every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// CheckBackup reports whether path is a sound Parley SQLite database that
// this version can open: the file format, SQLite's integrity check, and a
// schema version this binary knows.
func CheckBackup(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	head := make([]byte, len(sqliteMagic))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !bytes.Equal(head, sqliteMagic) {
		return fmt.Errorf("%s is not an SQLite database", path)
	}
	// immutable: read the file as it is, without creating a log or
	// shared-memory file beside it.
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer conn.Close()
	var version sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || !version.Valid {
		return fmt.Errorf("%s is not a Parley database (no schema version: %v)", path, err)
	}
	if known := latestMigration(SQLite); version.Int64 > int64(known) {
		return fmt.Errorf("%s has schema version %d, newer than this parley knows (%d); restore it with a newer parley", path, version.Int64, known)
	}
	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("%s: integrity check: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: integrity check: %w", path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s is damaged: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// latestMigration is the highest migration version embedded for d.
func latestMigration(d Dialect) int {
	entries, _ := fs.ReadDir(migrations, "migrations/"+string(d))
	latest := 0
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.Atoi(num); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
