package conversation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/mask"
)

// Agents looks up the agents an assignment names.
type Agents interface {
	Agent(ctx context.Context, accountID, agentID string) (agent.Agent, error)
}

// Service is the conversation store and its rules.
type Service struct {
	db     *database.DB
	hub    *event.Hub
	agents Agents
	stored atomic.Int64
	chats  *chats // SQLite: each visitor's latest chat, as committed
}

// NewService returns the conversation service.
func NewService(db *database.DB, hub *event.Hub, agents Agents) *Service {
	s := &Service{db: db, hub: hub, agents: agents}
	if db.Dialect() == database.SQLite {
		s.chats = newChats()
	}
	return s
}

// Stored reports how many messages this process has stored.
func (s *Service) Stored() int64 { return s.stored.Load() }

// Conversation returns one conversation of the account.
func (s *Service) Conversation(ctx context.Context, accountID, conversationID string) (*Conversation, error) {
	return conversation(ctx, s.db, accountID, conversationID)
}

// List returns a page of the Open or Resolved list as actor sees it.
func (s *Service) List(ctx context.Context, actor agent.Agent, f Filter) (Page[*Conversation], error) {
	return s.list(ctx, actor.AccountID, actor.ID, f)
}

// Counts returns the numbers of the Open views and of Resolved for actor.
func (s *Service) Counts(ctx context.Context, actor agent.Agent) (Counts, error) {
	return s.counts(ctx, actor.AccountID, actor.ID)
}

// Messages returns a conversation's messages after a seq, oldest first,
// notes included (for agents).
func (s *Service) Messages(ctx context.Context, accountID, conversationID string, afterSeq int64, limit int) (Page[*Message], error) {
	if _, err := conversation(ctx, s.db, accountID, conversationID); err != nil {
		return Page[*Message]{}, err
	}
	return s.messages(ctx, accountID, conversationID, afterSeq, limit, true)
}

// CheckText validates message text as sent and returns it masked.
func CheckText(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", apperr.Invalid("text", "text must be valid UTF-8")
	}
	// PostgreSQL cannot store NUL in text: refuse it on every database
	// instead of failing inside the transaction.
	if strings.ContainsRune(text, 0) {
		return "", apperr.Invalid("text", "text must not contain NUL characters")
	}
	if n := utf8.RuneCountInString(text); n > MaxTextLength {
		return "", apperr.TooLarge(fmt.Sprintf("text is %d characters; the limit is %d", n, MaxTextLength))
	}
	if strings.TrimSpace(text) == "" {
		return "", apperr.Invalid("text", "text must not be empty")
	}
	return mask.Cards(text), nil
}

// CheckClientID validates an optional client-chosen idempotency key.
func CheckClientID(clientID string) error {
	if len(clientID) > 100 {
		return apperr.Invalid("client_id", "client_id must be at most 100 bytes")
	}
	if strings.ContainsRune(clientID, 0) {
		return apperr.Invalid("client_id", "client_id must not contain NUL characters")
	}
	return nil
}

