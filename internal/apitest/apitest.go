// Package apitest starts a real Parley handler on a fresh database for
// black-box tests of the HTTP and WebSocket APIs, with small helpers for the
// calls tests make again and again.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/clientip"
	"github.com/parley-chat/parley/internal/geo"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/stream"
	"github.com/parley-chat/parley/internal/testdb"
	"github.com/parley-chat/parley/internal/widgetapi"
)

// Env is a running server for one test.
type Env struct {
	T      testing.TB
	URL    string
	Server *server.Server
	HTTP   *httptest.Server
	n      atomic.Int64
}

// Options tune the server under test.
type Options struct {
	VisitorMessagesPerMinute int
	VisitorBurst             int
	StreamRecheck            time.Duration
	// WidgetFiles and DashboardFiles replace the embedded builds.
	WidgetFiles    fs.FS
	DashboardFiles fs.FS
	// TrustedProxies are CIDRs of reverse proxies whose X-Forwarded-For
	// is believed, as in PARLEY_TRUSTED_PROXIES.
	TrustedProxies string
	// GeoIPDB is the path of a MaxMind-format City database.
	GeoIPDB string
	// BaseURL is Parley's public URL, as in PARLEY_BASE_URL.
	BaseURL string
	// VisitorLimits and AgentStreams bound the chat box API and the agent
	// sockets (zero fields: the defaults).
	VisitorLimits widgetapi.Limits
	AgentStreams  httpapi.StreamLimits
	// Logger receives the server's logs (discarded when nil).
	Logger *slog.Logger
	// SignIn tunes the sign-in limits and gives them a clock tests can
	// move (zero: the defaults and the real clock).
	SignIn agent.Options
}

// New starts a server on a fresh database (SQLite, or PostgreSQL when
// PARLEY_TEST_DATABASE_URL is set).
func New(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	db := testdb.Open(t)
	proxies, err := clientip.ParseProxies(o.TrustedProxies)
	if err != nil {
		t.Fatal(err)
	}
	var geoDB *geo.DB
	if o.GeoIPDB != "" {
		if geoDB, err = geo.Open(o.GeoIPDB); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { geoDB.Close() })
	}
	srv := server.New(server.Opts{DB: db, BaseURL: o.BaseURL, VisitorMessagesPerMinute: o.VisitorMessagesPerMinute, VisitorBurst: o.VisitorBurst, StreamRecheck: o.StreamRecheck, WidgetFiles: o.WidgetFiles, DashboardFiles: o.DashboardFiles,
		TrustedProxies: proxies, GeoIP: geoDB, VisitorLimits: o.VisitorLimits, AgentStreams: o.AgentStreams, Logger: o.Logger, SignIn: o.SignIn})
	hs := httptest.NewUnstartedServer(srv.Handler)
	// Sockets outlive their handlers (stream.Lifetime): end them with the test.
	life, end := context.WithCancel(context.Background())
	hs.Config.BaseContext = func(net.Listener) context.Context { return stream.WithLifetime(life) }
	hs.Start()
	t.Cleanup(func() {
		end()
		hs.Close()
	})
	return &Env{T: t, URL: hs.URL, Server: srv, HTTP: hs}
}

