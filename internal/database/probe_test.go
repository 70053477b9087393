package database_test

import (
	"context"
	"testing"

	"github.com/parley-chat/parley/internal/testdb"
)

// Once writes have failed for lack of space, RecheckStorage's probe write
// (a table of its own, created, filled and dropped) ends the condition when
// there is room, on SQLite and on PostgreSQL, and leaves no table behind.
func TestRecheckStorageProbesAndClears(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	tables := func() int {
		q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'parley_space_probe_%'`
		if db.Dialect() == "postgres" {
			q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'parley_space_probe_%'`
		}
		var n int
		if err := db.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if db.RecheckStorage(ctx) || db.StorageFull() {
		t.Fatal("a fresh database reports its storage full")
	}
	db.MarkStorageFull()
	if !db.StorageFull() {
		t.Fatal("StorageFull() = false after a write failed for lack of space")
	}
	if db.RecheckStorage(ctx) {
		t.Fatal("RecheckStorage() = true: the probe write failed on a database with room")
	}
	if db.StorageFull() {
		t.Error("StorageFull() = true after a successful probe")
	}
	if n := tables(); n != 0 {
		t.Errorf("%d probe tables left behind, want none", n)
	}
}
