package widgetapi_test

// The abuse suite: every bound of the chat box API, which anyone on the
// internet may call, exercised through the real server over HTTP and real
// WebSockets — the bound holds, nothing beyond it is stored, and the
// people it must never hurt (a shopper clicking fast, hundreds of visitors
// behind one carrier NAT, a team behind one office address) are not.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/widgetapi"
)

// behindProxy trusts the test client as a reverse proxy, so each request
// may say which client address it comes from with X-Forwarded-For.
const behindProxy = "127.0.0.1/32,::1/128"

// from sends a request as the client at addr (through the trusted proxy).
func from(e *apitest.Env, addr, method, path, token string, body any) apitest.Response {
	e.T.Helper()
	return e.DoWith(method, path, token, http.Header{"X-Forwarded-For": {addr}}, body)
}

// sessionFrom starts (or resumes, with token) a session as the client at
// addr and returns the answer.
func sessionFrom(e *apitest.Env, addr string, acc apitest.Account, token string, page map[string]string) apitest.Response {
	e.T.Helper()
	body := map[string]any{"widget_key": acc.WidgetKey}
	if token != "" {
		body["visitor_token"] = token
	}
	if page != nil {
		body["page"] = page
	}
	return from(e, addr, "POST", "/widget/v1/session", "", body)
}

// count runs a COUNT query on the server's database.
func count(e *apitest.Env, query string, args ...any) int {
	e.T.Helper()
	var n int
	if err := e.Server.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.T.Fatalf("%s: %v", query, err)
	}
	return n
}

// logLines counts the server's log records by message.
type logLines struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = make(map[string]int)
	}
	l.n[r.Message]++
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[msg]
}

func (l *logLines) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.n {
		n += c
	}
	return n
}

// dialStatus opens a socket and returns it, or nil and the HTTP status the
// upgrade was refused with.
func dialStatus(e *apitest.Env, path string, header http.Header) (*websocket.Conn, int) {
	e.T.Helper()
	ws, res, err := e.Dial(path, header)
	if err == nil {
		return ws, http.StatusSwitchingProtocols
	}
	if res == nil {
		e.T.Fatalf("dial %s: %v", path, err)
	}
	if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
		e.T.Errorf("dial %s = 429 without Retry-After", path)
	}
	return nil, res.StatusCode
}

// reader reads a socket's frames on a goroutine of its own (a read that
// times out would close the socket), for frames to collect them.
type reader struct{ c chan apitest.Frame }

var readers sync.Map // *websocket.Conn -> *reader

// frames returns the frames that arrive on ws within d.
func frames(ws *websocket.Conn, d time.Duration) []apitest.Frame {
	r, loaded := readers.LoadOrStore(ws, &reader{c: make(chan apitest.Frame, 100000)})
	rd := r.(*reader)
	if !loaded {
		go func() {
			defer close(rd.c)
			for {
				_, b, err := ws.Read(context.Background())
				if err != nil {
					return
				}
				var f apitest.Frame
				json.Unmarshal(b, &f)
				rd.c <- f
			}
		}()
	}
	var out []apitest.Frame
	end := time.After(d)
	for {
		select {
		case f, ok := <-rd.c:
			if !ok {
				return out
			}
			out = append(out, f)
		case <-end:
			return out
		}
	}
}

// until collects ws's frames until match, failing after 5 s.
func until(t testing.TB, ws *websocket.Conn, match func(apitest.Frame) bool) apitest.Frame {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range frames(ws, 50*time.Millisecond) {
			if match(f) {
				return f
			}
		}
	}
	t.Fatal("the frame waited for never came")
	return apitest.Frame{}
}

func ofType(fs []apitest.Frame, typ string) []apitest.Frame {
	var out []apitest.Frame
	for _, f := range fs {
		if f.Type == typ {
			out = append(out, f)
		}
	}
	return out
}

func errorCodes(fs []apitest.Frame, code string) int {
	n := 0
	for _, f := range fs {
		if f.Type == "error" && f.Error != nil && f.Error.Code == code {
			n++
		}
	}
	return n
}

