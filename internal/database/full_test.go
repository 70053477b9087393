package database

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parley-chat/parley/internal/apperr"
)

func TestIsStorageFull(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"ENOSPC from a file write", fmt.Errorf("write: %w", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), true},
		{"PostgreSQL disk_full", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100"}), true},
		{"PostgreSQL out_of_memory is not a full disk", &pgconn.PgError{Code: "53200"}, false},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"SQLite's text", errors.New("database or disk is full (13)"), true},
		{"an already classified refusal", fmt.Errorf("x: %w", apperr.StorageFull()), true},
		{"another error", errors.New("no such table: x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsStorageFull(tt.err); got != tt.want {
				t.Errorf("IsStorageFull(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// A write refused by SQLite for lack of space reaches the caller as the
// storage_full refusal, with the driver's error still inside.
func TestWriteRefusedForLackOfSpace(t *testing.T) {
	db, err := Open(t.Context(), Opts{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Write(t.Context(), func(tx *Tx) error {
		if _, err := tx.Exec(t.Context(), `PRAGMA max_page_count = 1`); err != nil {
			return err
		}
		if _, err := tx.Exec(t.Context(), `CREATE TABLE big (b BLOB)`); err != nil {
			return err
		}
		_, err := tx.Exec(t.Context(), `INSERT INTO big (b) VALUES (zeroblob(1048576))`)
		return err
	})
	if !errors.Is(err, apperr.ErrStorageFull) || !IsStorageFull(err) {
		t.Fatalf("write past max_page_count: %v, want a storage_full refusal", err)
	}
	if !db.StorageFull() {
		t.Error("StorageFull() = false after a write failed for lack of space")
	}
}
