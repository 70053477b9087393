package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

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
			// The client_id begins with the time, as the chat box's do.
			body := fmt.Sprintf(`{"text":"Hello, is the blue one in stock? %d","client_id":"%012x-b%d"}`, n, time.Now().UnixMilli(), n)
			req := httptest.NewRequest(http.MethodPost, "/widget/v1/messages", bytes.NewBufferString(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
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
