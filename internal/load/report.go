package load

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the JSON report of a run; `parley load plot` draws it.
type Report struct {
	Scenario   string             `json:"scenario"`
	Started    time.Time          `json:"started"`
	Seconds    float64            `json:"seconds"`
	Config     Config             `json:"config"`
	Machine    Machine            `json:"machine"`
	Processes  int                `json:"processes,omitempty"`
	PerProcess int                `json:"sockets_per_process,omitempty"`
	Server     ServerReport       `json:"server"`
	Phases     []PhaseTime        `json:"phases,omitempty"`
	Stats      Snapshot           `json:"stats"`
	Latency    map[string]Summary `json:"latency_ms"`
	Rates      map[string]float64 `json:"rates_per_second,omitempty"`
	Database   *DatabaseReport    `json:"database,omitempty"`
	Marks      []Mark             `json:"marks,omitempty"`
	Timeline   []Tick             `json:"timeline,omitempty"`
	Targets    []Target           `json:"targets,omitempty"`
	Checks     []Check            `json:"checks"`
	Errors     []string           `json:"errors,omitempty"`
	OK         bool               `json:"ok"`
}

// ServerReport is what the run saw of the server.
type ServerReport struct {
	URL      string `json:"url"`
	Own      bool   `json:"own"`
	PID      int    `json:"pid,omitempty"`
	Database string `json:"database"`
	RSSStart int64  `json:"rss_start_bytes,omitempty"`
	RSSPeak  int64  `json:"rss_peak_bytes,omitempty"`
	// CPUCores is the mean CPU use during the measured phase (run, hold,
	// reconnect), in cores.
	CPUCores float64 `json:"cpu_cores,omitempty"`
	// ToolCPUCores is the load tool's own CPU use meanwhile.
	ToolCPUCores float64 `json:"tool_cpu_cores,omitempty"`
	// OtherCPUCores is what the rest of the machine used meanwhile.
	OtherCPUCores float64 `json:"other_cpu_cores,omitempty"`
	// Idle: memory per open socket above the server before the sockets.
	RSSPerSocket   float64 `json:"rss_per_socket_bytes,omitempty"`
	HeapPerSocket  float64 `json:"heap_per_socket_bytes,omitempty"`
	StackPerSocket float64 `json:"stack_per_socket_bytes,omitempty"`
	// GoroutinesPerSocket counts the server's goroutines per open socket.
	GoroutinesPerSocket float64 `json:"goroutines_per_socket,omitempty"`
	// Chat: the database writer while visitors sent (from /metrics):
	// the share of the time it ran transactions, writes per transaction,
	// and the mean transaction and commit time.
	WriterBusy   float64 `json:"writer_busy,omitempty"`
	WritesPerTx  float64 `json:"writes_per_transaction,omitempty"`
	TxMillis     float64 `json:"transaction_ms,omitempty"`
	CommitMillis float64 `json:"commit_ms,omitempty"`
}

// PhaseTime is how long a phase took.
type PhaseTime struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Mark is the server at a named moment.
type Mark struct {
	Name       string  `json:"name"`
	T          float64 `json:"t"`
	RSS        int64   `json:"rss_bytes"`
	CPUSeconds float64 `json:"cpu_seconds"`
	Heap       int64   `json:"heap_inuse_bytes,omitempty"`
	Stack      int64   `json:"stack_inuse_bytes,omitempty"`
	Goroutines int64   `json:"goroutines,omitempty"`
	Sockets    int64   `json:"server_sockets,omitempty"`
	ClientOpen int64   `json:"client_open"`
	// The database writer's counters (see ServerReport.WriterBusy).
	DBTransactions int64   `json:"db_transactions,omitempty"`
	DBWrites       int64   `json:"db_writes,omitempty"`
	DBBusySeconds  float64 `json:"db_busy_seconds,omitempty"`
	DBCommitSecs   float64 `json:"db_commit_seconds,omitempty"`
}

