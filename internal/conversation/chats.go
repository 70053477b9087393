package conversation

import (
	"context"
	"sync"

	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/database"
)

// maxRememberedChats bounds the latest-chat memory: past it, an arbitrary
// visitor is forgotten (and read from the database again if they write).
const maxRememberedChats = 20000

// chats remembers each chatting visitor's latest chat conversation as the
// last committed write left it, so a visitor's message does not read it
// back from the database. Only on SQLite: there one process is the only
// writer, so what it committed is what is stored. Every change of a
// conversation goes through saveConversation, which keeps the memory in
// step; a write's changes become visible to the rest of its transaction at
// once (a batch value) and to later transactions as it commits (OnCommit).
// A write that ever deletes conversations or moves them between visitors
// must forget them here.
type chats struct {
	mu sync.Mutex
	m  map[string]Conversation // by visitor ID, without the last message
}

func newChats() *chats { return &chats{m: make(map[string]Conversation)} }

func chatKey(visitorID string) string { return "chat:" + visitorID }

// remembered returns what the transaction, or else the memory, holds as
// the visitor's latest chat: a copy the caller may change.
func (s *Service) remembered(tx *database.Tx, visitorID string) (*Conversation, bool) {
	if c, ok := tx.BatchValue(chatKey(visitorID)).(*Conversation); ok {
		cp := *c
		return &cp, true
	}
	s.chats.mu.Lock()
	c, ok := s.chats.m[visitorID]
	s.chats.mu.Unlock()
	return &c, ok
}

// latestChat returns the visitor's latest chat conversation, without its
// last message (the caller is about to replace it). The caller may change
// the copy it gets.
func (s *Service) latestChat(ctx context.Context, tx *database.Tx, v contact.Visitor) (*Conversation, error) {
	if s.chats == nil {
		return latestChat(ctx, tx, v)
	}
	if c, ok := s.remembered(tx, v.ID); ok && c.AccountID == v.AccountID {
		return c, nil
	}
	fromDB, err := latestChat(ctx, tx, v)
	if err != nil {
		return nil, err
	}
	s.rememberChat(tx, fromDB)
	cp := *fromDB
	return &cp, nil
}

// rememberChat records c as its visitor's latest chat conversation, for
// the rest of the transaction now and for later ones once committed.
func (s *Service) rememberChat(tx *database.Tx, c *Conversation) {
	if s.chats == nil || c.VisitorID == nil || c.Channel != ChannelChat {
		return
	}
	snap := *c
	snap.LastMessage = nil
	tx.SetBatchValue(chatKey(*c.VisitorID), &snap, nil)
	tx.OnCommit(func() {
		s.chats.mu.Lock()
		defer s.chats.mu.Unlock()
		if _, ok := s.chats.m[*snap.VisitorID]; !ok && len(s.chats.m) >= maxRememberedChats {
			for k := range s.chats.m {
				delete(s.chats.m, k)
				break
			}
		}
		s.chats.m[*snap.VisitorID] = snap
	})
}

// savedChat keeps the memory in step after c was written: it is (still)
// its visitor's latest chat when the memory says so, or when it was just
// started. An older conversation of the visitor changes nothing here.
func (s *Service) savedChat(tx *database.Tx, c *Conversation, started bool) {
	if s.chats == nil || c.VisitorID == nil || c.Channel != ChannelChat {
		return
	}
	if !started {
		if latest, ok := s.remembered(tx, *c.VisitorID); !ok || latest.ID != c.ID {
			return
		}
	}
	s.rememberChat(tx, c)
}
