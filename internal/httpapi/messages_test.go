package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
)

// visitorMessages returns GET /widget/v1/messages?query as the visitor sees it.
func visitorMessages(e *apitest.Env, v apitest.Visitor, query string) []map[string]any {
	e.T.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	e.Must(http.StatusOK, "GET", "/widget/v1/messages?"+query, v.Token, nil).JSON(e.T, &page)
	return page.Items
}

// wantCreated reads ws until the message.created of m and checks that its
// seq is m's seq.
func wantCreated(t testing.TB, ws *websocket.Conn, m map[string]any) {
	t.Helper()
	fs := apitest.Until(t, ws, func(f apitest.Frame) bool {
		return f.Type == "message.created" && str(f.Object(t), "id") == str(m, "id")
	})
	f := fs[len(fs)-1]
	if f.Seq != seq(m) || seq(f.Object(t)) != seq(m) {
		t.Errorf("message.created frame seq %d, data seq %d; want both the message's seq %d", f.Seq, seq(f.Object(t)), seq(m))
	}
}

func TestMessages(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	alice := env.NewAgent(acc, "agent", "Alice Agent")

	t.Run("a visitor's message is text from the visitor with the seq of its event", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		ws := e.AgentStream(acc.ID, owner.Token)
		m := e.VisitorSays(v, "Hi there")
		if str(m, "kind") != "text" || str(m, "sender_type") != "visitor" || str(m, "sender_id") != v.ID || str(m, "text") != "Hi there" || seq(m) <= 0 {
			t.Errorf("visitor message = %v, want kind text from visitor %s with a seq", m, v.ID)
		}
		wantCreated(t, ws, m)
	})

	t.Run("an agent's reply does not change the status of an open conversation", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "Question")
		ws := e.AgentStream(acc.ID, owner.Token)
		m := e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", alice.Token, map[string]string{"text": "Answer"}).Map(t)
		if str(m, "kind") != "text" || str(m, "sender_type") != "agent" || str(m, "sender_id") != alice.ID || str(m, "conversation_id") != conv {
			t.Errorf("agent message = %v, want kind text from agent %s in %s", m, alice.ID, conv)
		}
		wantCreated(t, ws, m)
		if c := e.ConversationOf(owner.Token, conv); str(c, "status") != "open" || c["assignee_id"] != nil {
			t.Errorf("conversation after the reply = %v, want it open and unassigned", c)
		}
	})

	t.Run("an agent's reply does not reopen a resolved conversation", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "Question")
		resolved := resolve(e, owner.Token, conv)
		e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", alice.Token, map[string]string{"text": "One more thing"})
		c := e.ConversationOf(owner.Token, conv)
		if str(c, "status") != "resolved" || c["resolved_at"] != resolved["resolved_at"] || c["resolved_by"] != resolved["resolved_by"] {
			t.Errorf("conversation after the reply = %v, want it resolved as before", c)
		}
	})

	t.Run("a note reaches agents but never the visitor", func(t *testing.T) {
		e := env.For(t)
		v, conv := e.NewConversation(acc, "Question")
		ws := e.AgentStream(acc.ID, owner.Token)
		vws := e.VisitorStream(acc.ID, v)
		note := postNote(e, alice.Token, conv, "secret: refund approved")
		if str(note, "kind") != "note" || str(note, "sender_id") != alice.ID {
			t.Errorf("note = %v, want kind note from %s", note, alice.ID)
		}
		wantCreated(t, ws, note)
		reply := e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", alice.Token, map[string]string{"text": "public reply"}).Map(t)

		found := false
		for _, m := range e.MessagesOf(owner.Token, conv) {
			found = found || str(m, "id") == str(note, "id")
		}
		if !found {
			t.Errorf("agent's messages lack the note %s", str(note, "id"))
		}
		for _, q := range []string{"", "conversation_id=" + conv, "after_seq=0&conversation_id=" + conv} {
			items := visitorMessages(e, v, q)
			if len(items) == 0 {
				t.Errorf("visitor messages ?%s are empty, want the conversation's", q)
			}
			for _, m := range items {
				if str(m, "kind") == "note" || strings.Contains(str(m, "text"), "secret") {
					t.Errorf("visitor messages ?%s hold the note %v", q, m)
				}
			}
		}
		for _, f := range apitest.Until(t, vws, func(f apitest.Frame) bool {
			return f.Type == "message.created" && str(f.Object(t), "id") == str(reply, "id")
		}) {
			if strings.Contains(string(f.Data), "secret") || strings.Contains(string(f.Data), str(note, "id")) || str(f.Object(t), "kind") == "note" {
				t.Errorf("visitor stream frame %s %s carries the note", f.Type, f.Data)
			}
			if f.Type == "message.created" && str(f.Object(t), "id") != str(reply, "id") {
				t.Errorf("visitor stream got message.created %s before the reply, want only the reply", f.Data)
			}
		}
	})

	t.Run("messages come oldest first with increasing seq", func(t *testing.T) {
		e := env.For(t)
		v, conv := e.NewConversation(acc, "first")
		e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", alice.Token, map[string]string{"text": "second"})
		postNote(e, owner.Token, conv, "third")
		assign(e, owner.Token, conv, alice.ID)
		e.VisitorSays(v, "fifth")
		check := func(who string, items []map[string]any, want []string) {
			t.Helper()
			var texts []string
			for i, m := range items {
				texts = append(texts, str(m, "kind"))
				if i > 0 && seq(m) <= seq(items[i-1]) {
					t.Errorf("%s: message %d seq %d, want above %d", who, i, seq(m), seq(items[i-1]))
				}
				if i > 0 && at(t, m, "created_at").Before(at(t, items[i-1], "created_at")) {
					t.Errorf("%s: message %d created %s, before message %d (%s)", who, i, str(m, "created_at"), i-1, str(items[i-1], "created_at"))
				}
			}
			if strings.Join(texts, ",") != strings.Join(want, ",") {
				t.Errorf("%s: kinds = %v, want %v", who, texts, want)
			}
		}
		all := e.MessagesOf(owner.Token, conv)
		check("agent", all, []string{"text", "text", "note", "event", "text"})
		if str(all[0], "text") != "first" || str(all[len(all)-1], "text") != "fifth" {
			t.Errorf("agent messages run %q..%q, want first..fifth", str(all[0], "text"), str(all[len(all)-1], "text"))
		}
		check("visitor", visitorMessages(e, v, ""), []string{"text", "text", "event", "text"})
		after := e.MessagesOf(owner.Token, conv)
		var page struct {
			Items []map[string]any `json:"items"`
		}
		e.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/messages?after_seq="+strconv.FormatInt(seq(after[1]), 10), owner.Token, nil).JSON(t, &page)
		check("agent after_seq", page.Items, []string{"note", "event", "text"})
	})
}