// Tick is one second of the run.
type Tick struct {
	T      float64 `json:"t"`
	Phase  string  `json:"phase"`
	Open   int64   `json:"open"`
	Sent   int64   `json:"sent"`  // in this second
	Acked  int64   `json:"acked"` // in this second
	Errors int64   `json:"errors"`
	AckP50 float64 `json:"ack_p50_ms,omitempty"`
	AckP99 float64 `json:"ack_p99_ms,omitempty"`
	AgP50  float64 `json:"agent_p50_ms,omitempty"`
	AgP99  float64 `json:"agent_p99_ms,omitempty"`
	Other  float64 `json:"other_p99_ms,omitempty"` // reconnect → resumed, or connect
	RSS    int64   `json:"rss_bytes,omitempty"`
	CPU    float64 `json:"cpu_cores,omitempty"`
	// ClientCPU is the load tool's own process (not its workers).
	ClientCPU float64 `json:"tool_cpu_cores,omitempty"`
	// OtherCPU is every other process of the machine: others' work on a
	// shared machine competes with the run.
	OtherCPU float64 `json:"other_cpu_cores,omitempty"`
	Connect  int64   `json:"connects"`
	// WriterBusy is the share of the second the server's database writer
	// ran transactions, WritesPerTx its writes per transaction (from
	// /metrics; 0 when there were none).
	WriterBusy  float64 `json:"writer_busy,omitempty"`
	WritesPerTx float64 `json:"writes_per_transaction,omitempty"`
}

// writerRates is the database writer's busy share over dt seconds and its
// writes per transaction, from the differences of its counters.
func writerRates(busySeconds float64, writes, transactions int64, dt float64) (busy, writesPerTx float64) {
	return busySeconds / dt, float64(writes) / float64(transactions)
}

func newTick(t float64, phase string, prev, cur Snapshot) Tick {
	d := func(name string) int64 { return cur.Counters[name] - prev.Counters[name] }
	h := func(id histID) HistSnap { return cur.Hists[histNames[id]].Sub(prev.Hists[histNames[id]]) }
	ack, ag := h(hAck), h(hAgent)
	other := h(hResume)
	if other.Count == 0 {
		other = h(hConnect)
	}
	return Tick{T: t, Phase: phase, Open: cur.Counters["open"], Sent: d("sent"), Acked: d("acked"),
		Errors: cur.errorTotal() - prev.errorTotal(), Connect: d("connects"),
		AckP50: ms(ack.Quantile(0.5)), AckP99: ms(ack.Quantile(0.99)),
		AgP50: ms(ag.Quantile(0.5)), AgP99: ms(ag.Quantile(0.99)), Other: ms(other.Quantile(0.99))}
}

// Summary is a latency distribution in milliseconds.
type Summary struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

func summarize(h HistSnap) Summary {
	return Summary{Count: h.Count, P50: ms(h.Quantile(0.5)), P95: ms(h.Quantile(0.95)), P99: ms(h.Quantile(0.99)), Max: ms(h.Max())}
}

// Target is one of the performance targets: reported, never a
// reason for the run to fail (timing depends on the machine).
type Target struct {
	Name string  `json:"name"`
	Want string  `json:"want"`
	Got  float64 `json:"got"`
	Unit string  `json:"unit"`
	Met  bool    `json:"met"`
}

// Check is a correctness check: any failed check fails the run.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

func newReport(cfg Config, started time.Time, nofile int) *Report {
	return &Report{Scenario: cfg.Scenario, Started: started.UTC(), Config: cfg, Machine: machine(nofile),
		Latency: map[string]Summary{}, Rates: map[string]float64{}}
}

func (r *Report) finish(end time.Time) {
	r.Seconds = end.Sub(r.Started).Seconds()
	r.OK = len(r.Checks) > 0
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
}

func (r *Report) check(name string, ok bool, detail string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(detail, args...)})
}

func (r *Report) target(name, want string, got float64, unit string, met bool) {
	r.Targets = append(r.Targets, Target{Name: name, Want: want, Got: got, Unit: unit, Met: met})
}

func (r *Report) mark(name string) (Mark, bool) {
	for _, m := range r.Marks {
		if m.Name == name {
			return m, true
		}
	}
	return Mark{}, false
}

