package database_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/database"
)

// The writer never checkpoints inside a commit; the background checkpoint
// and the writer's restart keep the write-ahead log bounded even while
// readers are always busy, and nothing committed is lost.
func TestCheckpointKeepsTheLogBounded(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := openSQLite(t, dir)
	const restartAt = 300 // pages: 1.2 MiB with 4 KiB pages
	db.SetRestartFrames(restartAt)

	// Readers that never pause.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := db.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE account_id = 'a1'`).Scan(&n); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}

	walPath := filepath.Join(dir, "parley.db-wal")
	pad := strings.Repeat("x", 2000) // about half a page per row
	var maxWAL int64
	const writers, perWriter = 16, 300 // 4,800 rows: about 10 MiB of log without restarts
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				err := db.Write(ctx, func(tx *database.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO contacts (id, account_id, name, created_at, updated_at) VALUES (?, 'a1', ?, 0, 0)`,
						fmt.Sprintf("c%02d-%04d", w, i), pad)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(5 * time.Millisecond):
		}
		if fi, err := os.Stat(walPath); err == nil && fi.Size() > maxWAL {
			maxWAL = fi.Size()
		}
	}
	close(stop)
	readers.Wait()

	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*perWriter {
		t.Fatalf("%d contacts stored, want %d", n, writers*perWriter)
	}
	// Readers that never pause keep the log from starting again at
	// restartAt; past four times that the writer waits for them (SQLite's
	// automatic checkpoint let it grow to 22 MiB here). Allow for the
	// batches written while a restart is tried.
	if limit := int64(6 * restartAt * 4096); maxWAL > limit {
		t.Errorf("write-ahead log grew to %d bytes, want at most %d (restart at %d pages)", maxWAL, limit, restartAt)
	}
	if st := db.WriterStats(); st.Restarts == 0 || st.RestartTime <= 0 {
		t.Errorf("writer stats: %d log restarts taking %v, want some", st.Restarts, st.RestartTime)
	}
	if maxWAL == 0 {
		t.Error("no write-ahead log seen: is the database in WAL mode?")
	}
	t.Logf("largest log %d KiB, last checkpoint saw %d pages", maxWAL/1024, db.LogFrames())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, everything is there.
	db, err := database.Open(ctx, database.Opts{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&n); err != nil || n != writers*perWriter {
		t.Fatalf("after reopening: %d contacts (%v), want %d", n, err, writers*perWriter)
	}
}

// Once the writer's copy before a restart has taken everything, the
// restart is done: the writer does not copy again before its next batch
// (that second copy held up every write for about as long as a sync, and
// restarted a log of a few pages once more).
func TestOneCopyPerLogRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := openSQLite(t, dir)
	defer db.Close()
	const restartAt = 100
	db.SetRestartFrames(restartAt)
	// One commit of about 2×restartAt pages.
	pad := strings.Repeat("x", 3000) // most of a page per row
	err := db.Write(ctx, func(tx *database.Tx) error {
		for i := range 2 * restartAt {
			_, err := tx.Exec(ctx, `INSERT INTO contacts (id, account_id, name, created_at, updated_at) VALUES (?, 'a1', ?, 0, 0)`,
				fmt.Sprintf("c%04d", i), pad)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The background checkpoint sees the log past restartAt and asks the
	// writer for a restart; no write comes meanwhile, so the writer's
	// copies below run as if between two batches.
	deadline := time.Now().Add(10 * time.Second)
	for !db.RestartWanted() {
		if time.Now().After(deadline) {
			t.Fatalf("no restart asked for with a log of %d pages (restart at %d)", db.LogFrames(), restartAt)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !db.CopyBeforeBatch() {
		t.Fatal("the writer did not copy before its batch although a restart was asked for")
	}
	if db.CopyBeforeBatch() {
		t.Error("the writer copied again before the next batch although everything was copied")
	}
}