// PostAgentMessage adds an agent's reply or note. The same clientID again
// returns the first stored message with created false, storing nothing.
func (s *Service) PostAgentMessage(ctx context.Context, actor agent.Agent, conversationID, text, kind, clientID string) (*Message, bool, error) {
	text, err := checkAgentMessage(text, &kind, clientID)
	if err != nil {
		if m, _, rerr := s.repeatOr(ctx, actor.ID, clientID, err); rerr == nil {
			return m, false, nil
		}
		// Another account's conversation is a 404 whatever the body.
		if _, cerr := conversation(ctx, s.db, actor.AccountID, conversationID); cerr != nil {
			return nil, false, cerr
		}
		return nil, false, err
	}
	var msg *Message
	created := false
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		var err error
		if msg, err = duplicate(ctx, tx, actor.ID, clientID); msg != nil || err != nil {
			return err
		}
		c, err := conversation(ctx, tx, actor.AccountID, conversationID)
		if err != nil {
			return err
		}
		msg = &Message{ID: id.New(), ConversationID: c.ID, Kind: kind, SenderType: SenderAgent, SenderID: strPtr(actor.ID),
			SenderName: actor.Name, Text: text, CreatedAt: nowUTC()}
		if clientID != "" {
			msg.ClientID = strPtr(clientID)
		}
		if repeat, err := s.insertSent(ctx, tx, c, msg); repeat != nil || err != nil {
			msg = repeat
			return err
		}
		created = true
		if kind == KindNote {
			// A note is for the team: it neither moves the conversation up
			// the list nor becomes the last message a visitor could see.
			return nil
		}
		c.LastMessage, c.LastMessageAt, c.UpdatedAt = msg, msg.CreatedAt, msg.CreatedAt
		return s.saveConversation(ctx, tx, c, msg.ID)
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		s.stored.Add(1)
	}
	return msg, created, nil
}

// checkAgentMessage validates an agent's message, defaulting kind to text.
func checkAgentMessage(text string, kind *string, clientID string) (string, error) {
	switch *kind {
	case "":
		*kind = KindText
	case KindText, KindNote:
	default:
		return "", apperr.Invalid("kind", "kind must be text or note")
	}
	if err := CheckClientID(clientID); err != nil {
		return "", err
	}
	return CheckText(text)
}

// PostVisitorMessage adds a visitor's message to their latest chat
// conversation, reopening it if it was resolved (the assignee stays), or
// starts a new open conversation.
func (s *Service) PostVisitorMessage(ctx context.Context, v contact.Visitor, text, clientID string) (*Message, bool, error) {
	if err := CheckClientID(clientID); err != nil {
		return nil, false, err
	}
	text, err := CheckText(text)
	if err != nil {
		return s.repeatOr(ctx, v.ID, clientID, err)
	}
	var msg *Message
	created := false
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		c, err := s.latestChat(ctx, tx, v)
		if errors.Is(err, apperr.ErrNotFound) {
			c, err = s.startConversation(ctx, tx, v)
		}
		if err != nil {
			return err
		}
		msg = &Message{ID: id.New(), ConversationID: c.ID, Kind: KindText, SenderType: SenderVisitor, SenderID: strPtr(v.ID),
			Text: text, CreatedAt: nowUTC()}
		if clientID != "" {
			msg.ClientID = strPtr(clientID)
		}
		if repeat, err := s.insertSent(ctx, tx, c, msg); repeat != nil || err != nil {
			msg = repeat
			return err
		}
		c.LastMessage, c.LastMessageAt, c.UpdatedAt = msg, msg.CreatedAt, msg.CreatedAt
		if c.Status == StatusResolved {
			c.Status, c.ResolvedAt, c.ResolvedBy = StatusOpen, nil, nil
			ev := &Message{ID: id.New(), ConversationID: c.ID, Kind: KindEvent, SenderType: SenderSystem,
				Text: "The conversation was reopened by a new message from the visitor", CreatedAt: msg.CreatedAt,
				Event: &Action{Action: "reopened"}}
			if err := s.insertMessage(ctx, tx, c, ev); err != nil {
				return err
			}
		}
		created = true
		return s.saveConversation(ctx, tx, c, msg.ID)
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		s.stored.Add(1)
	}
	return msg, created, nil
}

// repeatOr answers a send whose text was refused: a repeated client_id
// still returns the first stored message, whatever the text, as for any
// repeat; otherwise the refusal stands.
func (s *Service) repeatOr(ctx context.Context, senderID, clientID string, refusal error) (*Message, bool, error) {
	m, err := duplicate(ctx, s.db, senderID, clientID)
	if m == nil || err != nil {
		return nil, false, refusal
	}
	return m, false, nil
}

