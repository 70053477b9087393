package stream

import "sync"

// Quota counts a server's open sockets by key (a visitor, an address, a
// token, an account) so that none of them can hold more than its cap: a
// socket costs memory and a goroutine for as long as it stays open. The
// counts are this process's own; several nodes each count theirs.
type Quota struct {
	mu   sync.Mutex
	open map[string]int
}

// Cap is the most sockets one key may hold open; Max <= 0 is no cap.
type Cap struct {
	Key string
	Max int
}

// Take counts one more socket under every cap's key, or, when any key is
// already at its cap, none of them and reports false.
func (q *Quota) Take(caps ...Cap) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range caps {
		if c.Max > 0 && q.open[c.Key] >= c.Max {
			return false
		}
	}
	if q.open == nil {
		q.open = make(map[string]int)
	}
	for _, c := range caps {
		q.open[c.Key]++
	}
	return true
}

// Release uncounts a socket Take counted, with the same caps.
func (q *Quota) Release(caps ...Cap) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range caps {
		if n := q.open[c.Key]; n > 1 {
			q.open[c.Key] = n - 1
		} else {
			delete(q.open, c.Key) // a closed key keeps no entry
		}
	}
}

// Open reports how many sockets key holds open.
func (q *Quota) Open(key string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.open[key]
}
