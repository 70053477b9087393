package database

import "errors"

// SetRestartFrames lowers the log size at which the writer restarts the
// SQLite write-ahead log, so a test can cross it with little data.
func (db *DB) SetRestartFrames(n int64) { db.ckpt.restartAt.Store(n) }

// LogFrames is the log's size in pages at the last checkpoint.
func (db *DB) LogFrames() int64 { return db.ckpt.frames.Load() }

// BreakLogSync points the writer's log sync at a file that does not exist,
// so every sync fails.
func (db *DB) BreakLogSync() { db.writer.sync.path += ".missing" }

// RestartWanted reports whether the writer is to restart the log before
// its next batch.
func (db *DB) RestartWanted() bool { return db.ckpt.restart.Load() }

// CopyBeforeBatch runs what the writer runs before a batch (call it only
// while nothing is written) and reports whether it copied.
func (db *DB) CopyBeforeBatch() bool { return db.ckpt.beforeBatch() }

// MarkStorageFull records a write refused for lack of space, as a full
// disk would, without filling one.
func (db *DB) MarkStorageFull() {
	db.writer.storage.refused(errors.New("database or disk is full (13)"))
}
