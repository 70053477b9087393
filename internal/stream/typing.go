package stream

import (
	"sync"
	"time"
)

// TypingEvery is the default shortest time between two typing frames one
// sender's socket passes on.
const TypingEvery = 1500 * time.Millisecond

// TypingGate passes one sender's typing state on to others without
// passing on every frame: a client may send thousands a second, and each
// passed on is a frame to every agent of the account. A change (on to
// off, off to on) goes at once unless one went less than every ago; then
// the latest state goes when that time is up, so the final state always
// arrives. A repeated "on" — the clients' keep-alive, every few seconds
// while someone types — is passed on at most once per every; a repeated
// "off" never. The first frame always goes: the receivers' state is
// unknown.
type TypingGate struct {
	every time.Duration
	relay func(on bool)

	mu      sync.Mutex
	known   bool // something was relayed
	sent    bool // the state relayed last
	want    bool // the state the sender is in now
	at      time.Time
	pending *time.Timer // passes on the latest state when a wait ends
	busy    bool        // relay is running
	stopped bool
}

// NewTypingGate returns a gate that calls relay with the states to pass
// on (from the caller's goroutine or a timer's, never two at once).
func NewTypingGate(every time.Duration, relay func(on bool)) *TypingGate {
	if every <= 0 {
		every = TypingEvery
	}
	return &TypingGate{every: every, relay: relay}
}

// Set records the state the sender says it is in now.
func (g *TypingGate) Set(on bool) {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return
	}
	g.want = on
	if g.pending != nil || g.busy {
		g.mu.Unlock() // the timer, or the running relay, passes on the latest state
		return
	}
	if g.known && on == g.sent && !on {
		g.mu.Unlock()
		return
	}
	now := time.Now()
	if wait := g.every - now.Sub(g.at); !g.at.IsZero() && wait > 0 {
		// Too soon after the last: a change, or any state while the
		// receivers' is unknown, goes when the time is up.
		if !g.known || on != g.sent {
			g.pending = time.AfterFunc(wait, g.flush)
		}
		g.mu.Unlock()
		return
	}
	g.known, g.sent, g.at = true, on, now
	g.relayLocked(on)
}

// flush passes on the state the sender is in when a wait ends.
func (g *TypingGate) flush() {
	g.mu.Lock()
	g.pending = nil
	if g.stopped || (g.known && g.want == g.sent) {
		g.mu.Unlock()
		return
	}
	g.known, g.sent, g.at = true, g.want, time.Now()
	g.relayLocked(g.sent)
}

// relayLocked calls relay outside the lock, holding the gate busy so
// that relays never overlap; a change that came meanwhile goes when its
// time is up.
func (g *TypingGate) relayLocked(on bool) {
	g.busy = true
	g.mu.Unlock()
	g.relay(on)
	g.mu.Lock()
	g.busy = false
	if !g.stopped && g.want != g.sent {
		g.pending = time.AfterFunc(max(0, g.every-time.Since(g.at)), g.flush)
	}
	g.mu.Unlock()
}

// Forget says that what was passed on last reached nobody (the sender had
// no conversation yet): the receivers' state is unknown again, so the next
// state the sender is in goes on — still no sooner than every after the
// last. Called from relay.
func (g *TypingGate) Forget() {
	g.mu.Lock()
	g.known = false
	g.mu.Unlock()
}

// Idle reports whether the gate holds nothing: no change waiting, and the
// last state passed on was "off" at least every ago (or nothing was).
func (g *TypingGate) Idle() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pending == nil && !g.busy && !g.sent && time.Since(g.at) >= g.every
}

// Stop drops whatever waits; the gate passes nothing on after it.
func (g *TypingGate) Stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	if g.pending != nil {
		g.pending.Stop()
		g.pending = nil
	}
}