// Response is a decoded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on bad JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// ErrorCode returns error.code of an error body ("" when none).
func (r Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends a request with an optional bearer token and JSON body (a string
// or []byte is sent as is, anything else is encoded).
func (e *Env) Do(method, path, token string, body any) Response {
	e.T.Helper()
	return e.DoWith(method, path, token, nil, body)
}

// DoWith is Do with more headers: header's values replace the ones Do
// sets, and a Content-Type given as "" sends none.
func (e *Env) DoWith(method, path, token string, header http.Header, body any) Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = v
		if http.CanonicalHeaderKey(k) == "Content-Type" && (len(v) == 0 || v[0] == "") {
			req.Header.Del(k)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Must sends a request and fails the test unless the status is want.
func (e *Env) Must(want int, method, path, token string, body any) Response {
	e.T.Helper()
	r := e.Do(method, path, token, body)
	if r.Status != want {
		e.T.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, want)
	}
	return r
}

// Account is a created account with its signed-in owner.
type Account struct {
	ID         string
	WidgetKey  string
	OwnerID    string
	OwnerToken string
	OwnerEmail string
}

// Person is a signed-in agent.
type Person struct {
	ID    string
	Email string
	Name  string
	Role  string
	Token string
}

// NewAccount creates an account with a signed-in owner.
func (e *Env) NewAccount() Account {
	e.T.Helper()
	n := e.n.Add(1)
	email := fmt.Sprintf("owner%d-%d@example.com", n, time.Now().UnixNano())
	acc, owner, err := e.Server.Accounts.Create(context.Background(), fmt.Sprintf("Shop %d", n), agent.NewAgent{Email: email, Password: "password123", Name: "Olivia Owner"})
	if err != nil {
		e.T.Fatalf("create account: %v", err)
	}
	return Account{ID: acc.ID, WidgetKey: acc.WidgetKey, OwnerID: owner.ID, OwnerEmail: email, OwnerToken: e.Login(email, "password123")}
}

// Login signs in and returns the token.
func (e *Env) Login(email, password string) string {
	e.T.Helper()
	var out struct {
		Token string `json:"token"`
	}
	e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}).JSON(e.T, &out)
	return out.Token
}

// NewAgent adds an agent with role (agent or admin) to acc and signs it in.
func (e *Env) NewAgent(acc Account, role, name string) Person {
	e.T.Helper()
	n := e.n.Add(1)
	email := fmt.Sprintf("agent%d-%d@example.com", n, time.Now().UnixNano())
	var a struct {
		ID string `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/agents", acc.OwnerToken, map[string]string{"email": email, "name": name, "password": "password123", "role": role}).JSON(e.T, &a)
	return Person{ID: a.ID, Email: email, Name: name, Role: role, Token: e.Login(email, "password123")}
}

// Visitor is a chat-box visitor session.
type Visitor struct {
	Token     string
	ID        string
	ContactID string
}

// NewVisitor starts a visitor session on acc's chat box.
func (e *Env) NewVisitor(acc Account) Visitor {
	e.T.Helper()
	var out struct {
		VisitorToken string `json:"visitor_token"`
		VisitorID    string `json:"visitor_id"`
		ContactID    string `json:"contact_id"`
	}
	e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey}).JSON(e.T, &out)
	return Visitor{Token: out.VisitorToken, ID: out.VisitorID, ContactID: out.ContactID}
}

// IdentifyUser identifies v as the site's user userID the way a shop's
// page does it: with the user_hash its server signs with acc's identity
// secret. extra adds fields (name, email, …) to the identify body.
func (e *Env) IdentifyUser(acc Account, v Visitor, userID string, extra map[string]any) map[string]any {
	e.T.Helper()
	var idn struct{ Secret string }
	e.Must(http.StatusOK, "GET", "/api/v1/identity", acc.OwnerToken, nil).JSON(e.T, &idn)
	body := map[string]any{"user_id": userID, "user_hash": account.UserHash(idn.Secret, userID)}
	for k, x := range extra {
		body[k] = x
	}
	return e.Must(http.StatusOK, "POST", "/widget/v1/identify", v.Token, body).Map(e.T)
}

// VisitorSays sends a visitor message over HTTP and returns the stored
// message as a map (conversation_id, seq, ...).
func (e *Env) VisitorSays(v Visitor, text string) map[string]any {
	e.T.Helper()
	id := fmt.Sprintf("c-%d-%d", e.n.Add(1), time.Now().UnixNano())
	return e.Must(http.StatusCreated, "POST", "/widget/v1/messages", v.Token, map[string]string{"text": text, "client_id": id}).Map(e.T)
}

// Dial opens a WebSocket to path (a stream URL with its query string).
func (e *Env) Dial(path string, header http.Header) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	if ws != nil {
		ws.SetReadLimit(1 << 20)
		e.T.Cleanup(func() { ws.CloseNow() })
	}
	return ws, res, err
}

// Frame is a decoded stream frame.
type Frame struct {
	Type     string          `json:"type"`
	Seq      int64           `json:"seq"`
	ClientID string          `json:"client_id"`
	Data     json.RawMessage `json:"data"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Read reads one frame within timeout.
func Read(ws *websocket.Conn, timeout time.Duration) (Frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, b, err := ws.Read(ctx)
	if err != nil {
		return Frame{}, err
	}
	var f Frame
	err = json.Unmarshal(b, &f)
	return f, err
}

// Write sends one JSON frame.
func Write(ws *websocket.Conn, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ws.Write(ctx, websocket.MessageText, b)
}

// LastSeq returns the seq of the account's latest event (0 when none).
func (e *Env) LastSeq(accountID string) int64 {
	e.T.Helper()
	_, latest, err := e.Server.Log.Bounds(context.Background(), accountID)
	if err != nil {
		e.T.Fatalf("event bounds of %s: %v", accountID, err)
	}
	return latest
}

// AgentStream opens token's agent stream from the account's latest event,
// so every later event arrives (a socket without after_seq may miss events
// committed while it is being set up).
func (e *Env) AgentStream(accountID, token string) *websocket.Conn {
	e.T.Helper()
	ws, res, err := e.Dial(fmt.Sprintf("/api/v1/stream?after_seq=%d", e.LastSeq(accountID)), http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		e.T.Fatalf("dial agent stream: %v (status %d)", err, status)
	}
	return ws
}

// VisitorStream opens v's stream from the account's latest event.
func (e *Env) VisitorStream(accountID string, v Visitor) *websocket.Conn {
	e.T.Helper()
	ws, res, err := e.Dial(fmt.Sprintf("/widget/v1/stream?token=%s&after_seq=%d", v.Token, e.LastSeq(accountID)), nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		e.T.Fatalf("dial visitor stream: %v (status %d)", err, status)
	}
	return ws
}

// Object decodes the frame's data as a JSON object.
func (f Frame) Object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.Data, &m); err != nil {
		t.Fatalf("decode %s frame data %s: %v", f.Type, f.Data, err)
	}
	return m
}

