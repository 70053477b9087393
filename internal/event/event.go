// Package event keeps the per-account event log — every change a client can
// see, appended in the same transaction as the change with a strictly
// increasing per-account seq — and the in-process hub that fans committed
// events out to connected agents and visitors.
package event

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/database"
)

// The event types of the public stream.
const (
	MessageCreated      = "message.created"
	ConversationUpdated = "conversation.updated"
	ContactUpdated      = "contact.updated"
)

// Event is one entry of an account's log, or an ephemeral frame (Seq 0).
type Event struct {
	AccountID string
	Seq       int64
	Type      string
	// VisitorID routes the event to that visitor's streams as well.
	VisitorID string
	// AgentFrame and VisitorFrame are the encoded frames for each audience;
	// nil means the audience does not receive the event.
	AgentFrame   []byte
	VisitorFrame []byte
}

// Frame encodes a stream frame with a seq.
func Frame(typ string, seq int64, data []byte) []byte {
	b := make([]byte, 0, len(data)+len(typ)+48)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, typ)
	if seq > 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, seq, 10)
	}
	b = append(b, `,"data":`...)
	b = append(b, data...)
	b = append(b, '}')
	return b
}

// Append adds an event to the account's log inside tx and returns its seq.
// data is the object as agents see it; visitorID, when not empty, is the
// visitor who sees it live too, exactly so (a visitor never has a view of
// their own; a visitor's replay comes from the Log's VisitorSource, which
// builds the same frame with Encode). The event is published to the hub after the
// transaction commits.
func Append(ctx context.Context, tx *database.Tx, hub *Hub, accountID, typ, visitorID string, data any) (int64, error) {
	seq, err := Reserve(ctx, tx, accountID)
	if err != nil {
		return 0, err
	}
	return seq, AppendAt(ctx, tx, hub, accountID, seq, typ, visitorID, data)
}

// AppendAt appends an event under a seq from Reserve; see Append.
func AppendAt(ctx context.Context, tx *database.Tx, hub *Hub, accountID string, seq int64, typ, visitorID string, data any) error {
	if f, ok := data.(interface{ SetSeq(int64) }); ok {
		f.SetSeq(seq)
	}
	e, b, err := Encode(accountID, seq, typ, visitorID, data)
	if err != nil {
		return err
	}
	tx.MarkDirty()
	if err := pend(ctx, tx, e, b); err != nil {
		return err
	}
	if hub != nil {
		tx.AfterCommit(func() { hub.Publish(e) })
	}
	return nil
}

// Encode builds an event as streams send it, and returns data's JSON too:
// one frame for agents and, when visitorID is set, the same frame for that
// visitor (a visitor never has a view of their own). Live events and a
// visitor's replay (see VisitorSource) are both encoded here.
func Encode(accountID string, seq int64, typ, visitorID string, data any) (*Event, []byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, nil, err
	}
	e := &Event{AccountID: accountID, Seq: seq, Type: typ, VisitorID: visitorID, AgentFrame: Frame(typ, seq, b)}
	if visitorID != "" {
		e.VisitorFrame = e.AgentFrame
	}
	return e, b, nil
}

// maxGroup bounds how many events one row of the log holds, so a reader
// starting after seq N finds the row holding N+1 at or after N+1-maxGroup.
const maxGroup = 16

// group is a run of events the transaction appended for one account, not
// yet written: consecutive seqs.
type group struct {
	accountID string
	events    []*Event
	data      []byte // the first event's object, while it is alone
}

// pend adds e to its account's pending group, or writes that group and
// starts a new one when e does not continue it. The transaction writes the
// last group of each account just before it commits. A visitor's message
// thus writes one row for its message.created and conversation.updated, and
// so does an agent's reply: each row costs an insert into the table and
// into its primary key.
func pend(ctx context.Context, tx *database.Tx, e *Event, data []byte) error {
	key := "events:" + e.AccountID
	g, _ := tx.BatchValue(key).(*group)
	if g != nil && len(g.events) > 0 {
		last := g.events[len(g.events)-1]
		if e.Seq == last.Seq+1 && len(g.events) < maxGroup {
			g.events = append(g.events, e)
			return nil
		}
		if err := g.write(ctx, tx); err != nil {
			return err
		}
	}
	if g == nil {
		g = &group{accountID: e.AccountID}
		tx.SetBatchValue(key, g, func(tx *database.Tx) error { return g.write(ctx, tx) })
	}
	g.events, g.data = append(g.events[:0], e), data
	return nil
}

