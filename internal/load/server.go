package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is the Parley server under load: one the tool started (a child
// `parley serve` on a fresh data directory) or one given by --url.
type server struct {
	base string
	// pid is the server's process id when it runs on this machine and is
	// known (the child, or --server-pid); 0 otherwise.
	pid int

	// Set for a server the tool started.
	own           bool
	bin           string
	dataDir       string
	databaseURL   string
	pprofAddr     string
	workDir       string
	logPath       string
	removeData    bool
	ownerEmail    string
	ownerPassword string
	cmd           *exec.Cmd
	exited        chan struct{}
	logFile       *os.File
	removeLog     bool // the log is the run's temporary one
}

// randomHex returns n random bytes in hex: run ids and throwaway
// passwords of the loopback server the tool starts.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startOwnServer starts `bin serve` on 127.0.0.1 with a fresh data
// directory (or cfg.DataDir) and waits until it is ready.
func startOwnServer(ctx context.Context, cfg Config) (*server, error) {
	bin := cfg.Bin
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the parley binary: %w (pass --bin)", err)
		}
		bin = exe
	}
	work, err := os.MkdirTemp("", "parley-load-")
	if err != nil {
		return nil, err
	}
	s := &server{own: true, bin: bin, workDir: work, databaseURL: cfg.DatabaseURL, pprofAddr: cfg.ServerPprof,
		ownerEmail: "owner-" + randomHex(4) + "@load.parley.test", ownerPassword: randomHex(12)}
	s.dataDir = cfg.DataDir
	if s.dataDir == "" {
		s.dataDir = filepath.Join(work, "data")
		s.removeData = !cfg.KeepData
	}
	s.logPath = cfg.ServerLog
	if s.logPath == "" {
		s.logPath = filepath.Join(work, "server.log")
		s.removeLog = true
	}
	if s.logFile, err = os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		s.cleanup(false)
		return nil, err
	}
	return s, nil
}

// env is the environment of the server's processes: none of the caller's
// PARLEY_* settings, the run's owner, and visitor rate limits out of the
// way (the tool paces its visitors itself).
func (s *server) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	env = append(env, "PARLEY_OWNER_EMAIL="+s.ownerEmail, "PARLEY_OWNER_PASSWORD="+s.ownerPassword,
		"PARLEY_ACCOUNT_NAME=Load shop 0",
		"PARLEY_VISITOR_MESSAGES_PER_MINUTE=6000000", "PARLEY_VISITOR_BURST=100000",
		// Every simulated visitor comes from this machine's one address.
		"PARLEY_NEW_VISITORS_PER_MINUTE=6000000", "PARLEY_NEW_VISITOR_BURST=1000000", "PARLEY_VISITOR_SOCKETS_PER_ADDRESS=1000000")
	if s.databaseURL != "" {
		env = append(env, "PARLEY_DATABASE_URL="+s.databaseURL)
	}
	return append(env, extra...)
}

func (s *server) start(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := s.tryStart(ctx)
		if err == nil || attempt == 2 || !strings.Contains(s.logTail(2000), "address already in use") {
			return err
		}
	}
}

func (s *server) tryStart(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"serve", "--addr", addr, "--data", s.dataDir}
	if s.pprofAddr != "" {
		args = append(args, "--pprof-addr", s.pprofAddr)
	}
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Env = s.env()
	s.cmd.Stdout, s.cmd.Stderr = s.logFile, s.logFile
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s serve: %w", s.bin, err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	s.base, s.pid = "http://"+addr, s.cmd.Process.Pid
	return s.waitReady(ctx)
}

func (s *server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := client.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("parley serve exited before it was ready (%v); its log:\n%s", s.cmd.ProcessState, s.logTail(3000))
		case <-ctx.Done():
			s.kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("parley serve not ready within 2 minutes; its log:\n%s", s.logTail(3000))
		}
	}
}

// stop ends the server gracefully (SIGTERM), killing it after 20 s.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.kill()
	}
}

