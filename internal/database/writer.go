package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tx is one write inside a shared transaction. Statements use ? placeholders.
// Work registered with AfterCommit or OnCommit runs only if this write's
// changes are committed, in commit order.
type Tx struct {
	db        *DB
	tx        *sql.Tx
	ctx       context.Context
	b         *shared
	after     []func()
	committed []func()
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

// AfterCommit registers fn to run once the transaction has committed and
// is durable, just before the write returns (on SQLite the writer may run
// later transactions meanwhile).
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// OnCommit registers fn to run on the writer right after the commit,
// before any later transaction: for memory that mirrors what is stored.
func (t *Tx) OnCommit(fn func()) { t.committed = append(t.committed, fn) }

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
	stats    writerStats
	storage  storage // whether writes are failing for lack of space
	sync     *syncer // SQLite: syncs the log after the commits
	reqs     chan *writeReq
	maxBatch int
	stop     chan struct{}
	stopped  chan struct{}
	once     sync.Once
}

func newWriter(db *DB, maxBatch int, walPath string) *writer {
	w := &writer{
		db:       db,
		reqs:     make(chan *writeReq, 4096),
		maxBatch: maxBatch,
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
		storage:  storage{log: db.log},
	}
	if walPath != "" {
		w.sync = &syncer{path: walPath, in: make(chan answer, 256), done: make(chan struct{}), stats: &w.stats, log: db.log}
	}
	go w.run()
	return w
}

// A batch of fewer than lingerBatch writes, begun while others were
// arriving, waits up to lingerFor for more (see linger). At 5,000 messages
// a second this raised SQLite's writes per transaction from 3.8 to 5.3 and
// lowered the writer's busy time from 79% to 73%. Waiting 2 ms (up to 32)
// cut the busy time by another fifth but added 2 ms to the median latency
// without lowering the p99 (docs/performance.md, third round).
const (
	lingerBatch = 16
	lingerFor   = 500 * time.Microsecond
)

var donePool = sync.Pool{New: func() any { return make(chan error, 1) }}

// Write runs fn in a transaction shared with other concurrent writes and
// returns once that transaction has committed (or fn's error). fn may be
// called again if the shared transaction has to be retried, so it must not
// have effects outside the transaction except through AfterCommit.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	defer db.writer.stats.observeWait(time.Now())
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

// writerStats counts the writer's work for /metrics.
type writerStats struct {
	batches, writes, syncs, restarts atomic.Int64
	busy, commit, synced, restart    atomic.Int64 // nanoseconds
	// waits counts the writes by how long Write took, per WaitBuckets
	// (the last counts the longer ones); waited is their sum.
	waits  [len(WaitBuckets) + 1]atomic.Int64
	waited atomic.Int64 // nanoseconds
}

// WaitBuckets are the upper bounds of WriterStats.Waits.
var WaitBuckets = [...]time.Duration{250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond,
	16 * time.Millisecond, 32 * time.Millisecond, 64 * time.Millisecond, 128 * time.Millisecond,
	256 * time.Millisecond, time.Second}

// observeWait records one Write begun at start.
func (s *writerStats) observeWait(start time.Time) {
	d := time.Since(start)
	i := 0
	for i < len(WaitBuckets) && d > WaitBuckets[i] {
		i++
	}
	s.waits[i].Add(1)
	s.waited.Add(int64(d))
}

// WriterStats is what the group-commit writer has done since Open.
type WriterStats struct {
	// Batches is the number of transactions, Writes the writes in them.
	Batches, Writes int64
	// Busy is the time spent running batches (not waiting for writes),
	// Commit the part of it spent committing.
	Busy, Commit time.Duration
	// Syncs counts the syncs of SQLite's log after commits, SyncTime the
	// time they took (beside the writer, not in Busy).
	Syncs    int64
	SyncTime time.Duration
	// Restarts counts the writer's copies of the rest of SQLite's log
	// before it starts the log again (writes wait meanwhile), RestartTime
	// their time (part of Busy).
	Restarts    int64
	RestartTime time.Duration
	// Waits counts the writes by how long their caller waited in Write
	// (queue, transaction and log sync): Waits[i] those up to
	// WaitBuckets[i], the last one those longer. Waited is their sum.
	Waits  [len(WaitBuckets) + 1]int64
	Waited time.Duration
}