// evaluate fills the summaries, targets and checks of a client scenario.
func (r *Report) evaluate(ticks []Tick) {
	cfg := r.Config
	r.Timeline = ticks
	for name, h := range r.Stats.Hists {
		if h.Count > 0 {
			r.Latency[name] = summarize(h)
		}
	}
	for _, t := range ticks {
		r.Server.RSSPeak = max(r.Server.RSSPeak, t.RSS)
	}
	c := r.Stats.Counters
	visitors := int64(cfg.Accounts * cfg.Visitors)
	r.check("no errors", r.Stats.errorTotal() == 0, "%d error(s)", r.Stats.errorTotal())
	r.check("every session started", c["session_errors"] == 0 && c["sessions"] == visitors, "%d of %d", c["sessions"], visitors)
	r.check("no socket refused or dropped", c["connect_errors"] == 0 && c["dropped"] == 0,
		"%d refused, %d dropped", c["connect_errors"], c["dropped"])
	r.check("frames in strictly increasing seq order, none twice", c["order_errors"] == 0, "%d out of order", c["order_errors"])
	switch cfg.Scenario {
	case "idle":
		held, ok1 := r.mark("hold_end")
		start, ok2 := r.mark("hold_start")
		before, ok3 := r.mark("before_sockets")
		r.check("every visitor socket held open", ok1 && held.ClientOpen == visitors, "%d of %d open at the end of the hold", held.ClientOpen, visitors)
		if ok1 && ok2 && ok3 && held.ClientOpen > 0 {
			var rss []float64
			for _, t := range ticks {
				if t.Phase == "hold" && t.RSS > 0 {
					rss = append(rss, float64(t.RSS))
				}
			}
			heldRSS := float64(held.RSS)
			if len(rss) > 0 {
				heldRSS = median(rss)
			}
			r.Server.RSSPerSocket = (heldRSS - float64(before.RSS)) / float64(held.ClientOpen)
			if held.Heap > 0 && before.Heap > 0 {
				n := float64(held.ClientOpen)
				r.Server.HeapPerSocket = float64(held.Heap-before.Heap) / n
				r.Server.StackPerSocket = float64(held.Stack-before.Stack) / n
				r.Server.GoroutinesPerSocket = float64(held.Goroutines-before.Goroutines) / n
			}
			if dt := held.T - start.T; dt > 0 {
				r.Server.CPUCores = (held.CPUSeconds - start.CPUSeconds) / dt
			}
			r.Server.ToolCPUCores, r.Server.OtherCPUCores = meanToolCPU(ticks, "hold")
			r.target("server RSS per idle socket", "≤ 16 KiB", r.Server.RSSPerSocket/1024, "KiB", r.Server.RSSPerSocket <= 16*1024)
			r.target("server CPU while idle", "≤ 0.1 core", r.Server.CPUCores, "cores", r.Server.CPUCores <= 0.1)
		}
	case "chat":
		if a, ok := r.mark("run_start"); ok {
			if b, ok := r.mark("run_end"); ok && b.T > a.T && b.DBTransactions > a.DBTransactions {
				tx := float64(b.DBTransactions - a.DBTransactions)
				r.Server.WriterBusy, r.Server.WritesPerTx = writerRates(b.DBBusySeconds-a.DBBusySeconds, b.DBWrites-a.DBWrites, b.DBTransactions-a.DBTransactions, b.T-a.T)
				r.Server.TxMillis = (b.DBBusySeconds - a.DBBusySeconds) / tx * 1000
				r.Server.CommitMillis = (b.DBCommitSecs - a.DBCommitSecs) / tx * 1000
			}
		}
		r.Server.CPUCores = meanCPU(ticks, "run")
		r.Server.ToolCPUCores, r.Server.OtherCPUCores = meanToolCPU(ticks, "run")
		secs := cfg.Duration.Seconds()
		r.Rates["asked"] = cfg.Rate
		r.Rates["sent"] = float64(c["sent"]) / secs
		r.Rates["acked"] = float64(c["acked"]) / secs
		r.Rates["replies"] = float64(c["replies_ok"]) / secs
		lost := c["unacked"] + c["missing_deliveries"] + c["replies_missing"] + c["verify_missing"]
		r.check("nothing lost", lost == 0 && c["sent"] > 0,
			"%d sent, %d acked, %d unacknowledged, %d deliveries missing, %d replies missing, %d not stored",
			c["sent"], c["acked"], c["unacked"], c["missing_deliveries"], c["replies_missing"], c["verify_missing"])
		r.check("every message stored once", c["verify_duplicates"] == 0, "%d stored twice", c["verify_duplicates"])
		r.check("every agent socket got every message", c["delivered"] == c["acked"]*int64(cfg.Agents),
			"%d deliveries of %d", c["delivered"], c["acked"]*int64(cfg.Agents))
		ag, ack := r.Stats.Hists[histNames[hAgent]], r.Stats.Hists[histNames[hAck]]
		r.target("p99 send → agent", "≤ 25 ms", ms(ag.Quantile(0.99)), "ms", ag.Count > 0 && ag.Quantile(0.99) <= 25*time.Millisecond)
		r.target("p99 send → ack", "≤ 20 ms", ms(ack.Quantile(0.99)), "ms", ack.Count > 0 && ack.Quantile(0.99) <= 20*time.Millisecond)
		r.target("messages sent per second", fmt.Sprintf("%.0f asked", cfg.Rate), r.Rates["sent"], "/s", r.Rates["sent"] >= 0.98*cfg.Rate)
	case "storm":
		r.Server.CPUCores = meanCPU(ticks, "reconnect")
		r.Server.ToolCPUCores, r.Server.OtherCPUCores = meanToolCPU(ticks, "reconnect")
		reconnected := c["reconnects"] - c["connect_errors"]
		r.check("every visitor reconnected", c["reconnects"] == visitors && c["connect_errors"] == 0, "%d of %d", reconnected, visitors)
		r.check("every visitor resumed with nothing missing", c["resumed"] == visitors && c["away_missing"] == 0 && c["replayed_old"] == 0,
			"%d resumed of %d, %d messages missing, %d old events replayed", c["resumed"], visitors, c["away_missing"], c["replayed_old"])
		r.check("no error responses", c["error_frames"] == 0 && c["resets"] == 0 && c["http_errors"] == 0,
			"%d error frames, %d resets, %d HTTP errors", c["error_frames"], c["resets"], c["http_errors"])
		r.check("every message acknowledged", c["unacked"] == 0 && c["acked"] == c["sent"], "%d sent, %d acked", c["sent"], c["acked"])
		for _, p := range r.Phases {
			if p.Name == "reconnect" {
				r.target("reconnect window", fmt.Sprintf("≤ %s", cfg.Window), p.Seconds, "s", p.Seconds <= cfg.Window.Seconds()+1)
			}
		}
	}
}

