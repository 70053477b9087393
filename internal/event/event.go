// Package event keeps the per-account event log — every change a client can
// see, appended in the same transaction as the change with a strictly
// increasing per-account seq — and the in-process hub that fans committed
// events out to connected agents and visitors.
package event

import (
	"context"
	"database/sql"
	"encoding/json"
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
// visitor who sees it too, exactly so (a visitor never has a view of their
// own). The event is published to the hub after the transaction commits.
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
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	// Encoded and stored once for both audiences: an empty visitor_data
	// means "the same as data" (events logged by older versions may hold
	// a view of their own, which VisitorEvents still reads).
	var vidArg, vdArg any
	if visitorID != "" {
		vidArg, vdArg = visitorID, ""
	}
	if _, err := tx.Exec(ctx, `INSERT INTO events (account_id, seq, type, data, visitor_id, visitor_data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		accountID, seq, typ, string(b), vidArg, vdArg, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	e := &Event{AccountID: accountID, Seq: seq, Type: typ, VisitorID: visitorID, AgentFrame: Frame(typ, seq, b)}
	if visitorID != "" {
		e.VisitorFrame = e.AgentFrame
	}
	if hub != nil {
		tx.AfterCommit(func() { hub.Publish(e) })
	}
	return nil
}

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

// AgentEvents returns up to limit events of the account after seq.
func (l *Log) AgentEvents(ctx context.Context, accountID string, after int64, limit int) ([]*Event, error) {
	rows, err := l.db.Query(ctx, `SELECT seq, type, data FROM events WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?`, accountID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e := &Event{AccountID: accountID}
		var data string
		if err := rows.Scan(&e.Seq, &e.Type, &data); err != nil {
			return nil, err
		}
		e.AgentFrame = Frame(e.Type, e.Seq, []byte(data))
		out = append(out, e)
	}
	return out, rows.Err()
}

// VisitorEvents returns up to limit events a visitor may see after seq.
func (l *Log) VisitorEvents(ctx context.Context, accountID, visitorID string, after int64, limit int) ([]*Event, error) {
	// An empty visitor_data is the same as data (see AppendAt).
	rows, err := l.db.Query(ctx, `SELECT seq, type, CASE WHEN visitor_data = '' THEN data ELSE visitor_data END FROM events
		WHERE visitor_id = ? AND seq > ? AND account_id = ? AND visitor_data IS NOT NULL ORDER BY seq LIMIT ?`, visitorID, after, accountID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e := &Event{AccountID: accountID, VisitorID: visitorID}
		var data string
		if err := rows.Scan(&e.Seq, &e.Type, &data); err != nil {
			return nil, err
		}
		e.VisitorFrame = Frame(e.Type, e.Seq, []byte(data))
		out = append(out, e)
	}
	return out, rows.Err()
}

// pruneChunk bounds how many events one prune step reads and deletes, so
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
			var upto sql.NullInt64
			err := l.db.QueryRow(ctx, `SELECT max(seq) FROM (SELECT seq, created_at FROM events WHERE account_id = ? ORDER BY seq LIMIT ?) oldest WHERE created_at < ?`,
				acc, pruneChunk, cutoff).Scan(&upto)
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
			total += n
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
