package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/database"
	parley "github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/testdb"
	"github.com/parley-chat/parley/internal/widgetapi"
)

// The hot paths the load tool's profiles point at, as benchmarks to
// compare with benchstat (docs/performance.md, "Known gaps"):
//
//	go test -run=NONE -bench=. -benchtime=5000x -count=6 ./internal/load/

// BenchmarkChatMessage sends visitor messages over real WebSockets and
// waits for each ack, while two agent sockets per account receive every
// message: the chat scenario's path (masking, the group-commit writer,
// fan-out to sockets) without the load tool's pacing. With many accounts
// and conversations the writer touches more of the database per batch.
func BenchmarkChatMessage(b *testing.B) {
	for _, size := range []struct{ accounts, visitors int }{{1, 64}, {32, 20}} {
		b.Run(fmt.Sprintf("accounts=%d/visitors=%d", size.accounts, size.visitors), func(b *testing.B) {
			benchChat(b, size.accounts, size.visitors)
		})
	}
}

func benchChat(b *testing.B, accounts, visitors int) {
	// Every visitor comes from this one address: lift the limits per
	// address, as the load tool does for the server it starts.
	e := apitest.New(b, apitest.Options{VisitorMessagesPerMinute: 1 << 30, VisitorBurst: 1 << 30,
		VisitorLimits: widgetapi.Limits{NewVisitorBurst: 1 << 20, SocketsPerAddress: 1 << 20}})
	ctx := context.Background()
	ws := "ws" + strings.TrimPrefix(e.URL, "http")
	var delivered atomic.Int64
	type sender struct {
		conn *websocket.Conn
		acks chan struct{}
	}
	var senders []*sender
	for range accounts {
		acc := e.NewAccount()
		for i := range 2 {
			ag := e.NewAgent(acc, "agent", fmt.Sprintf("Agent %d", i))
			c, _, err := websocket.Dial(ctx, ws+"/api/v1/stream?token="+ag.Token, nil)
			if err != nil {
				b.Fatal(err)
			}
			c.SetReadLimit(1 << 20)
			b.Cleanup(func() { c.CloseNow() })
			go readFrames(ctx, c, func(f []byte) {
				if fr, err := parseFrame(f); err == nil && string(fr.Type) == "message.created" {
					delivered.Add(1)
				}
			})
		}
		for range visitors {
			v := e.NewVisitor(acc)
			c, _, err := websocket.Dial(ctx, ws+"/widget/v1/stream?token="+v.Token, nil)
			if err != nil {
				b.Fatal(err)
			}
			c.SetReadLimit(1 << 20)
			b.Cleanup(func() { c.CloseNow() })
			s := &sender{conn: c, acks: make(chan struct{}, 1)}
			go readFrames(ctx, c, func(f []byte) {
				if fr, err := parseFrame(f); err == nil && string(fr.Type) == "ack" {
					s.acks <- struct{}{}
				}
			})
			senders = append(senders, s)
		}
	}
	var next, seq atomic.Int64
	b.SetParallelism((len(senders) + 1) / 2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := senders[int(next.Add(1)-1)%len(senders)]
		for pb.Next() {
			n := seq.Add(1)
			msg := fmt.Sprintf(`{"type":"message.send","client_id":"b%d","text":"Hello, is the blue one in stock? %d"}`, n, n)
			if err := s.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				b.Error(err)
				return
			}
			select {
			case <-s.acks:
			case <-time.After(30 * time.Second):
				b.Error("no ack within 30 s")
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkConversationCounts times GET /api/v1/conversations/counts and
// the Open list on an account with many conversations, seeded straight
// into SQLite as the database scenario does (SQLite only).
func BenchmarkConversationCounts(b *testing.B) {
	if os.Getenv(testdb.EnvURL) != "" {
		b.Skip("seeds SQLite directly")
	}
	const conversations = 100000
	ctx := context.Background()
	dir := b.TempDir()
	db, err := database.Open(ctx, database.Opts{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	srv := parley.New(parley.Opts{DB: db})
	hs := httptest.NewServer(srv.Handler)
	defer hs.Close()
	api := newAPIClient(hs.URL, 4)
	defer api.close()
	if _, _, err := srv.Accounts.Create(ctx, "Bench shop", agent.NewAgent{Email: "bench-owner@example.com", Password: "password123", Name: "Owner"}); err != nil {
		b.Fatal(err)
	}
	owner, _, err := api.login(ctx, "bench-owner@example.com", "password123")
	if err != nil {
		b.Fatal(err)
	}
	var acc struct {
		ID string `json:"id"`
	}
	if _, err := api.do(ctx, "GET", "/api/v1/account", owner, nil, &acc); err != nil {
		b.Fatal(err)
	}
	a := &Account{ID: acc.ID, ownerToken: owner}
	if err := addAgents(ctx, api, []*Account{a}, 4, "bench"); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, len(a.Agents))
	for i, ag := range a.Agents {
		ids[i] = ag.ID
	}
	cfg := Config{Conversations: conversations, MessagesPerConv: 2, OpenShare: 0.05, UnassignedShare: 0.2}
	if _, err := seedSQLite(ctx, filepath.Join(dir, "parley.db"), acc.ID, ids, cfg, nil, false); err != nil {
		b.Fatal(err)
	}
	for _, ep := range []struct{ name, path string }{
		{"counts", "/api/v1/conversations/counts"},
		{"open-mine", "/api/v1/conversations?status=open&view=mine"},
	} {
		path := ep.path
		b.Run(ep.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+a.Agents[0].Token)
				w := httptest.NewRecorder()
				srv.Handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
				}
			}
		})
	}
}