// WriterStats reports the writer's work so far.
func (db *DB) WriterStats() WriterStats {
	s := &db.writer.stats
	out := WriterStats{Batches: s.batches.Load(), Writes: s.writes.Load(),
		Busy: time.Duration(s.busy.Load()), Commit: time.Duration(s.commit.Load()),
		Syncs: s.syncs.Load(), SyncTime: time.Duration(s.synced.Load()),
		Restarts: s.restarts.Load(), RestartTime: time.Duration(s.restart.Load()), Waited: time.Duration(s.waited.Load())}
	for i := range s.waits {
		out.Waits[i] = s.waits[i].Load()
	}
	return out
}

func (w *writer) run() {
	defer close(w.stopped)
	if w.sync != nil {
		go w.sync.run()
		defer w.sync.close() // answers everything committed before stopped
	}
	for {
		batch := make([]*writeReq, 0, 16)
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
		batch = w.linger(batch)
		start := time.Now()
		if w.db.ckpt != nil && w.db.ckpt.beforeBatch() {
			w.stats.restarts.Add(1)
			w.stats.restart.Add(int64(time.Since(start)))
		}
		w.commit(batch, w.answer)
		if w.db.ckpt != nil {
			w.db.ckpt.committed()
		}
		w.stats.busy.Add(int64(time.Since(start)))
		w.stats.batches.Add(1)
		w.stats.writes.Add(int64(len(batch)))
	}
}

// linger waits a moment for more writes when several are arriving at once
// but the batch is still small: a transaction has costs of its own (for
// SQLite, locking, and writing and syncing the log), and sharing them among
// more writes lets the writer keep up with more. It never waits for a
// lone write (nothing else is arriving) — the idea of PostgreSQL's
// commit_delay and commit_siblings.
func (w *writer) linger(batch []*writeReq) []*writeReq {
	enough := min(lingerBatch, w.maxBatch)
	if len(batch) < 2 || len(batch) >= enough {
		return batch
	}
	t := time.NewTimer(lingerFor)
	defer t.Stop()
	for len(batch) < enough {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
		case <-t.C:
			return batch
		}
	}
	return batch
}

// answer hands a batch's outcome to its writers: at once when the commit
// was durable by itself, else once the log has been synced.
func (w *writer) answer(a answer) {
	if w.sync != nil {
		w.sync.in <- a
		return
	}
	a.deliver(nil)
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

// answer is the outcome of one transaction for its writers.
type answer struct {
	reqs  []*writeReq
	errs  []error    // each write's own refusal
	after [][]func() // each committed write's after-commit work
	err   error      // the transaction failed: every write gets it
}

// deliver runs the after-commit work and answers the writers in order.
// syncErr, when not nil, means the commit may not be durable: the changes
// are in the database (so their after-commit work runs), but the writers
// are told they failed, and a client retrying with its idempotency key
// finds its change already stored.
func (a answer) deliver(syncErr error) {
	for i, r := range a.reqs {
		switch {
		case a.err != nil:
			r.done <- a.err
		case a.errs[i] != nil:
			r.done <- a.errs[i]
		default:
			for _, fn := range a.after[i] {
				fn()
			}
			if syncErr != nil {
				r.done <- syncErr
			} else {
				r.done <- nil
			}
		}
	}
}

// commit runs one batch and hands its outcome to out.
func (w *writer) commit(batch []*writeReq, out func(answer)) {
	errs, after, err := w.try(batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			w.commit([]*writeReq{r}, out)
		}
		return
	}
	// A write refused for lack of space becomes the refusal clients can
	// act on (try again later), and is counted rather than logged each.
	if IsStorageFull(err) {
		w.storage.refused(err)
		err = storageFull(err)
	}
	for i, e := range errs {
		if IsStorageFull(e) {
			w.storage.refused(e)
			errs[i] = storageFull(e)
		}
	}
	out(answer{reqs: batch, errs: errs, after: after, err: err})
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
	var committed []func()
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
		committed = append(committed, tx.committed...)
	}
	if len(b.before) > 0 {
		tx := &Tx{db: w.db, tx: sqlTx, ctx: ctx, b: b}
		for _, fn := range b.before {
			if err := fn(tx); err != nil {
				return nil, nil, fmt.Errorf("before commit: %w", err)
			}
		}
	}
	start := time.Now()
	err = sqlTx.Commit()
	w.stats.commit.Add(int64(time.Since(start)))
	if err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	for _, fn := range committed {
		fn()
	}
	return errs, after, nil
}
