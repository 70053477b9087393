package agent_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apitest"
)

// from sends a request as if from addr: the test server trusts the
// loopback proxy's X-Forwarded-For.
func from(t testing.TB, e *apitest.Env, addr, method, path, token string, body any) apitest.Response {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return apitest.Response{}
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	return apitest.Response{Status: res.StatusCode, Header: res.Header, Body: rb}
}

func login(t testing.TB, e *apitest.Env, addr, email, password string) apitest.Response {
	t.Helper()
	return from(t, e, addr, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
}

func newEnv(t *testing.T, o apitest.Options) *apitest.Env {
	o.TrustedProxies = "127.0.0.0/8,::1/128"
	return apitest.New(t, o)
}

func retryAfter(t testing.TB, r apitest.Response) time.Duration {
	t.Helper()
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Fatalf("Retry-After = %q, want a positive number of seconds", r.Header.Get("Retry-After"))
	}
	return time.Duration(s) * time.Second
}

// Parallel wrong passwords for one email are each counted before any is
// checked: no more than the free failures get as far as the password hash.
func TestParallelFailedLoginsStayWithinTheLimit(t *testing.T) {
	// Hashes wait their turn as long as it takes here: a slow machine
	// must not turn the answers under test into 503s.
	e := newEnv(t, apitest.Options{SignIn: agent.Options{HashWait: time.Minute}})
	acc := e.NewAccount()
	const n = 80
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = login(t, e, "203.0.113.7", acc.OwnerEmail, "wrong password").Status })
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] > 5 || count[http.StatusUnauthorized] < 1 || count[http.StatusUnauthorized]+count[http.StatusTooManyRequests] != n {
		t.Fatalf("answers to %d parallel wrong passwords: %v, want at most 5 401s and the rest 429", n, count)
	}
	if peak, limit := e.Server.Agents.HashPeak(); peak > limit {
		t.Errorf("%d password hashes ran at once, want at most %d", peak, limit)
	}
}

// Parallel sign-ins for many emails each pass the limits, but no more
// password hashes run at once than the server allows; the rest wait their
// turn or are told to come back (503 with Retry-After).
func TestParallelLoginsHashInTurn(t *testing.T) {
	e := newEnv(t, apitest.Options{SignIn: agent.Options{HashWait: 200 * time.Millisecond}})
	const n = 80
	statuses := make([]apitest.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = login(t, e, "203.0.113.8", fmt.Sprintf("nobody%d@example.com", i), "wrong password")
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, r := range statuses {
		count[r.Status]++
		if r.Status == http.StatusServiceUnavailable {
			if r.ErrorCode() != "unavailable" {
				t.Errorf("busy answer = %s, want error code unavailable", r.Body)
			}
			retryAfter(t, r)
		}
	}
	if count[http.StatusUnauthorized]+count[http.StatusServiceUnavailable] != n || count[http.StatusUnauthorized] == 0 {
		t.Errorf("answers to %d parallel sign-ins: %v, want 401 or 503", n, count)
	}
	peak, limit := e.Server.Agents.HashPeak()
	if peak > limit || peak < 1 {
		t.Errorf("%d password hashes ran at once, want between 1 and %d", peak, limit)
	}
	t.Logf("answers %v, at most %d of %d hashes at once", count, peak, limit)
}

// clock is a test's time: it stands still (from the first reading on)
// and moves only when the test says, so slow requests change nothing.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		c.now = time.Now()
	}
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.Now()
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// One address that keeps failing for one email waits longer and longer:
// 1 s, 2 s, 4 s ... after its first five failures.
func TestFailuresFromOneAddressWaitLongerAndLonger(t *testing.T) {
	var c clock
	e := newEnv(t, apitest.Options{SignIn: agent.Options{Now: c.Now}})
	acc := e.NewAccount()
	const addr = "203.0.113.9"
	for i := range 5 {
		if r := login(t, e, addr, acc.OwnerEmail, "wrong"); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d %s, want 401", i+1, r.Status, r.Body)
		}
	}
	for _, want := range []time.Duration{1, 2, 4, 8, 16} {
		want *= time.Second
		r := login(t, e, addr, acc.OwnerEmail, "wrong")
		if r.Status != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" {
			t.Fatalf("an attempt right after a failure = %d %s, want 429 rate_limited", r.Status, r.Body)
		}
		if got := retryAfter(t, r); got != want {
			t.Fatalf("Retry-After = %v, want %v", got, want)
		}
		c.Advance(want - time.Second/2)
		if r := login(t, e, addr, acc.OwnerEmail, "wrong"); r.Status != http.StatusTooManyRequests {
			t.Fatalf("an attempt before Retry-After passed = %d %s, want 429", r.Status, r.Body)
		}
		c.Advance(time.Second / 2)
		if r := login(t, e, addr, acc.OwnerEmail, "wrong"); r.Status != http.StatusUnauthorized {
			t.Fatalf("an attempt once Retry-After (%v) passed = %d %s, want 401", want, r.Status, r.Body)
		}
	}
	// The right password, once its wait is over, is accepted and clears
	// the count of this address.
	c.Advance(32 * time.Second)
	if r := login(t, e, addr, acc.OwnerEmail, "password123"); r.Status != http.StatusOK {
		t.Fatalf("the right password after the wait = %d %s, want 200", r.Status, r.Body)
	}
	if r := login(t, e, addr, acc.OwnerEmail, "wrong"); r.Status != http.StatusUnauthorized {
		t.Fatalf("a failure after a success = %d %s, want 401 (the count starts again)", r.Status, r.Body)
	}
}

