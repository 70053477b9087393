package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrChecksFailed is returned when the run saw errors or lost messages.
var ErrChecksFailed = errors.New("load run failed its checks (errors or lost messages); see the report")

// Run runs one scenario: it prints a live progress line on stderr, a table
// on stdout, and writes the JSON report to cfg.JSONOut.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxDuration)
	defer cancel()
	r := &run{cfg: cfg, stderr: stderr, runID: randomHex(3), started: time.Now()}
	r.nofile = raiseOpenFiles()
	r.rep = newReport(cfg, r.started, r.nofile)

	var err error
	if cfg.URL == "" {
		if cfg.Scenario == "database" && cfg.DatabaseURL != "" && cfg.Seed {
			return errors.New("the database scenario seeds SQLite directly; run it without --database-url (or with --seed=false)")
		}
		r.logf("starting parley serve on 127.0.0.1 with a fresh data directory")
		if r.srv, err = startOwnServer(ctx, cfg); err != nil {
			return err
		}
	} else {
		r.srv = &server{base: normalizeURL(cfg.URL), pid: cfg.ServerPID}
	}
	keepLog := true
	defer func() {
		if path := r.srv.cleanup(keepLog); path != "" {
			fmt.Fprintf(stderr, "load: the server's log is kept in %s\n", path)
		}
	}()
	r.api = newAPIClient(r.srv.base, 64)
	defer r.api.close()
	r.rep.Server.URL, r.rep.Server.Own, r.rep.Server.PID = r.srv.base, r.srv.own, r.srv.pid
	r.rep.Server.Database = "sqlite"
	if cfg.DatabaseURL != "" {
		r.rep.Server.Database = "postgres"
	}
	if !r.srv.own && cfg.DatabaseURL == "" {
		r.rep.Server.Database = "unknown"
	}
	if s, err := sampleServer(ctx, r.srv, r.api, true); err == nil {
		r.rep.Server.RSSStart = s.RSS
	}

	if cfg.Scenario == "database" {
		err = r.database(ctx)
	} else {
		err = r.clients(ctx)
	}
	r.rep.finish(time.Now())
	r.rep.Machine.LoadEnd = loadavg()
	if err != nil {
		r.rep.Errors = append(r.rep.Errors, err.Error())
		r.rep.OK = false
	}
	if !r.srv.alive() {
		r.rep.Errors = append(r.rep.Errors, "the server exited during the run")
		r.rep.OK = false
	}
	r.rep.printTable(stdout)
	if cfg.JSONOut != "" {
		if werr := r.rep.write(cfg.JSONOut); werr != nil {
			return werr
		}
	}
	keepLog = !r.rep.OK
	if err != nil {
		return err
	}
	if !r.rep.OK {
		return ErrChecksFailed
	}
	return nil
}

type run struct {
	cfg     Config
	stderr  io.Writer
	runID   string
	started time.Time
	nofile  int
	srv     *server
	api     *apiClient
	rep     *Report
	runners []runner
	mon     *monitor
}

func (r *run) logf(format string, args ...any) {
	if !r.cfg.Quiet {
		fmt.Fprintf(r.stderr, "load: "+format+"\n", args...)
	}
}

// perProcess is how many sockets one process holds: what its open-file
// limit allows, keeping a tenth (at least 1,024) for everything else.
func (r *run) perProcess() int {
	n := r.nofile - max(1024, r.nofile/10)
	if r.cfg.PerProcess > 0 {
		n = min(r.cfg.PerProcess, r.nofile-256)
	}
	return max(n, 16)
}

// plan splits the run's clients over processes. A chat account's
// visitors and agents stay together, so its deliveries are checked in
// one place; idle and storm visitors split anywhere.
func plan(cfg Config, accs []*Account, base string, perProcess int) ([]Spec, error) {
	total := cfg.Sockets()
	parts := max(1, (total+perProcess-1)/perProcess)
	tv := cfg.Accounts * cfg.Visitors
	specs := make([]Spec, parts)
	for i := range specs {
		specs[i] = Spec{Config: cfg, Base: base, Part: i, Parts: parts, TotalVisitors: tv}
	}
	if cfg.Scenario == "chat" {
		if per := cfg.Visitors + cfg.Agents; per > perProcess {
			return nil, fmt.Errorf("a chat account's %d sockets must fit in one process (at most %d here)", per, perProcess)
		}
		for _, a := range accs {
			specs[a.Index%parts].Groups = append(specs[a.Index%parts].Groups,
				Group{Account: *a, FirstVisitor: a.Index * cfg.Visitors, Visitors: cfg.Visitors, AgentSockets: true})
		}
		return specs, nil
	}
	share := (tv + parts - 1) / parts
	for i := range specs {
		lo, hi := i*share, min((i+1)*share, tv)
		for g := lo; g < hi; {
			a := accs[g/cfg.Visitors]
			end := min(hi, (a.Index+1)*cfg.Visitors)
			specs[i].Groups = append(specs[i].Groups, Group{Account: *a, FirstVisitor: g, Visitors: end - g})
			g = end
		}
	}
	return specs, nil
}

