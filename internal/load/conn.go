package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// dialer opens WebSockets from several loopback source addresses
// (127.0.0.1, 127.0.0.2, …): one source address and destination can hold
// only about 28,000 connections (the ephemeral port range).
type dialer struct {
	ws      string // ws://host:port
	clients []*http.Client
	next    atomic.Uint64
}

func newDialer(base string, sources int) *dialer {
	u, _ := url.Parse(base)
	d := &dialer{ws: "ws" + strings.TrimPrefix(base, "http")}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		sources = 1 // ::1 has a single address
	}
	for i := range sources {
		nd := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
		if sources > 1 {
			nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}
		}
		// Sockets are hijacked out of the transport after the upgrade, so
		// it pools nothing.
		tr := &http.Transport{DialContext: nd.DialContext, DisableCompression: true, MaxIdleConnsPerHost: -1}
		d.clients = append(d.clients, &http.Client{Transport: tr})
	}
	return d
}

// dialError is a refused or failed upgrade.
type dialError struct {
	status int
	err    error
}

func (e *dialError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return e.err.Error()
}

// dial opens a stream (path with its query string).
func (d *dialer) dial(ctx context.Context, path string) (*websocket.Conn, error) {
	c := d.clients[d.next.Add(1)%uint64(len(d.clients))]
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, d.ws+path, &websocket.DialOptions{HTTPClient: c})
	if err != nil {
		de := &dialError{err: err}
		if res != nil {
			de.status = res.StatusCode
		}
		return nil, de
	}
	ws.SetReadLimit(1 << 20)
	return ws, nil
}

func dialKind(err error) string {
	var de *dialError
	if errors.As(err, &de) && de.status != 0 {
		return fmt.Sprintf("connect: HTTP %d", de.status)
	}
	return errKind("connect", err)
}

// readFrames reads frames until the socket ends, handing each to handle;
// the slice is reused for the next frame. It also answers the server's
// pings (the library does while a read is pending).
func readFrames(ctx context.Context, ws *websocket.Conn, handle func([]byte)) error {
	var buf bytes.Buffer
	for {
		_, r, err := ws.Reader(ctx)
		if err != nil {
			return err
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return err
		}
		handle(buf.Bytes())
	}
}