// An attacker's failures from many addresses do not lock the owner out:
// the email goes to a slow pace, one attempt per address every so often,
// and the owner's right password from their own address is accepted.
func TestAttackerCannotLockTheOwnerOut(t *testing.T) {
	var c clock
	e := newEnv(t, apitest.Options{SignIn: agent.Options{Now: c.Now}})
	acc := e.NewAccount()
	failed := 0
	for i := range 50 {
		r := login(t, e, fmt.Sprintf("198.51.100.%d", i/5+1), acc.OwnerEmail, "guess "+strconv.Itoa(i))
		switch r.Status {
		case http.StatusUnauthorized:
			failed++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("attacker's login %d = %d %s, want 401 or 429", i, r.Status, r.Body)
		}
	}
	if failed < 10 {
		t.Fatalf("the attacker failed %d times, want at least 10 (enough for the slow pace)", failed)
	}
	// An attacker's address that failed already waits at the slow pace.
	r := login(t, e, "198.51.100.1", acc.OwnerEmail, "another guess")
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("the attacker's next guess = %d %s, want 429", r.Status, r.Body)
	}
	retryAfter(t, r)
	// The owner from their own address gets in, at most after one
	// Retry-After.
	r = login(t, e, "192.0.2.10", acc.OwnerEmail, "password123")
	if r.Status == http.StatusTooManyRequests {
		c.Advance(retryAfter(t, r))
		r = login(t, e, "192.0.2.10", acc.OwnerEmail, "password123")
	}
	if r.Status != http.StatusOK {
		t.Fatalf("owner's login after the attack = %d %s, want 200", r.Status, r.Body)
	}
	// Even a typo of the owner's only costs a slow-pace wait.
	if r := login(t, e, "192.0.2.11", acc.OwnerEmail, "password12"); r.Status != http.StatusUnauthorized {
		t.Fatalf("owner's typo = %d %s, want 401", r.Status, r.Body)
	}
	r = login(t, e, "192.0.2.11", acc.OwnerEmail, "password123")
	if r.Status == http.StatusTooManyRequests {
		c.Advance(retryAfter(t, r))
		r = login(t, e, "192.0.2.11", acc.OwnerEmail, "password123")
	}
	if r.Status != http.StatusOK {
		t.Fatalf("owner's login after a typo = %d %s, want 200", r.Status, r.Body)
	}
}

// One address cannot fail for more than 100 emails in the window.
func TestOneAddressIsCappedOverAllEmails(t *testing.T) {
	var c clock
	e := newEnv(t, apitest.Options{SignIn: agent.Options{Now: c.Now, Limits: agent.Limits{PerAddress: 7}}})
	for i := range 7 {
		if r := login(t, e, "203.0.113.10", fmt.Sprintf("x%d@example.com", i), "wrong"); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d %s, want 401", i+1, r.Status, r.Body)
		}
	}
	r := login(t, e, "203.0.113.10", "fresh@example.com", "wrong")
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("failure 8 for a new email = %d %s, want 429", r.Status, r.Body)
	}
	if got := retryAfter(t, r); got < 14*time.Minute || got > 15*time.Minute {
		t.Errorf("Retry-After = %v, want about 15 minutes", got)
	}
	if r := login(t, e, "203.0.113.11", "fresh@example.com", "wrong"); r.Status != http.StatusUnauthorized {
		t.Fatalf("another address = %d %s, want 401", r.Status, r.Body)
	}
	c.Advance(15 * time.Minute)
	if r := login(t, e, "203.0.113.10", "fresh@example.com", "wrong"); r.Status != http.StatusUnauthorized {
		t.Fatalf("after the window = %d %s, want 401", r.Status, r.Body)
	}
}

// Changing the password signs out every other session of the agent, and
// their open streams close; the session that made the change stays.
func TestPasswordChangeSignsOutOtherSessions(t *testing.T) {
	e := apitest.New(t, apitest.Options{StreamRecheck: 50 * time.Millisecond})
	acc := e.NewAccount()
	p := e.NewAgent(acc, "agent", "Ann")
	other := e.Login(p.Email, "password123")
	ws := e.AgentStream(acc.ID, other)
	e.Must(http.StatusOK, "PATCH", "/api/v1/me", p.Token, map[string]string{"current_password": "password123", "password": "new password 1"})
	if r := e.Do("GET", "/api/v1/me", other, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the other session after the password change: GET /me = %d %s, want 401", r.Status, r.Body)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/me", p.Token, nil)
	e.Must(http.StatusOK, "GET", "/api/v1/me", acc.OwnerToken, nil)
	for {
		_, err := apitest.Read(ws, 5*time.Second)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation {
			t.Fatalf("the other session's stream ended with %v, want a policy-violation close", err)
		}
		break
	}
	e.Login(p.Email, "new password 1")
}
