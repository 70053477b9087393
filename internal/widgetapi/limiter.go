package widgetapi

import (
	"sync"
	"time"
)

// bucketLimiter is a token bucket per visitor: rate tokens a second up to
// burst. Idle buckets are forgotten so memory stays bounded.
type bucketLimiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newBucketLimiter(perMinute, burst int) *bucketLimiter {
	return &bucketLimiter{rate: float64(perMinute) / 60, burst: float64(burst), buckets: make(map[string]*bucket)}
}

// allow takes a token for key, or reports how long until one is free.
func (l *bucketLimiter) allow(key string, now time.Time) (bool, time.Duration) {
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
