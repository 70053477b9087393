package event

import (
	"sync"
	"sync/atomic"
)

// How many events a subscriber may fall behind before it is marked lagging
// and has to catch up from the log. An agent follows the whole account; a
// visitor sees a few events a minute and may hold its socket idle for
// hours, so its buffer is small (8 bytes an entry, for every open chat box).
const (
	agentBuffer   = 512
	visitorBuffer = 16
)

// Sub is one stream's subscription. Events arrive on C in publish order. If
// the consumer falls behind, events are dropped and Lagged is signalled: the
// consumer then reads what it missed from the log.
type Sub struct {
	C         chan *Event
	Lagged    chan struct{}
	accountID string
	visitorID string // empty for an agent subscription
	lagging   atomic.Bool
	hub       *Hub
	// wake, when set, is called (under the hub's lock, so it must not
	// block) after an event was queued or a lag signalled: a stream that
	// keeps no goroutine waiting on C starts one to drain it.
	wake func()
}

// OnReady sets the function called whenever C or Lagged has something;
// it must return at once.
func (s *Sub) OnReady(wake func()) {
	s.hub.mu.Lock()
	s.wake = wake
	s.hub.mu.Unlock()
}

// ClearLag re-arms lag detection after the consumer caught up from the log.
func (s *Sub) ClearLag() { s.lagging.Store(false) }

// Close removes the subscription from the hub.
func (s *Sub) Close() { s.hub.remove(s) }

type accountSubs struct {
	agents   map[*Sub]struct{}
	visitors map[string]map[*Sub]struct{}
}

// Hub fans events out to the subscriptions of this process.
type Hub struct {
	mu       sync.RWMutex
	accounts map[string]*accountSubs
	count    atomic.Int64
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{accounts: make(map[string]*accountSubs)} }

// Subscribers reports how many subscriptions are open.
func (h *Hub) Subscribers() int64 { return h.count.Load() }

// SubscribeAgent subscribes to every agent-visible event of an account.
func (h *Hub) SubscribeAgent(accountID string) *Sub { return h.add(accountID, "") }

// SubscribeVisitor subscribes to the events a visitor may see.
func (h *Hub) SubscribeVisitor(accountID, visitorID string) *Sub { return h.add(accountID, visitorID) }

func (h *Hub) add(accountID, visitorID string) *Sub {
	size := agentBuffer
	if visitorID != "" {
		size = visitorBuffer
	}
	s := &Sub{C: make(chan *Event, size), Lagged: make(chan struct{}, 1), accountID: accountID, visitorID: visitorID, hub: h}
	h.mu.Lock()
	a := h.accounts[accountID]
	if a == nil {
		a = &accountSubs{agents: make(map[*Sub]struct{}), visitors: make(map[string]map[*Sub]struct{})}
		h.accounts[accountID] = a
	}
	if visitorID == "" {
		a.agents[s] = struct{}{}
	} else {
		v := a.visitors[visitorID]
		if v == nil {
			v = make(map[*Sub]struct{})
			a.visitors[visitorID] = v
		}
		v[s] = struct{}{}
	}
	h.mu.Unlock()
	h.count.Add(1)
	return s
}

func (h *Hub) remove(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.accounts[s.accountID]
	if a == nil {
		return
	}
	if s.visitorID == "" {
		if _, ok := a.agents[s]; !ok {
			return
		}
		delete(a.agents, s)
	} else {
		v := a.visitors[s.visitorID]
		if _, ok := v[s]; !ok {
			return
		}
		delete(v, s)
		if len(v) == 0 {
			delete(a.visitors, s.visitorID)
		}
	}
	if len(a.agents) == 0 && len(a.visitors) == 0 {
		delete(h.accounts, s.accountID)
	}
	h.count.Add(-1)
}

// Publish hands e to every subscription that may see it. It never blocks.
func (h *Hub) Publish(e *Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	a := h.accounts[e.AccountID]
	if a == nil {
		return
	}
	if e.AgentFrame != nil {
		for s := range a.agents {
			s.send(e)
		}
	}
	if e.VisitorFrame != nil && e.VisitorID != "" {
		for s := range a.visitors[e.VisitorID] {
			s.send(e)
		}
	}
}

// VisitorOnline reports whether the visitor has a stream open on this node.
func (h *Hub) VisitorOnline(accountID, visitorID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	a := h.accounts[accountID]
	return a != nil && len(a.visitors[visitorID]) > 0
}

// BroadcastVisitors sends an ephemeral frame to every visitor of an account.
func (h *Hub) BroadcastVisitors(accountID string, frame []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	a := h.accounts[accountID]
	if a == nil {
		return
	}
	e := &Event{AccountID: accountID, VisitorFrame: frame}
	for _, subs := range a.visitors {
		for s := range subs {
			s.send(e)
		}
	}
}

func (s *Sub) send(e *Event) {
	select {
	case s.C <- e:
	default:
		if e.Seq == 0 {
			return // ephemeral frames are not worth catching up on
		}
		if !s.lagging.Swap(true) {
			select {
			case s.Lagged <- struct{}{}:
			default:
			}
		}
	}
	if s.wake != nil {
		s.wake()
	}
}

// OnlineVisitors lists the visitors of an account with a stream open on
// this node.
func (h *Hub) OnlineVisitors(accountID string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	a := h.accounts[accountID]
	if a == nil {
		return nil
	}
	out := make([]string, 0, len(a.visitors))
	for v := range a.visitors {
		out = append(out, v)
	}
	return out
}

// HasAgents reports whether any agent of the account has a stream open on
// this node, so that work only agents would see can be skipped.
func (h *Hub) HasAgents(accountID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	a := h.accounts[accountID]
	return a != nil && len(a.agents) > 0
}
