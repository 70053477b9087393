package widgetapi

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestSendQueueStoresInOrderAndPushesBack(t *testing.T) {
	var mu sync.Mutex
	var stored []string
	release := make(chan struct{})
	q := &sendQueue{store: func(p pendingSend) {
		<-release // the database is busy
		mu.Lock()
		stored = append(stored, p.clientID)
		mu.Unlock()
	}}
	// One is taken by the storing goroutine at once; maxQueued more wait.
	accepted := 0
	for i := range maxQueued + 5 {
		if q.push(pendingSend{clientID: fmt.Sprint(i)}) {
			accepted++
		}
		if i == 0 {
			time.Sleep(20 * time.Millisecond) // let the goroutine take the first
		}
	}
	if accepted != maxQueued+1 {
		t.Errorf("accepted %d sends while the database was busy, want %d (the rest pushed back)", accepted, maxQueued+1)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(stored)
		mu.Unlock()
		if n == accepted || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stored) != accepted {
		t.Fatalf("stored %d, want %d", len(stored), accepted)
	}
	for i, id := range stored {
		if id != fmt.Sprint(i) {
			t.Fatalf("stored order %v, want the order sent", stored)
		}
	}
	q.mu.Lock()
	running, items := q.running, q.items
	q.mu.Unlock()
	if running || items != nil {
		t.Errorf("after draining: running %v, %d items kept; want no goroutine and no buffer", running, len(items))
	}
	// A later send starts a new goroutine.
	done := make(chan struct{})
	q.store = func(pendingSend) { close(done) }
	q.push(pendingSend{clientID: "later"})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a send after the queue drained was never stored")
	}
}
