package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

func TestTenantIsolation(t *testing.T) {
	env := apitest.New(t)
	a := env.NewAccount()
	aAgent := env.NewAgent(a, "agent", "Anna of A")
	va, openA := env.NewConversation(a, "A's open conversation")
	postNote(env, a.OwnerToken, openA, "A's private note")
	_, resolvedA := env.NewConversation(a, "A's resolved conversation")
	assign(env, a.OwnerToken, resolvedA, aAgent.ID)
	resolve(env, a.OwnerToken, resolvedA)
	env.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+va.ContactID, a.OwnerToken, map[string]string{"name": "Ann of A", "email": "ann@a.example", "note": "A's customer"})

	b := env.NewAccount()
	bAdmin := env.NewAgent(b, "admin", "Bert Admin of B")
	bAgent := env.NewAgent(b, "agent", "Bea Agent of B")
	_, convB := env.NewConversation(b, "B's own conversation")

	// snapshot reads everything of A the requests below could touch.
	snapshot := func(e *apitest.Env) map[string]any {
		return map[string]any{
			"open":          e.ConversationOf(a.OwnerToken, openA),
			"resolved":      e.ConversationOf(a.OwnerToken, resolvedA),
			"open messages": e.MessagesOf(a.OwnerToken, openA),
			"messages":      e.MessagesOf(a.OwnerToken, resolvedA),
			"contact":       e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+va.ContactID, a.OwnerToken, nil).Map(e.T),
			"agent":         e.Must(http.StatusOK, "GET", "/api/v1/agents/"+aAgent.ID, a.OwnerToken, nil).Map(e.T),
			"owner":         e.Must(http.StatusOK, "GET", "/api/v1/agents/"+a.OwnerID, a.OwnerToken, nil).Map(e.T),
		}
	}

	requests := []endpoint{
		{"GET", "/api/v1/conversations/" + openA, nil},
		{"GET", "/api/v1/conversations/" + openA + "/messages", nil},
		{"GET", "/api/v1/conversations/" + openA + "/messages?after_seq=0", nil},
		{"POST", "/api/v1/conversations/" + openA + "/messages", map[string]string{"text": "from B"}},
		{"POST", "/api/v1/conversations/" + openA + "/messages", map[string]string{"text": "note from B", "kind": "note", "client_id": "b-1"}},
		{"POST", "/api/v1/conversations/" + resolvedA + "/messages", map[string]string{"text": "from B"}},
		{"POST", "/api/v1/conversations/" + openA + "/assign", map[string]any{"agent_id": nil}},
		{"POST", "/api/v1/conversations/" + openA + "/assign", map[string]any{"agent_id": aAgent.ID}},
		{"POST", "/api/v1/conversations/" + openA + "/assign", map[string]any{"agent_id": bAgent.ID}},
		{"POST", "/api/v1/conversations/" + resolvedA + "/assign", map[string]any{"agent_id": nil}},
		{"POST", "/api/v1/conversations/" + openA + "/resolve", nil},
		{"POST", "/api/v1/conversations/" + resolvedA + "/resolve", nil},
		{"POST", "/api/v1/conversations/" + resolvedA + "/reopen", nil},
		{"POST", "/api/v1/conversations/" + openA + "/reopen", nil},
		{"GET", "/api/v1/contacts/" + va.ContactID, nil},
		{"PATCH", "/api/v1/contacts/" + va.ContactID, map[string]string{"name": "Taken over"}},
		{"PATCH", "/api/v1/contacts/" + va.ContactID, map[string]string{"email": "b@b.example", "note": "B was here"}},
		{"GET", "/api/v1/agents/" + aAgent.ID, nil},
		{"GET", "/api/v1/agents/" + a.OwnerID, nil},
		{"PATCH", "/api/v1/agents/" + aAgent.ID, map[string]any{"name": "Renamed by B"}},
		{"PATCH", "/api/v1/agents/" + aAgent.ID, map[string]any{"active": false}},
		{"PATCH", "/api/v1/agents/" + aAgent.ID, map[string]any{"role": "admin"}},
		{"PATCH", "/api/v1/agents/" + a.OwnerID, map[string]any{"name": "Renamed by B"}},
	}
	callers := []apitest.Person{b.Owner(), bAdmin, bAgent}
	for _, who := range callers {
		for _, rq := range requests {
			t.Run(fmt.Sprintf("B's %s gets not_found for %s %s", who.Role, rq.method, rq.path), func(t *testing.T) {
				e := env.For(t)
				before := snapshot(e)
				ws := e.AgentStream(a.ID, a.OwnerToken)
				wantError(t, e.Do(rq.method, rq.path, who.Token, rq.body), http.StatusNotFound, "not_found")
				if after := snapshot(e); !reflect.DeepEqual(after, before) {
					t.Errorf("A's data changed:\n got %v\nwant %v", after, before)
				}
				wantNextIsMarker(t, e, ws, a.OwnerToken, openA)
			})
		}
	}

	t.Run("B's lists and counts never include A's conversations", func(t *testing.T) {
		e := env.For(t)
		for _, who := range callers {
			for _, q := range []string{"", "view=unassigned", "view=mine", "view=others", "status=resolved", "limit=200"} {
				ids := listIDs(e, who.Token, q)
				if slices.Contains(ids, openA) || slices.Contains(ids, resolvedA) {
					t.Errorf("%s's list ?%s = %v holds A's conversations", who.Name, q, ids)
				}
			}
			if ids := listIDs(e, who.Token, ""); !slices.Equal(ids, []string{convB}) {
				t.Errorf("%s's open list = %v, want only B's %s", who.Name, ids, convB)
			}
			var c struct {
				Open     map[string]int `json:"open"`
				Resolved int            `json:"resolved"`
			}
			e.Must(http.StatusOK, "GET", "/api/v1/conversations/counts", who.Token, nil).JSON(t, &c)
			if c.Open["all"] != 1 || c.Open["unassigned"] != 1 || c.Open["mine"] != 0 || c.Open["others"] != 0 || c.Resolved != 0 {
				t.Errorf("%s's counts = %+v, want only B's one unassigned open conversation", who.Name, c)
			}
		}
	})

	t.Run("B's agent list holds only B's agents", func(t *testing.T) {
		e := env.For(t)
		var list struct {
			Items []map[string]any `json:"items"`
		}
		e.Must(http.StatusOK, "GET", "/api/v1/agents", bAgent.Token, nil).JSON(t, &list)
		for _, ag := range list.Items {
			if str(ag, "account_id") != b.ID {
				t.Errorf("B's agent list holds %v of another account", ag)
			}
		}
		if len(list.Items) != 3 {
			t.Errorf("B's agent list has %d agents, want 3", len(list.Items))
		}
		if acc := e.Must(http.StatusOK, "GET", "/api/v1/account", bAgent.Token, nil).Map(t); str(acc, "id") != b.ID || str(acc, "widget_key") != b.WidgetKey {
			t.Errorf("B's account = %v, want %s", acc, b.ID)
		}
	})

	t.Run("B's agent stream never receives A's events", func(t *testing.T) {
		e := env.For(t)
		ws := e.AgentStream(b.ID, b.OwnerToken)
		replay, res, err := e.Dial("/api/v1/stream?after_seq=0", http.Header{"Authorization": {"Bearer " + bAgent.Token}})
		if err != nil {
			t.Fatalf("dial B's replay: %v %v", err, res)
		}
		// A busy moment in A.
		vA := e.NewVisitor(a)
		mA := e.VisitorSays(vA, "A again")
		assign(e, a.OwnerToken, str(mA, "conversation_id"), aAgent.ID)
		postNote(e, a.OwnerToken, openA, "A's second note")
		e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+va.ContactID, a.OwnerToken, map[string]string{"note": "A's customer, again"})
		e.Must(http.StatusOK, "PATCH", "/api/v1/me", a.OwnerToken, map[string]string{"status": "online"})
		e.Must(http.StatusOK, "PATCH", "/api/v1/me", a.OwnerToken, map[string]string{"status": "offline"})
		// Then B's own marker: the first thing B's live stream sees.
		marker := postNote(e, b.OwnerToken, convB, "B's marker")
		f := apitest.Next(t, ws)
		if f.Type != "message.created" || str(f.Object(t), "id") != str(marker, "id") {
			t.Errorf("B's stream: next frame = %s %s, want B's marker", f.Type, f.Data)
		}
		// B's replay from the start holds only B's objects.
		for _, f := range apitest.Until(t, replay, func(f apitest.Frame) bool {
			return f.Type == "message.created" && str(f.Object(t), "id") == str(marker, "id")
		}) {
			d := f.Object(t)
			if (str(d, "account_id") != "" && str(d, "account_id") != b.ID) || (str(d, "conversation_id") != "" && str(d, "conversation_id") != convB) ||
				strings.Contains(string(f.Data), "A's") || strings.Contains(string(f.Data), a.ID) {
				t.Errorf("B's replay carries %s %s", f.Type, f.Data)
			}
		}
	})
}

