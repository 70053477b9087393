package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
)

// BenchmarkVisitorMessage stores visitor messages end to end — HTTP handler,
// masking, group commit (durable), event fan-out to an agent stream's
// subscription — with 64 concurrent senders, each its own visitor.
//
//	go test -run=NONE -bench=VisitorMessage -benchtime=20000x ./internal/server/
func BenchmarkVisitorMessage(b *testing.B) {
	const senders = 64
	e := apitest.New(b, apitest.Options{VisitorMessagesPerMinute: 1 << 30, VisitorBurst: 1 << 30})
	acc := e.NewAccount()
	tokens := make([]string, senders)
	for i := range tokens {
		tokens[i] = e.NewVisitor(acc).Token
	}
	// An agent's stream subscription receives every event, as a dashboard would.
	sub := e.Server.Hub.SubscribeAgent(acc.ID)
	defer sub.Close()
	var delivered atomic.Int64
	go func() {
		for range sub.C {
			delivered.Add(1)
		}
	}()
	var next, seq atomic.Int64
	b.SetParallelism((senders + 1) / 2) // 2 cores × 32 = 64 goroutines
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		token := tokens[int(next.Add(1)-1)%senders]
		for pb.Next() {
			n := seq.Add(1)
			body := fmt.Sprintf(`{"text":"Hello, is the blue one in stock? %d","client_id":"b-%d"}`, n, n)
			req := httptest.NewRequest(http.MethodPost, "/widget/v1/messages", bytes.NewBufferString(body))
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			e.Server.Handler.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkVisitorSocketMessage is the chat scenario's hot path over real
// WebSockets: visitors of several accounts send on their sockets and wait
// for each ack (stored durably), while two agent sockets per account
// receive every event. The clients run in the same process.
//
//	go test -run=NONE -bench=VisitorSocketMessage -benchtime=20000x ./internal/server/
func BenchmarkVisitorSocketMessage(b *testing.B) {
	const accounts, visitorsPer, agentsPer = 8, 8, 2
	e := apitest.New(b, apitest.Options{VisitorMessagesPerMinute: 1 << 30, VisitorBurst: 1 << 30})
	type sender struct {
		ws *websocket.Conn
	}
	var senders []sender
	var delivered atomic.Int64
	for range accounts {
		acc := e.NewAccount()
		for range agentsPer {
			ws := e.AgentStream(acc.ID, acc.OwnerToken)
			go func() {
				for {
					if _, _, err := ws.Read(context.Background()); err != nil {
						return
					}
					delivered.Add(1)
				}
			}()
		}
		for range visitorsPer {
			senders = append(senders, sender{e.VisitorStream(acc.ID, e.NewVisitor(acc))})
		}
	}
	var next, seq atomic.Int64
	b.SetParallelism((len(senders) + 1) / 2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := senders[int(next.Add(1)-1)%len(senders)]
		ctx := context.Background()
		for pb.Next() {
			n := seq.Add(1)
			id := fmt.Sprintf("s-%d", n)
			frame := fmt.Sprintf(`{"type":"message.send","client_id":%q,"text":"Hello, is the blue one in stock? %d"}`, id, n)
			if err := s.ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
				b.Error(err)
				return
			}
			for {
				_, data, err := s.ws.Read(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				if bytes.Contains(data, []byte(`"type":"ack"`)) && bytes.Contains(data, []byte(`"client_id":"`+id+`"`)) {
					break
				}
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
