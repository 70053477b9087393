package database_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/testdb"
)

func setup(t *testing.T) *database.DB {
	t.Helper()
	db := testdb.Open(t)
	err := db.Write(context.Background(), func(tx *database.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO accounts (id, name, widget_key, created_at) VALUES ('a1', 'A', 'k1', 0)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func count(t *testing.T, db *database.DB, where string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM contacts WHERE `+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func insertContact(id string) func(*database.Tx) error {
	return func(tx *database.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO contacts (id, account_id, created_at, updated_at) VALUES (?, 'a1', 0, 0)`, id)
		return err
	}
}

// Concurrent writes share transactions, yet each write's fate is its own:
// refused writes (before or after they touched the database) change nothing
// and do not fail their neighbours, and commit hooks run only for committed
// writes.
func TestWriteBatchesKeepEachWriteSeparate(t *testing.T) {
	db := setup(t)
	ctx := context.Background()
	refused := errors.New("refused")
	var mu sync.Mutex
	committed, onCommit := map[string]bool{}, map[string]bool{}
	var wg sync.WaitGroup
	before := db.WriterStats()
	errs := make([]error, 300)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("c%03d", i)
			errs[i] = db.Write(ctx, func(tx *database.Tx) error {
				switch i % 3 {
				case 1: // refused before touching anything
					return refused
				case 2: // refused after writing: must be undone
					tx.OnCommit(func() { mu.Lock(); onCommit[id] = true; mu.Unlock() })
					if err := insertContact(id)(tx); err != nil {
						return err
					}
					return refused
				}
				tx.AfterCommit(func() { mu.Lock(); committed[id] = true; mu.Unlock() })
				tx.OnCommit(func() { mu.Lock(); onCommit[id] = true; mu.Unlock() })
				return insertContact(id)(tx)
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		id := fmt.Sprintf("c%03d", i)
		if i%3 == 0 {
			if err != nil {
				t.Errorf("write %s = %v, want nil", id, err)
			}
			if !committed[id] || !onCommit[id] {
				t.Errorf("hooks of %s: after commit ran %v, on commit ran %v; want both", id, committed[id], onCommit[id])
			}
		} else {
			if !errors.Is(err, refused) {
				t.Errorf("write %s = %v, want refused", id, err)
			}
			if committed[id] || onCommit[id] {
				t.Errorf("hooks of refused %s ran (after commit %v, on commit %v)", id, committed[id], onCommit[id])
			}
		}
	}
	if got := count(t, db, "1=1"); got != 100 {
		t.Errorf("stored %d contacts, want 100 (only the accepted writes)", got)
	}
	// Every write, refused or not, is counted once by how long it waited.
	after := db.WriterStats()
	var waits int64
	for i := range after.Waits {
		waits += after.Waits[i] - before.Waits[i]
	}
	if waits != int64(len(errs)) || after.Waited <= before.Waited {
		t.Errorf("wait histogram counted %d writes taking %v, want %d taking some time", waits, after.Waited-before.Waited, len(errs))
	}
}

// OnCommit work has run before any later transaction starts, so memory it
// keeps agrees with what the next writes read (AfterCommit work may still
// wait for the log sync).
func TestOnCommitRunsBeforeLaterWrites(t *testing.T) {
	db := setup(t)
	ctx := context.Background()
	var mirror atomic.Int64 // contacts committed, as the hooks counted them
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.Write(ctx, func(tx *database.Tx) error {
				// Earlier writes of this same transaction are not committed yet.
				pending, _ := tx.BatchValue("pending").(*int64)
				if pending == nil {
					pending = new(int64)
					tx.SetBatchValue("pending", pending, nil)
				}
				var stored int64
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&stored); err != nil {
					return err
				}
				if m := mirror.Load(); stored != m+*pending {
					return fmt.Errorf("write %d reads %d contacts stored, the hooks counted %d committed and %d pending", i, stored, m, *pending)
				}
				*pending++
				tx.OnCommit(func() { mirror.Add(1) })
				return insertContact(fmt.Sprintf("m%03d", i))(tx)
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if mirror.Load() != int64(len(errs)) {
		t.Errorf("hooks counted %d commits, want %d", mirror.Load(), len(errs))
	}
}

// A write whose SQL fails (here a duplicate key) fails alone.
func TestWriteFailingStatementFailsOnlyItsWrite(t *testing.T) {
	db := setup(t)
	ctx := context.Background()
	if err := db.Write(ctx, insertContact("dup")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("n%02d", i)
			if i == 25 {
				id = "dup"
			}
			errs[i] = db.Write(ctx, insertContact(id))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 25) != (err != nil) {
			t.Errorf("write %d = %v; only the duplicate (25) should fail", i, err)
		}
	}
	if !database.IsUniqueViolation(errs[25]) {
		t.Errorf("duplicate write error = %v, want a unique violation", errs[25])
	}
	if got := count(t, db, "id LIKE 'n%'"); got != 49 {
		t.Errorf("stored %d new contacts, want 49", got)
	}
}

func TestWriteAfterCloseIsRefused(t *testing.T) {
	db := setup(t)
	db.Close()
	if err := db.Write(context.Background(), insertContact("late")); !errors.Is(err, database.ErrClosed) {
		t.Fatalf("write after close = %v, want ErrClosed", err)
	}
}

// Rebind turns ? into $n for PostgreSQL and leaves SQLite queries alone.
func TestRebind(t *testing.T) {
	db := setup(t)
	got := db.Rebind("SELECT a FROM t WHERE b = ? AND c = ?")
	want := "SELECT a FROM t WHERE b = ? AND c = ?"
	if db.Dialect() == database.Postgres {
		want = "SELECT a FROM t WHERE b = $1 AND c = $2"
	}
	if got != want {
		t.Errorf("Rebind = %q, want %q", got, want)
	}
}
