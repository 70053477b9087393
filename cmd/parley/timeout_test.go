package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSlowClientsAreCutButSocketsLive: with short read and write timeouts,
// a real parley serve cuts off a request whose body trickles in, while a
// WebSocket opened before stays usable well past both timeouts.
func TestSlowClientsAreCutButSocketsLive(t *testing.T) {
	sc := newShutdownClient(t, "PARLEY_READ_TIMEOUT=1s", "PARLEY_WRITE_TIMEOUT=2s")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(sc.srv.URL, "http")+"/widget/v1/stream?token="+sc.visitorToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()

	// A body that never arrives in full: the server gives up after the read
	// timeout, whatever it answers, and stores nothing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(sc.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /widget/v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"client_id\":\"slow\",", sc.visitorToken)
	go func() { // and then a byte now and then, as slowloris does
		for i := 0; i < 20; i++ {
			time.Sleep(300 * time.Millisecond)
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	took := time.Since(start)
	switch {
	case err == nil && res.StatusCode < 300:
		t.Errorf("a trickled body was answered %d, want it cut off", res.StatusCode)
	case took > 4*time.Second:
		t.Errorf("a trickled body was cut off after %v, want about the 1 s read timeout", took)
	}
	t.Logf("a trickled body was cut off after %v (%v)", took.Round(time.Millisecond), func() any {
		if err != nil {
			return err
		}
		return res.Status
	}())

	// The socket outlived both timeouts and still carries messages.
	if wait := 3*time.Second - time.Since(start); wait > 0 {
		time.Sleep(wait)
	}
	b, _ := json.Marshal(map[string]string{"type": "message.send", "client_id": "after-the-timeouts", "text": "still here"})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("the socket died with the request timeouts: %v", err)
	}
	for {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		_, data, err := ws.Read(rctx)
		rcancel()
		if err != nil {
			t.Fatalf("the socket died with the request timeouts: %v", err)
		}
		var f struct {
			Type     string `json:"type"`
			ClientID string `json:"client_id"`
		}
		json.Unmarshal(data, &f)
		if f.Type == "ack" && f.ClientID == "after-the-timeouts" {
			break
		}
	}
	c := newAPI(t, sc.srv.URL)
	var msgs struct {
		Items []message `json:"items"`
	}
	c.must(t, http.StatusOK, "GET", "/widget/v1/messages", sc.visitorToken, nil, &msgs)
	for _, m := range msgs.Items {
		if m.clientID() == "slow" {
			t.Errorf("the cut-off request stored %+v", m)
		}
	}
}
