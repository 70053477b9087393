package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/buildinfo"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/testdb"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Logs at debug level never hold message text, contact details, passwords
// or tokens, even when requests fail.
func TestLogsHoldNoMessageTextNorSecrets(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := server.New(server.Opts{DB: testdb.Open(t), Logger: log})
	hs := httptest.NewServer(srv.Handler)
	defer hs.Close()
	e := &apitest.Env{T: t, URL: hs.URL, Server: srv, HTTP: hs}

	ctx := context.Background()
	const password = "Sup3rSecretPassw0rd"
	acc, _, err := srv.Accounts.Create(ctx, "Shop", agent.NewAgent{Email: "ann@example.com", Password: password, Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	token := e.Login("ann@example.com", password)
	e.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.com", "password": "Wrong-" + password})
	v := e.NewVisitor(apitest.Account{ID: acc.ID, WidgetKey: acc.WidgetKey})
	secretText := "my address is 12 Secret Street"
	m := e.VisitorSays(v, secretText)
	conv := m["conversation_id"].(string)
	e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"text": "Reply with private words", "kind": "note"})
	e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+v.ContactID, token, map[string]string{"email": "hidden.person@example.org"})
	ws, _, err := e.Dial("/widget/v1/stream?token="+v.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Write(ws, map[string]string{"type": "message.send", "client_id": "x1", "text": "socket secret words"})
	apitest.Read(ws, 5*time.Second)
	ws.CloseNow()
	e.Do("GET", "/api/v1/stream?token="+token, "", nil)
	// The socket's close is logged by its handler once it notices; wait
	// for it rather than guess how long that takes on a busy machine.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "visitor_stream_closed") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	out := logs.String()
	if !strings.Contains(out, "visitor_stream_closed") {
		t.Fatalf("the visitor socket's close was not logged; the test would prove little:\n%s", out)
	}
	for _, secret := range []string{password, token, v.Token, "Secret Street", "private words", "hidden.person", "socket secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}

// /metrics reports requests with latencies, open sockets and stored messages.
func TestMetricsReportTraffic(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	e.VisitorSays(v, "hello")
	e.VisitorSays(v, "again")
	ws, _, err := e.Dial("/widget/v1/stream?token="+v.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// The socket is counted once the handler runs; an ack proves it does.
	apitest.Write(ws, map[string]string{"type": "message.send", "client_id": "m3", "text": "third"})
	for {
		f, err := apitest.Read(ws, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == "ack" {
			break
		}
	}
	body := string(e.Must(http.StatusOK, "GET", "/metrics", "", nil).Body)
	build := buildinfo.Read()
	for _, want := range []string{
		"parley_messages_stored_total 3",
		`parley_websockets_open{kind="visitor"} 1`,
		`parley_http_requests_total{code="201",route="POST /widget/v1/messages"} 2`,
		`parley_http_request_duration_seconds_count{route="POST /widget/v1/session"} 1`,
		`parley_db_write_duration_seconds_bucket{le="1"}`,
		"parley_db_write_duration_seconds_count ",
		"parley_db_log_restarts_total ",
		fmt.Sprintf(`parley_build_info{commit=%q,go_version=%q,version=%q} 1`, build.Commit, build.GoVersion, build.Version),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The database writes waited for: at least the three messages.
	var writes int
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, "parley_db_write_duration_seconds_count "); ok {
			writes, _ = strconv.Atoi(v)
		}
	}
	if writes < 3 {
		t.Errorf("parley_db_write_duration_seconds_count = %d, want at least the 3 messages' writes", writes)
	}
}
