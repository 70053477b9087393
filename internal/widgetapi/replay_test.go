package widgetapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/event"
)

// rawFrame is a stream frame as sent, with what the test reads from it.
type rawFrame struct {
	raw  string
	typ  string
	seq  int64
	conv string // conversation.updated: the conversation's id
	text string // message.created: the text
}

func readRaw(t *testing.T, ws *websocket.Conn) rawFrame {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, b, err := ws.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("read frame: %v", err)
		}
		var f struct {
			Type string
			Seq  int64
			Data struct{ ID, Text string }
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		if f.Seq == 0 { // ephemeral: typing, presence
			continue
		}
		rf := rawFrame{raw: string(b), typ: f.Type, seq: f.Seq}
		switch f.Type {
		case event.ConversationUpdated:
			rf.conv = f.Data.ID
		case event.MessageCreated:
			rf.text = f.Data.Text
		}
		return rf
	}
}

// A visitor's stream resumed from any seq replays what it was sent live
// after that seq, byte for byte — except that of each conversation's
// conversation.updated frames only the latest comes, the conversation's
// state now (it supersedes the earlier ones). Never a note, nothing of
// another visitor, and paging through the replay misses nothing.
func TestVisitorReplayIsTheLiveStream(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	owner := acc.Owner()
	v := e.NewVisitor(acc)
	other := e.NewVisitor(acc)
	start := e.LastSeq(acc.ID)
	live := e.VisitorStream(acc.ID, v)
	defer live.CloseNow()

	first := e.VisitorSays(v, "hello")["conversation_id"].(string)
	e.VisitorSays(other, "someone else's words")
	reply := func(conv, text, kind string) {
		e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": text, "kind": kind})
	}
	reply(first, "Hi, how can I help?", "text")
	reply(first, "private team words", "note")
	e.Must(http.StatusOK, "POST", "/api/v1/conversations/"+first+"/assign", owner.Token, map[string]any{"agent_id": owner.ID})
	e.Must(http.StatusOK, "POST", "/api/v1/conversations/"+first+"/resolve", owner.Token, nil)
	// The agent writes first in a new conversation; the visitor answers.
	var started struct{ ID string }
	e.Must(http.StatusCreated, "POST", "/api/v1/visitors/"+v.ID+"/conversations", owner.Token, map[string]string{"text": "Anything else?", "client_id": "start-1"}).JSON(t, &started)
	second := e.VisitorSays(v, "one more thing")["conversation_id"].(string)
	if second != started.ID || second == first {
		t.Fatalf("the visitor answered in %s; the agent started %s after %s", second, started.ID, first)
	}
	// Another contact has the shop's user id u1; v signing in as u1 folds
	// v's contact into it, which moves (and updates) v's conversations.
	e.IdentifyUser(acc, other, "u1", nil)
	e.IdentifyUser(acc, v, "u1", map[string]any{"name": "Vera"})
	reply(first, "about the first question", "text") // reopens it
	reply(second, "the last word", "text")

	// Live: up to the conversation.updated that follows the last word.
	var sent []rawFrame
	for done := false; !done; {
		f := readRaw(t, live)
		done = f.typ == event.ConversationUpdated && len(sent) > 0 && sent[len(sent)-1].text == "the last word"
		sent = append(sent, f)
	}
	for _, f := range sent {
		for _, hidden := range []string{"private team words", "someone else"} {
			if strings.Contains(f.raw, hidden) {
				t.Fatalf("the visitor was sent %q: %s", hidden, f.raw)
			}
		}
	}
	latest := map[string]int64{} // conversation → seq of its last update
	for _, f := range sent {
		if f.typ == event.ConversationUpdated {
			latest[f.conv] = f.seq
		}
	}
	if len(latest) != 2 {
		t.Fatalf("live updates of %d conversations, want 2 (%s, %s)", len(latest), first, second)
	}
	want := func(after int64) []string {
		var out []string
		for _, f := range sent {
			if f.seq > after && (f.typ != event.ConversationUpdated || latest[f.conv] == f.seq) {
				out = append(out, f.raw)
			}
		}
		return out
	}
	end := sent[len(sent)-1].seq

	for after := start; after < end; after++ {
		ws, _, err := e.Dial(fmt.Sprintf("/widget/v1/stream?token=%s&after_seq=%d", v.Token, after), nil)
		if err != nil {
			t.Fatalf("after_seq %d: %v", after, err)
		}
		var got []string
		for len(got) == 0 || readSeq(got[len(got)-1]) < end {
			got = append(got, readRaw(t, ws).raw)
		}
		ws.CloseNow()
		if w := want(after); strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("after_seq %d replayed\n%s\nwant\n%s", after, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
		// The same, one message at a time.
		var paged []string
		for from, full := after, true; full; {
			evs, more, err := e.Server.Conversations.VisitorEvents(context.Background(), acc.ID, v.ID, from, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				paged, from = append(paged, string(ev.VisitorFrame)), ev.Seq
			}
			full = more
		}
		if strings.Join(paged, "\n") != strings.Join(want(after), "\n") {
			t.Errorf("after_seq %d paged one message at a time:\n%s\nwant\n%s", after, strings.Join(paged, "\n"), strings.Join(want(after), "\n"))
		}
	}

	// The agents' log pruned to nothing: a visitor still resumes.
	if n, err := e.Server.Log.Prune(context.Background(), -time.Hour); err != nil || n == 0 {
		t.Fatalf("Prune = %d, %v; want the whole log pruned", n, err)
	}
	resumed, _, err := e.Dial(fmt.Sprintf("/widget/v1/stream?token=%s&after_seq=%d", v.Token, start), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.CloseNow()
	var got []string
	for len(got) == 0 || readSeq(got[len(got)-1]) < end {
		got = append(got, readRaw(t, resumed).raw)
	}
	if strings.Join(got, "\n") != strings.Join(want(start), "\n") {
		t.Errorf("after the log was pruned, after_seq %d replayed\n%s\nwant\n%s", start, strings.Join(got, "\n"), strings.Join(want(start), "\n"))
	}

	// Past the account's latest seq: reset.
	ws, _, err := e.Dial(fmt.Sprintf("/widget/v1/stream?token=%s&after_seq=%d", v.Token, e.LastSeq(acc.ID)+1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if f := apitest.Next(t, ws); f.Type != "reset" {
		t.Errorf("after_seq past the latest: got a %s frame, want reset", f.Type)
	}
}

func readSeq(frame string) int64 {
	var f struct{ Seq int64 }
	json.Unmarshal([]byte(frame), &f)
	return f.Seq
}
