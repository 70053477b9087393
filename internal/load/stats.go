package load

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Counters of a run; names are their keys in the JSON report.
type counter int

const (
	cSessions counter = iota
	cSessionErrors
	cConnects
	cConnectErrors
	cOpen // sockets open now (a gauge)
	cDropped
	cSent
	cAcked
	cErrorFrames
	cDelivered
	cMissing
	cUnacked
	cOrderErrors
	cResets
	cRepliesSent
	cRepliesOK
	cReplyErrors
	cRepliesDelivered
	cRepliesMissing
	cReconnects
	cResumed
	cAwaySent
	cAwayMissing
	cReplayedOld
	cStored
	cStoreMissing
	cStoreDuplicates
	cHTTPErrors
	numCounters
)

var counterNames = [numCounters]string{
	cSessions: "sessions", cSessionErrors: "session_errors", cConnects: "connects", cConnectErrors: "connect_errors",
	cOpen: "open", cDropped: "dropped", cSent: "sent", cAcked: "acked", cErrorFrames: "error_frames",
	cDelivered: "delivered", cMissing: "missing_deliveries", cUnacked: "unacked", cOrderErrors: "order_errors",
	cResets: "resets", cRepliesSent: "replies_sent", cRepliesOK: "replies_ok", cReplyErrors: "reply_errors",
	cRepliesDelivered: "replies_delivered", cRepliesMissing: "replies_missing", cReconnects: "reconnects",
	cResumed: "resumed", cAwaySent: "away_sent", cAwayMissing: "away_missing", cReplayedOld: "replayed_old",
	cStored: "verified_stored", cStoreMissing: "verify_missing", cStoreDuplicates: "verify_duplicates",
	cHTTPErrors: "http_errors",
}

// Latency histograms of a run.
type histID int

const (
	hAck histID = iota
	hAgent
	hReplyHTTP
	hReplyVisitor
	hConnect
	hResume
	numHists
)

var histNames = [numHists]string{
	hAck: "send_to_ack", hAgent: "send_to_agent", hReplyHTTP: "reply_http", hReplyVisitor: "reply_to_visitor",
	hConnect: "connect", hResume: "reconnect_to_resumed",
}

// Stats are the live figures of one process's share of a run.
type Stats struct {
	counters [numCounters]atomic.Int64
	hists    [numHists]Hist

	mu     sync.Mutex
	errors map[string]int64 // kind of error -> count
}

func newStats() *Stats { return &Stats{errors: make(map[string]int64)} }

func (s *Stats) add(c counter, n int64) { s.counters[c].Add(n) }
func (s *Stats) inc(c counter)          { s.counters[c].Add(1) }
func (s *Stats) get(c counter) int64    { return s.counters[c].Load() }

func (s *Stats) record(h histID, d time.Duration) { s.hists[h].Record(d) }

// fail counts an error of the given kind ("ack timeout", "error frame
// rate_limited", ...); the report lists kinds with their counts.
func (s *Stats) fail(kind string) {
	s.mu.Lock()
	if len(s.errors) < 200 || s.errors[kind] > 0 {
		s.errors[kind]++
	} else {
		s.errors["other"]++
	}
	s.mu.Unlock()
}

// errorsAdd counts n errors of one kind.
func (s *Stats) errorsAdd(kind string, n int64) {
	s.mu.Lock()
	s.errors[kind] += n
	s.mu.Unlock()
}

// Snapshot is the JSON form of Stats, also sent by worker processes.
type Snapshot struct {
	Counters map[string]int64    `json:"counters"`
	Hists    map[string]HistSnap `json:"latency"`
	Errors   map[string]int64    `json:"errors,omitempty"`
}

func (s *Stats) snapshot() Snapshot {
	out := Snapshot{Counters: make(map[string]int64, numCounters), Hists: make(map[string]HistSnap, numHists)}
	for i := range s.counters {
		out.Counters[counterNames[i]] = s.counters[i].Load()
	}
	for i := range s.hists {
		out.Hists[histNames[i]] = s.hists[i].Snapshot()
	}
	s.mu.Lock()
	if len(s.errors) > 0 {
		out.Errors = make(map[string]int64, len(s.errors))
		for k, v := range s.errors {
			out.Errors[k] = v
		}
	}
	s.mu.Unlock()
	return out
}

// merge adds snapshots of several processes.
func merge(snaps ...Snapshot) Snapshot {
	out := Snapshot{Counters: map[string]int64{}, Hists: map[string]HistSnap{}, Errors: map[string]int64{}}
	for _, s := range snaps {
		for k, v := range s.Counters {
			out.Counters[k] += v
		}
		for k, v := range s.Hists {
			out.Hists[k] = out.Hists[k].Add(v)
		}
		for k, v := range s.Errors {
			out.Errors[k] += v
		}
	}
	return out
}

// errorTotal counts every failure the run saw.
func (s Snapshot) errorTotal() int64 {
	var n int64
	for _, v := range s.Errors {
		n += v
	}
	return n
}

func (s Snapshot) errorKinds() []string {
	kinds := make([]string, 0, len(s.Errors))
	for k := range s.Errors {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return s.Errors[kinds[i]] > s.Errors[kinds[j]] })
	return kinds
}