func TestAbusePageViewsOverTheSocketAreLimited(t *testing.T) {
	logs := &logLines{}
	e := apitest.New(t, apitest.Options{Logger: slog.New(logs)})
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	ws := e.VisitorStream(acc.ID, v)

	// A shopper clicking fast through 20 pages: every page is kept.
	for i := range 20 {
		if err := apitest.Write(ws, map[string]string{"type": "page.view", "url": fmt.Sprintf("https://shop.example/p/%d", i), "title": "Product"}); err != nil {
			t.Fatal(err)
		}
	}
	// A flood from the same socket: 2,000 more within a second.
	for i := range 2000 {
		if err := apitest.Write(ws, map[string]string{"type": "page.view", "url": fmt.Sprintf("https://flood.example/%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := frames(ws, 2*time.Second)
	stored := count(e, `SELECT COUNT(*) FROM page_views WHERE visitor_id = ?`, v.ID)
	shop := count(e, `SELECT COUNT(*) FROM page_views WHERE visitor_id = ? AND url LIKE 'https://shop.example/%'`, v.ID)
	if shop != 20 {
		t.Errorf("%d of the shopper's 20 page views stored, want all", shop)
	}
	// 20 at once, then one every 2 s: a few seconds of refill at most.
	if stored > 25 {
		t.Errorf("%d page views stored from a flood of 2,020, want at most 25", stored)
	}
	if n := errorCodes(got, "rate_limited"); n < 1 || n > 2 {
		t.Errorf("%d rate_limited error frames for a flood, want one (at most once in a while)", n)
	}
	// The socket still works for what matters.
	if err := apitest.Write(ws, map[string]string{"type": "message.send", "client_id": "after-flood", "text": "still here"}); err != nil {
		t.Fatal(err)
	}
	if f := until(t, ws, func(f apitest.Frame) bool { return f.ClientID == "after-flood" }); f.Type != "ack" {
		t.Errorf("message after the flood answered %+v, want an ack", f)
	}

	t.Run("failures are logged once a minute, not once a frame", func(t *testing.T) {
		e := e.For(t)
		v := e.NewVisitor(acc)
		ws := e.VisitorStream(acc.ID, v)
		// The disk is full, or the table is gone: every write fails.
		if err := e.Server.DB.Write(context.Background(), func(tx *database.Tx) error {
			_, err := tx.Exec(context.Background(), `DROP TABLE page_views`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			apitest.Write(ws, map[string]string{"type": "page.view", "url": fmt.Sprintf("https://shop.example/x/%d", i)})
		}
		frames(ws, time.Second)
		if n := logs.count("page_view_failed"); n != 1 {
			t.Errorf("%d page_view_failed lines for 200 failing page views, want 1", n)
		}
	})
}

func TestAbusePageViewsInSessionsAreLimited(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	for i := range 100 {
		r := e.Do("POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey, "visitor_token": v.Token,
			"page": map[string]string{"url": fmt.Sprintf("https://shop.example/s/%d", i)}})
		if r.Status != http.StatusOK {
			t.Fatalf("session %d = %d %s, want 200: a page view over the limit is dropped, the session still starts", i, r.Status, r.Body)
		}
	}
	if n := count(e, `SELECT COUNT(*) FROM page_views WHERE visitor_id = ?`, v.ID); n < 20 || n > 25 {
		t.Errorf("%d page views stored from 100 sessions in a burst, want 20 to 25", n)
	}
}

func TestAbuseNewVisitorsPerAddress(t *testing.T) {
	e := apitest.New(t, apitest.Options{TrustedProxies: behindProxy})
	acc := e.NewAccount()
	const nat = "198.51.100.7" // a mobile carrier's NAT: hundreds of people

	// 200 people behind one address arrive within a minute: all are served.
	start := time.Now() // the bucket refills from here on
	tokens := make([]string, 200)
	var wg sync.WaitGroup
	var refused atomic.Int64
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(tokens); i += 8 {
				r := sessionFrom(e, nat, acc, "", map[string]string{"url": "https://shop.example/"})
				if r.Status != http.StatusOK {
					refused.Add(1)
					continue
				}
				var s session
				json.Unmarshal(r.Body, &s)
				tokens[i] = s.VisitorToken
			}
		}()
	}
	wg.Wait()
	if n := refused.Load(); n > 0 {
		t.Fatalf("%d of 200 visitors behind one NAT address refused a session, want none", n)
	}

	// A flood from the same address: new visitors stop at the bucket.
	before := count(e, `SELECT COUNT(*) FROM visitors WHERE account_id = ?`, acc.ID)
	var limited apitest.Response
	for range 400 {
		r := sessionFrom(e, nat, acc, "", nil)
		if r.Status == http.StatusTooManyRequests {
			limited = r
			break
		}
	}
	if limited.Status != http.StatusTooManyRequests || limited.ErrorCode() != "rate_limited" || limited.Header.Get("Retry-After") == "" {
		t.Fatalf("400 more new visitors from one address: last answer %d %s, want 429 rate_limited with Retry-After", limited.Status, limited.Body)
	}
	for range 200 {
		sessionFrom(e, nat, acc, "", nil)
	}
	after := count(e, `SELECT COUNT(*) FROM visitors WHERE account_id = ?`, acc.ID)
	// The bucket holds 300 (200 taken above), refilling one a second.
	if allowed := 300 + int(time.Since(start).Seconds()) + 1; after > allowed {
		t.Errorf("%d visitors stored from one address, want at most %d", after, allowed)
	}
	if contacts := count(e, `SELECT COUNT(*) FROM contacts WHERE account_id = ?`, acc.ID); contacts != after {
		t.Errorf("%d contacts for %d visitors: a refused session stored something", contacts, after)
	}
	t.Logf("%d new visitors after the honest 200, then refused", after-before)

	// Returning visitors from that address are never refused.
	for i, tok := range tokens[:50] {
		if r := sessionFrom(e, nat, acc, tok, nil); r.Status != http.StatusOK {
			t.Fatalf("returning visitor %d = %d %s, want 200", i, r.Status, r.Body)
		}
	}
	// Other addresses are not affected.
	if r := sessionFrom(e, "203.0.113.50", acc, "", nil); r.Status != http.StatusOK {
		t.Errorf("a new visitor from another address = %d %s, want 200", r.Status, r.Body)
	}

	t.Run("IPv6 addresses count per /64", func(t *testing.T) {
		e := apitest.New(t, apitest.Options{TrustedProxies: behindProxy, VisitorLimits: widgetapi.Limits{NewVisitorBurst: 5, NewVisitorsPerMinute: 1}})
		acc := e.NewAccount()
		for i := 1; i <= 5; i++ {
			if r := sessionFrom(e, fmt.Sprintf("2001:db8:1:2::%x", i), acc, "", nil); r.Status != http.StatusOK {
				t.Fatalf("visitor %d of the /64 = %d %s, want 200", i, r.Status, r.Body)
			}
		}
		if r := sessionFrom(e, "2001:db8:1:2:ffff:1:2:3", acc, "", nil); r.Status != http.StatusTooManyRequests {
			t.Errorf("a 6th new visitor from the same /64 = %d %s, want 429", r.Status, r.Body)
		}
		if r := sessionFrom(e, "2001:db8:1:3::1", acc, "", nil); r.Status != http.StatusOK {
			t.Errorf("a new visitor from the next /64 = %d %s, want 200", r.Status, r.Body)
		}
		// An IPv4 address is its own: the neighbour is not refused.
		for i := range 5 {
			sessionFrom(e, "192.0.2.1", acc, "", nil)
			_ = i
		}
		if r := sessionFrom(e, "192.0.2.2", acc, "", nil); r.Status != http.StatusOK {
			t.Errorf("a new visitor from the next IPv4 address = %d %s, want 200", r.Status, r.Body)
		}
	})
}

// TestAbuseCarrierNAT: 200 visitors behind one address use the chat box as
// people do — a session, a socket, pages, a message — and nothing refuses
// them.
func TestAbuseCarrierNAT(t *testing.T) {
	e := apitest.New(t, apitest.Options{TrustedProxies: behindProxy})
	acc := e.NewAccount()
	const nat = "198.51.100.9"
	hdr := http.Header{"X-Forwarded-For": {nat}}
	for i := range 200 {
		r := sessionFrom(e, nat, acc, "", map[string]string{"url": "https://shop.example/"})
		if r.Status != http.StatusOK {
			t.Fatalf("visitor %d behind the NAT: session = %d %s", i, r.Status, r.Body)
		}
		var s session
		r.JSON(t, &s)
		ws, status := dialStatus(e, "/widget/v1/stream?token="+s.VisitorToken, hdr)
		if ws == nil {
			t.Fatalf("visitor %d behind the NAT: socket refused with %d", i, status)
		}
		if err := apitest.Write(ws, map[string]string{"type": "page.view", "url": "https://shop.example/cart"}); err != nil {
			t.Fatal(err)
		}
		if i%20 == 0 {
			if err := apitest.Write(ws, map[string]string{"type": "message.send", "client_id": fmt.Sprintf("nat-%d", i), "text": "Hello"}); err != nil {
				t.Fatal(err)
			}
			if f := until(t, ws, func(f apitest.Frame) bool { return f.ClientID != "" }); f.Type != "ack" {
				t.Fatalf("visitor %d behind the NAT: message answered %+v", i, f)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for count(e, `SELECT COUNT(*) FROM page_views WHERE account_id = ?`, acc.ID) < 400 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := count(e, `SELECT COUNT(*) FROM page_views WHERE account_id = ?`, acc.ID); n != 400 {
		t.Errorf("%d page views stored for 200 visitors' 2 pages each, want 400", n)
	}
}

func TestAbuseVisitorSocketsAreCapped(t *testing.T) {
	e := apitest.New(t, apitest.Options{TrustedProxies: behindProxy, VisitorLimits: widgetapi.Limits{SocketsPerAddress: 15}})
	acc := e.NewAccount()
	hdr := http.Header{"X-Forwarded-For": {"203.0.113.20"}}
	v := e.NewVisitor(acc)

	// Ten tabs are normal; the eleventh socket of one visitor is refused
	// before the upgrade.
	var tabs []*websocket.Conn
	for i := range 10 {
		ws, status := dialStatus(e, "/widget/v1/stream?token="+v.Token, hdr)
		if ws == nil {
			t.Fatalf("tab %d refused with %d", i+1, status)
		}
		tabs = append(tabs, ws)
	}
	if ws, status := dialStatus(e, "/widget/v1/stream?token="+v.Token, hdr); ws != nil || status != http.StatusTooManyRequests {
		t.Fatalf("socket 11 of one visitor = %d, want 429", status)
	}
	// A closed tab frees its place.
	tabs[0].Close(websocket.StatusNormalClosure, "")
	var again *websocket.Conn
	for deadline := time.Now().Add(5 * time.Second); again == nil && time.Now().Before(deadline); {
		if again, _ = dialStatus(e, "/widget/v1/stream?token="+v.Token, hdr); again == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if again == nil {
		t.Fatal("a closed tab's place was never freed")
	}

	// Per address: 15 here (10 are open); other visitors of the address
	// get 5 more, then none.
	opened := 0
	for range 8 {
		w := e.NewVisitor(acc)
		if ws, status := dialStatus(e, "/widget/v1/stream?token="+w.Token, hdr); ws != nil {
			opened++
		} else if status != http.StatusTooManyRequests {
			t.Fatalf("socket refused with %d, want 429", status)
		}
	}
	if opened != 5 {
		t.Errorf("%d more sockets opened from the address, want 5 (15 at most)", opened)
	}
	// Another address is not affected.
	w := e.NewVisitor(acc)
	if ws, status := dialStatus(e, "/widget/v1/stream?token="+w.Token, http.Header{"X-Forwarded-For": {"203.0.113.21"}}); ws == nil {
		t.Errorf("a socket from another address refused with %d", status)
	}
}

func TestAbuseAgentSocketsAreCapped(t *testing.T) {
	t.Run("a team of 50 behind one office address each has a dashboard", func(t *testing.T) {
		e := apitest.New(t, apitest.Options{TrustedProxies: behindProxy})
		acc := e.NewAccount()
		hdr := func(token string) http.Header {
			return http.Header{"Authorization": {"Bearer " + token}, "X-Forwarded-For": {"192.0.2.80"}}
		}
		for i := range 50 {
			var token string
			if i == 0 {
				token = acc.OwnerToken
			} else {
				token = e.NewAgent(acc, "agent", fmt.Sprintf("Agent %d", i)).Token
			}
			// A dashboard and a second tab each.
			for tab := range 2 {
				if ws, status := dialStatus(e, "/api/v1/stream", hdr(token)); ws == nil {
					t.Fatalf("agent %d tab %d: socket refused with %d", i, tab, status)
				}
			}
		}
	})

	t.Run("per token, per agent and per account", func(t *testing.T) {
		e := apitest.New(t, apitest.Options{AgentStreams: httpapi.StreamLimits{PerToken: 3, PerAgent: 4, PerAccount: 6}})
		acc := e.NewAccount()
		bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
		owner2 := e.Login(acc.OwnerEmail, "password123")
		for i := range 3 {
			if ws, status := dialStatus(e, "/api/v1/stream", bearer(acc.OwnerToken)); ws == nil {
				t.Fatalf("socket %d of a token refused with %d", i+1, status)
			}
		}
		if ws, status := dialStatus(e, "/api/v1/stream", bearer(acc.OwnerToken)); ws != nil || status != http.StatusTooManyRequests {
			t.Fatalf("socket 4 of a token = %d, want 429", status)
		}
		if ws, status := dialStatus(e, "/api/v1/stream", bearer(owner2)); ws == nil {
			t.Fatalf("the agent's 4th socket, with a second token, refused with %d", status)
		}
		if ws, status := dialStatus(e, "/api/v1/stream", bearer(owner2)); ws != nil || status != http.StatusTooManyRequests {
			t.Fatalf("the agent's 5th socket = %d, want 429", status)
		}
		other := e.NewAgent(acc, "agent", "Other")
		for i := range 2 {
			if ws, status := dialStatus(e, "/api/v1/stream", bearer(other.Token)); ws == nil {
				t.Fatalf("another agent's socket %d refused with %d", i+1, status)
			}
		}
		if ws, status := dialStatus(e, "/api/v1/stream", bearer(other.Token)); ws != nil || status != http.StatusTooManyRequests {
			t.Fatalf("the account's 7th socket = %d, want 429", status)
		}
		// Another account is not affected.
		if ws, status := dialStatus(e, "/api/v1/stream", bearer(e.NewAccount().OwnerToken)); ws == nil {
			t.Fatalf("another account's socket refused with %d", status)
		}
	})
}

// TestAbuseClientsThatNeverRead: a socket whose client stops reading is
// closed within the write timeout once its buffers fill, and everything it
// held is released.
func TestAbuseClientsThatNeverRead(t *testing.T) {
	const timeout = time.Second
	e := apitest.New(t, apitest.Options{VisitorLimits: widgetapi.Limits{WriteTimeout: timeout}, AgentStreams: httpapi.StreamLimits{WriteTimeout: timeout}})
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	big := event.Frame("typing", 0, []byte(`{"pad":"`+strings.Repeat("x", 32<<10)+`"}`))

	for _, tc := range []struct {
		name string
		dial func() *websocket.Conn
		push func()
	}{
		{"a chat box", func() *websocket.Conn { return e.VisitorStream(acc.ID, v) },
			func() { e.Server.Hub.Publish(&event.Event{AccountID: acc.ID, VisitorID: v.ID, VisitorFrame: big}) }},
		{"a dashboard", func() *websocket.Conn { return e.AgentStream(acc.ID, acc.OwnerToken) },
			func() { e.Server.Hub.Publish(&event.Event{AccountID: acc.ID, AgentFrame: big}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			goroutines := runtime.NumGoroutine()
			ws := tc.dial() // and never read
			// The server pushes events as fast as it can: the buffers fill,
			// a write blocks, the socket must be closed within the timeout.
			start := time.Now()
			for e.Server.Hub.Subscribers() > 0 && time.Since(start) < timeout+10*time.Second {
				tc.push()
				time.Sleep(100 * time.Microsecond)
			}
			if n := e.Server.Hub.Subscribers(); n > 0 {
				t.Fatalf("after %v of events to a client that never reads, %d subscriptions still open", time.Since(start).Round(time.Millisecond), n)
			}
			if took := time.Since(start); took > timeout+5*time.Second {
				t.Errorf("a client that never reads was closed after %v, want about %v", took, timeout)
			}
			ws.CloseNow()
			// Its goroutines end with it.
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > goroutines+1 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > goroutines+1 {
				t.Errorf("%d goroutines after the socket closed, %d before it opened", n, goroutines)
			}
		})
	}
}

func TestAbuseTypingIsCoalesced(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v, conv := e.NewConversation(acc, "hello")
	agent := e.AgentStream(acc.ID, acc.OwnerToken)
	vs := e.VisitorStream(acc.ID, v)
	frames(agent, 300*time.Millisecond) // let the presence frames pass

	// A visitor's socket sends 5,000 typing frames; the agents see a few,
	// the last one the final state.
	start := time.Now()
	for i := range 5000 {
		if err := apitest.Write(vs, map[string]any{"type": "typing", "on": i%2 == 0}); err != nil {
			t.Fatal(err)
		}
	}
	apitest.Write(vs, map[string]any{"type": "typing", "on": true})
	apitest.Write(vs, map[string]any{"type": "typing", "on": false})
	sent := time.Since(start)
	got := ofType(frames(agent, 3*time.Second), "typing")
	// One at once, then at most one per 1.5 s while they came, and the
	// final state.
	if max := 2 + int(sent/(1500*time.Millisecond)); len(got) > max || len(got) == 0 {
		t.Fatalf("%d typing frames reached the agent for 5,002 sent in %v, want 1 to %d", len(got), sent, max)
	}
	last := got[len(got)-1].Object(t)
	if last["on"] != false || last["conversation_id"] != conv || last["visitor_id"] != v.ID {
		t.Errorf("the last typing frame the agent saw = %v, want on=false for %s", last, conv)
	}

	// A typing keep-alive (on, every few seconds while typing) still goes.
	apitest.Write(vs, map[string]any{"type": "typing", "on": true})
	if f := ofType(frames(agent, time.Second), "typing"); len(f) != 1 || f[0].Object(t)["on"] != true {
		t.Errorf("typing on after a pause reached the agent as %v, want one frame on=true", f)
	}

	// The agent's side is bounded the same way.
	frames(vs, 200*time.Millisecond)
	start = time.Now()
	for i := range 5000 {
		if err := apitest.Write(agent, map[string]any{"type": "typing", "conversation_id": conv, "on": i%2 == 0}); err != nil {
			t.Fatal(err)
		}
	}
	apitest.Write(agent, map[string]any{"type": "typing", "conversation_id": conv, "on": false})
	sent = time.Since(start)
	got = ofType(frames(vs, 3*time.Second), "typing")
	if max := 2 + int(sent/(1500*time.Millisecond)); len(got) > max || len(got) == 0 {
		t.Fatalf("%d typing frames reached the visitor for 5,001 sent in %v, want 1 to %d", len(got), sent, max)
	}
	if last := got[len(got)-1].Object(t); last["on"] != false {
		t.Errorf("the last typing frame the visitor saw = %v, want on=false", last)
	}
	// An unknown conversation is still refused.
	apitest.Write(agent, map[string]any{"type": "typing", "conversation_id": "no-such", "on": true})
	if n := errorCodes(frames(agent, time.Second), "not_found"); n != 1 {
		t.Errorf("typing in an unknown conversation answered %d not_found error frames, want 1", n)
	}
}

func TestAbuseMessageFloodOverTheSocket(t *testing.T) {
	logs := &logLines{}
	e := apitest.New(t, apitest.Options{Logger: slog.New(logs)})
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	ws := e.VisitorStream(acc.ID, v)
	lines := logs.total()
	for i := range 1000 {
		if err := apitest.Write(ws, map[string]string{"type": "message.send", "client_id": fmt.Sprintf("flood-%d", i), "text": "spam"}); err != nil {
			t.Fatal(err)
		}
	}
	got := frames(ws, 3*time.Second)
	stored := count(e, `SELECT COUNT(*) FROM messages WHERE sender_id = ?`, v.ID)
	if stored < 30 || stored > 35 {
		t.Errorf("%d messages stored from a flood of 1,000, want the burst of 30 (and a few refilled)", stored)
	}
	if acks := len(ofType(got, "ack")); acks != stored {
		t.Errorf("%d acks for %d stored messages", acks, stored)
	}
	if n := logs.total() - lines; n > 5 {
		t.Errorf("%d log lines for a flood of refused frames, want a handful at most", n)
	}
}

// Behind a proxy Parley was not told to trust, every visitor seems to come
// from the proxy: the operator is told why visitors are refused.
func TestAbuseLimitBehindAnUntrustedProxyIsExplained(t *testing.T) {
	logs := &logLines{}
	e := apitest.New(t, apitest.Options{Logger: slog.New(logs), VisitorLimits: widgetapi.Limits{NewVisitorBurst: 2, NewVisitorsPerMinute: 1}})
	acc := e.NewAccount()
	for i := range 5 {
		r := sessionFrom(e, fmt.Sprintf("198.51.100.%d", i+1), acc, "", nil)
		if want := i < 2; (r.Status == http.StatusOK) != want {
			t.Fatalf("session %d = %d, want ok %v: the untrusted X-Forwarded-For must be ignored", i, r.Status, want)
		}
	}
	if n := logs.count("client_limit_behind_untrusted_proxy"); n != 1 {
		t.Errorf("%d client_limit_behind_untrusted_proxy lines for 3 refusals, want 1", n)
	}
}