// duplicate returns the message a sender already stored under clientID.
func duplicate(ctx context.Context, q database.Querier, senderID, clientID string) (*Message, error) {
	if clientID == "" {
		return nil, nil
	}
	m, err := scanMessage(q.QueryRow(ctx, `SELECT `+msgColumns+` FROM messages WHERE sender_id = ? AND client_id = ?`, senderID, clientID))
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	return m, err
}

// latestChat returns the visitor's latest chat conversation, without its
// last message (the caller is about to replace it).
func latestChat(ctx context.Context, q database.Querier, v contact.Visitor) (*Conversation, error) {
	return scanConversation(q.QueryRow(ctx, `SELECT `+convColumns+` FROM conversations c
		WHERE c.visitor_id = ? AND c.account_id = ? AND c.channel = ? ORDER BY c.created_at DESC, c.id DESC LIMIT 1`, v.ID, v.AccountID, ChannelChat), false)
}

func (s *Service) startConversation(ctx context.Context, tx *database.Tx, v contact.Visitor) (*Conversation, error) {
	now := nowUTC()
	c := &Conversation{ID: id.New(), AccountID: v.AccountID, Status: StatusOpen, Channel: ChannelChat, ContactID: v.ContactID,
		VisitorID: strPtr(v.ID), CreatedAt: now, UpdatedAt: now, LastMessageAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO conversations (id, account_id, visitor_id, contact_id, channel, status, created_at, updated_at, last_message_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.AccountID, v.ID, c.ContactID, c.Channel, c.Status, micros(now), micros(now), micros(now))
	if err != nil {
		return nil, fmt.Errorf("insert conversation: %w", err)
	}
	s.savedChat(tx, c, true)
	return c, nil
}

// insertSent stores a message a sender sent (see insertMessage). When the
// sender's client_id was used meanwhile (a request racing this one stored
// it since the caller's check), it stores nothing and returns the message
// stored under it instead.
func (s *Service) insertSent(ctx context.Context, tx *database.Tx, c *Conversation, m *Message) (repeat *Message, err error) {
	err = s.insertMessage(ctx, tx, c, m)
	if !errors.Is(err, errRepeat) {
		return nil, err
	}
	if m.SenderID != nil && m.ClientID != nil {
		if repeat, err = duplicate(ctx, tx, *m.SenderID, *m.ClientID); repeat != nil || err != nil {
			return repeat, err
		}
	}
	return nil, fmt.Errorf("insert message %s: stored nothing, and no message of its sender has its client_id", m.ID)
}

// errRepeat means the sender already stored a message under this client_id
// (insertMessage stored nothing).
var errRepeat = errors.New("client_id already used by this sender")

// insertMessage stores the message under the next seq and appends its
// message.created event (notes only for agents). A message whose sender
// already used its client_id is not stored: errRepeat, and the seq is
// given back. The unique index is the duplicate check, so a send costs no
// extra lookup.
func (s *Service) insertMessage(ctx context.Context, tx *database.Tx, c *Conversation, m *Message) error {
	visitorID := "" // who sees it besides the agents: never a note
	if c.VisitorID != nil && m.Kind != KindNote {
		visitorID = *c.VisitorID
	}
	seq, err := event.Reserve(ctx, tx, c.AccountID)
	if err != nil {
		return err
	}
	m.Seq = seq
	var meta any
	if m.Event != nil {
		b, _ := json.Marshal(m.Event)
		meta = string(b)
	}
	res, err := tx.Exec(ctx, `INSERT INTO messages (`+msgColumns+`, account_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.ID, m.ConversationID, m.Seq, m.Kind, m.SenderType, m.SenderID, m.SenderName, m.Text, m.ClientID, meta, micros(m.CreatedAt), c.AccountID)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("insert message: %w", err)
	} else if n == 0 {
		event.Release(tx, c.AccountID, seq)
		return errRepeat
	}
	return event.AppendAt(ctx, tx, s.hub, c.AccountID, seq, event.MessageCreated, visitorID, m)
}

// saveConversation writes c's state and appends conversation.updated.
// lastMessageID, when not empty, becomes the conversation's last message.
func (s *Service) saveConversation(ctx context.Context, tx *database.Tx, c *Conversation, lastMessageID string) error {
	if lastMessageID != "" {
		c.lastMessageID = sql.NullString{String: lastMessageID, Valid: true}
	}
	var resolvedAt any
	if c.ResolvedAt != nil {
		resolvedAt = micros(*c.ResolvedAt)
	}
	// event_seq is the seq of this conversation.updated: a visitor's
	// stream replays the conversation's state from it (VisitorEvents).
	seq, err := event.Reserve(ctx, tx, c.AccountID)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE conversations SET status = ?, assignee_id = ?, updated_at = ?, last_message_at = ?, resolved_at = ?, resolved_by = ?, last_message_id = ?, event_seq = ? WHERE id = ?`,
		c.Status, c.AssigneeID, micros(c.UpdatedAt), micros(c.LastMessageAt), resolvedAt, c.ResolvedBy, c.lastMessageID, seq, c.ID)
	if err != nil {
		return fmt.Errorf("update conversation: %w", err)
	}
	if err := count(ctx, tx, c); err != nil {
		return err
	}
	s.savedChat(tx, c, false)
	visitorID := "" // the visitor sees it as agents do (see ForVisitor)
	if c.VisitorID != nil {
		visitorID = *c.VisitorID
	}
	return event.AppendAt(ctx, tx, s.hub, c.AccountID, seq, event.ConversationUpdated, visitorID, c)
}

// change runs a rule-checked state change of one conversation: check decides
// (returning the event message to add, or nil for a no-op) and mutates c.
func (s *Service) change(ctx context.Context, actor agent.Agent, conversationID string, check func(c *Conversation) (*Message, error)) (*Conversation, error) {
	var out *Conversation
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		c, err := conversation(ctx, tx, actor.AccountID, conversationID)
		if err != nil {
			return err
		}
		ev, err := check(c)
		if err != nil || ev == nil {
			out = c
			return err
		}
		now := nowUTC()
		c.UpdatedAt = now
		ev.ID, ev.ConversationID, ev.Kind, ev.SenderType, ev.SenderID, ev.SenderName, ev.CreatedAt =
			id.New(), c.ID, KindEvent, SenderAgent, strPtr(actor.ID), actor.Name, now
		ev.Event.ActorID, ev.Event.ActorName = strPtr(actor.ID), actor.Name
		if err := s.insertMessage(ctx, tx, c, ev); err != nil {
			return err
		}
		out = c
		return s.saveConversation(ctx, tx, c, "")
	})
	return out, err
}