// write inserts the pending group as one row and empties it. A row of one
// event keeps the object as data (end_seq NULL); a row of several holds
// their frames, one per line (JSON never holds a raw newline).
func (g *group) write(ctx context.Context, tx *database.Tx) error {
	if len(g.events) == 0 {
		return nil
	}
	first := g.events[0]
	typ, data, end := first.Type, g.data, any(nil)
	if len(g.events) > 1 {
		n := len(g.events) - 1
		for _, e := range g.events {
			n += len(e.AgentFrame)
		}
		buf := make([]byte, 0, n)
		for i, e := range g.events {
			if i > 0 {
				buf = append(buf, '\n')
			}
			buf = append(buf, e.AgentFrame...)
		}
		typ, data, end = groupType, buf, g.events[len(g.events)-1].Seq
	}
	// The visitor columns stay empty: a visitor's stream replays from
	// the visitor's conversations (see VisitorSource), so the log keeps
	// no index by visitor — the costliest page of every message it was.
	if _, err := tx.Exec(ctx, `INSERT INTO events (account_id, seq, end_seq, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		g.accountID, first.Seq, end, typ, string(data), time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	g.events, g.data = g.events[:0], nil
	return nil
}

// groupType is the type column of a row holding several events.
const groupType = "group"

// Reserve hands out the account's next seq for AppendAt. The first event of
// an account in a transaction reads the account's last seq under the
// write lock — on PostgreSQL by locking the account row (an UPDATE), so seqs
// are handed out in commit order across processes and nodes; SQLite's
// writer already holds the database's only write lock — and the rest of the
// batch counts in memory; the new last_seq is written once before commit.
func Reserve(ctx context.Context, tx *database.Tx, accountID string) (int64, error) {
	tx.MarkDirty()
	key := "seq:" + accountID
	if cur, ok := tx.BatchValue(key).(*int64); ok {
		*cur++
		return *cur, nil
	}
	cur := new(int64)
	q := `SELECT last_seq FROM accounts WHERE id = ?`
	if tx.Dialect() == database.Postgres {
		q = `UPDATE accounts SET last_seq = last_seq WHERE id = ? RETURNING last_seq`
	}
	if err := tx.QueryRow(ctx, q, accountID).Scan(cur); err != nil {
		return 0, fmt.Errorf("lock account for seq: %w", err)
	}
	*cur++
	tx.SetBatchValue(key, cur, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE accounts SET last_seq = ? WHERE id = ?`, *cur, accountID)
		return err
	})
	return *cur, nil
}

// Release gives back the seq Reserve just handed out, when nothing was
// appended under it (the write turned out to be a repeat).
func Release(tx *database.Tx, accountID string, seq int64) {
	if cur, ok := tx.BatchValue("seq:" + accountID).(*int64); ok && *cur == seq {
		*cur--
	}
}

// Log reads the event log.
type Log struct {
	db *database.DB
	// Visitors replays visitor streams; without it they cannot resume
	// from a seq.
	Visitors VisitorSource
}

// VisitorSource replays a visitor's stream from where the visitor's data
// lives (the conversations and their messages), not from the log.
type VisitorSource interface {
	// VisitorEvents returns, in seq order, the events a visitor may see
	// after seq `after`, at most limit of them or of what they are read
	// from; full reports there may be more.
	VisitorEvents(ctx context.Context, accountID, visitorID string, after int64, limit int) (evs []*Event, full bool, err error)
}

// NewLog returns a reader of the event log.
func NewLog(db *database.DB) *Log { return &Log{db: db} }

// Bounds returns the oldest kept and the latest seq of an account (0, 0 for
// an account without events).
func (l *Log) Bounds(ctx context.Context, accountID string) (oldest, latest int64, err error) {
	var o sql.NullInt64
	err = l.db.QueryRow(ctx, `SELECT (SELECT min(seq) FROM events WHERE account_id = ?), last_seq FROM accounts WHERE id = ?`, accountID, accountID).Scan(&o, &latest)
	if err == sql.ErrNoRows {
		return 0, 0, database.ErrNotFound
	}
	return o.Int64, latest, err
}

