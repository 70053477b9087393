// Package database opens Parley's store (SQLite or PostgreSQL), runs its
// migrations, and funnels every write through a group-commit writer so that
// concurrent changes share one durable transaction.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL flavour of the open database.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNotFound is returned by helpers when a row does not exist.
var ErrNotFound = errors.New("not found")

// Opts configures Open.
type Opts struct {
	// URL is a postgres:// URL; empty means SQLite in DataDir.
	URL string
	// DataDir holds parley.db when URL is empty.
	DataDir string
	// MaxBatch bounds how many writes share one transaction.
	MaxBatch int
	Logger   *slog.Logger
}

// DB is the open store: a read pool and the group-commit writer.
type DB struct {
	dialect Dialect
	read    *sql.DB
	write   *sql.DB
	writer  *writer
	log     *slog.Logger
	rebinds sync.Map // query string -> dialect-specific query
}

// Open connects to the database named by opts and migrates it to the latest
// schema. Several processes may open the same database at once.
func Open(ctx context.Context, opts Opts) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	db := &DB{log: opts.Logger}
	var err error
	switch {
	case strings.HasPrefix(opts.URL, "postgres://"), strings.HasPrefix(opts.URL, "postgresql://"):
		db.dialect = Postgres
		db.read, err = sql.Open("pgx", opts.URL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.read.SetMaxOpenConns(32)
		db.read.SetMaxIdleConns(32)
		db.read.SetConnMaxIdleTime(5 * time.Minute)
		db.write = db.read
	case opts.URL == "":
		db.dialect = SQLite
		if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		path := filepath.Join(opts.DataDir, "parley.db")
		// WAL lets readers run beside the single writer; synchronous=FULL
		// makes every commit durable, which group commit keeps affordable.
		params := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)"
		db.write, err = sql.Open("sqlite", "file:"+path+params+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetMaxIdleConns(1)
		db.write.SetConnMaxIdleTime(0)
		db.write.SetConnMaxLifetime(0)
		db.read, err = sql.Open("sqlite", "file:"+path+params+"&_pragma=query_only(ON)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.read.SetMaxOpenConns(8)
		db.read.SetMaxIdleConns(8)
		db.read.SetConnMaxIdleTime(0)
		db.read.SetConnMaxLifetime(0)
	default:
		return nil, fmt.Errorf("database url %q: only postgres:// URLs are supported (leave it empty for SQLite)", redact(opts.URL))
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.writer = newWriter(db, opts.MaxBatch)
	return db, nil
}

// redact hides a password in a database URL for error messages.
func redact(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}

// Dialect reports which SQL flavour is in use.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close stops the writer and closes every connection.
func (db *DB) Close() error {
	if db.writer != nil {
		db.writer.close()
	}
	var err error
	if db.read != nil {
		err = db.read.Close()
	}
	if db.write != nil && db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Rebind turns a query written with ? placeholders into the dialect's form.
func (db *DB) Rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	if q, ok := db.rebinds.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	q := b.String()
	db.rebinds.Store(query, q)
	return q
}

// Query runs a read-only query on the read pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, db.Rebind(query), args...)
}

// QueryRow runs a read-only single-row query on the read pool.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, db.Rebind(query), args...)
}

// Querier is what both DB (reads) and Tx (reads and writes) offer.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}