// Resolve marks a conversation resolved. Only its assignee, an admin or the
// owner may; resolving a resolved conversation changes nothing.
func (s *Service) Resolve(ctx context.Context, actor agent.Agent, conversationID string) (*Conversation, error) {
	return s.change(ctx, actor, conversationID, func(c *Conversation) (*Message, error) {
		if !MayResolve(actor, c) {
			return nil, apperr.Forbidden("only the assigned agent, an admin or the owner may resolve this conversation")
		}
		if c.Status == StatusResolved {
			return nil, nil
		}
		now := nowUTC()
		c.Status, c.ResolvedAt, c.ResolvedBy = StatusResolved, &now, strPtr(actor.ID)
		return &Message{Text: actor.Name + " resolved the conversation", Event: &Action{Action: "resolved"}}, nil
	})
}

// MayResolve reports whether actor may resolve c.
func MayResolve(actor agent.Agent, c *Conversation) bool {
	return actor.CanManage() || (c.AssigneeID != nil && *c.AssigneeID == actor.ID)
}

// Reopen moves a resolved conversation back to Open; any agent may.
func (s *Service) Reopen(ctx context.Context, actor agent.Agent, conversationID string) (*Conversation, error) {
	return s.change(ctx, actor, conversationID, func(c *Conversation) (*Message, error) {
		if c.Status == StatusOpen {
			return nil, nil
		}
		c.Status, c.ResolvedAt, c.ResolvedBy = StatusOpen, nil, nil
		return &Message{Text: actor.Name + " reopened the conversation", Event: &Action{Action: "reopened"}}, nil
	})
}