// clients runs the idle, chat and storm scenarios.
func (r *run) clients(ctx context.Context) error {
	cfg := r.cfg
	r.logf("preparing %d account(s)", cfg.Accounts)
	accs, err := prepareAccounts(ctx, r.srv, r.api, cfg, r.runID)
	if err != nil {
		return err
	}
	if cfg.Scenario != "idle" && cfg.Agents > 0 {
		r.logf("creating %d agent(s) per account", cfg.Agents)
		if err := addAgents(ctx, r.api, accs, cfg.Agents, r.runID); err != nil {
			return err
		}
	}
	specs, err := plan(cfg, accs, r.srv.base, r.perProcess())
	if err != nil {
		return err
	}
	r.rep.Processes = len(specs)
	r.rep.PerProcess = r.perProcess()
	r.runners = append(r.runners, localRunner{newPart(specs[0])})
	if len(specs) > 1 {
		bin, err := workerBinary()
		if err != nil {
			return err
		}
		r.logf("%d sockets: %d worker process(es) beside this one (open-file limit %d)", cfg.Sockets(), len(specs)-1, r.nofile)
		for _, sp := range specs[1:] {
			w, err := startWorker(bin, sp, r.stderr)
			if err != nil {
				r.stopRunners()
				return err
			}
			r.runners = append(r.runners, w)
		}
	}
	defer r.stopRunners()
	r.mon = startMonitor(ctx, r)
	defer r.mon.stop()

	for _, ph := range phases[cfg.Scenario] {
		arg := PhaseArg{Start: time.Now()}
		switch ph {
		case "run":
			arg.Start = time.Now().Add(500 * time.Millisecond)
		case "reconnect":
			arg.Start = time.Now().Add(200 * time.Millisecond)
		case "drain", "resume":
			arg.Deadline = time.Now().Add(cfg.Timeout)
		}
		if ph == "connect" {
			r.mark("before_sockets", true)
		}
		if ph == "run" {
			r.mark("run_start", true)
		}
		r.mon.setPhase(ph)
		t0 := time.Now()
		err := r.phase(ctx, ph, arg)
		r.rep.Phases = append(r.rep.Phases, PhaseTime{Name: ph, Seconds: time.Since(t0).Seconds()})
		if err != nil {
			return fmt.Errorf("phase %s: %w", ph, err)
		}
		switch {
		case ph == "connect" && cfg.Scenario == "idle":
			// Let the server settle (its ping timers, the GC), then hold.
			r.mon.setPhase("settle")
			sleepUntil(ctx, time.Now().Add(3*time.Second))
			r.mark("hold_start", true)
			r.mon.setPhase("hold")
			sleepUntil(ctx, time.Now().Add(cfg.Hold))
			r.mark("hold_end", true)
		case ph == "run":
			r.mark("run_end", true)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	r.mon.stop()
	r.rep.Stats = r.merged()
	r.rep.evaluate(r.mon.samples())
	return nil
}

func (r *run) phase(ctx context.Context, name string, arg PhaseArg) error {
	errs := make([]error, len(r.runners))
	var wg sync.WaitGroup
	for i, rn := range r.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = rn.phase(ctx, name, arg)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *run) stopRunners() {
	for _, rn := range r.runners {
		rn.stop()
	}
	r.runners = nil
}

func (r *run) merged() Snapshot {
	snaps := make([]Snapshot, 0, len(r.runners))
	for _, rn := range r.runners {
		snaps = append(snaps, rn.snapshot())
	}
	return merge(snaps...)
}

// mark records the server's figures at a named moment of the run.
func (r *run) mark(name string, withMetrics bool) {
	s, err := sampleServer(context.Background(), r.srv, r.api, withMetrics)
	if err != nil {
		r.rep.Errors = append(r.rep.Errors, "sample the server: "+err.Error())
		return
	}
	open := int64(0)
	if r.runners != nil {
		open = r.merged().Counters[counterNames[cOpen]]
	}
	r.rep.Marks = append(r.rep.Marks, Mark{Name: name, T: time.Since(r.started).Seconds(), RSS: s.RSS, CPUSeconds: s.CPUSeconds,
		Heap: s.Heap, Stack: s.Stack, Goroutines: s.Goroutines, Sockets: s.Sockets, ClientOpen: open,
		DBTransactions: s.DBTransactions, DBWrites: s.DBWrites, DBBusySeconds: s.DBBusySeconds, DBCommitSecs: s.DBCommitSecs})
}

// monitor samples the server and the clients once a second, prints the
// progress line and keeps the timeline.
type monitor struct {
	r      *run
	mu     sync.Mutex
	ph     string
	ticks  []Tick
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startMonitor(ctx context.Context, r *run) *monitor {
	ctx, cancel := context.WithCancel(ctx)
	m := &monitor{r: r, cancel: cancel, done: make(chan struct{})}
	go m.loop(ctx)
	return m
}

func (m *monitor) setPhase(ph string) {
	m.mu.Lock()
	m.ph = ph
	m.mu.Unlock()
}

func (m *monitor) stop() {
	m.once.Do(func() {
		m.cancel()
		<-m.done
		if !m.r.cfg.Quiet && isTerminal(m.r.stderr) {
			fmt.Fprintln(m.r.stderr)
		}
	})
}

func (m *monitor) samples() []Tick {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Tick(nil), m.ticks...)
}

func (m *monitor) loop(ctx context.Context) {
	defer close(m.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var prev Snapshot
	var prevSrv serverSample
	var prevSelf float64
	prevAt := time.Now()
	// /metrics is read every second too, for the database writer's
	// counters: they show where the server's time per message goes.
	if s, err := sampleServer(ctx, m.r.srv, m.r.api, true); err == nil {
		prevSrv = s
	}
	if s, err := readProc(os.Getpid()); err == nil {
		prevSelf = s.CPUSeconds
	}
	prevBusy := machineBusy()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cur := m.r.merged()
			srv, _ := sampleServer(ctx, m.r.srv, m.r.api, true)
			m.mu.Lock()
			tick := newTick(now.Sub(m.r.started).Seconds(), m.ph, prev, cur)
			tick.RSS = srv.RSS
			self, _ := readProc(os.Getpid())
			if dt := now.Sub(prevAt).Seconds(); dt > 0 {
				if srv.CPUSeconds > 0 {
					tick.CPU = (srv.CPUSeconds - prevSrv.CPUSeconds) / dt
				}
				if tx := srv.DBTransactions - prevSrv.DBTransactions; tx > 0 && prevSrv.DBTransactions > 0 {
					tick.WriterBusy, tick.WritesPerTx = writerRates(srv.DBBusySeconds-prevSrv.DBBusySeconds, srv.DBWrites-prevSrv.DBWrites, tx, dt)
				}
				tick.ClientCPU = (self.CPUSeconds - prevSelf) / dt
				busy := machineBusy()
				if busy > 0 && prevBusy > 0 {
					tick.OtherCPU = max(0, (busy-prevBusy)/dt-tick.CPU-tick.ClientCPU)
				}
				prevBusy = busy
			}
			m.ticks = append(m.ticks, tick)
			m.mu.Unlock()
			prev, prevSrv, prevSelf, prevAt = cur, srv, self.CPUSeconds, now
			if !m.r.cfg.Quiet {
				m.print(tick, cur)
			}
		}
	}
}

func (m *monitor) print(t Tick, cur Snapshot) {
	c := cur.Counters
	line := fmt.Sprintf("%4.0fs %-10s open %6d  sent %8d  acked %8d  to agents %8d  errors %d  p99 ack %s  agent %s  server %s %.2f cores  tool %.2f  others %.2f",
		t.T, t.Phase, c["open"], c["sent"], c["acked"], c["delivered"], cur.errorTotal(),
		fmtMS(cur.Hists[histNames[hAck]].Quantile(0.99)), fmtMS(cur.Hists[histNames[hAgent]].Quantile(0.99)),
		fmtBytes(t.RSS), t.CPU, t.ClientCPU, t.OtherCPU)
	if t.WritesPerTx > 0 {
		line += fmt.Sprintf("  writer %.0f%% busy", 100*t.WriterBusy)
	}
	if isTerminal(m.r.stderr) {
		fmt.Fprintf(m.r.stderr, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(m.r.stderr, line)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	Model     string `json:"model"`
	MemoryGiB int64  `json:"memory_gib"`
	Go        string `json:"go"`
	OS        string `json:"os"`
	OpenFiles int    `json:"open_files_limit"`
	// LoadStart and LoadEnd are /proc/loadavg (1, 5, 15 minutes): the
	// machine may be shared, and a busy one explains slow runs.
	LoadStart string `json:"loadavg_start,omitempty"`
	LoadEnd   string `json:"loadavg_end,omitempty"`
}

// machineBusy is the CPU time (s) all processes of the machine used since
// boot, from /proc/stat; 0 when unknown.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:8] {
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / clockTicks
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func machine(nofile int) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, OpenFiles: nofile, LoadStart: loadavg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryGiB = (kb + 512*1024) >> 20
		}
	}
	return m
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
