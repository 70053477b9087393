package conversation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/cursor"
	"github.com/parley-chat/parley/internal/database"
)

const convColumns = `c.id, c.account_id, c.status, c.channel, c.contact_id, c.visitor_id, c.assignee_id, c.created_at, c.updated_at, c.last_message_at, c.resolved_at, c.resolved_by, c.last_message_id`

const msgColumns = `id, conversation_id, seq, kind, sender_type, sender_id, sender_name, text, client_id, meta, created_at`

// The last message joined into a conversation row.
const lastMsgColumns = `m.id, m.conversation_id, m.seq, m.kind, m.sender_type, m.sender_id, m.sender_name, m.text, m.client_id, m.meta, m.created_at`

type scanner interface{ Scan(...any) error }

func scanConversation(row scanner, withLast bool) (*Conversation, error) {
	c := &Conversation{}
	var visitor, assignee, resolvedBy sql.NullString
	var created, updated, lastAt int64
	var resolvedAt sql.NullInt64
	dest := []any{&c.ID, &c.AccountID, &c.Status, &c.Channel, &c.ContactID, &visitor, &assignee, &created, &updated, &lastAt, &resolvedAt, &resolvedBy, &c.lastMessageID}
	var m nullMessage
	if withLast {
		dest = append(dest, m.dest()...)
	}
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.NotFound("conversation")
		}
		return nil, err
	}
	c.VisitorID = nullPtr(visitor)
	c.AssigneeID = nullPtr(assignee)
	c.counted.status, c.counted.assignee = c.Status, assignee.String
	c.ResolvedBy = nullPtr(resolvedBy)
	c.CreatedAt, c.UpdatedAt, c.LastMessageAt = fromMicros(created), fromMicros(updated), fromMicros(lastAt)
	if resolvedAt.Valid {
		t := fromMicros(resolvedAt.Int64)
		c.ResolvedAt = &t
	}
	if withLast {
		c.LastMessage = m.message()
	}
	return c, nil
}

func nullPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// nullMessage scans a message that may be missing (a LEFT JOIN).
type nullMessage struct {
	id, conv, kind, senderType, senderID, senderName, text, clientID, meta sql.NullString
	seq, created                                                           sql.NullInt64
}

func (n *nullMessage) dest() []any {
	return []any{&n.id, &n.conv, &n.seq, &n.kind, &n.senderType, &n.senderID, &n.senderName, &n.text, &n.clientID, &n.meta, &n.created}
}

func (n *nullMessage) message() *Message {
	if !n.id.Valid {
		return nil
	}
	m := &Message{ID: n.id.String, ConversationID: n.conv.String, Seq: n.seq.Int64, Kind: n.kind.String, SenderType: n.senderType.String,
		SenderID: nullPtr(n.senderID), SenderName: n.senderName.String, Text: n.text.String, ClientID: nullPtr(n.clientID), CreatedAt: fromMicros(n.created.Int64)}
	if n.meta.Valid && n.meta.String != "" {
		m.Event = decodeAction(n.meta.String)
	}
	return m
}

func scanMessage(row scanner) (*Message, error) {
	var n nullMessage
	if err := row.Scan(n.dest()...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.NotFound("message")
		}
		return nil, err
	}
	return n.message(), nil
}

// conversation loads one conversation of the account, with its last message.
func conversation(ctx context.Context, q database.Querier, accountID, id string) (*Conversation, error) {
	return scanConversation(q.QueryRow(ctx, `SELECT `+convColumns+`, `+lastMsgColumns+` FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id WHERE c.id = ? AND c.account_id = ?`, id, accountID), true)
}

// Filter selects a page of the conversation list.
type Filter struct {
	Status string // open (default) or resolved
	View   string // all (default), unassigned, mine, others; open only
	Limit  int
	Cursor string
}

// Views of the Open tab.
const (
	ViewAll        = "all"
	ViewUnassigned = "unassigned"
	ViewMine       = "mine"
	ViewOthers     = "others"
)

