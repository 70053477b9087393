package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/stream"
	"github.com/parley-chat/parley/internal/testdb"
)

// shutdownClient is a server with a signed-in owner and one visitor.
type shutdownClient struct {
	srv          *serverProcess
	owner        string
	visitorToken string
}

func newShutdownClient(t *testing.T, extra ...string) shutdownClient {
	t.Helper()
	srv := startServer(t, testdb.New(t), extra...)
	c := newAPI(t, srv.URL)
	owner := c.login(t, ownerEmail, ownerPassword)
	var acc struct {
		WidgetKey string `json:"widget_key"`
	}
	c.must(t, http.StatusOK, "GET", "/api/v1/account", owner, nil, &acc)
	var s struct {
		VisitorToken string `json:"visitor_token"`
	}
	c.must(t, http.StatusOK, "POST", "/widget/v1/session", "", map[string]string{"widget_key": acc.WidgetKey}, &s)
	return shutdownClient{srv: srv, owner: owner, visitorToken: s.VisitorToken}
}

// slowSend starts a visitor's POST /widget/v1/messages whose body arrives
// in two parts: the first now, the second when the returned function is
// called (or never: abort ends the body with an error). The answer's
// status (or -1) arrives on the channel.
func (sc shutdownClient) slowSend(t *testing.T, clientID string) (finish, abort func(), status <-chan int) {
	t.Helper()
	body := `{"client_id":"` + clientID + `","text":"sent while the server stops"}`
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", sc.srv.URL+"/widget/v1/messages", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Authorization", "Bearer "+sc.visitorToken)
	req.Header.Set("Content-Type", "application/json")
	out := make(chan int, 1)
	go func() {
		res, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			out <- -1
			return
		}
		res.Body.Close()
		out <- res.StatusCode
	}()
	pw.Write([]byte(body[:10]))
	return func() { pw.Write([]byte(body[10:])); pw.Close() }, func() { pw.CloseWithError(io.ErrUnexpectedEOF) }, out
}

// closeOf reads ws until it ends and returns how it was closed.
func closeOf(ws *websocket.Conn) <-chan error {
	out := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				out <- err
				return
			}
		}
	}()
	return out
}

func (s *serverProcess) waitExit(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(within):
		t.Fatalf("parley serve did not exit within %v of SIGTERM", within)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("parley serve exited with %d, want 0", code)
	}
}

// TestGracefulShutdown: on SIGTERM a real parley serve stops accepting,
// closes the dashboard's and the chat box's sockets with 1012 (service
// restart) so they reconnect at once, lets a request whose body is still
// arriving finish and store its message, and exits 0 in time.
func TestGracefulShutdown(t *testing.T) {
	sc := newShutdownClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(sc.srv.URL, "http")
	agentWS, _, err := websocket.Dial(ctx, wsURL+"/api/v1/stream?token="+sc.owner, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer agentWS.CloseNow()
	visitorWS, _, err := websocket.Dial(ctx, wsURL+"/widget/v1/stream?token="+sc.visitorToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer visitorWS.CloseNow()
	agentClosed, visitorClosed := closeOf(agentWS), closeOf(visitorWS)

	finish, _, status := sc.slowSend(t, "slow-1")
	time.Sleep(300 * time.Millisecond) // the request is in the handler, reading its body
	signalled := time.Now()
	if err := sc.srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for name, closed := range map[string]<-chan error{"agent": agentClosed, "visitor": visitorClosed} {
		select {
		case err := <-closed:
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusServiceRestart || ce.Reason != stream.RestartReason {
				t.Errorf("the %s socket ended with %v, want a 1012 close with reason %q", name, err, stream.RestartReason)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("the %s socket was not closed within 5 s of SIGTERM", name)
		}
	}
	t.Logf("sockets closed %v after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(sc.srv.URL, "http://"), time.Second); err == nil {
		conn.Close()
		t.Error("the server still accepts connections after SIGTERM")
	}
	select {
	case <-sc.srv.exited:
		t.Fatal("parley serve exited before its in-flight request finished")
	default:
	}
	finish()
	if got := <-status; got != http.StatusCreated {
		t.Errorf("the request in flight at SIGTERM answered %d, want 201", got)
	}
	sc.srv.waitExit(t, 10*time.Second)
	logs := sc.srv.logs.String()
	if !strings.Contains(logs, "msg=shutting_down") || !strings.Contains(logs, "msg=shut_down") || strings.Contains(logs, "shutdown_cut_off") {
		t.Errorf("the log does not tell of a clean shutdown:\n%s", tail(logs, 3000))
	}
}

// TestShutdownTimeoutCutsOffAndSaysSo: a request that does not finish
// within PARLEY_SHUTDOWN_TIMEOUT is cut off; the process exits in time and
// logs what it cut off.
func TestShutdownTimeoutCutsOffAndSaysSo(t *testing.T) {
	sc := newShutdownClient(t, "PARLEY_SHUTDOWN_TIMEOUT=1s")
	_, abort, status := sc.slowSend(t, "never-finished")
	time.Sleep(300 * time.Millisecond)
	signalled := time.Now()
	if err := sc.srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sc.srv.waitExit(t, 5*time.Second)
	if took := time.Since(signalled); took < time.Second {
		t.Errorf("parley serve exited %v after SIGTERM, before the 1 s the request had", took)
	}
	abort() // the client's transport waits for its body before it reports the closed connection
	if got := <-status; got != -1 {
		t.Errorf("the cut-off request answered %d, want no answer", got)
	}
	if logs := sc.srv.logs.String(); !strings.Contains(logs, "msg=shutdown_cut_off") || !strings.Contains(logs, "requests=1") {
		t.Errorf("the log does not say a request was cut off:\n%s", tail(logs, 3000))
	}
}
