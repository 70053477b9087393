package agent

import (
	"sync"
	"time"
)

// failLimiter counts failed logins per key (an address or an email) in a
// sliding window. Successful logins are not counted.
type failLimiter struct {
	mu     sync.Mutex
	window time.Duration
	fails  map[string][]time.Time
	sweep  time.Time
}

func newFailLimiter(window time.Duration) *failLimiter {
	return &failLimiter{window: window, fails: make(map[string][]time.Time)}
}

// blocked reports whether key has max or more failures in the window, and
// when the oldest of them leaves it.
func (l *failLimiter) blocked(key string, max int, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.prune(key, now)
	if len(f) < max {
		return false, 0
	}
	return true, f[len(f)-max].Add(l.window).Sub(now)
}

func (l *failLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.prune(key, now), now)
	if now.Sub(l.sweep) > l.window {
		// Forget idle keys now and then so the map stays bounded.
		for k := range l.fails {
			l.prune(k, now)
		}
		l.sweep = now
	}
}

func (l *failLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

func (l *failLimiter) prune(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = f
	return f
}
