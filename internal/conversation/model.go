// Package conversation owns conversations and their messages, and the rules
// of the product around them: who may resolve, automatic reopening, the Open
// views, assignment, notes and idempotent sends.
package conversation

import (
	"database/sql"
	"time"
)

// Statuses, channels, message kinds and sender types.
const (
	StatusOpen     = "open"
	StatusResolved = "resolved"

	ChannelChat      = "chat"
	ChannelEmail     = "email"
	ChannelMessenger = "messenger"

	KindText  = "text"
	KindNote  = "note"
	KindEvent = "event"

	SenderVisitor = "visitor"
	SenderAgent   = "agent"
	SenderSystem  = "system"
)

// MaxTextLength is the longest message text, in code points.
const MaxTextLength = 10000

// Message is one entry of a conversation.
type Message struct {
	ID             string  `json:"id"`
	ConversationID string  `json:"conversation_id"`
	Seq            int64   `json:"seq"`
	Kind           string  `json:"kind"`
	SenderType     string  `json:"sender_type"`
	SenderID       *string `json:"sender_id"`
	// SenderName is the agent's name at the time of writing (empty for
	// visitors), so the chat box can show who answered.
	SenderName string    `json:"sender_name"`
	Text       string    `json:"text"`
	ClientID   *string   `json:"client_id"`
	Event      *Action   `json:"event,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// SetSeq records the seq of the message's message.created event.
func (m *Message) SetSeq(seq int64) { m.Seq = seq }

// Action describes what an event message records, for clients that render
// it in their own language.
type Action struct {
	Action     string  `json:"action"` // assigned, unassigned, took, resolved, reopened
	ActorID    *string `json:"actor_id"`
	ActorName  string  `json:"actor_name"`
	TargetID   *string `json:"target_id,omitempty"`
	TargetName string  `json:"target_name,omitempty"`
}

// Conversation is a thread with one contact on one channel.
type Conversation struct {
	ID            string     `json:"id"`
	AccountID     string     `json:"account_id"`
	Status        string     `json:"status"`
	Channel       string     `json:"channel"`
	ContactID     string     `json:"contact_id"`
	VisitorID     *string    `json:"visitor_id"`
	AssigneeID    *string    `json:"assignee_id"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	LastMessageAt time.Time  `json:"last_message_at"`
	ResolvedAt    *time.Time `json:"resolved_at"`
	ResolvedBy    *string    `json:"resolved_by"`
	LastMessage   *Message   `json:"last_message"`

	lastMessageID sql.NullString
	// counted is the (status, assignee) the conversation_counts table holds
	// for this conversation; "" status: not counted yet (a new one).
	counted struct{ status, assignee string }
}

// ForVisitor returns the conversation as its visitor may see it: the same
// shape agents see. Nothing in it is for the team only — notes never become
// the last message. (The event log relies on it: a visitor's events are
// the agents' frames; were a field ever hidden here, event.Append would
// need a view of the visitor's own.)
func (c *Conversation) ForVisitor() *Conversation {
	v := *c
	return &v
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nowUTC() time.Time { return time.UnixMicro(time.Now().UnixMicro()).UTC() }

func strPtr(s string) *string { return &s }