func TestIdempotentSends(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()

	// A send returns the stored message and whether it was created.
	type send func(e *apitest.Env, v apitest.Visitor, vws *websocket.Conn, conv, cid, text string) (map[string]any, bool)
	agentHTTP := func(e *apitest.Env, _ apitest.Visitor, _ *websocket.Conn, conv, cid, text string) (map[string]any, bool) {
		r := e.Do("POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": text, "client_id": cid})
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			e.T.Fatalf("agent send = %d %s, want 201 or 200", r.Status, r.Body)
		}
		return r.Map(e.T), r.Status == http.StatusCreated
	}
	visitorHTTP := func(e *apitest.Env, v apitest.Visitor, _ *websocket.Conn, _, cid, text string) (map[string]any, bool) {
		r := e.Do("POST", "/widget/v1/messages", v.Token, map[string]string{"text": text, "client_id": cid})
		if r.Status != http.StatusCreated && r.Status != http.StatusOK {
			e.T.Fatalf("visitor send = %d %s, want 201 or 200", r.Status, r.Body)
		}
		return r.Map(e.T), r.Status == http.StatusCreated
	}
	// The socket's ack does not tell whether the message is new. Frames
	// read before the ack are pushed back for the drain below.
	var early []apitest.Frame
	visitorWS := func(e *apitest.Env, _ apitest.Visitor, vws *websocket.Conn, _, cid, text string) (map[string]any, bool) {
		if err := apitest.Write(vws, map[string]string{"type": "message.send", "client_id": cid, "text": text}); err != nil {
			e.T.Fatalf("write message.send: %v", err)
		}
		fs := apitest.Until(e.T, vws, func(f apitest.Frame) bool { return f.ClientID == cid && (f.Type == "ack" || f.Type == "error") })
		ack := fs[len(fs)-1]
		if ack.Type != "ack" {
			e.T.Fatalf("answer to message.send = %s %s, want ack", ack.Type, ack.Error)
		}
		early = fs[:len(fs)-1]
		return ack.Object(e.T), true
	}

	cases := []struct {
		name          string
		first, second send
		secondIsHTTP  bool
	}{
		{"an agent repeating a client_id over HTTP gets the first message", agentHTTP, agentHTTP, true},
		{"a visitor repeating a client_id over HTTP gets the first message", visitorHTTP, visitorHTTP, true},
		{"a visitor repeating a client_id over the socket gets the first message", visitorWS, visitorWS, false},
		{"a visitor repeating over the socket a client_id sent over HTTP gets the first message", visitorHTTP, visitorWS, false},
		{"a visitor repeating over HTTP a client_id sent over the socket gets the first message", visitorWS, visitorHTTP, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := env.For(t)
			v, conv := e.NewConversation(acc, "Hello")
			ws := e.AgentStream(acc.ID, owner.Token)
			vws := e.VisitorStream(acc.ID, v)
			cid := newClientID()

			first, created := tc.first(e, v, vws, conv, cid, "the first text")
			if !created || str(first, "text") != "the first text" || str(first, "client_id") != cid {
				t.Fatalf("first send = %v (created %v), want a new message with client_id %s", first, created, cid)
			}
			drainUpdate(t, ws, conv)
			if !slices.ContainsFunc(early, func(f apitest.Frame) bool { return f.Type == "conversation.updated" }) {
				drainUpdate(t, vws, conv)
			}
			early = nil
			msgs := e.MessagesOf(owner.Token, conv)

			second, created := tc.second(e, v, vws, conv, cid, "another text")
			if len(early) > 0 {
				t.Errorf("visitor stream got %v before the repeated send's ack, want nothing", early)
			}
			if tc.secondIsHTTP && created {
				t.Errorf("repeated send answered 201, want 200")
			}
			for _, k := range []string{"id", "text", "client_id", "conversation_id", "created_at"} {
				if str(second, k) != str(first, k) {
					t.Errorf("repeated send %s = %q, want the first message's %q", k, str(second, k), str(first, k))
				}
			}
			if seq(second) != seq(first) {
				t.Errorf("repeated send seq = %d, want %d", seq(second), seq(first))
			}
			if added := newMessages(msgs, e.MessagesOf(owner.Token, conv)); len(added) != 0 {
				t.Errorf("repeated send stored %v, want nothing", added)
			}
			// No event: the next frame on both streams is the marker's.
			marker := e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": "marker"}).Map(t)
			for name, s := range map[string]*websocket.Conn{"agent": ws, "visitor": vws} {
				if f := apitest.Next(t, s); f.Type != "message.created" || str(f.Object(t), "id") != str(marker, "id") {
					t.Errorf("%s stream: next frame = %s %s, want the marker's message.created", name, f.Type, f.Data)
				}
			}
		})
	}

	t.Run("two visitors may use the same client_id", func(t *testing.T) {
		e := env.For(t)
		cid := newClientID()
		var ids []string
		for range 2 {
			v := e.NewVisitor(acc)
			m := e.Must(http.StatusCreated, "POST", "/widget/v1/messages", v.Token, map[string]string{"text": "hi", "client_id": cid}).Map(t)
			ids = append(ids, str(m, "id"))
		}
		if ids[0] == ids[1] {
			t.Errorf("both visitors got message %s, want two messages", ids[0])
		}
	})
}