func TestVisitorIsolation(t *testing.T) {
	env := apitest.New(t)
	a := env.NewAccount()
	b := env.NewAccount()
	v1, conv1 := env.NewConversation(a, "visitor one's secret")
	env.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv1+"/messages", a.OwnerToken, map[string]string{"text": "reply to one"})
	v2, conv2 := env.NewConversation(a, "visitor two")
	vb, convB := env.NewConversation(b, "visitor of B")

	cases := []struct {
		name string
		v    apitest.Visitor
		conv string
	}{
		{"a visitor cannot read another visitor's conversation", v2, conv1},
		{"a visitor cannot read a conversation of another account", vb, conv1},
		{"a visitor of A cannot read a conversation of B", v1, convB},
		{"an unknown conversation is not found", v1, "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, env.For(t).Do("GET", "/widget/v1/messages?conversation_id="+tc.conv, tc.v.Token, nil), http.StatusNotFound, "not_found")
		})
	}

	t.Run("a visitor's own conversation reads fine by id", func(t *testing.T) {
		items := visitorMessages(env.For(t), v2, "conversation_id="+conv2)
		if len(items) != 1 || str(items[0], "text") != "visitor two" {
			t.Errorf("messages = %v, want visitor two's one message", items)
		}
	})

	t.Run("a visitor's agent-side calls are unauthorized", func(t *testing.T) {
		wantError(t, env.For(t).Do("GET", "/api/v1/conversations/"+conv1, v1.Token, nil), http.StatusUnauthorized, "unauthorized")
	})

	t.Run("a visitor stream carries only the visitor's own conversations", func(t *testing.T) {
		e := env.For(t)
		ws := e.VisitorStream(a.ID, v2)
		e.VisitorSays(v1, "one writes again")
		e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv1+"/messages", a.OwnerToken, map[string]string{"text": "agent answers one"})
		assign(e, a.OwnerToken, conv1, a.OwnerID)
		resolve(e, a.OwnerToken, conv1)
		e.Must(http.StatusOK, "POST", "/widget/v1/identify", v1.Token, map[string]string{"name": "Visitor One"})
		e.VisitorSays(vb, "B's visitor writes")
		own := e.VisitorSays(v2, "two writes")
		f := apitest.Next(t, ws)
		if f.Type != "message.created" || str(f.Object(t), "id") != str(own, "id") {
			t.Errorf("next frame = %s %s, want visitor two's own message", f.Type, f.Data)
		}
		// A replay from the start holds nothing of visitor one either.
		replay, _, err := e.Dial("/widget/v1/stream?after_seq=0&token="+v2.Token, nil)
		if err != nil {
			t.Fatalf("dial replay: %v", err)
		}
		for _, f := range apitest.Until(t, replay, func(f apitest.Frame) bool {
			return f.Type == "message.created" && str(f.Object(t), "id") == str(own, "id")
		}) {
			d := f.Object(t)
			if id := str(d, "conversation_id") + str(d, "id"); !strings.Contains(id, conv2) {
				t.Errorf("visitor two's replay carries %s %s", f.Type, f.Data)
			}
		}
	})
}
