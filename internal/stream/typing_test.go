package stream

import (
	"sync"
	"testing"
	"time"
)

// relays records what a gate passes on.
type relays struct {
	mu  sync.Mutex
	got []bool
}

func (r *relays) relay(on bool) {
	r.mu.Lock()
	r.got = append(r.got, on)
	r.mu.Unlock()
}

func (r *relays) list() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bool(nil), r.got...)
}

func TestTypingGate(t *testing.T) {
	const every = 100 * time.Millisecond
	t.Run("a state that reached nobody does not hold back the next", func(t *testing.T) {
		// The visitor types before their first message (nobody to tell),
		// sends it, and types again within the interval: that "on" must
		// go when the time is up, not be taken for one already sent.
		var r relays
		var g *TypingGate
		delivered := false
		g = NewTypingGate(every, func(on bool) {
			if !delivered {
				g.Forget()
				return
			}
			r.relay(on)
		})
		g.Set(true)
		g.Set(false)
		delivered = true // the first message is in
		g.Set(true)
		time.Sleep(every + 50*time.Millisecond)
		if got := r.list(); len(got) != 1 || got[0] != true {
			t.Fatalf("after the wait: %v, want [true]", got)
		}
	})
	t.Run("a flood of changes passes on the first and, when its time is up, the last", func(t *testing.T) {
		var r relays
		g := NewTypingGate(every, r.relay)
		for i := range 1000 {
			g.Set(i%2 == 0)
		}
		g.Set(false)
		if got := r.list(); len(got) != 1 || got[0] != true {
			t.Fatalf("at once: %v, want [true]", got)
		}
		time.Sleep(every + 50*time.Millisecond)
		if got := r.list(); len(got) != 2 || got[1] != false {
			t.Fatalf("after the wait: %v, want [true false]", got)
		}
		if g.Idle() {
			t.Error("a gate that just passed a state on is idle")
		}
		time.Sleep(every)
		if !g.Idle() {
			t.Error("a gate whose last state was off, an interval ago, is not idle")
		}
	})
	t.Run("a repeated on is a keep-alive, passed on once per interval; a repeated off never", func(t *testing.T) {
		var r relays
		g := NewTypingGate(every, r.relay)
		g.Set(true)
		g.Set(true)
		time.Sleep(every + 10*time.Millisecond)
		g.Set(true)
		g.Set(false)
		time.Sleep(every + 50*time.Millisecond)
		g.Set(false)
		g.Set(false)
		if got := r.list(); len(got) != 3 || !got[0] || !got[1] || got[2] {
			t.Fatalf("relayed %v, want [true true false]", got)
		}
	})
	t.Run("the first frame goes, even off", func(t *testing.T) {
		var r relays
		NewTypingGate(every, r.relay).Set(false)
		if got := r.list(); len(got) != 1 || got[0] {
			t.Fatalf("relayed %v, want [false]", got)
		}
	})
	t.Run("a stopped gate passes nothing on", func(t *testing.T) {
		var r relays
		g := NewTypingGate(every, r.relay)
		g.Set(true)
		g.Set(false) // waits for its time
		g.Stop()
		g.Set(true)
		time.Sleep(every + 50*time.Millisecond)
		if got := r.list(); len(got) != 1 {
			t.Fatalf("relayed %v, want only the first", got)
		}
	})
}

func TestQuota(t *testing.T) {
	var q Quota
	a, b := Cap{"a", 2}, Cap{"b", 3}
	for i := range 2 {
		if !q.Take(a, b) {
			t.Fatalf("take %d under the caps refused", i+1)
		}
	}
	if q.Take(a, b) {
		t.Fatal("a take past a's cap allowed")
	}
	if q.Open("b") != 2 {
		t.Errorf("b holds %d after a refused take, want 2 (nothing counted)", q.Open("b"))
	}
	third := q.Take(b)
	fourth := q.Take(b)
	if !third || fourth {
		t.Error("b's cap of 3 not kept")
	}
	q.Release(a, b)
	if !q.Take(a, Cap{"c", 0}) {
		t.Error("a released place not reusable")
	}
	q.Release(a, b)
	q.Release(a, b)
	q.Release(Cap{"c", 0})
	q.Release(b)
	if len(q.open) != 0 {
		t.Errorf("released keys still held: %v", q.open)
	}
}
