package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/cursor"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/id"
)

// OfContact returns every conversation of a contact, any channel and
// status, newest first: the visitor card's conversation history. The caller
// checks that the contact is the account's.
func (s *Service) OfContact(ctx context.Context, accountID, contactID string, limit int, after string) (Page[*Conversation], error) {
	limit = cursor.ClampLimit(limit)
	where, args := `c.contact_id = ? AND c.account_id = ?`, []any{contactID, accountID}
	if after != "" {
		at, cid, err := cursor.Decode(after)
		if err != nil {
			return Page[*Conversation]{}, err
		}
		where, args = where+` AND (c.created_at < ? OR (c.created_at = ? AND c.id < ?))`, append(args, at, at, cid)
	}
	q := `SELECT ` + convColumns + `, ` + lastMsgColumns + ` FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id
		WHERE ` + where + ` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`
	return s.page(ctx, q, args, limit, func(c *Conversation) time.Time { return c.CreatedAt })
}

// MoveContact gives every conversation of one contact to another (two
// contacts turned out to be one person) and tells the agents.
func (s *Service) MoveContact(ctx context.Context, tx *database.Tx, accountID, from, to string) error {
	rows, err := tx.Query(ctx, `SELECT id FROM conversations WHERE contact_id = ? AND account_id = ? ORDER BY created_at, id`, from, accountID)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var cid string
		if err := rows.Scan(&cid); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, cid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, cid := range ids {
		if _, err := tx.Exec(ctx, `UPDATE conversations SET contact_id = ? WHERE id = ?`, to, cid); err != nil {
			return fmt.Errorf("move conversation: %w", err)
		}
		c, err := conversation(ctx, tx, accountID, cid)
		if err != nil {
			return err
		}
		if err := s.saveConversation(ctx, tx, c, ""); err != nil {
			return err
		}
	}
	return nil
}

// StartWithVisitor is an agent writing first to a visitor on the site: the
// message goes into the visitor's latest chat conversation when it is open,
// else into a new open conversation assigned to the agent. created reports
// a new conversation. A repeated clientID returns the first message's
// conversation and stores nothing.
func (s *Service) StartWithVisitor(ctx context.Context, actor agent.Agent, v contact.Visitor, text, clientID string) (*Conversation, bool, error) {
	kind := KindText
	text, err := checkAgentMessage(text, &kind, clientID)
	if err != nil {
		return nil, false, err
	}
	var out *Conversation
	created, inserted := false, false
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		if m, err := duplicate(ctx, tx, actor.ID, clientID); m != nil || err != nil {
			if err == nil {
				out, err = conversation(ctx, tx, actor.AccountID, m.ConversationID)
			}
			return err
		}
		c, err := s.latestChat(ctx, tx, v)
		switch {
		case errors.Is(err, apperr.ErrNotFound) || (err == nil && c.Status != StatusOpen):
			if c, err = s.startConversation(ctx, tx, v); err != nil {
				return err
			}
			c.AssigneeID = strPtr(actor.ID)
			created = true
		case err != nil:
			return err
		}
		msg := &Message{ID: id.New(), ConversationID: c.ID, Kind: KindText, SenderType: SenderAgent, SenderID: strPtr(actor.ID),
			SenderName: actor.Name, Text: text, CreatedAt: nowUTC()}
		if clientID != "" {
			msg.ClientID = strPtr(clientID)
		}
		if err := s.insertMessage(ctx, tx, c, msg); err != nil {
			if errors.Is(err, errRepeat) { // another node stored it since the check above
				return apperr.Conflict("client_id was used for another message at the same moment; retry")
			}
			return err
		}
		c.LastMessage, c.LastMessageAt, c.UpdatedAt = msg, msg.CreatedAt, msg.CreatedAt
		out, inserted = c, true
		return s.saveConversation(ctx, tx, c, msg.ID)
	})
	if err == nil && inserted {
		s.stored.Add(1)
	}
	return out, created, err
}
