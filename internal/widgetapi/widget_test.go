package widgetapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apitest"
)

// session is the answer of POST /widget/v1/session.
type session struct {
	VisitorToken string         `json:"visitor_token"`
	VisitorID    string         `json:"visitor_id"`
	ContactID    string         `json:"contact_id"`
	Conversation map[string]any `json:"conversation"`
	Online       *bool          `json:"online"`
}

func startSession(e *apitest.Env, body map[string]any) session {
	e.T.Helper()
	var s session
	r := e.Must(http.StatusOK, "POST", "/widget/v1/session", "", body)
	r.JSON(e.T, &s)
	if s.VisitorToken == "" || s.VisitorID == "" || s.ContactID == "" || s.Online == nil {
		e.T.Fatalf("session = %s, want visitor_token, visitor_id, contact_id and online", r.Body)
	}
	if _, ok := r.Map(e.T)["conversation"]; !ok {
		e.T.Fatalf("session = %s, want a conversation key (null or an object)", r.Body)
	}
	return s
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func wantError(t testing.TB, r apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Fatalf("got %d %s, want %d with error code %q", r.Status, r.Body, status, code)
	}
}

func TestSession(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	other := env.NewAccount()

	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"an unknown widget_key is not found", map[string]any{"widget_key": "no-such-key"}},
		{"a missing widget_key is not found", map[string]any{}},
		{"an unknown widget_key with a good visitor token is not found", map[string]any{"widget_key": "no-such-key", "visitor_token": env.NewVisitor(acc).Token}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, env.For(t).Do("POST", "/widget/v1/session", "", tc.body), http.StatusNotFound, "not_found")
		})
	}

	t.Run("without a visitor_token a new visitor starts with no conversation", func(t *testing.T) {
		e := env.For(t)
		a := startSession(e, map[string]any{"widget_key": acc.WidgetKey})
		b := startSession(e, map[string]any{"widget_key": acc.WidgetKey})
		if a.Conversation != nil || b.Conversation != nil {
			t.Errorf("new visitors' conversations = %v, %v; want null", a.Conversation, b.Conversation)
		}
		if a.VisitorID == b.VisitorID || a.VisitorToken == b.VisitorToken || a.ContactID == b.ContactID {
			t.Errorf("two new sessions share a visitor: %+v and %+v", a, b)
		}
	})

	for _, token := range []string{"unknown-token", strings.Repeat("x", 500)} {
		t.Run(fmt.Sprintf("an unknown visitor_token of %d bytes starts a new visitor", len(token)), func(t *testing.T) {
			e := env.For(t)
			s := startSession(e, map[string]any{"widget_key": acc.WidgetKey, "visitor_token": token})
			if s.VisitorToken == token || s.Conversation != nil {
				t.Errorf("session = %+v, want a new visitor with a new token", s)
			}
			e.Must(http.StatusOK, "GET", "/widget/v1/messages", s.VisitorToken, nil)
		})
	}

	t.Run("a known visitor_token returns the same visitor and its latest conversation", func(t *testing.T) {
		e := env.For(t)
		first := startSession(e, map[string]any{"widget_key": acc.WidgetKey, "page": map[string]string{"url": "https://shop.example/", "title": "Home"}})
		v := apitest.Visitor{Token: first.VisitorToken, ID: first.VisitorID, ContactID: first.ContactID}
		again := func(step string) map[string]any {
			t.Helper()
			s := startSession(e, map[string]any{"widget_key": acc.WidgetKey, "visitor_token": v.Token})
			if s.VisitorID != v.ID || s.ContactID != v.ContactID {
				t.Errorf("%s: session visitor %s contact %s, want %s %s", step, s.VisitorID, s.ContactID, v.ID, v.ContactID)
			}
			return s.Conversation
		}
		if c := again("before any message"); c != nil {
			t.Errorf("conversation = %v, want null before the first message", c)
		}
		m := e.VisitorSays(v, "hello")
		conv := str(m, "conversation_id")
		if c := again("with an open conversation"); str(c, "id") != conv || str(c, "status") != "open" {
			t.Errorf("conversation = %v, want %s open", c, conv)
		}
		e.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/resolve", acc.OwnerToken, nil)
		if c := again("with a resolved conversation"); str(c, "id") != conv || str(c, "status") != "resolved" {
			t.Errorf("conversation = %v, want %s resolved", c, conv)
		}
		// Writing again reopens the same conversation.
		if m := e.VisitorSays(v, "me again"); str(m, "conversation_id") != conv {
			t.Errorf("new message went into %s, want %s", str(m, "conversation_id"), conv)
		}
		if c := again("after writing again"); str(c, "id") != conv || str(c, "status") != "open" {
			t.Errorf("conversation = %v, want %s open again", c, conv)
		}
	})

	t.Run("a visitor_token of another account starts a new visitor there", func(t *testing.T) {
		e := env.For(t)
		v, _ := e.NewConversation(acc, "hello from A")
		s := startSession(e, map[string]any{"widget_key": other.WidgetKey, "visitor_token": v.Token})
		if s.VisitorID == v.ID || s.ContactID == v.ContactID || s.Conversation != nil {
			t.Errorf("session on B = %+v, want a new visitor without A's conversation", s)
		}
	})

	t.Run("online tells whether any agent of the account is online", func(t *testing.T) {
		e := env.For(t)
		online := func() bool { return *startSession(e, map[string]any{"widget_key": acc.WidgetKey}).Online }
		if online() {
			t.Errorf("online = true with every agent offline, want false")
		}
		e.Must(http.StatusOK, "PATCH", "/api/v1/me", acc.OwnerToken, map[string]string{"status": "online"})
		if !online() {
			t.Errorf("online = false with the owner online, want true")
		}
		if *startSession(e, map[string]any{"widget_key": other.WidgetKey}).Online {
			t.Errorf("another account's session says online, want false")
		}
		e.Must(http.StatusOK, "PATCH", "/api/v1/me", acc.OwnerToken, map[string]string{"status": "offline"})
		if online() {
			t.Errorf("online = true after the owner went offline, want false")
		}
	})
}