func (s *server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// alive reports whether the server the tool started still runs.
func (s *server) alive() bool {
	if !s.own {
		return true
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// cleanup stops the server and removes what the run made; the log stays
// when keepLog (a failed run), and its path is returned.
func (s *server) cleanup(keepLog bool) string {
	if !s.own {
		return ""
	}
	s.stop()
	if s.logFile != nil {
		s.logFile.Close()
	}
	if s.removeData {
		os.RemoveAll(s.dataDir)
	}
	if keepLog || !s.removeLog {
		return s.logPath
	}
	os.Remove(s.logPath)
	os.Remove(s.workDir) // only when empty
	return ""
}

func (s *server) logTail(n int) string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > n {
		b = append([]byte("…"), b[len(b)-n:]...)
	}
	return string(b)
}

// createAccount runs `parley account create` on the server's database, as
// an operator would; it prints one JSON line.
func (s *server) createAccount(ctx context.Context, name, email, password string) (string, string, error) {
	args := []string{"account", "create", "--name", name, "--owner-email", email, "--owner-password", password, "--log-level", "warn"}
	if s.databaseURL == "" {
		args = append(args, "--data", s.dataDir)
	}
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = s.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("parley account create: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	var acc struct {
		AccountID string `json:"account_id"`
		WidgetKey string `json:"widget_key"`
	}
	if err := json.Unmarshal(out.Bytes(), &acc); err != nil || acc.AccountID == "" {
		return "", "", fmt.Errorf("parley account create printed %q, want one JSON line", out.String())
	}
	return acc.AccountID, acc.WidgetKey, nil
}

// accountSpec is one line of --accounts-file.
type accountSpec struct {
	OwnerEmail    string `json:"owner_email"`
	OwnerPassword string `json:"owner_password"`
}

func readAccountsFile(path string) ([]accountSpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []accountSpec
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		var a accountSpec
		if err := json.Unmarshal([]byte(t), &a); err != nil || a.OwnerEmail == "" || a.OwnerPassword == "" {
			return nil, fmt.Errorf("%s:%d: want {\"owner_email\":…,\"owner_password\":…}", path, line)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// prepareAccounts makes cfg.Accounts accounts available: on its own server
// the first start made one (unless the data was used before) and `parley
// account create` makes the rest; on
// another server they come from --owner-email/--owner-password and
// --accounts-file. Each owner signs in.
func prepareAccounts(ctx context.Context, s *server, api *apiClient, cfg Config, runID string) ([]*Account, error) {
	var specs []accountSpec
	if s.own {
		specs = append(specs, accountSpec{s.ownerEmail, s.ownerPassword})
	} else {
		if cfg.OwnerEmail != "" {
			specs = append(specs, accountSpec{cfg.OwnerEmail, cfg.OwnerPassword})
		}
		if cfg.AccountsFile != "" {
			more, err := readAccountsFile(cfg.AccountsFile)
			if err != nil {
				return nil, err
			}
			specs = append(specs, more...)
		}
		if len(specs) < cfg.Accounts {
			return nil, fmt.Errorf("%d accounts asked for, %d given: against --url pass --owner-email/--owner-password and --accounts-file with one owner per line", cfg.Accounts, len(specs))
		}
	}
	accs := make([]*Account, cfg.Accounts)
	errs := make([]error, cfg.Accounts)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a := &Account{Index: i}
			if i < len(specs) {
				a.ownerEmail, a.ownerPassword = specs[i].OwnerEmail, specs[i].OwnerPassword
			} else {
				a.ownerEmail, a.ownerPassword = fmt.Sprintf("owner%d-%s@load.parley.test", i, runID), s.ownerPassword
				if _, _, err := s.createAccount(ctx, "Load shop "+strconv.Itoa(i), a.ownerEmail, a.ownerPassword); err != nil {
					errs[i] = err
					return
				}
			}
			var err error
			a.ownerToken, _, err = api.login(ctx, a.ownerEmail, a.ownerPassword)
			if err != nil && s.own && i == 0 {
				// A data directory (or database) used before already has
				// its first owner, so the start made none: make this
				// account like the others.
				if _, _, cerr := s.createAccount(ctx, "Load shop 0", a.ownerEmail, a.ownerPassword); cerr == nil {
					a.ownerToken, _, err = api.login(ctx, a.ownerEmail, a.ownerPassword)
				}
			}
			if err != nil {
				errs[i] = fmt.Errorf("sign in as %s: %w", a.ownerEmail, err)
				return
			}
			var acc struct {
				ID        string `json:"id"`
				WidgetKey string `json:"widget_key"`
			}
			if _, err := api.do(ctx, "GET", "/api/v1/account", a.ownerToken, nil, &acc); err != nil {
				errs[i] = err
				return
			}
			a.ID, a.WidgetKey = acc.ID, acc.WidgetKey
			accs[i] = a
		}()
	}
	wg.Wait()
	return accs, errors.Join(errs...)
}

// addAgents creates n agents in each account (POST /api/v1/agents with the
// owner's token), signs each in and sets it online.
func addAgents(ctx context.Context, api *apiClient, accs []*Account, n int, runID string) error {
	type job struct {
		a *Account
		i int
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ag, err := addAgent(ctx, api, j.a, j.i, runID)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					j.a.Agents[j.i] = ag
				}
				mu.Unlock()
			}
		}()
	}
	for _, a := range accs {
		a.Agents = make([]Agent, n)
		for i := range n {
			jobs <- job{a, i}
		}
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

func addAgent(ctx context.Context, api *apiClient, a *Account, i int, runID string) (Agent, error) {
	email := fmt.Sprintf("agent%d-%d-%s@load.parley.test", a.Index, i, runID)
	password := randomHex(8)
	var created struct {
		ID string `json:"id"`
	}
	if _, err := api.do(ctx, "POST", "/api/v1/agents", a.ownerToken,
		map[string]string{"email": email, "name": fmt.Sprintf("Agent %d.%d", a.Index, i), "password": password, "role": "agent"}, &created); err != nil {
		return Agent{}, fmt.Errorf("create agent: %w", err)
	}
	token, _, err := api.login(ctx, email, password)
	if err != nil {
		return Agent{}, fmt.Errorf("sign in agent: %w", err)
	}
	if _, err := api.do(ctx, "PATCH", "/api/v1/me", token, map[string]string{"status": "online"}, nil); err != nil {
		return Agent{}, fmt.Errorf("set agent online: %w", err)
	}
	return Agent{ID: created.ID, Token: token, email: email, password: password}, nil
}

// serverSample is the server's memory and CPU at one moment.
type serverSample struct {
	RSS        int64   // bytes
	CPUSeconds float64 // user + system since start
	Heap       int64   // Go heap in use, from /metrics (0 when not read)
	Stack      int64   // goroutine stacks in use, from /metrics
	Goroutines int64
	Sockets    int64 // parley_websockets_open, both kinds
	// The database writer's counters.
	DBTransactions, DBWrites    int64
	DBBusySeconds, DBCommitSecs float64
}

// sampleServer reads the server's RSS and CPU time from /proc when its pid
// is known, else from /metrics; withMetrics adds the Go figures from
// /metrics.
func sampleServer(ctx context.Context, s *server, api *apiClient, withMetrics bool) (serverSample, error) {
	var out serverSample
	if s.pid > 0 {
		var err error
		if out, err = readProc(s.pid); err != nil {
			return out, err
		}
		if !withMetrics {
			return out, nil
		}
	}
	m, err := scrapeMetrics(ctx, api)
	if err != nil {
		return out, err
	}
	if s.pid == 0 {
		out.RSS, out.CPUSeconds = int64(m["process_resident_memory_bytes"]), m["process_cpu_seconds_total"]
	}
	out.Heap, out.Goroutines = int64(m["go_memstats_heap_inuse_bytes"]), int64(m["go_goroutines"])
	out.Stack = int64(m["go_memstats_stack_inuse_bytes"])
	out.Sockets = int64(m["parley_websockets_open"])
	out.DBTransactions, out.DBWrites = int64(m["parley_db_transactions_total"]), int64(m["parley_db_writes_total"])
	out.DBBusySeconds, out.DBCommitSecs = m["parley_db_writer_busy_seconds_total"], m["parley_db_commit_seconds_total"]
	return out, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

func readProc(pid int) (serverSample, error) {
	var s serverSample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces; fields after it are
	// counted from its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 22 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, _ := strconv.ParseFloat(f[11], 64) // field 14
	stime, _ := strconv.ParseFloat(f[12], 64) // field 15
	rssPages, _ := strconv.ParseInt(f[21], 10, 64)
	s.CPUSeconds = (utime + stime) / clockTicks
	s.RSS = rssPages * int64(os.Getpagesize())
	return s, nil
}

// scrapeMetrics reads the unlabelled (or summed) values of a few metrics
// from /metrics.
func scrapeMetrics(ctx context.Context, api *apiClient) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", api.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := api.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: HTTP %d", res.StatusCode)
	}
	return parseMetrics(res.Body, "process_resident_memory_bytes", "process_cpu_seconds_total",
		"go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_goroutines", "parley_websockets_open",
		"parley_db_transactions_total", "parley_db_writes_total", "parley_db_writer_busy_seconds_total", "parley_db_commit_seconds_total")
}

// parseMetrics sums the samples of the named metrics in Prometheus text.
func parseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
			if j := strings.LastIndexByte(line, '}'); j >= 0 {
				rest, ok = strings.TrimSpace(line[j+1:]), true
			}
		}
		if !ok || !want[name] {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err == nil {
			out[name] += v
		}
	}
	return out, sc.Err()
}
