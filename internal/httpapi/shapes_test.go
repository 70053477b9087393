package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

// The JSON types a contract field may have.
const (
	tString  = "string"
	tNumber  = "number"
	tBool    = "bool"
	tObject  = "object"
	tArray   = "array"
	tNull    = "null"
	tTime    = "time" // an RFC 3339 UTC string
	tStrNull = "string|null"
	tTimeNil = "time|null"
	tObjNull = "object|null"
)

var shapes = map[string]map[string]string{
	"Agent": {"id": tString, "account_id": tString, "email": tString, "name": tString, "role": tString, "active": tBool, "status": tString},
	"Conversation": {"id": tString, "account_id": tString, "status": tString, "channel": tString, "contact_id": tString, "assignee_id": tStrNull,
		"created_at": tTime, "updated_at": tTime, "last_message_at": tTime, "resolved_at": tTimeNil, "resolved_by": tStrNull, "last_message": tObjNull},
	"Message": {"id": tString, "conversation_id": tString, "seq": tNumber, "kind": tString, "sender_type": tString, "sender_id": tStrNull,
		"text": tString, "client_id": tStrNull, "created_at": tTime},
	"Contact": {"id": tString, "account_id": tString, "name": tString, "email": tString, "phone": tString, "note": tString},
	"Account": {"id": tString, "name": tString, "widget_key": tString},
	"List":    {"items": tArray, "next_cursor": tString},
	"Login":   {"token": tString, "agent": tObject},
	"Counts":  {"open": tObject, "resolved": tNumber},
	"Views":   {"all": tNumber, "unassigned": tNumber, "mine": tNumber, "others": tNumber},
	"Session": {"visitor_token": tString, "visitor_id": tString, "contact_id": tString, "conversation": tObjNull, "online": tBool},
}

// wantShape checks that v has every field of the named contract type with
// an allowed JSON type.
func wantShape(t testing.TB, name string, v any) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s = %v, want a JSON object", name, v)
		return
	}
	for field, want := range shapes[name] {
		got, present := m[field]
		if !present {
			t.Errorf("%s lacks %q: %v", name, field, m)
			continue
		}
		if !slices.Contains(strings.Split(want, "|"), jsonType(got)) {
			t.Errorf("%s.%s = %v (%s), want %s", name, field, got, jsonType(got), want)
		}
	}
}

// jsonType names the JSON type of a decoded value; strings that are RFC
// 3339 UTC times are "time".
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return tNull
	case string:
		if isUTCTime(x) {
			return tTime
		}
		return tString
	case float64:
		return tNumber
	case bool:
		return tBool
	case []any:
		return tArray
	case map[string]any:
		return tObject
	}
	return "unknown"
}

func TestResponseShapes(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	owner := acc.Owner()
	alice := e.NewAgent(acc, "agent", "Alice Agent")
	v, conv := e.NewConversation(acc, "hello")
	assign(e, owner.Token, conv, alice.ID)
	ws := e.AgentStream(acc.ID, owner.Token)
	reply := e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": "hi", "client_id": newClientID()}).Map(t)

	login := e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": acc.OwnerEmail, "password": "password123"}).Map(t)
	wantShape(t, "Login", login)
	wantShape(t, "Agent", login["agent"])
	wantShape(t, "Agent", e.Must(http.StatusOK, "GET", "/api/v1/me", owner.Token, nil).Map(t))
	wantShape(t, "Agent", e.Must(http.StatusOK, "PATCH", "/api/v1/me", owner.Token, map[string]string{"name": "Olivia Owner"}).Map(t))
	wantShape(t, "Agent", e.Must(http.StatusOK, "GET", "/api/v1/agents/"+alice.ID, owner.Token, nil).Map(t))
	wantShape(t, "Account", e.Must(http.StatusOK, "GET", "/api/v1/account", owner.Token, nil).Map(t))

	agents := e.Must(http.StatusOK, "GET", "/api/v1/agents", owner.Token, nil).Map(t)
	wantShape(t, "List", agents)
	for _, a := range agents["items"].([]any) {
		wantShape(t, "Agent", a)
	}

	c := e.ConversationOf(owner.Token, conv)
	wantShape(t, "Conversation", c)
	wantShape(t, "Message", c["last_message"])
	list := e.Must(http.StatusOK, "GET", "/api/v1/conversations", owner.Token, nil).Map(t)
	wantShape(t, "List", list)
	for _, c := range list["items"].([]any) {
		wantShape(t, "Conversation", c)
	}
	wantShape(t, "Conversation", resolve(e, owner.Token, conv))
	wantShape(t, "Conversation", e.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/reopen", owner.Token, nil).Map(t))
	wantShape(t, "Conversation", assign(e, owner.Token, conv, ""))

	counts := e.Must(http.StatusOK, "GET", "/api/v1/conversations/counts", owner.Token, nil).Map(t)
	wantShape(t, "Counts", counts)
	wantShape(t, "Views", counts["open"])

	wantShape(t, "Message", reply)
	msgs := e.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/messages", owner.Token, nil).Map(t)
	wantShape(t, "List", msgs)
	for _, m := range msgs["items"].([]any) {
		wantShape(t, "Message", m)
	}
	wantShape(t, "Contact", e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, owner.Token, nil).Map(t))
	wantShape(t, "Contact", e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+v.ContactID, owner.Token, map[string]string{"name": "Ann"}).Map(t))

	wantShape(t, "Session", e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey, "visitor_token": v.Token}).Map(t))
	wantShape(t, "Message", e.VisitorSays(v, "more"))
	wm := e.Must(http.StatusOK, "GET", "/widget/v1/messages", v.Token, nil).Map(t)
	wantShape(t, "List", wm)
	for _, m := range wm["items"].([]any) {
		wantShape(t, "Message", m)
	}

	// Stream frames: {"type","seq","data"} with the same objects.
	var last int64
	for _, f := range apitest.Until(t, ws, func(f apitest.Frame) bool { return f.Type == "message.created" && str(f.Object(t), "text") == "more" }) {
		if f.Seq <= last {
			t.Errorf("frame %s seq %d, want above %d", f.Type, f.Seq, last)
		}
		last = f.Seq
		switch f.Type {
		case "message.created":
			wantShape(t, "Message", f.Object(t))
		case "conversation.updated":
			wantShape(t, "Conversation", f.Object(t))
		case "contact.updated":
			wantShape(t, "Contact", f.Object(t))
		default:
			t.Errorf("unexpected frame %s %s", f.Type, f.Data)
		}
	}
}
