package widgetapi

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/conversation"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/respond"
	"github.com/parley-chat/parley/internal/stream"
)

const (
	// noticeEvery spaces the rate_limited error frames a socket gets for
	// frames dropped over a limit: one tells the client, a thousand tell
	// it nothing more.
	noticeEvery = 10 * time.Second
	// conversationFresh is how long a socket trusts the conversation it
	// remembers for typing frames (its own messages refresh it at once).
	// That there is none is never remembered: the first message may come
	// over HTTP, not this socket, and the typing gate already bounds the
	// reads to one per TypingEvery.
	conversationFresh = time.Minute
)

// socket is the state of one chat box socket: its send queue, its typing
// gate, the conversation its typing frames are about.
type socket struct {
	a      *API
	ctx    context.Context
	v      contact.Visitor
	queue  *sendQueue // made on the first message
	typing *stream.TypingGate

	mu       sync.Mutex
	convID   string // the visitor's latest conversation, "" for none
	convAt   time.Time
	noticeAt time.Time // the last rate_limited notice for a dropped page view
}

func (a *API) newSocket(ctx context.Context, v contact.Visitor) *socket {
	s := &socket{a: a, ctx: ctx, v: v}
	s.typing = stream.NewTypingGate(a.Limits.TypingEvery, s.relayTyping)
	return s
}

// close drops the typing state waiting to be passed on.
func (s *socket) close() { s.typing.Stop() }

// frame handles what the chat box sends over its socket. Messages are
// stored in order by the socket's send queue.
func (s *socket) frame(ctx context.Context, c *stream.Conn, data []byte) {
	f, err := parseFrame(data)
	if err != nil {
		c.Send(stream.ErrorFrame("", "bad_request", "frame is not valid JSON"))
		return
	}
	a, v := s.a, s.v
	switch f.Type {
	case "message.send":
		if f.ClientID == "" {
			c.Send(stream.ErrorFrame("", "invalid", "message.send needs a client_id"))
			return
		}
		if s.queue == nil {
			s.queue = &sendQueue{store: func(p pendingSend) { a.store(ctx, c, v, p, s.stored) }}
		}
		if !s.queue.push(pendingSend{clientID: f.ClientID, text: f.Text}) {
			c.Send(stream.ErrorFrame(f.ClientID, "unavailable", "the server is busy storing your earlier messages; send this one again shortly"))
		}
	case "typing":
		s.typing.Set(f.On)
	case "page.view":
		now := time.Now()
		if !a.allowPage(v.ID, now) {
			// Dropped, not stored; the chat box hears about it now and
			// then, not for every frame.
			s.mu.Lock()
			notice := now.Sub(s.noticeAt) >= noticeEvery
			if notice {
				s.noticeAt = now
			}
			s.mu.Unlock()
			if notice {
				c.Send(stream.ErrorFrame("", "rate_limited", "too many page views; the extra ones are not recorded"))
			}
			return
		}
		if err := a.Contacts.PageView(ctx, v, contact.Page{URL: f.URL, Title: f.Title, Referrer: f.Referrer}); err != nil {
			// Refusals (a full disk included, which the database logs
			// once a minute) are not faults; faults are logged once a
			// minute at most, so no visitor can flood the log.
			if _, d := respond.Classify(err); d.Code == "internal" && ctx.Err() == nil {
				a.rare.error("page_view_failed", "visitor_id", v.ID, "err", err)
			}
			return
		}
		a.arrived(ctx, v)
	default:
		c.Send(stream.ErrorFrame(f.ClientID, "bad_request", "unknown frame type; expected message.send, typing or page.view"))
	}
}

// stored remembers the conversation the visitor's message went to: the
// one their typing is about from now on.
func (s *socket) stored(m *conversation.Message) {
	s.mu.Lock()
	s.convID, s.convAt = m.ConversationID, time.Now()
	s.mu.Unlock()
}

// relayTyping tells the agents the visitor's typing state (called by the
// gate, at most once per TypingEvery).
func (s *socket) relayTyping(on bool) {
	id := s.conversation()
	if id == "" {
		// Typing before the first message: nobody to tell yet. The
		// gate forgets it passed this on, so that once the message is
		// in (over this socket or over HTTP) the next state reaches the
		// agents.
		s.typing.Forget()
		return
	}
	b, _ := json.Marshal(map[string]any{"conversation_id": id, "sender_type": "visitor", "visitor_id": s.v.ID, "on": on})
	s.a.Hub.Publish(&event.Event{AccountID: s.v.AccountID, AgentFrame: event.Frame("typing", 0, b)})
}

// conversation is the visitor's latest conversation, remembered: read
// from the database at most once a minute once known (and at most once per
// relayed typing state while there is none), not for every typing frame.
func (s *socket) conversation() string {
	s.mu.Lock()
	id, at := s.convID, s.convAt
	s.mu.Unlock()
	if id != "" && time.Since(at) < conversationFresh {
		return id
	}
	conv, err := s.a.Conversations.VisitorConversation(s.ctx, s.v)
	switch {
	case err == nil:
		id = conv.ID
	case errors.Is(err, apperr.ErrNotFound):
		id = ""
	default:
		return id // unknown now: keep what we knew, ask again next time
	}
	s.mu.Lock()
	s.convID, s.convAt = id, time.Now()
	s.mu.Unlock()
	return id
}
