package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/testdb"
)

// The tests of this package run the real binary, built once.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// parleyBinary builds cmd/parley once per test process (with -race when
// the tests run with it, so the server's races are caught too).
func parleyBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "parley-test-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "parley")
		args := []string{"build", "-o", binPath}
		if raceEnabled() {
			args = append(args, "-race")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", append(args, ".")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

const (
	ownerEmail    = "owner@shop.example"
	ownerPassword = "correct horse battery"
)

// parleyEnv is the environment of a parley process on the test's database:
// nothing inherited from PARLEY_* of the caller, generous visitor limits.
func parleyEnv(tg testdb.Target, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	if tg.URL != "" {
		env = append(env, "PARLEY_DATABASE_URL="+tg.URL)
	}
	return append(env, extra...)
}

// dbArgs are the database flags of a parley command for the target.
func dbArgs(tg testdb.Target) []string {
	if tg.URL != "" {
		return nil
	}
	return []string{"--data", tg.DataDir}
}

// serverProcess is a running `parley serve`.
type serverProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	URL    string
	logs   *syncBuffer
	exited chan struct{}
}

// startServer starts `parley serve` on a free port and waits for /readyz.
// The process is killed when the test ends. extra adds to its environment.
func startServer(t *testing.T, tg testdb.Target, extra ...string) *serverProcess {
	t.Helper()
	for attempt := 0; ; attempt++ {
		s, err := tryStartServer(t, tg, extra)
		if err == nil {
			return s
		}
		// Another process may take the free port before the server binds
		// it; try another one.
		if attempt < 2 && strings.Contains(s.logs.String(), "address already in use") {
			continue
		}
		t.Fatalf("start parley serve: %v\n%s", err, s.logs.String())
	}
}

func tryStartServer(t *testing.T, tg testdb.Target, extra []string) (*serverProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &serverProcess{t: t, URL: "http://" + addr, logs: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(parleyBinary(t), append([]string{"serve"}, dbArgs(tg)...)...)
	s.cmd.Env = parleyEnv(tg, append([]string{
		"PARLEY_ADDR=" + addr,
		"PARLEY_OWNER_EMAIL=" + ownerEmail,
		"PARLEY_OWNER_PASSWORD=" + ownerPassword,
		"PARLEY_VISITOR_MESSAGES_PER_MINUTE=600000",
		"PARLEY_VISITOR_BURST=100000",
	}, extra...)...)
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", s.cmd.Path, err)
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.Kill()
		if strings.Contains(s.logs.String(), "WARNING: DATA RACE") {
			t.Errorf("the server reported a data race:\n%s", s.logs.String())
		}
		if t.Failed() {
			t.Logf("server log (%s):\n%s", addr, tail(s.logs.String(), 6000))
		}
	})
	return s, s.waitReady()
}

// waitReady polls /readyz until it answers 200 or the process exits.
func (s *serverProcess) waitReady() error {
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := client.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("parley serve exited before it was ready: %v", s.cmd.ProcessState)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz not 200 within a minute (last: %v)", err)
		}
	}
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *serverProcess) Kill() {
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Errorf("parley serve (pid %d) did not exit after SIGKILL", s.cmd.Process.Pid)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// api calls the HTTP API of a running server; safe for any goroutine.
type api struct {
	base string
	http *http.Client
}

func newAPI(t *testing.T, base string) *api {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &api{base: base, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// do sends a JSON request and decodes a 2xx answer into out.
func (a *api) do(method, path, token string, body, out any) (int, error) {
	return apitest.Client{Base: a.base, HTTP: a.http}.Do(method, path, token, body, out)
}

// must is do for the test goroutine: anything but want fails the test.
func (a *api) must(t *testing.T, want int, method, path, token string, body, out any) {
	t.Helper()
	status, err := a.do(method, path, token, body, out)
	if status != want || (want < 300 && err != nil) {
		t.Fatalf("%s %s = %d (%v), want %d", method, path, status, err, want)
	}
}

func (a *api) login(t *testing.T, email, password string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	a.must(t, http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, &out)
	return out.Token
}
