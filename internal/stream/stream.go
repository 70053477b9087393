// Package stream runs one real-time WebSocket connection: it replays and
// follows the event log for the client, passes the client's frames to a
// handler, and keeps the connection alive.
package stream

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/event"
)

// MaxFrame bounds a client frame (64 KiB).
const MaxFrame = 64 << 10

const (
	pingEvery    = 30 * time.Second
	recheckEvery = 15 * time.Second
	writeTimeout = 10 * time.Second
	// outboxSize bounds the acks and errors waiting to be written.
	outboxSize = 8
)

// Conn is one open stream.
type Conn struct {
	ws     *websocket.Conn
	outbox chan []byte
	done   <-chan struct{}
}

// Send queues a frame (an ack, an error) for the client. It runs on the
// reader goroutine, so a full outbox holds back reading the client's next
// frame — a client that sends faster than it reads is slowed, not answered
// less; only one that does not read at all (writeTimeout) loses frames,
// and its connection then times out.
func (c *Conn) Send(frame []byte) {
	select {
	case c.outbox <- frame:
		return
	default:
	}
	t := time.NewTimer(writeTimeout)
	defer t.Stop()
	select {
	case c.outbox <- frame:
	case <-t.C:
	case <-c.done:
	}
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
}

// Serve runs the connection until the client leaves or ctx ends.
func Serve(ctx context.Context, ws *websocket.Conn, f *event.Follower, o Options) error {
	handle := o.Handle
	ws.SetReadLimit(MaxFrame)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &Conn{ws: ws, outbox: make(chan []byte, outboxSize), done: ctx.Done()}

	readErr := make(chan error, 1)
	go func() {
		defer cancel()
		for {
			typ, data, err := ws.Read(ctx)
			if err != nil {
				readErr <- err
				return
			}
			if typ != websocket.MessageText {
				c.Send(ErrorFrame("", "bad_request", "frames must be JSON text"))
				continue
			}
			handle(ctx, c, data)
		}
	}()

	write := func(frame []byte) error {
		wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
		defer wcancel()
		return ws.Write(wctx, websocket.MessageText, frame)
	}
	err := o.Begin
	if err == nil {
		err = f.Replay(ctx, write)
	}
	if err != nil {
		if errors.Is(err, event.ErrReset) {
			write(event.ResetFrame)
			ws.Close(websocket.StatusNormalClosure, "reset")
			return nil
		}
		ws.Close(websocket.StatusInternalError, "could not replay events")
		return err
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	if o.RecheckEvery <= 0 {
		o.RecheckEvery = recheckEvery
	}
	var recheckC <-chan time.Time // nil: never, for streams without a check
	if o.Authorized != nil {
		recheck := time.NewTicker(o.RecheckEvery)
		defer recheck.Stop()
		recheckC = recheck.C
	}
	for {
		var err error
		select {
		case e := <-f.Sub.C:
			err = f.Handle(ctx, e, write)
		case <-f.Sub.Lagged:
			err = f.Lagged(ctx, write)
		case frame := <-c.outbox:
			err = write(frame)
		case <-recheckC:
			if !o.Authorized(ctx) {
				ws.Close(websocket.StatusPolicyViolation, "signed out")
				return nil
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, writeTimeout)
			err = ws.Ping(pctx)
			pcancel()
		case <-ctx.Done():
			err = <-readErr
			var ce websocket.CloseError
			if errors.As(err, &ce) || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if err != nil {
			ws.Close(websocket.StatusGoingAway, "")
			return err
		}
	}
}

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
