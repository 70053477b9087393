package database

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite keeps committed pages in the write-ahead log until a checkpoint
// copies them into the database file. SQLite's automatic checkpoint runs
// inside the commit that crosses 1,000 log pages, so every so often one
// batch of writers waits for a copy and an fsync of the database file.
// Parley checkpoints in the background instead, on a connection of its own,
// while the writer goes on committing.
//
// A background checkpoint never quite catches up with a busy writer, and the
// log only starts again from its beginning when it has been copied in full
// just before a write begins. So once the log passes restartFrames, the
// writer itself, between two batches (nothing else writes then), copies the
// little that is left, and SQLite writes the log from its beginning again
// at the next transaction — unless a reader still holds an older snapshot,
// when the next background checkpoint asks again. Past hardLimit times
// restartFrames the writer also waits a moment for such readers. The log
// thus stays near restartFrames pages, and within hardLimit times that even
// under readers that never pause (SQLite's own checkpoint is not bounded
// there at all).
const (
	// checkpointEvery is the least time between background checkpoints:
	// pages changed again within it are copied once.
	checkpointEvery = 50 * time.Millisecond
	// restartFrames is the log size (pages) past which the writer makes
	// the log start again: 4 MiB with 4 KiB pages. The writer's copy
	// before a restart holds up every write for its length (mostly the
	// sync of the pages it copied), so several short ones serve writers
	// better than a few long ones: at 5,000 messages/s, 4,096 pages made
	// 15 copies a second of 5 ms each and a p99 of 38 ms; 1,024 made
	// about 20 of 2–3 ms and a p99 of 28 ms (docs/performance.md, fifth
	// round).
	restartFrames = 1024
	// hardLimit times restartFrames, the writer waits for readers of older
	// snapshots, at most restartWait (the busy_timeout of its connection).
	hardLimit   = 4
	restartWait = 100 * time.Millisecond
)

type checkpointer struct {
	conn *sql.DB
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	// restart asks the writer to finish the checkpoint before its next
	// batch, so that the log starts again.
	restart atomic.Bool
	// frames is the log's size in pages at the last checkpoint.
	frames atomic.Int64
	// restartAt is restartFrames (smaller in tests, which set it while
	// the checkpointer runs).
	restartAt atomic.Int64
	// restartConn is the writer's connection for restarting the log; it
	// waits at most restartWait for readers.
	restartConn *sql.DB
	closing     sync.Once
}

func newCheckpointer(conn, restartConn *sql.DB) *checkpointer {
	c := &checkpointer{conn: conn, restartConn: restartConn, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.restartAt.Store(restartFrames)
	go c.run()
	return c
}

// committed tells the checkpointer that the log has grown.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
		case <-c.stop:
			return
		}
		if frames, err := checkpoint(c.conn); err == nil {
			c.frames.Store(frames)
			c.restart.Store(frames >= c.restartAt.Load())
		}
		select {
		case <-time.After(checkpointEvery):
		case <-c.stop:
			return
		}
	}
}

// beforeBatch runs on the writer goroutine before a batch begins. Once the
// log has grown past restartAt pages it copies what the background
// checkpoint has not yet copied, so that — unless a reader still holds an
// older snapshot — the batch's transaction writes the log from its
// beginning again. Once everything is copied it is done (copying again
// before the next batch cost as long as a sync); otherwise the next batch
// tries again. Past hardLimit times restartAt it also waits (at most
// restartWait) for such readers to finish, so the log cannot grow without
// bound under readers that never pause. It reports whether it ran a
// checkpoint.
func (c *checkpointer) beforeBatch() bool {
	if !c.restart.Load() {
		return false
	}
	mode := "PASSIVE"
	restartAt := c.restartAt.Load()
	if c.frames.Load() >= hardLimit*restartAt {
		mode = "RESTART"
	}
	busy, frames, copied, err := walCheckpoint(c.restartConn, mode)
	if err != nil || frames < 0 {
		return true
	}
	c.frames.Store(frames)
	switch {
	case busy == 0 && copied == frames, // all copied: the next write starts the log again
		frames < restartAt/2: // it already has
		c.restart.Store(false)
	}
	return true
}

// close stops the background checkpoint; it may be called more than once.
func (c *checkpointer) close() {
	c.closing.Do(func() {
		close(c.stop)
		<-c.done
		checkpoint(c.conn) // leave little to replay on the next start
		c.conn.Close()
		c.restartConn.Close()
	})
}

// errCheckpointBusy means another checkpoint was running.
var errCheckpointBusy = errors.New("checkpoint busy")

// checkpoint runs a passive checkpoint (it never waits for readers or the
// writer) and returns the log's size in pages.
func checkpoint(conn *sql.DB) (int64, error) {
	busy, frames, _, err := walCheckpoint(conn, "PASSIVE")
	if err == nil && (busy != 0 || frames < 0) {
		err = errCheckpointBusy
	}
	return frames, err
}

// walCheckpoint runs PRAGMA wal_checkpoint(mode) and returns whether it was
// kept from completing (busy), the log's size in pages and how many of
// them are now copied into the database.
func walCheckpoint(conn *sql.DB, mode string) (busy, frames, copied int64, err error) {
	err = conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &frames, &copied)
	return busy, frames, copied, err
}