// Assign sets (or, with an empty agentID, clears) the assignee. Admins and
// the owner may assign anyone; an agent may only take an unassigned
// conversation for itself.
func (s *Service) Assign(ctx context.Context, actor agent.Agent, conversationID, agentID string) (*Conversation, error) {
	var target agent.Agent
	if agentID != "" {
		var err error
		if target, err = s.agents.Agent(ctx, actor.AccountID, agentID); err != nil {
			return nil, err
		}
		if !target.Active {
			return nil, apperr.Invalid("agent_id", "%s is deactivated and cannot be assigned", target.Name)
		}
	}
	return s.change(ctx, actor, conversationID, func(c *Conversation) (*Message, error) {
		if !actor.CanManage() {
			if agentID != actor.ID {
				return nil, apperr.Forbidden("an agent may only take a conversation for themselves")
			}
			if c.AssigneeID != nil && *c.AssigneeID != actor.ID {
				return nil, apperr.Forbidden("this conversation is already assigned to another agent")
			}
		}
		current := ""
		if c.AssigneeID != nil {
			current = *c.AssigneeID
		}
		if current == agentID {
			return nil, nil
		}
		if agentID == "" {
			c.AssigneeID = nil
			return &Message{Text: actor.Name + " unassigned the conversation", Event: &Action{Action: "unassigned", TargetID: strPtr(current)}}, nil
		}
		c.AssigneeID = strPtr(agentID)
		if agentID == actor.ID {
			return &Message{Text: actor.Name + " took the conversation", Event: &Action{Action: "took", TargetID: strPtr(agentID), TargetName: actor.Name}}, nil
		}
		return &Message{Text: actor.Name + " assigned the conversation to " + target.Name,
			Event: &Action{Action: "assigned", TargetID: strPtr(agentID), TargetName: target.Name}}, nil
	})
}

// VisitorConversation returns the visitor's latest conversation (any status).
func (s *Service) VisitorConversation(ctx context.Context, v contact.Visitor) (*Conversation, error) {
	return scanConversation(s.db.QueryRow(ctx, `SELECT `+convColumns+`, `+lastMsgColumns+` FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id
		WHERE c.visitor_id = ? AND c.account_id = ? ORDER BY c.created_at DESC, c.id DESC LIMIT 1`, v.ID, v.AccountID), true)
}

// VisitorMessages returns messages of one of the visitor's conversations
// (the latest when conversationID is empty), without notes.
func (s *Service) VisitorMessages(ctx context.Context, v contact.Visitor, conversationID string, afterSeq int64, limit int) (Page[*Message], error) {
	var c *Conversation
	var err error
	if conversationID == "" {
		c, err = s.VisitorConversation(ctx, v)
		if errors.Is(err, apperr.ErrNotFound) {
			return Page[*Message]{Items: []*Message{}}, nil
		}
	} else {
		c, err = conversation(ctx, s.db, v.AccountID, conversationID)
		if err == nil && (c.VisitorID == nil || *c.VisitorID != v.ID) {
			err = apperr.NotFound("conversation")
		}
	}
	if err != nil {
		return Page[*Message]{}, err
	}
	return s.messages(ctx, v.AccountID, c.ID, afterSeq, limit, false)
}

func decodeAction(s string) *Action {
	var a Action
	if json.Unmarshal([]byte(s), &a) != nil {
		return nil
	}
	return &a
}
