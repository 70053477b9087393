// Package testdb opens a fresh, migrated database for one test: SQLite in a
// temporary directory, or — when PARLEY_TEST_DATABASE_URL is set — a new
// schema in that PostgreSQL database, dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/parley-chat/parley/internal/database"
)

// EnvURL names the variable that switches the tests to PostgreSQL.
const EnvURL = "PARLEY_TEST_DATABASE_URL"

// Target is where a test's database lives.
type Target struct {
	// URL is the postgres:// URL (with the test's schema), or "".
	URL string
	// DataDir is the SQLite data directory (also used for PostgreSQL runs
	// for files).
	DataDir string
}

// New prepares an empty database target for t without opening it (for tests
// that start a separate parley process).
func New(t testing.TB) Target {
	t.Helper()
	tg := Target{DataDir: t.TempDir()}
	base := os.Getenv(EnvURL)
	if base == "" {
		return tg
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvURL, err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	tg.URL = u.String()
	return tg
}

// Open returns a fresh migrated database for t, closed when t ends.
func Open(t testing.TB) *database.DB {
	t.Helper()
	return New(t).Open(t)
}

// Open opens (and migrates) the target, closed when t ends; opening it
// again is what another process, or a restart, would do.
func (tg Target) Open(t testing.TB) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), database.Opts{URL: tg.URL, DataDir: tg.DataDir})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
