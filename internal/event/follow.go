package event

import (
	"context"
	"errors"
)

// ErrReset means the events a client asked for are no longer kept (or never
// existed): it must reload its state through the HTTP API.
var ErrReset = errors.New("events no longer kept")

// ResetFrame is what a stream sends for ErrReset.
var ResetFrame = []byte(`{"type":"reset"}`)

const replayPage = 500

// Follower turns a hub subscription plus the log into one ordered stream for
// one client: replay from a seq, then live events, with gaps (events another
// process committed, or that a lagging subscription dropped) filled from the
// log, and nothing sent twice.
type Follower struct {
	log       *Log
	Sub       *Sub
	accountID string
	visitorID string
	last      int64
	replay    bool
}

// Follow subscribes to an account's agent events (visitorID empty) or to one
// visitor's events. Subscribe before reading the log so nothing committed
// in between is missed.
func Follow(log *Log, hub *Hub, accountID, visitorID string) *Follower {
	f := &Follower{log: log, accountID: accountID, visitorID: visitorID}
	if visitorID == "" {
		f.Sub = hub.SubscribeAgent(accountID)
	} else {
		f.Sub = hub.SubscribeVisitor(accountID, visitorID)
	}
	return f
}

// Close ends the subscription.
func (f *Follower) Close() { f.Sub.Close() }

// Begin fixes where the stream starts: after the seq `after`, or, when after
// is negative, now (only live events to come). Call it before the client
// learns its socket is open, so that every event committed after that is
// delivered. It returns ErrReset when the events asked for are no longer
// kept (or never existed).
func (f *Follower) Begin(ctx context.Context, after int64) error {
	oldest, latest, err := f.log.Bounds(ctx, f.accountID)
	if err != nil {
		return err
	}
	if after < 0 {
		f.last = latest
		return nil
	}
	// A visitor's stream replays from the visitor's conversations, which
	// are never pruned: only a seq the account never reached resets it.
	missing := f.visitorID == "" && after < latest && (oldest == 0 || oldest > after+1)
	if after > latest || missing {
		return ErrReset
	}
	f.last, f.replay = after, true
	return nil
}

// Replay sends (through send) the logged events after Begin's starting
// point, if it asked for any.
func (f *Follower) Replay(ctx context.Context, send func([]byte) error) error {
	if !f.replay {
		return nil
	}
	return f.catchUp(ctx, send)
}

// Start is Begin followed by Replay.
func (f *Follower) Start(ctx context.Context, after int64, send func([]byte) error) error {
	if err := f.Begin(ctx, after); err != nil {
		return err
	}
	return f.Replay(ctx, send)
}

// catchUp sends everything in the log after the last sent seq.
func (f *Follower) catchUp(ctx context.Context, send func([]byte) error) error {
	for {
		var evs []*Event
		var full bool
		var err error
		if f.visitorID == "" {
			evs, full, err = f.log.AgentEvents(ctx, f.accountID, f.last, replayPage)
		} else {
			evs, full, err = f.log.VisitorEvents(ctx, f.accountID, f.visitorID, f.last, replayPage)
		}
		if err != nil {
			return err
		}
		for _, e := range evs {
			if err := f.emit(e, send); err != nil {
				return err
			}
		}
		if !full {
			return nil
		}
	}
}

func (f *Follower) emit(e *Event, send func([]byte) error) error {
	frame := e.AgentFrame
	if f.visitorID != "" {
		frame = e.VisitorFrame
	}
	if err := send(frame); err != nil {
		return err
	}
	f.last = e.Seq
	return nil
}

// Handle sends a live event: ephemeral frames go straight through, events
// already sent are skipped, and a gap before an agent event is filled from
// the log first.
func (f *Follower) Handle(ctx context.Context, e *Event, send func([]byte) error) error {
	if e.Seq == 0 {
		frame := e.AgentFrame
		if f.visitorID != "" {
			frame = e.VisitorFrame
		}
		if frame == nil {
			return nil
		}
		return send(frame)
	}
	if f.Sub.lagging.Load() {
		// Events were dropped before this one: send them first, or a
		// visitor stream (where gaps are normal) would never notice.
		select {
		case <-f.Sub.Lagged:
		default:
		}
		if err := f.Lagged(ctx, send); err != nil {
			return err
		}
	}
	if e.Seq <= f.last {
		return nil
	}
	if f.visitorID == "" && e.Seq > f.last+1 {
		if err := f.catchUp(ctx, send); err != nil {
			return err
		}
		if e.Seq <= f.last {
			return nil
		}
	}
	return f.emit(e, send)
}

// Lagged recovers after the subscription dropped events: it re-arms lag
// detection first, so a drop during the catch-up is signalled again, then
// sends what the log holds.
func (f *Follower) Lagged(ctx context.Context, send func([]byte) error) error {
	f.Sub.ClearLag()
	return f.catchUp(ctx, send)
}

// Last is the seq of the last event sent.
func (f *Follower) Last() int64 { return f.last }