func TestWidgetMessages(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()

	t.Run("the first message starts an open conversation, later ones join it", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		if r := e.Must(http.StatusOK, "GET", "/widget/v1/messages", v.Token, nil).Map(t); len(r["items"].([]any)) != 0 {
			t.Errorf("messages before the first = %v, want none", r)
		}
		m1 := e.VisitorSays(v, "one")
		m2 := e.VisitorSays(v, "two")
		if str(m1, "conversation_id") == "" || str(m1, "conversation_id") != str(m2, "conversation_id") {
			t.Errorf("messages went into %q and %q, want one conversation", str(m1, "conversation_id"), str(m2, "conversation_id"))
		}
		c := e.Must(http.StatusOK, "GET", "/api/v1/conversations/"+str(m1, "conversation_id"), acc.OwnerToken, nil).Map(t)
		if str(c, "status") != "open" || str(c, "channel") != "chat" || str(c, "contact_id") != v.ContactID {
			t.Errorf("conversation = %v, want an open chat of contact %s", c, v.ContactID)
		}
		var page struct {
			Items []map[string]any `json:"items"`
		}
		e.Must(http.StatusOK, "GET", "/widget/v1/messages?after_seq="+fmt.Sprint(m1["seq"]), v.Token, nil).JSON(t, &page)
		if len(page.Items) != 1 || str(page.Items[0], "id") != str(m2, "id") {
			t.Errorf("messages after %v = %v, want only the second", m1["seq"], page.Items)
		}
	})

	t.Run("without a visitor token the visitor API is unauthorized", func(t *testing.T) {
		e := env.For(t)
		for _, rq := range []struct{ method, path string }{{"POST", "/widget/v1/messages"}, {"GET", "/widget/v1/messages"}, {"POST", "/widget/v1/identify"}} {
			wantError(t, e.Do(rq.method, rq.path, "", map[string]string{"text": "hi", "client_id": "x"}), http.StatusUnauthorized, "unauthorized")
			wantError(t, e.Do(rq.method, rq.path, "made-up", map[string]string{"text": "hi", "client_id": "x"}), http.StatusUnauthorized, "unauthorized")
		}
		if _, res, err := e.Dial("/widget/v1/stream?token=made-up", nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("visitor stream with a made-up token: %v, want 401", err)
		}
	})

	t.Run("identify answers only what the visitor may see", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, map[string]string{"note": "agents only"})
		c := e.Must(http.StatusOK, "POST", "/widget/v1/identify", v.Token, map[string]any{"name": "Ann", "email": "ann@example.com", "phone": "+420 777 123 456", "variables": map[string]any{"plan": "gold"}}).Map(t)
		if str(c, "name") != "Ann" || str(c, "email") != "ann@example.com" || str(c, "phone") != "+420777123456" {
			t.Errorf("identify = %v, want name, email and phone", c)
		}
		if _, ok := c["note"]; ok {
			t.Errorf("identify = %v shows the agents' note", c)
		}
		got := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, nil).Map(t)
		if str(got, "name") != "Ann" || str(got, "note") != "agents only" {
			t.Errorf("contact = %v, want the name set and the note kept", got)
		}
	})
}

