package stream

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// maskedText is a client's text frame (clients must mask).
func maskedText(payload string) []byte {
	key := [4]byte{1, 2, 3, 4}
	f := []byte{0x81, 0x80 | byte(len(payload)), key[0], key[1], key[2], key[3]}
	for i := 0; i < len(payload); i++ {
		f = append(f, payload[i]^key[i%4])
	}
	return f
}

// A client may send frames right behind its upgrade request, before it has
// read the 101; bytes the server read early must not be lost when the small
// buffers replace net/http's.
func TestAcceptKeepsFramesSentWithTheUpgrade(t *testing.T) {
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := Accept(w, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer ws.CloseNow()
		for range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, data, err := ws.Read(ctx)
			cancel()
			if err != nil {
				t.Errorf("read: %v", err)
				return
			}
			got <- string(data)
		}
	}))
	defer srv.Close()

	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	upgrade := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	long := strings.Repeat("x", 100)
	// One write: the request, a frame, and a second frame.
	if _, err := conn.Write(append(append([]byte(upgrade), maskedText("first")...), maskedText(long)...)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade = %v, %v; want 101", res, err)
	}
	for _, want := range []string{"first", long} {
		select {
		case s := <-got:
			if s != want {
				t.Errorf("frame = %q, want %q", s, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %q never arrived", want)
		}
	}
}

func TestAcceptedSocketWorksBothWays(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(MaxFrame)
		ctx := context.Background()
		for {
			typ, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			if err := ws.Write(ctx, typ, data); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	// Frames smaller and larger than the 512-byte buffers, up to 64 KiB.
	for _, n := range []int{1, 511, 512, 513, 4096, 64 << 10} {
		msg := strings.Repeat("a", n)
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, echo, err := c.Read(ctx)
		if err != nil || string(echo) != msg {
			t.Fatalf("echo of %d bytes = %d bytes, %v", n, len(echo), err)
		}
	}
}
