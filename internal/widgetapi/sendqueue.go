package widgetapi

import "sync"

// maxQueued bounds the messages one chat box socket may have waiting to be
// stored; beyond it a send is refused as "unavailable" (the chat box resends
// it shortly), which pushes back on a visitor while the database is busy.
const maxQueued = 32

// pendingSend is a message.send frame waiting to be stored.
type pendingSend struct{ clientID, text string }

// sendQueue stores one socket's messages in the order they were sent, on a
// goroutine that exists only while messages wait. The socket's reader only
// queues them, so it keeps reading — and answering the server's pings —
// however long the database takes; before, a busy database held the pongs
// back until the pings timed out and every socket was closed at once.
type sendQueue struct {
	mu      sync.Mutex
	items   []pendingSend
	running bool
	store   func(pendingSend)
}

// push queues p, starting the goroutine that stores if none runs; false
// when the queue is full.
func (q *sendQueue) push(p pendingSend) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) >= maxQueued {
		return false
	}
	q.items = append(q.items, p)
	if !q.running {
		q.running = true
		go q.drain()
	}
	return true
}

func (q *sendQueue) drain() {
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			q.running = false
			q.items = nil // an idle socket keeps no backing array
			q.mu.Unlock()
			return
		}
		p := q.items[0]
		q.items = q.items[1:]
		q.mu.Unlock()
		q.store(p)
	}
}
