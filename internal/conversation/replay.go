package conversation

import (
	"context"
	"fmt"
	"sort"

	"github.com/parley-chat/parley/internal/event"
)

// VisitorEvents replays a visitor's stream after seq `after` from the
// visitor's conversations, for event.Log (the log keeps no index by
// visitor): every message.created of kinds text and event, each under its
// message's seq, and, for each conversation updated since, one
// conversation.updated with its state now, under the seq of its latest
// update — the earlier ones are states it supersedes. The frames are the
// ones the visitor was sent live (a visitor sees what agents see; see
// ForVisitor). At most limit messages are read; full reports there may be
// more, and no conversation.updated past the last of them is returned yet.
func (s *Service) VisitorEvents(ctx context.Context, accountID, visitorID string, after int64, limit int) ([]*event.Event, bool, error) {
	// Only what had committed when this began: a change committing while
	// the reads run may be half in them, and it reaches the stream live
	// (its subscription is older than this replay).
	var latest int64
	if err := s.db.QueryRow(ctx, `SELECT last_seq FROM accounts WHERE id = ?`, accountID).Scan(&latest); err != nil {
		return nil, false, fmt.Errorf("replay visitor: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+msgColumns+` FROM messages
		WHERE conversation_id IN (SELECT id FROM conversations WHERE visitor_id = ? AND account_id = ?)
		AND seq > ? AND seq <= ? AND kind <> 'note' ORDER BY seq LIMIT ?`,
		visitorID, accountID, after, latest, limit)
	if err != nil {
		return nil, false, fmt.Errorf("replay visitor messages: %w", err)
	}
	var evs []*event.Event
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, false, err
		}
		e, err := visitorEvent(accountID, visitorID, m.Seq, event.MessageCreated, m)
		if err != nil {
			rows.Close()
			return nil, false, err
		}
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("replay visitor messages: %w", err)
	}
	full := len(evs) == limit
	upto := latest
	if full {
		upto = evs[len(evs)-1].Seq
	}
	rows, err = s.db.Query(ctx, `SELECT `+convColumns+`, `+lastMsgColumns+`, c.event_seq FROM conversations c
		LEFT JOIN messages m ON m.id = c.last_message_id
		WHERE c.visitor_id = ? AND c.account_id = ? AND c.event_seq > ? AND c.event_seq <= ?`,
		visitorID, accountID, after, upto)
	if err != nil {
		return nil, false, fmt.Errorf("replay visitor conversations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		c, err := scanConversation(rowWith{rows, &seq}, true)
		if err != nil {
			return nil, false, err
		}
		e, err := visitorEvent(accountID, visitorID, seq, event.ConversationUpdated, c.ForVisitor())
		if err != nil {
			return nil, false, err
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("replay visitor conversations: %w", err)
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Seq < evs[j].Seq })
	return evs, full, nil
}

// rowWith scans a row whose last columns follow what scanConversation reads.
type rowWith struct {
	row   scanner
	extra *int64
}

func (r rowWith) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

// visitorEvent encodes a replayed event as AppendAt encoded it live.
func visitorEvent(accountID, visitorID string, seq int64, typ string, data any) (*event.Event, error) {
	if seq <= 0 {
		return nil, fmt.Errorf("replay visitor: %s without a seq", typ)
	}
	e, _, err := event.Encode(accountID, seq, typ, visitorID, data)
	return e, err
}