// AgentEvents returns the events of the account after seq, from up to
// limit rows of the log; full reports that it read limit rows (there may
// be more). The row holding seq+1 may begin up to maxGroup-1 seqs before
// it; rows ending by seq are not read.
func (l *Log) AgentEvents(ctx context.Context, accountID string, after int64, limit int) (evs []*Event, full bool, err error) {
	rows, err := l.db.Query(ctx, `SELECT seq, end_seq, type, data FROM events WHERE account_id = ? AND seq > ? AND coalesce(end_seq, seq) > ? ORDER BY seq LIMIT ?`,
		accountID, after-(maxGroup-1), after, limit)
	if err != nil {
		return nil, false, err
	}
	return readEvents(rows, accountID, after, limit)
}

// VisitorEvents returns the events a visitor may see after seq, from the
// log's VisitorSource.
func (l *Log) VisitorEvents(ctx context.Context, accountID, visitorID string, after int64, limit int) (evs []*Event, full bool, err error) {
	if l.Visitors == nil {
		return nil, false, errors.New("event log: no source for visitor replays")
	}
	return l.Visitors.VisitorEvents(ctx, accountID, visitorID, after, limit)
}

// readEvents turns rows of (seq, end_seq, type, data) into the agents'
// events after seq `after`.
func readEvents(rows *sql.Rows, accountID string, after int64, limit int) ([]*Event, bool, error) {
	defer rows.Close()
	var out []*Event
	n := 0
	for rows.Next() {
		n++
		var seq int64
		var end sql.NullInt64
		var typ, data string
		if err := rows.Scan(&seq, &end, &typ, &data); err != nil {
			return nil, false, err
		}
		if !end.Valid {
			if seq > after {
				out = append(out, newEvent(accountID, seq, typ, Frame(typ, seq, []byte(data))))
			}
			continue
		}
		// Several events: their frames, one per line, seq to end_seq.
		frames := []byte(data)
		for s := seq; s <= end.Int64; s++ {
			frame, rest, _ := bytes.Cut(frames, []byte{'\n'})
			frames = rest
			if len(frame) == 0 {
				return nil, false, fmt.Errorf("event log row %d of account %s: %d frames, want %d", seq, accountID, s-seq, end.Int64-seq+1)
			}
			if s > after {
				out = append(out, newEvent(accountID, s, frameType(frame), frame))
			}
		}
	}
	return out, n == limit, rows.Err()
}

func newEvent(accountID string, seq int64, typ string, frame []byte) *Event {
	return &Event{AccountID: accountID, Seq: seq, Type: typ, AgentFrame: frame}
}

// frameType reads back the type Frame quoted at the start of a frame:
// {"type":"…",…}.
func frameType(frame []byte) string {
	rest, _ := bytes.CutPrefix(frame, []byte(`{"type":`))
	if end := bytes.IndexByte(rest, ','); end > 0 {
		if typ, err := strconv.Unquote(string(rest[:end])); err == nil {
			return typ
		}
	}
	return ""
}

// pruneChunk bounds how many rows one prune step reads and deletes, so
// pruning never holds the writer for long.
const pruneChunk = 5000

// Prune deletes events older than keep; streams asking for them get a reset.
// Within an account seqs and times grow together, so each account's old
// events are a prefix of its log, read in key order: no time index needed.
func (l *Log) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	cutoff := time.Now().Add(-keep).UnixMicro()
	rows, err := l.db.Query(ctx, `SELECT id FROM accounts`)
	if err != nil {
		return 0, err
	}
	var accounts []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		accounts = append(accounts, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var total int64
	for _, acc := range accounts {
		for {
			// Rows of several events (see group) count as many.
			var upto, events sql.NullInt64
			err := l.db.QueryRow(ctx, `SELECT max(seq), sum(coalesce(end_seq, seq) - seq + 1) FROM (SELECT seq, end_seq, created_at FROM events WHERE account_id = ? ORDER BY seq LIMIT ?) oldest WHERE created_at < ?`,
				acc, pruneChunk, cutoff).Scan(&upto, &events)
			if err != nil {
				return total, err
			}
			if !upto.Valid {
				break
			}
			var n int64
			err = l.db.Write(ctx, func(tx *database.Tx) error {
				res, err := tx.Exec(ctx, `DELETE FROM events WHERE account_id = ? AND seq <= ?`, acc, upto.Int64)
				if err == nil {
					n, _ = res.RowsAffected()
				}
				return err
			})
			if err != nil {
				return total, err
			}
			total += events.Int64
			if n < pruneChunk {
				break
			}
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
	return total, nil
}