// Page is a page of a list with the cursor of the next one ("" at the end).
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (s *Service) list(ctx context.Context, accountID, agentID string, f Filter) (Page[*Conversation], error) {
	if f.Status == "" {
		f.Status = StatusOpen
	}
	if f.View == "" {
		f.View = ViewAll
	}
	if f.Status != StatusOpen && f.Status != StatusResolved {
		return Page[*Conversation]{}, apperr.BadRequest("status must be open or resolved")
	}
	switch f.View {
	case ViewAll, ViewUnassigned, ViewMine, ViewOthers:
	default:
		if f.Status == StatusOpen { // ignored for resolved, as documented
			return Page[*Conversation]{}, apperr.BadRequest("view must be all, unassigned, mine or others")
		}
	}
	limit := cursor.ClampLimit(f.Limit)
	where := []string{"c.account_id = ?", "c.status = ?"}
	args := []any{accountID, f.Status}
	if f.Status == StatusOpen {
		switch f.View {
		case ViewUnassigned:
			where = append(where, "c.assignee_id IS NULL")
		case ViewMine:
			where, args = append(where, "c.assignee_id = ?"), append(args, agentID)
		case ViewOthers:
			where, args = append(where, "c.assignee_id IS NOT NULL", "c.assignee_id <> ?"), append(args, agentID)
		}
	}
	if f.Cursor != "" {
		at, id, err := cursor.Decode(f.Cursor)
		if err != nil {
			return Page[*Conversation]{}, err
		}
		where, args = append(where, "(c.last_message_at < ? OR (c.last_message_at = ? AND c.id < ?))"), append(args, at, at, id)
	}
	q := `SELECT ` + convColumns + `, ` + lastMsgColumns + ` FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?`
	return s.page(ctx, q, args, limit, func(c *Conversation) time.Time { return c.LastMessageAt })
}

// page runs a keyset-paged conversation query (ending in LIMIT ?, given
// limit+1 here to learn whether more follow) and makes the next cursor from
// the last item's sort time.
func (s *Service) page(ctx context.Context, q string, args []any, limit int, sortTime func(*Conversation) time.Time) (Page[*Conversation], error) {
	rows, err := s.db.Query(ctx, q, append(args, limit+1)...)
	if err != nil {
		return Page[*Conversation]{}, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	page := Page[*Conversation]{Items: make([]*Conversation, 0, min(limit, 64))}
	for rows.Next() {
		c, err := scanConversation(rows, true)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, c)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = cursor.Encode(micros(sortTime(last)), last.ID)
	}
	return page, nil
}

// Counts are the live numbers of the list's tabs.
type Counts struct {
	Open struct {
		All        int `json:"all"`
		Unassigned int `json:"unassigned"`
		Mine       int `json:"mine"`
		Others     int `json:"others"`
	} `json:"open"`
	Resolved int `json:"resolved"`
}

func (s *Service) counts(ctx context.Context, accountID, agentID string) (Counts, error) {
	var c Counts
	rows, err := s.db.Query(ctx, `SELECT status, assignee_id, n FROM conversation_counts WHERE account_id = ?`, accountID)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var status, assignee string
		var n int
		if err := rows.Scan(&status, &assignee, &n); err != nil {
			return c, err
		}
		if status == StatusResolved {
			c.Resolved += n
			continue
		}
		c.Open.All += n
		switch assignee {
		case "":
			c.Open.Unassigned += n
		case agentID:
			c.Open.Mine += n
		default:
			c.Open.Others += n
		}
	}
	return c, rows.Err()
}

// count moves a conversation between the counters of the list's tabs when
// its status or assignee changed (or it is new), inside the write that
// changes it.
func count(ctx context.Context, tx *database.Tx, c *Conversation) error {
	assignee := ""
	if c.AssigneeID != nil {
		assignee = *c.AssigneeID
	}
	if c.counted.status == c.Status && c.counted.assignee == assignee {
		return nil
	}
	const add = `INSERT INTO conversation_counts (account_id, status, assignee_id, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, status, assignee_id) DO UPDATE SET n = conversation_counts.n + excluded.n`
	if c.counted.status != "" {
		if _, err := tx.Exec(ctx, add, c.AccountID, c.counted.status, c.counted.assignee, -1); err != nil {
			return fmt.Errorf("count conversation: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, add, c.AccountID, c.Status, assignee, 1); err != nil {
		return fmt.Errorf("count conversation: %w", err)
	}
	c.counted.status, c.counted.assignee = c.Status, assignee
	return nil
}

func (s *Service) messages(ctx context.Context, accountID, conversationID string, afterSeq int64, limit int, withNotes bool) (Page[*Message], error) {
	limit = cursor.ClampLimit(limit)
	q := `SELECT ` + msgColumns + ` FROM messages WHERE conversation_id = ? AND account_id = ? AND seq > ?`
	if !withNotes {
		q += ` AND kind <> 'note'`
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY seq LIMIT ?`, conversationID, accountID, afterSeq, limit+1)
	if err != nil {
		return Page[*Message]{}, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	page := Page[*Message]{Items: make([]*Message, 0, 16)}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, m)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = strconv.FormatInt(page.Items[limit-1].Seq, 10)
	}
	return page, nil
}
