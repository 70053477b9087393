package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
)

// str returns m[key] as a string ("" when missing, null or not a string).
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// seq returns m["seq"] as an integer.
func seq(m map[string]any) int64 {
	f, _ := m["seq"].(float64)
	return int64(f)
}

// at parses m[key] as an RFC 3339 UTC time, failing the test when it is
// not one.
func at(t testing.TB, m map[string]any, key string) time.Time {
	t.Helper()
	if !isUTCTime(str(m, key)) {
		t.Fatalf("%s = %v, want an RFC 3339 UTC time", key, m[key])
	}
	v, _ := time.Parse(time.RFC3339Nano, str(m, key))
	return v
}

// isUTCTime reports whether s is an RFC 3339 time in UTC.
func isUTCTime(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && strings.HasSuffix(s, "Z")
}

// wantError checks a refusal: its status and the error code of its body,
// which must also carry a message.
func wantError(t testing.TB, r apitest.Response, status int, code string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if r.Status != status || r.ErrorCode() != code {
		t.Fatalf("got %d %s, want %d with error code %q", r.Status, r.Body, status, code)
	}
	r.JSON(t, &body)
	if body.Error.Message == "" {
		t.Errorf("error body %s has no message, want one", r.Body)
	}
}

// newMessages returns the messages of after whose seq is above every seq
// of before.
func newMessages(before, after []map[string]any) []map[string]any {
	var top int64
	for _, m := range before {
		top = max(top, seq(m))
	}
	var out []map[string]any
	for _, m := range after {
		if seq(m) > top {
			out = append(out, m)
		}
	}
	return out
}

// postNote writes a note as token into conv and returns it.
func postNote(e *apitest.Env, token, conv, text string) map[string]any {
	e.T.Helper()
	return e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"text": text, "kind": "note"}).Map(e.T)
}

// wantNextIsMarker proves that ws received nothing since it was last read:
// it posts a marker note into conv and checks that the very next frame is
// the marker's message.created.
func wantNextIsMarker(t testing.TB, e *apitest.Env, ws *websocket.Conn, token, conv string) {
	t.Helper()
	marker := postNote(e, token, conv, "marker")
	f := apitest.Next(t, ws)
	if f.Type != "message.created" || str(f.Object(t), "id") != str(marker, "id") {
		t.Fatalf("next frame = %s %s, want the marker's message.created (nothing before it)", f.Type, f.Data)
	}
}

// wantUnchanged checks that a refused request changed nothing: the
// conversation reads the same, it has no new message, and the agent stream
// got no event.
func wantUnchanged(t testing.TB, e *apitest.Env, ws *websocket.Conn, token, conv string, before map[string]any, msgs []map[string]any) {
	t.Helper()
	if after := e.ConversationOf(token, conv); !reflect.DeepEqual(after, before) {
		t.Errorf("conversation after the refusal = %v, want it unchanged: %v", after, before)
	}
	if added := newMessages(msgs, e.MessagesOf(token, conv)); len(added) != 0 {
		t.Errorf("refusal added messages %v, want none", added)
	}
	wantNextIsMarker(t, e, ws, token, conv)
}

// wantOneEvent checks the trace of one allowed change of conv by actor:
// exactly one new message, of kind event, naming the actor; and on the
// agent stream its message.created before the conversation.updated, whose
// data it returns.
func wantOneEvent(t testing.TB, e *apitest.Env, ws *websocket.Conn, token, conv string, msgs []map[string]any, actor string) map[string]any {
	t.Helper()
	added := newMessages(msgs, e.MessagesOf(token, conv))
	if len(added) != 1 {
		t.Fatalf("change added %d messages %v, want exactly one event message", len(added), added)
	}
	ev := added[0]
	if str(ev, "kind") != "event" || !strings.Contains(str(ev, "text"), actor) {
		t.Errorf("added message = kind %q text %q, want kind event naming %q", str(ev, "kind"), str(ev, "text"), actor)
	}
	f := apitest.Next(t, ws)
	if m := f.Object(t); f.Type != "message.created" || str(m, "id") != str(ev, "id") || f.Seq != seq(ev) {
		t.Fatalf("first frame = %s seq %d %s, want message.created seq %d of the event message %s", f.Type, f.Seq, f.Data, seq(ev), str(ev, "id"))
	}
	u := apitest.Next(t, ws)
	if u.Type != "conversation.updated" || str(u.Object(t), "id") != conv {
		t.Fatalf("second frame = %s %s, want conversation.updated of %s", u.Type, u.Data, conv)
	}
	if u.Seq <= f.Seq {
		t.Errorf("conversation.updated seq %d, want above message.created seq %d", u.Seq, f.Seq)
	}
	return u.Object(t)
}

// listIDs returns the ids of one page of GET /api/v1/conversations?query.
func listIDs(e *apitest.Env, token, query string) []string {
	e.T.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	e.Must(http.StatusOK, "GET", "/api/v1/conversations?"+query, token, nil).JSON(e.T, &page)
	ids := make([]string, 0, len(page.Items))
	for _, c := range page.Items {
		ids = append(ids, str(c, "id"))
	}
	return ids
}

// assign sets conv's assignee as token (agentID "" unassigns).
func assign(e *apitest.Env, token, conv, agentID string) map[string]any {
	e.T.Helper()
	var id any
	if agentID != "" {
		id = agentID
	}
	return e.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/assign", token, map[string]any{"agent_id": id}).Map(e.T)
}

// resolve resolves conv as token.
func resolve(e *apitest.Env, token, conv string) map[string]any {
	e.T.Helper()
	return e.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/resolve", token, nil).Map(e.T)
}

// sendWS sends message.send on a visitor socket and returns the acked
// message, failing on an error frame.
func sendWS(t testing.TB, ws *websocket.Conn, clientID, text string) map[string]any {
	t.Helper()
	f := writeAndAck(t, ws, clientID, text)
	if f.Type != "ack" {
		t.Fatalf("answer to message.send %s = %s %s, want ack", clientID, f.Type, f.Error)
	}
	return f.Object(t)
}

// writeAndAck sends message.send and returns the frame that answers it
// (ack or error with its client_id), skipping other frames.
func writeAndAck(t testing.TB, ws *websocket.Conn, clientID, text string) apitest.Frame {
	t.Helper()
	if err := apitest.Write(ws, map[string]string{"type": "message.send", "client_id": clientID, "text": text}); err != nil {
		t.Fatalf("write message.send: %v", err)
	}
	fs := apitest.Until(t, ws, func(f apitest.Frame) bool {
		return (f.Type == "ack" || f.Type == "error") && f.ClientID == clientID
	})
	return fs[len(fs)-1]
}

// drainUpdate reads ws until the conversation.updated of conv.
func drainUpdate(t testing.TB, ws *websocket.Conn, conv string) []apitest.Frame {
	t.Helper()
	return apitest.Until(t, ws, func(f apitest.Frame) bool {
		return f.Type == "conversation.updated" && str(f.Object(t), "id") == conv
	})
}

// cids numbers the client_ids of this test binary.
var cids atomic.Int64

// newClientID returns a fresh client_id.
func newClientID() string {
	return fmt.Sprintf("cid-%d-%d", time.Now().UnixNano(), cids.Add(1))
}