func TestMessagePaging(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	owner := acc.Owner()
	v, conv := e.NewConversation(acc, "message 0")

	// 204 more replies, made through the service to stay fast.
	ctx := context.Background()
	me, err := e.Server.Agents.Agent(ctx, acc.ID, owner.ID)
	if err != nil {
		t.Fatalf("owner: %v", err)
	}
	const total = 205
	for i := 1; i < total; i++ {
		if _, _, err := e.Server.Conversations.PostAgentMessage(ctx, me, conv, fmt.Sprintf("message %d", i), "text", ""); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}

	type page struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	walks := []struct {
		who, path, token string
		limit            string
		pageSize         int
	}{
		{"an agent", "/api/v1/conversations/" + conv + "/messages", owner.Token, "", 50},
		{"an agent", "/api/v1/conversations/" + conv + "/messages", owner.Token, "64", 64},
		{"an agent", "/api/v1/conversations/" + conv + "/messages", owner.Token, "1000", 200},
		{"the visitor", "/widget/v1/messages", v.Token, "", 50},
		{"the visitor", "/widget/v1/messages", v.Token, "1000", 200},
	}
	for _, w := range walks {
		t.Run(fmt.Sprintf("%s walks every message once in pages of %d (limit %q)", w.who, w.pageSize, w.limit), func(t *testing.T) {
			e := e.For(t)
			var texts []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > total {
					t.Fatalf("still paging after %d pages", pages)
				}
				var p page
				e.Must(http.StatusOK, "GET", w.path+"?limit="+w.limit+"&cursor="+cursor, w.token, nil).JSON(t, &p)
				for _, m := range p.Items {
					texts = append(texts, str(m, "text"))
				}
				if p.NextCursor == "" {
					if len(p.Items) > w.pageSize {
						t.Errorf("last page has %d messages, want at most %d", len(p.Items), w.pageSize)
					}
					break
				}
				if len(p.Items) != w.pageSize {
					t.Errorf("a page before the last has %d messages, want %d", len(p.Items), w.pageSize)
				}
				cursor = p.NextCursor
			}
			if len(texts) != total {
				t.Fatalf("walked %d messages, want %d", len(texts), total)
			}
			for i, text := range texts {
				if want := fmt.Sprintf("message %d", i); text != want {
					t.Fatalf("message %d = %q, want %q (oldest first, each once)", i, text, want)
				}
			}
		})
	}
	for _, path := range []string{"/api/v1/conversations/" + conv + "/messages", "/widget/v1/messages"} {
		t.Run("a bad cursor for "+path+" is a bad request", func(t *testing.T) {
			token := owner.Token
			if strings.HasPrefix(path, "/widget") {
				token = v.Token
			}
			wantError(t, e.For(t).Do("GET", path+"?cursor=not-a-cursor", token, nil), http.StatusBadRequest, "bad_request")
		})
	}
}
