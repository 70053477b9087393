// Package stream runs one real-time WebSocket connection: it replays and
// follows the event log for the client, passes the client's frames to a
// handler, and keeps the connection alive.
package stream

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/event"
)

// MaxFrame bounds a client frame (64 KiB).
const MaxFrame = 64 << 10

const (
	pingEvery    = 30 * time.Second
	recheckEvery = 15 * time.Second
	// WriteTimeout is the default time one frame may take to leave: a
	// client that stops reading fills its TCP buffers, its next write
	// blocks, and after this long the socket is closed and everything it
	// held (subscription, goroutines, buffers) is freed.
	WriteTimeout = 10 * time.Second
)

// RestartReason is the reason of the close (1012) that ends every socket
// when the server shuts down.
const RestartReason = "server restarting: reconnect"

// Conn is one open stream.
type Conn struct {
	ws      *websocket.Conn
	out     *burstWriter
	cancel  context.CancelFunc
	ctx     context.Context
	timeout time.Duration // for one frame to leave
}

// Send writes a frame (an ack, an error) to the client, from the reader
// goroutine or from one its handler started (a chat box's send queue): a
// client that sends faster than it reads is slowed down; one that does not
// read at all is disconnected after the write timeout.
func (c *Conn) Send(frame []byte) {
	if err := c.write(frame); err != nil {
		c.cancel()
	}
}

func (c *Conn) write(frame []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, frame)
}

// Handler handles one client frame; it runs on the connection's reader
// goroutine and may call Send.
type Handler func(ctx context.Context, c *Conn, data []byte)

// Options tune one connection.
type Options struct {
	// Begin is the result of the follower's Begin, called before the socket
	// was accepted: on event.ErrReset the client is told to reset.
	Begin error
	// Handle handles the client's frames.
	Handle Handler
	// Authorized, when set, is asked every RecheckEvery (default 15 s)
	// whether the client may still listen (a signed-out or deactivated
	// agent may not).
	Authorized   func(context.Context) bool
	RecheckEvery time.Duration
	// WriteTimeout bounds the time a frame (or a gathered burst, or a
	// ping's answer) may take; past it the socket is closed (default
	// WriteTimeout).
	WriteTimeout time.Duration
}

// Serve runs the connection until the client leaves or ctx ends. The
// calling goroutine replays what the client missed, then reads the
// client's frames; that is the only goroutine an idle connection keeps.
// Events are written by a goroutine started when the subscription has
// something and gone once it is drained; pings and the authorisation
// check are timers. So an idle chat box costs one small stack, not three.
//
// When ctx ends (the server shuts down) the socket is closed with 1012
// (service restart), which tells the client to reconnect at once — to
// another node, or to this one when it is back. Until that close is done
// the connection's own work (a message being stored, its ack) goes on.
func Serve(ctx context.Context, s *Socket, f *event.Follower, o Options) error {
	ws := s.Conn
	ws.SetReadLimit(MaxFrame)
	life := ctx
	ctx, cancel := context.WithCancel(context.WithoutCancel(life))
	defer cancel()
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = WriteTimeout
	}
	s.out.setTimeout(o.WriteTimeout)
	defer context.AfterFunc(life, func() {
		ws.Close(websocket.StatusServiceRestart, RestartReason)
		cancel()
	})()
	c := &Conn{ws: ws, out: s.out, cancel: cancel, ctx: ctx, timeout: o.WriteTimeout}

	err := o.Begin
	if err == nil {
		c.out.hold() // the replay leaves in as few writes as it can
		err = f.Replay(ctx, c.write)
		if rerr := c.out.release(); err == nil {
			err = rerr
		}
	}
	if err != nil {
		if errors.Is(err, event.ErrReset) {
			c.write(event.ResetFrame)
			ws.Close(websocket.StatusNormalClosure, "reset")
			return nil
		}
		ws.Close(websocket.StatusInternalError, "could not replay events")
		return err
	}

	// Live events: one drain goroutine at a time, while there is work.
	d := &drainer{f: f, c: c}
	f.Sub.OnReady(d.kick)
	d.kick() // anything that arrived during the replay

	var ping *time.Timer
	ping = time.AfterFunc(pingEvery, func() {
		pctx, pcancel := context.WithTimeout(ctx, o.WriteTimeout)
		err := ws.Ping(pctx)
		pcancel()
		if err != nil {
			cancel()
			return
		}
		if ctx.Err() == nil { // not re-armed for a socket that is gone
			ping.Reset(pingEvery)
		}
	})
	defer ping.Stop()
	if o.Authorized != nil {
		if o.RecheckEvery <= 0 {
			o.RecheckEvery = recheckEvery
		}
		var recheck *time.Timer
		recheck = time.AfterFunc(o.RecheckEvery, func() {
			if !o.Authorized(ctx) {
				ws.Close(websocket.StatusPolicyViolation, "signed out")
				cancel()
				return
			}
			if ctx.Err() == nil {
				recheck.Reset(o.RecheckEvery)
			}
		})
		defer recheck.Stop()
	}

	var readErr error
	for {
		typ, data, err := ws.Read(ctx)
		if err != nil {
			readErr = err
			break
		}
		if typ != websocket.MessageText {
			c.Send(ErrorFrame("", "bad_request", "frames must be JSON text"))
			continue
		}
		o.Handle(ctx, c, data)
	}
	cancel()
	f.Sub.OnReady(nil)
	d.wait()
	if d.err != nil {
		ws.Close(websocket.StatusGoingAway, "")
		return d.err
	}
	var ce websocket.CloseError
	if errors.As(readErr, &ce) || errors.Is(readErr, context.Canceled) {
		ws.Close(websocket.StatusGoingAway, "")
		return nil
	}
	return readErr
}

