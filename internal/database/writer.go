package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Tx is one write inside a shared transaction. Statements use ? placeholders.
// Work registered with AfterCommit runs only if this write's changes are
// committed, in commit order, on the writer goroutine.
type Tx struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	b     *shared
	after []func()
	// dirty is set once the write changed something; a write that fails
	// after that cannot simply be left out of the batch.
	dirty bool
}

// shared is the state shared by the writes of one transaction.
type shared struct {
	values map[string]any
	before []func(*Tx) error
}

// Dialect reports the SQL flavour of the transaction.
func (t *Tx) Dialect() Dialect { return t.db.dialect }

// Exec runs a statement.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.dirty = true
	if st := t.db.prepared(&t.db.writeStmts, t.db.write, query); st != nil {
		return t.tx.StmtContext(t.ctx, st).ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, t.db.Rebind(query), args...)
}

// Query runs a query inside the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.markIfWrite(query)
	if st := t.db.prepared(&t.db.writeStmts, t.db.write, query); st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, t.db.Rebind(query), args...)
}

// QueryRow runs a single-row query inside the transaction.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	t.markIfWrite(query)
	if st := t.db.prepared(&t.db.writeStmts, t.db.write, query); st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, t.db.Rebind(query), args...)
}

// markIfWrite marks the write dirty for UPDATE … RETURNING and the like.
func (t *Tx) markIfWrite(query string) {
	q := strings.TrimLeft(query, " \t\n")
	if len(q) < 6 || !strings.EqualFold(q[:6], "SELECT") {
		t.dirty = true
	}
}

// MarkDirty records that the write changed state kept outside SQL (such as
// a batch value), so a later failure cannot leave it out of the batch.
func (t *Tx) MarkDirty() { t.dirty = true }

// AfterCommit registers fn to run once the transaction has committed.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// BatchValue returns a value shared by the writes of this transaction.
func (t *Tx) BatchValue(key string) any { return t.b.values[key] }

// SetBatchValue stores a value shared by the writes of this transaction,
// with fn (if not nil) to run once just before the commit.
func (t *Tx) SetBatchValue(key string, v any, beforeCommit func(*Tx) error) {
	t.b.values[key] = v
	if beforeCommit != nil {
		t.b.before = append(t.b.before, beforeCommit)
	}
}

// ErrClosed is returned for writes submitted after Close.
var ErrClosed = errors.New("database closed")

// errRetryAlone means a write failed after changing the shared transaction:
// the batch is rolled back and each write retried in a transaction of its own.
var errRetryAlone = errors.New("retry writes one by one")

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// writer is the group-commit loop: it takes every write waiting at the moment
// and runs them in one transaction, so one commit (one fsync) makes the whole
// batch durable. A write refused before it changed anything is simply left
// out; one that fails halfway sends the batch back to be retried write by
// write, so a bad write never fails its neighbours.
type writer struct {
	db       *DB
	reqs     chan *writeReq
	maxBatch int
	stop     chan struct{}
	stopped  chan struct{}
	once     sync.Once
}

func newWriter(db *DB, maxBatch int) *writer {
	w := &writer{
		db:       db,
		reqs:     make(chan *writeReq, 4096),
		maxBatch: maxBatch,
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go w.run()
	return w
}

var donePool = sync.Pool{New: func() any { return make(chan error, 1) }}

// Write runs fn in a transaction shared with other concurrent writes and
// returns once that transaction has committed (or fn's error). fn may be
// called again if the shared transaction has to be retried, so it must not
// have effects outside the transaction except through AfterCommit.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	done := donePool.Get().(chan error)
	req := &writeReq{ctx: ctx, fn: fn, done: done}
	select {
	case db.writer.reqs <- req:
	case <-db.writer.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the write is waited for even if ctx ends: the caller must
	// learn whether it was committed.
	select {
	case err := <-done:
		donePool.Put(done)
		return err
	case <-db.writer.stopped:
		// The writer answers everything it took before it stops; a write
		// queued after its last look is refused.
		select {
		case err := <-done:
			return err
		default:
			return ErrClosed
		}
	}
}

func (w *writer) close() {
	w.once.Do(func() { close(w.stop) })
	<-w.stopped
}

func (w *writer) run() {
	defer close(w.stopped)
	batch := make([]*writeReq, 0, w.maxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
		case <-w.stop:
			w.drain()
			return
		}
	fill:
		for len(batch) < w.maxBatch {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// drain fails writes still queued at shutdown.
func (w *writer) drain() {
	for {
		select {
		case r := <-w.reqs:
			r.done <- ErrClosed
		default:
			return
		}
	}
}

// commit runs one batch and answers its writers.
func (w *writer) commit(batch []*writeReq) {
	errs, after, err := w.try(batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			w.commit([]*writeReq{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- err
			continue
		}
		for _, fn := range after[i] {
			fn()
		}
		r.done <- errs[i]
	}
}

func (w *writer) try(batch []*writeReq) (errs []error, after [][]func(), err error) {
	// An uncancellable context: a batch must not die with one caller, and
	// the SQLite driver then skips its per-statement interrupt watcher.
	ctx := context.Background()
	sqlTx, err := w.db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	errs = make([]error, len(batch))
	after = make([][]func(), len(batch))
	b := &shared{values: make(map[string]any)}
	for i, r := range batch {
		if e := r.ctx.Err(); e != nil {
			errs[i] = e
			continue
		}
		tx := &Tx{db: w.db, tx: sqlTx, ctx: ctx, b: b}
		if e := r.fn(tx); e != nil {
			if tx.dirty {
				if len(batch) == 1 {
					return []error{e}, [][]func(){nil}, nil // rolled back by the defer
				}
				return nil, nil, errRetryAlone
			}
			errs[i] = e
			continue
		}
		after[i] = tx.after
	}
	if len(b.before) > 0 {
		tx := &Tx{db: w.db, tx: sqlTx, ctx: ctx, b: b}
		for _, fn := range b.before {
			if err := fn(tx); err != nil {
				return nil, nil, fmt.Errorf("before commit: %w", err)
			}
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	return errs, after, nil
}
