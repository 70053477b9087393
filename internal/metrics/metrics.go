// Package metrics exposes Parley's Prometheus metrics: requests and their
// latencies, open sockets, and stored messages.
package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/buildinfo"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/respond"
)

// Metrics holds the collectors of one server.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// Sockets counts open WebSockets by kind (agent, visitor).
	Sockets *prometheus.GaugeVec
	// tokenHash is the SHA-256 of the bearer token that may read the
	// metrics on the main address; nil: only direct loopback clients may.
	tokenHash []byte
}

// Opts configures New.
type Opts struct {
	// StoredMessages reports messages stored by this process.
	StoredMessages func() int64
	// Writer reports the database writer's work.
	Writer func() database.WriterStats
	// Build says which binary runs (parley_build_info).
	Build buildinfo.Info
	// Token, when set, lets a client that sends it as a bearer token read
	// the metrics on the main address.
	Token string
}

// New registers the collectors.
func New(opts Opts) *Metrics {
	storedMessages, writer, build := opts.StoredMessages, opts.Writer, opts.Build
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		Sockets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "parley_websockets_open", Help: "Open WebSocket connections by kind.",
		}, []string{"kind"}),
	}
	if opts.Token != "" {
		h := sha256.Sum256([]byte(opts.Token))
		m.tokenHash = h[:]
	}
	m.reg.MustRegister(m.requests, m.latency, m.Sockets,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "parley_messages_stored_total", Help: "Messages stored by this process."},
			func() float64 { return float64(storedMessages()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "parley_build_info", Help: "Always 1; its labels say which Parley runs.",
			ConstLabels: prometheus.Labels{"version": build.Version, "commit": build.Commit, "go_version": build.GoVersion},
		}, func() float64 { return 1 }))
	m.reg.MustRegister(writerCollector{writer})
	return m
}

// writerCounters are the database writer's counters, each read from one
// snapshot of its stats.
var writerCounters = []struct {
	desc  *prometheus.Desc
	value func(database.WriterStats) float64
}{
	{counterDesc("parley_db_transactions_total", "Write transactions committed (or tried) by the group-commit writer."),
		func(s database.WriterStats) float64 { return float64(s.Batches) }},
	{counterDesc("parley_db_writes_total", "Writes run by the group-commit writer; writes over transactions is the mean batch."),
		func(s database.WriterStats) float64 { return float64(s.Writes) }},
	{counterDesc("parley_db_writer_busy_seconds_total", "Time the writer spent running transactions; its rate near 1 means the writer is saturated."),
		func(s database.WriterStats) float64 { return s.Busy.Seconds() }},
	{counterDesc("parley_db_commit_seconds_total", "Time the writer spent committing (for SQLite: writing the log; it is synced beside the writer)."),
		func(s database.WriterStats) float64 { return s.Commit.Seconds() }},
	{counterDesc("parley_db_syncs_total", "SQLite: syncs of the log, each making the transactions committed before it durable."),
		func(s database.WriterStats) float64 { return float64(s.Syncs) }},
	{counterDesc("parley_db_sync_seconds_total", "SQLite: time spent syncing the log (beside the writer)."),
		func(s database.WriterStats) float64 { return s.SyncTime.Seconds() }},
	{counterDesc("parley_db_log_restarts_total", "SQLite: times the writer copied the rest of the log into the database so the log could start again (writes wait meanwhile)."),
		func(s database.WriterStats) float64 { return float64(s.Restarts) }},
	{counterDesc("parley_db_log_restart_seconds_total", "SQLite: time the writer spent on those copies (part of the busy time)."),
		func(s database.WriterStats) float64 { return s.RestartTime.Seconds() }},
}

func counterDesc(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }

// writerCollector exports the database writer's counters and, as a
// histogram, how long writes waited for it (the writer keeps the counts
// itself) — all from one snapshot, so rates taken together agree.
type writerCollector struct{ writer func() database.WriterStats }

var writeWaitsDesc = prometheus.NewDesc("parley_db_write_duration_seconds",
	"Time a write waited for the database writer: its queue, the transaction and (SQLite) the log sync.", nil, nil)

func (w writerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range writerCounters {
		ch <- c.desc
	}
	ch <- writeWaitsDesc
}

func (w writerCollector) Collect(ch chan<- prometheus.Metric) {
	s := w.writer()
	for _, c := range writerCounters {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, c.value(s))
	}
	buckets := make(map[float64]uint64, len(database.WaitBuckets))
	var n uint64
	for i, le := range database.WaitBuckets {
		n += uint64(s.Waits[i])
		buckets[le.Seconds()] = n
	}
	n += uint64(s.Waits[len(database.WaitBuckets)])
	ch <- prometheus.MustNewConstHistogram(writeWaitsDesc, n, s.Waited.Seconds(), buckets)
}

// Open serves the metrics in Prometheus text format to anyone: for a
// listener of their own (--metrics-addr), which only the operator reaches.
func (m *Metrics) Open() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Handler serves the metrics on the main address, which the internet
// reaches: when a token is set, only to a client that sends it (a wrong
// one is 401); else only to a client on this machine that came straight
// in, not through a proxy, so `curl localhost:8080/metrics` works. Anyone
// else is told there is no such endpoint (404), like any unknown path.
func (m *Metrics) Handler() http.Handler {
	open := m.Open()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.tokenHash != nil {
			if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				h := sha256.Sum256([]byte(token))
				if subtle.ConstantTimeCompare(h[:], m.tokenHash) != 1 {
					respond.Error(w, r, nil, apperr.Unauthorized("wrong metrics token"))
					return
				}
				open.ServeHTTP(w, r)
				return
			}
		} else if directLoopback(r) {
			open.ServeHTTP(w, r)
			return
		}
		respond.Error(w, r, nil, apperr.NotFound("endpoint "+r.Method+" "+r.URL.Path))
	})
}

// directLoopback reports whether r comes from this machine and not through
// a reverse proxy on it (which would say whom it forwards).
func directLoopback(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return false
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host"} {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	return true
}

// OpenSockets is the number of WebSockets open now, of every kind.
func (m *Metrics) OpenSockets() int {
	ch := make(chan prometheus.Metric, 4)
	go func() {
		m.Sockets.Collect(ch)
		close(ch)
	}()
	var n float64
	for metric := range ch {
		var d dto.Metric
		if metric.Write(&d) == nil {
			n += d.GetGauge().GetValue()
		}
	}
	return int(n)
}

// Observe records one finished request.
func (m *Metrics) Observe(route string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	if code != http.StatusSwitchingProtocols { // a socket's lifetime is no latency
		m.latency.WithLabelValues(route).Observe(d.Seconds())
	}
}
