package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The server's garbage collector runs at GOGC=50 (collect at 1.5× the live
// heap) when much is live: a chat server's memory is mostly what its idle
// sockets keep alive, and 50 holds 19,000 idle sockets in under 16 KiB each
// (parley load idle). When little is live, as under a burst of messages
// on few sockets, 50 would collect many times a second for a heap of a few
// tens of MiB; there the collector is given at least gcHeadroom of garbage
// between collections instead, which costs a few tens of MiB and saves
// most of its CPU. GOGC in the environment turns this off.
const (
	gcPercentMin = 50
	gcPercentMax = 400
	gcHeadroom   = 48 << 20
	gcEvery      = 500 * time.Millisecond
)

// gcPercentFor returns the GOGC for a live heap of live bytes: gcPercentMin,
// or more so that the heap may grow by at least gcHeadroom, at most
// gcPercentMax.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return gcPercentMax
	}
	p := int((gcHeadroom*100 + live - 1) / live)
	return min(max(p, gcPercentMin), gcPercentMax)
}

// tuneGC sets GOGC from the live heap until ctx ends; it changes the
// setting only when it moved by more than a tenth.
func tuneGC(ctx context.Context) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := -1
	t := time.NewTicker(gcEvery)
	defer t.Stop()
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			p := gcPercentFor(sample[0].Value.Uint64())
			if current < 0 || p*10 < current*9 || p*10 > current*11 {
				debug.SetGCPercent(p)
				current = p
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
