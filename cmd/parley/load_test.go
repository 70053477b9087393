package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testdb"
)

// TestLoadSmoke runs the load tool (`parley load`) small: a chat with
// agents replying, and a reconnect storm spread over worker processes,
// each against a server the tool starts on the test's database. It fails
// on any error or lost message, never on timing; the figures themselves
// are in docs/performance.md.
func TestLoadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and a few hundred sockets")
	}
	bin := parleyBinary(t)
	cases := []struct {
		name string
		args []string
		want map[string]int64 // counters that must have these values
		// rounds runs the same command this many times on the same data
		// (default once).
		rounds int
		// serverLog names the server's log with --server-log: it must be
		// kept after a run that succeeded.
		serverLog bool
	}{
		{"a chat between 100 visitors and 4 agents loses nothing",
			[]string{"chat", "--accounts", "2", "--visitors", "50", "--agents", "2", "--rate", "150", "--duration", "2s", "--reply-share", "0.2"},
			map[string]int64{"sessions": 100, "connects": 104, "sent": 300, "acked": 300, "delivered": 600, "verified_stored": 300}, 0, false},
		{"200 visitors over two processes resume after a storm with nothing missing",
			[]string{"storm", "--visitors", "200", "--per-process", "120", "--away", "2", "--window", "2s"},
			map[string]int64{"sessions": 200, "reconnects": 200, "resumed": 200, "away_sent": 400, "sent": 400, "acked": 400}, 0, false},
		{"a second chat on the data of the first works (its first owner exists already)",
			[]string{"chat", "--accounts", "2", "--visitors", "5", "--agents", "1", "--rate", "20", "--duration", "1s"},
			map[string]int64{"sessions": 10, "sent": 20, "acked": 20, "verified_stored": 20}, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // mostly waiting: paced sends, a reconnect window
			tg := testdb.New(t)
			out := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"load"}, tc.args...)
			args = append(args, "--quiet", "--json", out, "--bin", bin, "--timeout", "60s", "--source-ips", "4")
			var serverLog string
			if tc.serverLog {
				serverLog = filepath.Join(t.TempDir(), "server.log")
				args = append(args, "--server-log", serverLog)
			}
			if tg.URL != "" {
				args = append(args, "--database-url", tg.URL)
			} else {
				args = append(args, "--data", tg.DataDir)
			}
			for round := range max(tc.rounds, 1) {
				cmd := exec.Command(bin, args...)
				cmd.Env = parleyEnv(tg)
				output, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("parley %s: %v\n%s", strings.Join(args, " "), err, output)
				}
				var rep struct {
					OK     bool `json:"ok"`
					Checks []struct {
						Name   string `json:"name"`
						OK     bool   `json:"ok"`
						Detail string `json:"detail"`
					} `json:"checks"`
					Stats struct {
						Counters map[string]int64 `json:"counters"`
						Errors   map[string]int64 `json:"errors"`
					} `json:"stats"`
					Processes int `json:"processes"`
					Timeline  []struct {
						Phase       string  `json:"phase"`
						WriterBusy  float64 `json:"writer_busy"`
						WritesPerTx float64 `json:"writes_per_transaction"`
					} `json:"timeline"`
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &rep); err != nil {
					t.Fatal(err)
				}
				for _, c := range rep.Checks {
					if !c.OK {
						t.Errorf("check %q failed: %s", c.Name, c.Detail)
					}
				}
				if !rep.OK || len(rep.Checks) == 0 {
					t.Errorf("report ok = %v with %d checks, want true", rep.OK, len(rep.Checks))
				}
				if len(rep.Stats.Errors) > 0 {
					t.Errorf("errors: %v", rep.Stats.Errors)
				}
				for name, want := range tc.want {
					if got := rep.Stats.Counters[name]; got != want {
						t.Errorf("counter %s = %d, want %d", name, got, want)
					}
				}
				if tc.args[0] == "chat" && tc.rounds == 0 {
					// The timeline carries the writer's counters per second.
					seen := false
					for _, tick := range rep.Timeline {
						if tick.Phase == "run" && tick.WritesPerTx >= 1 && tick.WriterBusy > 0 && tick.WriterBusy <= 1.05 {
							seen = true
						}
					}
					if !seen {
						t.Errorf("no second of the run has the database writer's figures: %+v", rep.Timeline)
					}
				}
				if strings.HasPrefix(tc.args[0], "storm") && rep.Processes != 2 {
					t.Errorf("processes = %d, want 2 (the storm's sockets exceed --per-process)", rep.Processes)
				}
				if tc.serverLog {
					// Each round's server appends to the log it was given.
					b, err := os.ReadFile(serverLog)
					if err != nil {
						t.Errorf("--server-log: %v", err)
					} else if n := strings.Count(string(b), "msg=listening "); n != round+1 {
						t.Errorf("--server-log holds %d server starts after round %d, want %d:\n%s", n, round+1, round+1, b)
					}
				}
				if t.Failed() {
					t.Fatalf("round %d output:\n%s", round+1, output)
				}
			}
		})
	}
}

// TestLoadRefusesRemoteServers: the tool drives loopback servers only.
func TestLoadRefusesRemoteServers(t *testing.T) {
	for _, u := range []string{"http://10.1.2.3:8080", "https://chat.example.com", "http://0.0.0.0:8080"} {
		err := run([]string{"load", "chat", "--url", u, "--quiet"}, &strings.Builder{}, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("parley load chat --url %s = %v, want a refusal naming loopback", u, err)
		}
	}
}

// TestPprofOnLoopbackOnly: --pprof-addr serves the profiles on a loopback
// address and refuses any other.
func TestPprofOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "example.com:6060"} {
		if err := checkLoopbackAddr(addr); err == nil {
			t.Errorf("checkLoopbackAddr(%q) = nil, want a refusal", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060"} {
		if err := checkLoopbackAddr(addr); err != nil {
			t.Errorf("checkLoopbackAddr(%q) = %v, want nil", addr, err)
		}
	}

	bin := parleyBinary(t)
	tg := testdb.New(t)
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	refused := exec.Command(bin, append([]string{"serve", "--addr", free(), "--pprof-addr", "0.0.0.0:0"}, dbArgs(tg)...)...)
	refused.Env = parleyEnv(tg)
	if out, err := refused.CombinedOutput(); err == nil || !strings.Contains(string(out), "loopback") {
		t.Errorf("serve --pprof-addr 0.0.0.0:0 = %v, %s; want a refusal naming loopback", err, out)
	}

	pprofAddr := free()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", free(), "--pprof-addr", pprofAddr}, dbArgs(tg)...)...)
	cmd.Env = parleyEnv(tg)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get("http://" + pprofAddr + "/debug/pprof/cmdline")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET /debug/pprof/cmdline = %d, want 200", res.StatusCode)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pprof not reachable on %s: %v\n%s", pprofAddr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
