package database_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/database"
)

// With SQLite the writer commits without waiting for the disk and syncs the
// log beside the next batch: every write is still answered only after a
// sync, after-commit work runs in commit order, and Close answers every
// write it took.
func TestWritesAreAnsweredAfterTheLogSync(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := openSQLite(t, dir)
	before := db.WriterStats()

	var mu sync.Mutex
	var order []int // the value each committed write saw, in after-commit order
	var wg sync.WaitGroup
	const n = 400
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Write(ctx, func(tx *database.Tx) error {
				var seen int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&seen); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO contacts (id, account_id, created_at, updated_at) VALUES (?, 'a1', 0, 0)`, fmt.Sprintf("c%03d", i)); err != nil {
					return err
				}
				tx.AfterCommit(func() {
					mu.Lock()
					order = append(order, seen)
					mu.Unlock()
				})
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if len(order) != n {
		t.Fatalf("%d after-commit calls, want %d", len(order), n)
	}
	for i, seen := range order {
		if seen != i {
			t.Fatalf("after-commit work out of commit order: call %d saw %d rows before it", i, seen)
		}
	}
	st := db.WriterStats()
	syncs, batches := st.Syncs-before.Syncs, st.Batches-before.Batches
	if syncs < 1 || syncs > batches {
		t.Errorf("%d syncs for %d transactions: want between 1 and one per transaction", syncs, batches)
	}
	t.Logf("%d writes in %d transactions, %d syncs", n, batches, syncs)

	// A failed sync: the change is in the database (its after-commit work
	// runs), but its writer is told it may not be on disk.
	db.BreakLogSync()
	ran := false
	err := db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO contacts (id, account_id, created_at, updated_at) VALUES ('late', 'a1', 0, 0)`)
		tx.AfterCommit(func() { ran = true })
		return err
	})
	if err == nil {
		t.Fatal("a write whose log sync failed was answered as a success")
	}
	if !ran {
		t.Error("the committed write's after-commit work did not run")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = database.Open(ctx, database.Opts{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var count int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM contacts`).Scan(&count); err != nil || count != n+1 {
		t.Fatalf("after reopening: %d contacts (%v), want %d", count, err, n+1)
	}
}

// openSQLite opens a SQLite database in dir (whatever the test database
// is) with account a1; the caller closes it.
func openSQLite(t *testing.T, dir string) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, database.Opts{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO accounts (id, name, widget_key, created_at) VALUES ('a1', 'A', 'k1', 0)`)
		return err
	})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db
}
