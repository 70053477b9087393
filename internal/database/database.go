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
	ckpt    *checkpointer // SQLite only
	unlock  func()        // SQLite: releases the data directory's lock
	log     *slog.Logger
	dataDir string   // SQLite: where the database lives
	rebinds sync.Map // query string -> dialect-specific query
	// SQLite re-parses every unprepared statement, which costs more than
	// running it; these caches keep one prepared statement per query.
	// (pgx caches prepared statements by itself.)
	readStmts  sync.Map // query -> *sql.Stmt on the read pool
	writeStmts sync.Map // query -> *sql.Stmt on the writer connection
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
		db.dataDir = opts.DataDir
		if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		if db.unlock, err = lockDataDir(opts.DataDir, false); err != nil {
			return nil, err
		}
		path := filepath.Join(opts.DataDir, FileName)
		// WAL lets readers run beside the single writer; synchronous=FULL
		// makes every commit durable, which group commit keeps affordable.
		params := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)"
		// The writer's own commits do not wait for the disk: it syncs the
		// log itself beside the next batch, and a write is answered (and
		// its events published) only once the log holding it is synced —
		// as durable as synchronous=FULL, without the writer idling through
		// every fsync (see syncer). It never checkpoints inside a commit
		// either (see checkpoint.go).
		writeParams := strings.Replace(params, "synchronous(FULL)", "synchronous(NORMAL)", 1)
		// The writer's page cache is 8 MiB, the readers' 32. When a b-tree
		// page splits and the new pages are out of order, SQLite swaps
		// their numbers through the page just past the lock-byte page (1 GiB
		// into the file) for a moment (balance_nonroot); the page cache
		// then remembers that number as its largest, and at the end of the
		// transaction walks its whole hash table to drop pages past the end
		// of the file (pcache1TruncateUnsafe) — every transaction with a
		// split, while the database is under 1 GiB. So a large writer
		// cache makes commits slower: at 4,000 messages/s over 60 s the
		// writer was busy 80% of the time with 128 MiB, 72% with 32 and 68%
		// with 8.
		writeParams = strings.Replace(writeParams, "cache_size(-32768)", "cache_size(-8192)", 1)
		db.write, err = sql.Open("sqlite", "file:"+path+writeParams+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// Only the writer goroutine begins transactions, so at most one
		// write transaction runs at a time; the second connection lets a
		// statement be prepared while a transaction holds the first.
		db.write.SetMaxOpenConns(2)
		db.write.SetMaxIdleConns(2)
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
		ckpt, err := sql.Open("sqlite", "file:"+path+params)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		ckpt.SetMaxOpenConns(1)
		restart, err := sql.Open("sqlite", "file:"+path+strings.Replace(params, "busy_timeout(10000)", fmt.Sprintf("busy_timeout(%d)", restartWait.Milliseconds()), 1))
		if err != nil {
			ckpt.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		restart.SetMaxOpenConns(1)
		db.ckpt = newCheckpointer(ckpt, restart)
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
	walPath := "" // SQLite: the log the writer syncs
	if db.dialect == SQLite {
		walPath = filepath.Join(opts.DataDir, "parley.db-wal")
		if err := syncFile(walPath); err != nil { // the migrations' commits
			db.Close()
			return nil, fmt.Errorf("sync the database log: %w", err)
		}
	}
	db.writer = newWriter(db, opts.MaxBatch, walPath)
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
	if db.ckpt != nil {
		db.ckpt.close()
	}
	var err error
	if db.read != nil {
		err = db.read.Close()
	}
	if db.write != nil && db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	if db.unlock != nil {
		db.unlock()
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

// prepared returns the cached prepared statement of query on pool, or nil
// when statements are not cached (PostgreSQL) or preparing failed (the
// caller then runs the query unprepared and reports its error).
func (db *DB) prepared(cache *sync.Map, pool *sql.DB, query string) *sql.Stmt {
	if db.dialect != SQLite {
		return nil
	}
	if st, ok := cache.Load(query); ok {
		return st.(*sql.Stmt)
	}
	st, err := pool.Prepare(query)
	if err != nil {
		return nil
	}
	if prev, loaded := cache.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	return st
}

// Query runs a read-only query on the read pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(&db.readStmts, db.read, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, db.Rebind(query), args...)
}

// QueryRow runs a read-only single-row query on the read pool.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := db.prepared(&db.readStmts, db.read, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
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
