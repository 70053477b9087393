package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercentKeepsHeadroomOnSmallHeaps(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		live uint64
		want int
	}{
		{0, gcPercentMax},         // nothing live yet
		{4 * mib, gcPercentMax},   // 48 MiB would be 1,200%: capped
		{24 * mib, 200},           // 48 MiB of garbage between collections
		{64 * mib, 75},            // still 48 MiB
		{96 * mib, gcPercentMin},  // 48 MiB is exactly 50%
		{400 * mib, gcPercentMin}, // many idle sockets: collect at 1.5×
		{1 << 40, gcPercentMin},   // huge heaps never go below the floor
		{24*mib + 1, 200},         // rounds up, never below the headroom
	}
	for _, c := range cases {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live/mib, got, c.want)
		}
	}
}

func TestTuneGCSetsThePercentAndStops(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	// A test binary's live heap is a few MiB: the headroom rule raises
	// GOGC well above Go's default 100.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tuneGC(ctx); close(done) }()
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		metrics.Read(gogc)
		p := gogc[0].Value.Uint64()
		if p > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d after 5 s, want the small-heap setting above 100", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("tuneGC did not return after its context ended")
	}
}
