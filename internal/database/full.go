package database

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/parley-chat/parley/internal/apperr"
)

// sqliteFull is SQLite's primary result code SQLITE_FULL: the disk is full,
// or the database reached its max_page_count.
const sqliteFull = 13

// IsStorageFull reports whether err means a write failed for lack of space:
// SQLite's SQLITE_FULL, ENOSPC, or PostgreSQL's disk_full (SQLSTATE 53100).
func IsStorageFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, apperr.ErrStorageFull) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqliteFull
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "53100"
	}
	// Drivers' errors that reached us as text only.
	msg := err.Error()
	return strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "SQLSTATE 53100")
}

// storageFull wraps err, a write's failure for lack of space, as the
// refusal the API layer answers with 503 storage_full.
func storageFull(err error) error {
	if errors.Is(err, apperr.ErrStorageFull) {
		return err
	}
	return fmt.Errorf("%w: %w", apperr.StorageFull(), err)
}

// fullLogEvery bounds how often a full disk is logged: every refused write
// is counted, and the count logged with the next line.
const fullLogEvery = time.Minute

// probeEvery bounds how often StorageFull tries a probe write while the
// storage is full.
const probeEvery = 2 * time.Second

// probeSize is what a probe stores (and removes again): enough to need
// new pages, and so new space, in any database.
const probeSize = 64 << 10

// minFree is the free space, in bytes, below which a SQLite data
// directory's disk counts as still full.
const minFree = 1 << 20

// storage tracks whether writes are failing for lack of space.
type storage struct {
	full atomic.Bool
	log  *slog.Logger

	mu        sync.Mutex
	failed    int64     // refused writes since the last log line
	loggedAt  time.Time // of the last storage_full line
	probedAt  time.Time
	probeName string
}

// refused records a write that failed for lack of space, logging at most
// once per fullLogEvery.
func (s *storage) refused(err error) {
	s.full.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed++
	if !s.loggedAt.IsZero() && time.Since(s.loggedAt) < fullLogEvery {
		return
	}
	s.log.Error("storage_full", "failed_writes", s.failed, "err", err)
	s.failed, s.loggedAt = 0, time.Now()
}

// StorageFull reports whether writes are failing for lack of space: since
// a write failed so, and until a probe (RecheckStorage) finds room again.
// Small writes may still fit meanwhile (in pages or log space already
// taken), so one that succeeds does not end it.
func (db *DB) StorageFull() bool { return db.writer.storage.full.Load() }

// RecheckStorage reports whether the storage is still full. While it is,
// it tries (at most every probeEvery) a small write of its own, so that
// readiness comes back once space is freed even if no client writes.
func (db *DB) RecheckStorage(ctx context.Context) bool {
	s := &db.writer.storage
	if !s.full.Load() {
		return false
	}
	s.mu.Lock()
	due := time.Since(s.probedAt) >= probeEvery
	if due {
		s.probedAt = time.Now()
	}
	if s.probeName == "" {
		b := make([]byte, 6)
		rand.Read(b)
		// Several nodes may probe one PostgreSQL database at once.
		s.probeName = "parley_space_probe_" + hex.EncodeToString(b)
	}
	name := s.probeName
	s.mu.Unlock()
	if due && db.probe(ctx, name) {
		s.full.Store(false)
		s.mu.Lock()
		s.log.Info("storage_ok", "failed_writes", s.failed)
		s.failed, s.loggedAt = 0, time.Time{}
		s.mu.Unlock()
	}
	return s.full.Load()
}

// probe stores probeSize bytes in a table of its own and removes it again,
// in two transactions so that the first really reaches the disk, and
// reports whether that worked. On SQLite it first asks the file system:
// the log may have room for a small write on a disk that is full.
func (db *DB) probe(ctx context.Context, name string) bool {
	if db.dataDir != "" {
		if free, ok := freeSpace(db.dataDir); ok && free < minFree {
			return false
		}
	}
	blob := make([]byte, probeSize)
	rand.Read(blob) // incompressible
	err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+name+` (b BYTEA)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+name+` (b) VALUES (?)`, blob)
		return err
	})
	// The table goes even when the insert failed (after its CREATE was
	// committed by an earlier probe, say).
	db.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+name)
		return err
	})
	if err != nil && !IsStorageFull(err) {
		db.log.Warn("storage_probe_failed", "err", err)
	}
	return err == nil
}
