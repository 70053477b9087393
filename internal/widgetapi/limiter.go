package widgetapi

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// bucketLimiter is a token bucket per key (a visitor, an address): rate
// tokens a second up to burst. Buckets that have refilled are forgotten,
// so memory stays bounded by the keys active in the last few minutes. A
// check takes one lock and one map lookup: no allocation once a key's
// bucket exists, no database.
type bucketLimiter[K comparable] struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[K]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// newBucketLimiter allows burst at once and one more every `every`.
func newBucketLimiter[K comparable](every time.Duration, burst int) *bucketLimiter[K] {
	return &bucketLimiter[K]{rate: 1 / every.Seconds(), burst: float64(burst), buckets: make(map[K]*bucket)}
}

// perMinute is the refill interval of n tokens a minute.
func perMinute(n int) time.Duration { return time.Minute / time.Duration(n) }

// allow takes a token for key, or reports how long until one is free.
func (l *bucketLimiter[K]) allow(key K, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		full := time.Duration(l.burst / l.rate * float64(time.Second))
		for k, b := range l.buckets {
			if now.Sub(b.at) > full {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// network is the part of a client address limits count by: the address
// for IPv4, its /64 for IPv6 (one subscriber's share; anyone holding one
// address of it holds them all).
func network(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a.Unmap()
}

// rareLog logs each failure condition at most once a minute: when storage
// fails (a full disk) every frame of every socket fails the same way, and
// a line for each would bury the log, and fill the disk further.
type rareLog struct {
	log  *slog.Logger
	mu   sync.Mutex
	last map[string]rareEntry
}

type rareEntry struct {
	at      time.Time
	skipped int
}

// error logs msg at level ERROR unless it was logged in the last minute;
// the line counts the ones left out before it (suppressed).
func (r *rareLog) error(msg string, args ...any) { r.at(slog.LevelError, msg, args...) }

// warn is error at level WARN.
func (r *rareLog) warn(msg string, args ...any) { r.at(slog.LevelWarn, msg, args...) }

func (r *rareLog) at(level slog.Level, msg string, args ...any) {
	now := time.Now()
	r.mu.Lock()
	if r.last == nil {
		r.last = make(map[string]rareEntry)
	}
	e, seen := r.last[msg]
	if seen && now.Sub(e.at) < time.Minute {
		e.skipped++
		r.last[msg] = e
		r.mu.Unlock()
		return
	}
	r.last[msg] = rareEntry{at: now}
	r.mu.Unlock()
	r.log.Log(context.Background(), level, msg, append(args, "suppressed", e.skipped)...)
}
