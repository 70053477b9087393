package stream

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

// bufSize is the read and write buffer of a socket. net/http hands a
// hijacked connection over with 4 KiB buffers each; an idle chat box holds
// its socket for hours, and frames are small (a larger frame is read and
// written through the buffer, not into it), so 512 bytes each save about
// 7 KiB per connection — a third of what an idle socket costs.
const bufSize = 512

// Socket is an accepted WebSocket whose writes can be gathered into bursts
// (see burstWriter).
type Socket struct {
	*websocket.Conn
	out *burstWriter
}

// Accept upgrades the request to a WebSocket with small buffers.
func Accept(w http.ResponseWriter, r *http.Request, opts *websocket.AcceptOptions) (*Socket, error) {
	sb := &smallBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(sb, r, opts)
	if err != nil {
		return nil, err
	}
	return &Socket{Conn: ws, out: sb.out}, nil
}

// smallBuffers hijacks with small buffers in place of net/http's, writing
// through a burstWriter.
type smallBuffers struct {
	http.ResponseWriter
	out *burstWriter
}

func (s *smallBuffers) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, bufSize)
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent after its upgrade request, already read:
		// they must sit in the new buffer, where websocket.Accept looks.
		b, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn), max(bufSize, n))
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	s.out = &burstWriter{conn: conn}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(s.out, bufSize)), nil
}

type lifetimeKey struct{}

// WithLifetime marks ctx, the server's base context, as the lifetime of the
// streams it serves: a stream outlives the HTTP handler that accepted it
// (the handler returns, so its goroutine, stack and request are freed) and
// ends when this context does — on shutdown.
func WithLifetime(ctx context.Context) context.Context {
	return context.WithValue(ctx, lifetimeKey{}, ctx)
}

// Lifetime returns the context a stream accepted with r lives in: the
// server's (see WithLifetime), else one that never ends.
func Lifetime(r *http.Request) context.Context {
	if ctx, ok := r.Context().Value(lifetimeKey{}).(context.Context); ok {
		return ctx
	}
	return context.Background()
}