// Next reads the next frame within 5 seconds, skipping the ephemeral
// typing, presence and visitor.online/offline frames (they arrive whenever
// a socket comes or goes), and fails the test when none arrives.
func Next(t testing.TB, ws *websocket.Conn) Frame {
	t.Helper()
	for {
		f, err := Read(ws, 5*time.Second)
		if err != nil {
			t.Fatalf("read frame: %v", err)
		}
		switch f.Type {
		case "typing", "presence", "visitor.online", "visitor.offline":
		default:
			return f
		}
	}
}

// Until reads frames (as Next does) until match is true and returns all of
// them, the matching one last.
func Until(t testing.TB, ws *websocket.Conn, match func(Frame) bool) []Frame {
	t.Helper()
	var out []Frame
	for {
		f := Next(t, ws)
		out = append(out, f)
		if match(f) {
			return out
		}
	}
}

// ConversationOf returns GET /api/v1/conversations/{id} as token sees it.
func (e *Env) ConversationOf(token, id string) map[string]any {
	e.T.Helper()
	return e.Must(http.StatusOK, "GET", "/api/v1/conversations/"+id, token, nil).Map(e.T)
}

// MessagesOf returns the messages of a conversation as token sees them
// (the first 200).
func (e *Env) MessagesOf(token, id string) []map[string]any {
	e.T.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	e.Must(http.StatusOK, "GET", "/api/v1/conversations/"+id+"/messages?limit=200", token, nil).JSON(e.T, &page)
	return page.Items
}

// NewConversation starts a visitor on acc who writes text and returns the
// visitor and the new conversation's id.
func (e *Env) NewConversation(acc Account, text string) (Visitor, string) {
	e.T.Helper()
	v := e.NewVisitor(acc)
	m := e.VisitorSays(v, text)
	id, _ := m["conversation_id"].(string)
	if id == "" {
		e.T.Fatalf("visitor message %v has no conversation_id", m)
	}
	return v, id
}

// Owner returns acc's owner as a Person (named as NewAccount names it).
func (acc Account) Owner() Person {
	return Person{ID: acc.OwnerID, Email: acc.OwnerEmail, Name: "Olivia Owner", Role: "owner", Token: acc.OwnerToken}
}

// For returns a view of e that reports failures to t (a subtest), sharing
// the running server.
func (e *Env) For(t testing.TB) *Env {
	v := &Env{T: t, URL: e.URL, Server: e.Server, HTTP: e.HTTP}
	// Names and client_ids made through the view stay unique.
	v.n.Store(e.n.Add(1 << 20))
	return v
}
