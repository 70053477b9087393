package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// liveRequests counts the requests being served, to say at shutdown how many
// were cut off. Sockets are not among them: their handlers return once
// they are accepted.
type liveRequests struct {
	n atomic.Int64
	h http.Handler
}

func (f *liveRequests) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.n.Add(1)
	defer f.n.Add(-1)
	f.h.ServeHTTP(w, r)
}

// shutdown stops hs gracefully within timeout: it stops accepting, closes
// every WebSocket with 1012 so clients reconnect elsewhere at once (hs's
// OnShutdown), lets in-flight requests finish and sockets end their close
// (a message being stored is stored and acknowledged), then cuts off what
// is left and says so.
func shutdown(hs *http.Server, requests *liveRequests, sockets func() int, timeout time.Duration, log *slog.Logger) {
	start := time.Now()
	log.Info("shutting_down", "timeout", timeout.String(), "requests", requests.n.Load(), "sockets", sockets())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := hs.Shutdown(ctx)
	for sockets() > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n, open := requests.n.Load(), sockets(); err != nil || n > 0 || open > 0 {
		log.Warn("shutdown_cut_off", "timeout", timeout.String(), "requests", n, "sockets", open,
			"hint", "these requests and sockets did not finish in time; raise --shutdown-timeout to give them longer")
		hs.Close()
	}
	log.Info("shut_down", "took", time.Since(start).Round(time.Millisecond).String())
}
