package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Tx is one write inside a shared transaction. Statements use ? placeholders.
// Work registered with AfterCommit runs only if this write's changes are
// committed, in commit order, on the writer goroutine.
type Tx struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	after []func()
}

// Dialect reports the SQL flavour of the transaction.
func (t *Tx) Dialect() Dialect { return t.db.dialect }

// Exec runs a statement.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, t.db.Rebind(query), args...)
}

// Query runs a query inside the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, t.db.Rebind(query), args...)
}

// QueryRow runs a single-row query inside the transaction.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.db.Rebind(query), args...)
}

// AfterCommit registers fn to run once the transaction has committed.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// ErrClosed is returned for writes submitted after Close.
var ErrClosed = errors.New("database closed")

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// writer is the group-commit loop: it takes every write waiting at the moment
// and runs them in one transaction, each inside its own savepoint so that one
// refused write does not undo the others. One commit (one fsync) then makes
// the whole batch durable.
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
	err := <-done
	donePool.Put(done)
	return err
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

// commit runs one batch. On a failure of the transaction itself (not of a
// single write) every write of the batch is retried alone so that one bad
// write cannot fail its neighbours.
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sqlTx, err := w.db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	errs = make([]error, len(batch))
	after = make([][]func(), len(batch))
	single := len(batch) == 1
	for i, r := range batch {
		if e := r.ctx.Err(); e != nil {
			errs[i] = e
			continue
		}
		tx := &Tx{db: w.db, tx: sqlTx, ctx: ctx}
		if single {
			if e := r.fn(tx); e != nil {
				return []error{e}, [][]func(){nil}, nil
			}
			after[i] = tx.after
			continue
		}
		if _, e := sqlTx.ExecContext(ctx, "SAVEPOINT w"); e != nil {
			return nil, nil, fmt.Errorf("savepoint: %w", e)
		}
		if e := r.fn(tx); e != nil {
			errs[i] = e
			if _, e := sqlTx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); e != nil {
				return nil, nil, fmt.Errorf("rollback to savepoint: %w", e)
			}
		} else {
			after[i] = tx.after
		}
		if _, e := sqlTx.ExecContext(ctx, "RELEASE SAVEPOINT w"); e != nil {
			return nil, nil, fmt.Errorf("release savepoint: %w", e)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	return errs, after, nil
}