// drainer writes a connection's live events from a goroutine that exists
// only while there are events to write.
type drainer struct {
	f       *event.Follower
	c       *Conn
	running atomic.Bool
	wg      sync.WaitGroup
	err     error // the write error that ended the connection; set before wg.Done
}

// kick starts the drain goroutine unless it runs; called by the hub.
func (d *drainer) kick() {
	if d.running.CompareAndSwap(false, true) {
		d.wg.Add(1)
		go d.run()
	}
}

func (d *drainer) run() {
	defer d.wg.Done()
	ctx, sub, out := d.c.ctx, d.f.Sub, d.c.out
	// The events waiting now are one burst: written into the socket's
	// buffer and sent together when the subscription is drained.
	out.hold()
	for {
		var err error
		select {
		case e := <-sub.C:
			err = d.f.Handle(ctx, e, d.c.write)
		case <-sub.Lagged:
			err = d.f.Lagged(ctx, d.c.write)
		default:
			if err = out.release(); err != nil {
				d.fail(err)
				return
			}
			// Drained: stop, unless something arrived between the last
			// receive and clearing the flag (its kick found us running).
			d.running.Store(false)
			if len(sub.C) == 0 && len(sub.Lagged) == 0 || !d.running.CompareAndSwap(false, true) {
				return
			}
			out.hold()
			continue
		}
		if err != nil {
			out.release() // whatever was gathered (a close frame) still goes out
			d.fail(err)
			return
		}
	}
}

// fail ends the connection after a write error.
func (d *drainer) fail(err error) {
	if d.c.ctx.Err() == nil {
		d.err = err
	}
	d.c.cancel()
	d.running.Store(false)
}

// wait returns once no drain goroutine runs. Call it after OnReady(nil),
// so no kick can start another; the connection's context has ended, so a
// running one fails fast.
func (d *drainer) wait() { d.wg.Wait() }

// ErrorFrame encodes an error frame.
func ErrorFrame(clientID, code, message string) []byte {
	type detail struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	b, _ := json.Marshal(struct {
		Type     string `json:"type"`
		ClientID string `json:"client_id,omitempty"`
		Error    detail `json:"error"`
	}{"error", clientID, detail{code, message}})
	return b
}

// AckFrame encodes the acknowledgement of a stored message.
func AckFrame(clientID string, data []byte) []byte {
	b := make([]byte, 0, len(data)+len(clientID)+40)
	b = append(b, `{"type":"ack","client_id":`...)
	id, _ := json.Marshal(clientID)
	b = append(b, id...)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, '}')
}
