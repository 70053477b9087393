package agent

import (
	"sync"
	"time"
)

// Limits are the sign-in throttles. They count failed attempts only, in a
// sliding window, and never lock an email: an attacker can slow the owner's
// sign-in down but not switch it off.
type Limits struct {
	// Window is how long a failure counts (15 min).
	Window time.Duration
	// PairFree is how many failures one address may make for one email
	// before each further attempt from it waits (5).
	PairFree int
	// PairDelay is the first such wait (1 s); each further failure doubles
	// it, up to PairMaxDelay (5 min).
	PairDelay    time.Duration
	PairMaxDelay time.Duration
	// PerAddress bounds the failures of one address over all emails (100).
	PerAddress int
	// EmailSlowAfter is how many failures of one email, from all addresses
	// together, put it at a slow pace (10): then an address that has failed
	// for it waits EmailSlowEvery (30 s) between attempts. An address that
	// has not failed for it (the owner's, usually) is let through at once.
	EmailSlowAfter int
	EmailSlowEvery time.Duration
}

// DefaultLimits are the limits of a server that sets none.
func DefaultLimits() Limits {
	return Limits{Window: 15 * time.Minute, PairFree: 5, PairDelay: time.Second, PairMaxDelay: 5 * time.Minute,
		PerAddress: 100, EmailSlowAfter: 10, EmailSlowEvery: 30 * time.Second}
}

// orDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *time.Duration }{{&l.Window, &d.Window}, {&l.PairDelay, &d.PairDelay}, {&l.PairMaxDelay, &d.PairMaxDelay}, {&l.EmailSlowEvery, &d.EmailSlowEvery}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *int }{{&l.PairFree, &d.PairFree}, {&l.PerAddress, &d.PerAddress}, {&l.EmailSlowAfter, &d.EmailSlowAfter}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// maxKept bounds the failures remembered per key; the limits look at fewer.
const maxKept = 1000

// loginLimiter keeps the recent failures per address+email, per address
// and per email. An attempt is recorded as a failure before its password
// is checked (so parallel attempts cannot all pass the check), and taken
// back when it succeeds.
type loginLimiter struct {
	mu     sync.Mutex
	limits Limits
	fails  map[string][]time.Time
	sweep  time.Time
}

func newLoginLimiter(l Limits) *loginLimiter {
	return &loginLimiter{limits: l.orDefaults(), fails: make(map[string][]time.Time)}
}

// attempt is a reserved sign-in attempt: a failure until released.
type attempt struct {
	pair, addr, email string
	at                time.Time
}

// reserve records a pending failure of addr for email at now, or, when the
// limits say wait, records nothing and returns how long.
func (l *loginLimiter) reserve(addr, email string, now time.Time) (*attempt, time.Duration) {
	a := &attempt{pair: "pair:" + addr + "|" + email, addr: "addr:" + addr, email: "email:" + email, at: now}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.limits
	pair, byAddr, byEmail := l.prune(a.pair, now), l.prune(a.addr, now), l.prune(a.email, now)
	var wait time.Duration
	later := func(until time.Time) {
		if d := until.Sub(now); d > wait {
			wait = d
		}
	}
	if n := len(pair); n >= lim.PairFree {
		delay := lim.PairMaxDelay
		if shift := n - lim.PairFree; shift < 20 {
			delay = min(lim.PairDelay<<shift, lim.PairMaxDelay)
		}
		later(pair[n-1].Add(delay))
	}
	if n := len(byAddr); n >= lim.PerAddress {
		later(byAddr[n-lim.PerAddress].Add(lim.Window))
	}
	if len(byEmail) >= lim.EmailSlowAfter && len(pair) > 0 {
		later(pair[len(pair)-1].Add(lim.EmailSlowEvery))
	}
	if wait > 0 {
		// Whole seconds, rounded up: a client that waits Retry-After
		// seconds is let through.
		return nil, (wait + time.Second - 1).Truncate(time.Second)
	}
	for _, k := range []string{a.pair, a.addr, a.email} {
		f := append(l.fails[k], now)
		if len(f) > maxKept {
			f = f[len(f)-maxKept:]
		}
		l.fails[k] = f
	}
	if now.Sub(l.sweep) > lim.Window {
		// Forget idle keys now and then so the map stays bounded.
		for k := range l.fails {
			l.prune(k, now)
		}
		l.sweep = now
	}
	return a, 0
}

// release takes back a reserved attempt that was not a failure: the
// password was right (the second factor may still be asked for).
func (l *loginLimiter) release(a *attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{a.pair, a.addr, a.email} {
		f := l.fails[k]
		for i := len(f) - 1; i >= 0; i-- {
			if f[i].Equal(a.at) {
				l.fails[k] = append(f[:i:i], f[i+1:]...)
				break
			}
		}
	}
}

// succeed releases a and forgets the earlier failures of its address for
// its email: whoever it is knows the password and the second factor.
func (l *loginLimiter) succeed(a *attempt) {
	l.release(a)
	l.mu.Lock()
	delete(l.fails, a.pair)
	l.mu.Unlock()
}

func (l *loginLimiter) prune(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.limits.Window {
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