func TestWidgetCORS(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v := e.NewVisitor(acc)

	for _, path := range []string{"/widget/v1/messages", "/widget/v1/session", "/widget/v1/identify"} {
		t.Run("a preflight for "+path+" allows the page's origin and Authorization", func(t *testing.T) {
			req, _ := http.NewRequest("OPTIONS", e.URL+path, nil)
			req.Header.Set("Origin", "https://shop.example")
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode < 200 || res.StatusCode > 299 {
				t.Errorf("preflight status = %d, want 2xx", res.StatusCode)
			}
			if o := res.Header.Get("Access-Control-Allow-Origin"); o != "*" && o != "https://shop.example" {
				t.Errorf("Access-Control-Allow-Origin = %q, want * or the page's origin", o)
			}
			if h := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "authorization") || !strings.Contains(h, "content-type") {
				t.Errorf("Access-Control-Allow-Headers = %q, want Authorization and Content-Type", h)
			}
			if m := res.Header.Get("Access-Control-Allow-Methods"); m != "" && !strings.Contains(m, "POST") {
				t.Errorf("Access-Control-Allow-Methods = %q, want POST among them", m)
			}
		})
	}

	t.Run("a cross-origin send carries Access-Control-Allow-Origin", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.URL+"/widget/v1/messages", strings.NewReader(`{"text":"hi","client_id":"cors-1"}`))
		req.Header.Set("Origin", "https://shop.example")
		req.Header.Set("Authorization", "Bearer "+v.Token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Errorf("status = %d, want 201", res.StatusCode)
		}
		if o := res.Header.Get("Access-Control-Allow-Origin"); o != "*" && o != "https://shop.example" {
			t.Errorf("Access-Control-Allow-Origin = %q, want * or the page's origin", o)
		}
	})

	for _, origin := range []string{"https://shop.example", "https://another-shop.example:8443", "null", ""} {
		t.Run(fmt.Sprintf("the visitor stream accepts the origin %q", origin), func(t *testing.T) {
			e := e.For(t)
			h := http.Header{}
			if origin != "" {
				h.Set("Origin", origin)
			}
			ws, res, err := e.Dial(fmt.Sprintf("/widget/v1/stream?token=%s&after_seq=%d", v.Token, e.LastSeq(acc.ID)), h)
			if err != nil {
				t.Fatalf("dial from %q = %v %v, want the socket open", origin, res, err)
			}
			m := e.VisitorSays(v, "ping")
			if f := apitest.Next(t, ws); f.Type != "message.created" || str(f.Object(t), "id") != str(m, "id") {
				t.Errorf("first frame = %s %s, want the visitor's own message echoed", f.Type, f.Data)
			}
		})
	}
}

func TestLiveVisitorStream(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v, conv := e.NewConversation(acc, "hello")

	// Without after_seq a socket gets live events only, but every event
	// committed once the socket is open is live. Repeated, since a gap is a
	// race.
	t.Run("a socket without after_seq gets a reply sent right after it opened", func(t *testing.T) {
		missed := 0
		for range 60 {
			ws, _, err := e.Dial("/widget/v1/stream?token="+v.Token, nil)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			m := e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", acc.OwnerToken, map[string]string{"text": "now"}).Map(t)
			for {
				f, err := apitest.Read(ws, 2*time.Second)
				if err != nil {
					missed++
					break
				}
				if f.Type == "message.created" && str(f.Object(t), "id") == str(m, "id") {
					break
				}
			}
			ws.CloseNow()
		}
		if missed > 0 {
			t.Errorf("%d of 60 sockets missed the reply sent right after they opened, want none", missed)
		}
	})
}

// A chat box that types before its first message, then sends that message
// over HTTP (its socket was not up yet), is still heard typing: the socket
// does not remember that there was no conversation.
func TestTypingAfterAFirstMessageSentOverHTTP(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	ws := e.VisitorStream(acc.ID, v)
	if err := apitest.Write(ws, map[string]any{"type": "typing", "on": true}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the socket has looked for a conversation, and found none
	conv := e.VisitorSays(v, "hello")["conversation_id"].(string)
	agentWS := e.AgentStream(acc.ID, acc.OwnerToken)
	if err := apitest.Write(ws, map[string]any{"type": "typing", "on": false}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := apitest.Read(agentWS, time.Until(deadline))
		if err != nil {
			t.Fatalf("no typing frame for the conversation reached the agents: %v", err)
		}
		if f.Type == "typing" {
			if d := f.Object(t); d["conversation_id"] == conv && d["sender_type"] == "visitor" {
				return
			}
		}
	}
}