func meanCPU(ticks []Tick, phase string) float64 {
	var sum float64
	n := 0
	for _, t := range ticks {
		if t.Phase == phase && t.CPU > 0 {
			sum += t.CPU
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// meanToolCPU is the mean CPU use of the tool and of the machine's other
// processes during a phase.
func meanToolCPU(ticks []Tick, phase string) (tool, others float64) {
	n := 0
	for _, t := range ticks {
		if t.Phase == phase {
			tool += t.ClientCPU
			others += t.OtherCPU
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return tool / float64(n), others / float64(n)
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

func fmtMS(d time.Duration) string {
	return fmt.Sprintf("%.1fms", ms(d))
}

func fmtBytes(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0fMiB", float64(b)/(1<<20))
}

func (r *Report) write(path string) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printTable prints the run's results for a person.
func (r *Report) printTable(w io.Writer) {
	cfg := r.Config
	fmt.Fprintf(w, "\nparley load %s — %s, %d CPU (%s), server %s (%s, %s)\n", r.Scenario, r.Started.Format("2006-01-02 15:04 MST"),
		r.Machine.CPUs, r.Machine.Model, r.Server.URL, map[bool]string{true: "started by the tool", false: "given"}[r.Server.Own], r.Server.Database)
	switch r.Scenario {
	case "idle":
		fmt.Fprintf(w, "%d visitor sockets (%d account(s)), held %s; %d process(es)\n", cfg.Accounts*cfg.Visitors, cfg.Accounts, cfg.Hold, r.Processes)
	case "chat":
		fmt.Fprintf(w, "%d accounts × %d visitors × %d agents, %.0f messages/s for %s, agents reply to %.0f%%; %d process(es)\n",
			cfg.Accounts, cfg.Visitors, cfg.Agents, cfg.Rate, cfg.Duration, cfg.ReplyShare*100, r.Processes)
	case "storm":
		fmt.Fprintf(w, "%d visitors (%d account(s)) reconnect within %s after %d message(s) each while away; %d process(es)\n",
			cfg.Accounts*cfg.Visitors, cfg.Accounts, cfg.Window, cfg.Away, r.Processes)
	case "database":
		if d := r.Database; d != nil {
			fmt.Fprintf(w, "%d conversations, %d messages in one account (%d open, %d unassigned, %d mine); %d requests per list\n",
				d.Conversations, d.Messages, d.Open, d.Unassigned, d.Mine, cfg.Requests)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if len(r.Latency) > 0 {
		fmt.Fprintln(tw, "\nlatency (ms)\tcount\tp50\tp95\tp99\tmax\t")
		names := latencyOrder(r.Latency)
		if r.Database != nil && len(r.Database.Endpoints) > 0 {
			names = names[:0]
			for _, e := range r.Database.Endpoints {
				names = append(names, e.Name)
			}
		}
		for _, name := range names {
			s := r.Latency[name]
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", strings.ReplaceAll(name, "_", " "), s.Count, s.P50, s.P95, s.P99, s.Max)
		}
		tw.Flush()
	}
	if r.Scenario != "database" {
		fmt.Fprintln(w)
		var parts []string
		for _, n := range counterNames {
			if v := r.Stats.Counters[n]; v != 0 && n != "open" {
				parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(n, "_", " "), v))
			}
		}
		fmt.Fprintln(w, wrap("counts: "+strings.Join(parts, ", "), 100))
	}
	if len(r.Rates) > 0 {
		fmt.Fprintf(w, "rates: sent %.0f/s, acknowledged %.0f/s, agent replies %.0f/s (asked %.0f/s)\n", r.Rates["sent"], r.Rates["acked"], r.Rates["replies"], r.Rates["asked"])
	}
	s := r.Server
	fmt.Fprintf(w, "server: RSS at start %s, peak %s", fmtBytes(s.RSSStart), fmtBytes(s.RSSPeak))
	if s.CPUCores > 0 || s.ToolCPUCores > 0 {
		fmt.Fprintf(w, ", CPU %.3f cores while measured", s.CPUCores)
	}
	if s.ToolCPUCores > 0 {
		fmt.Fprintf(w, " (the tool: %.2f, other processes: %.2f)", s.ToolCPUCores, s.OtherCPUCores)
	}
	if s.WritesPerTx > 0 {
		fmt.Fprintf(w, "\ndatabase writer: busy %.0f%% of the time, %.1f writes per transaction, %.2f ms per transaction of which %.2f ms commit",
			s.WriterBusy*100, s.WritesPerTx, s.TxMillis, s.CommitMillis)
	}
	if s.RSSPerSocket != 0 {
		fmt.Fprintf(w, ", per socket %.1f KiB RSS (Go heap %.1f KiB, stacks %.1f KiB, %.1f goroutines)",
			s.RSSPerSocket/1024, s.HeapPerSocket/1024, s.StackPerSocket/1024, s.GoroutinesPerSocket)
	}
	fmt.Fprintln(w)
	if len(r.Targets) > 0 {
		fmt.Fprintln(w, "\ntargets (reported, not enforced):")
		for _, t := range r.Targets {
			fmt.Fprintf(w, "  %-6s %-34s %10.2f %-5s (want %s)\n", map[bool]string{true: "met", false: "MISSED"}[t.Met], t.Name, t.Got, t.Unit, t.Want)
		}
	}
	fmt.Fprintln(w, "\nchecks:")
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %-4s %s (%s)\n", map[bool]string{true: "ok", false: "FAIL"}[c.OK], c.Name, c.Detail)
	}
	if kinds := r.Stats.errorKinds(); len(kinds) > 0 {
		fmt.Fprintln(w, "\nerrors by kind:")
		for i, k := range kinds {
			if i == 20 {
				fmt.Fprintf(w, "  … %d more kinds\n", len(kinds)-i)
				break
			}
			fmt.Fprintf(w, "  %8d  %s\n", r.Stats.Errors[k], k)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	fmt.Fprintf(w, "machine load average: %s at the start, %s at the end\n", r.Machine.LoadStart, r.Machine.LoadEnd)
	fmt.Fprintf(w, "\nresult: %s (%.1f s)\n", map[bool]string{true: "PASS", false: "FAIL"}[r.OK], r.Seconds)
}

var latencyOrderNames = []string{"send_to_ack", "send_to_agent", "reply_http", "reply_to_visitor", "connect", "reconnect_to_resumed"}

func latencyOrder(m map[string]Summary) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range latencyOrderNames {
		if _, ok := m[n]; ok {
			out = append(out, n)
			seen[n] = true
		}
	}
	var rest []string
	for n := range m {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func wrap(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if line+len(word)+1 > width {
				b.WriteString("\n  ")
				line = 2
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}
