package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/testdb"
)

const (
	crashVisitors = 6
	// inFlight is how many messages each visitor has sent but not yet seen
	// acknowledged, at most: a chat box that keeps sending.
	inFlight = 8
	// killAfter is about how many acknowledgements the server gives in a
	// round before it is killed (a random number between half of it and
	// all of it, so that the kill lands at a different point each time).
	killAfter = 60
	// crashRounds is how many times the server is killed.
	crashRounds = 20
	// crashAgents reply at the same time as the visitors send.
	crashAgents = 2
)

type message struct {
	ID             string  `json:"id"`
	ConversationID string  `json:"conversation_id"`
	Seq            int64   `json:"seq"`
	Kind           string  `json:"kind"`
	SenderType     string  `json:"sender_type"`
	SenderID       *string `json:"sender_id"`
	Text           string  `json:"text"`
	ClientID       *string `json:"client_id"`
}

func (m message) clientID() string {
	if m.ClientID == nil {
		return ""
	}
	return *m.ClientID
}

// crashVisitor is a chat box that keeps sending over its socket until the
// socket dies, recording what it sent and what was acknowledged. It keeps
// its visitor token across server restarts.
type crashVisitor struct {
	i     int
	token string
	id    string

	mu    sync.Mutex
	next  int
	conv  string
	sent  map[string]string  // client_id -> text
	acked map[string]message // client_id -> the acknowledged message
	errs  []string
}

func (v *crashVisitor) run(ctx context.Context, wsURL string, acks chan<- struct{}) error {
	ws, _, err := websocket.Dial(ctx, wsURL+"/widget/v1/stream?token="+v.token, nil)
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	window := make(chan struct{}, inFlight)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return // the server was killed
			}
			var f struct {
				Type     string          `json:"type"`
				ClientID string          `json:"client_id"`
				Data     json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(b, &f); err != nil {
				v.fail("frame %s is not JSON", b)
				continue
			}
			switch f.Type {
			case "ack":
				var m message
				if err := json.Unmarshal(f.Data, &m); err != nil || m.clientID() != f.ClientID {
					v.fail("bad ack %s", b)
					continue
				}
				v.mu.Lock()
				if _, dup := v.acked[f.ClientID]; dup {
					v.errs = append(v.errs, fmt.Sprintf("client_id %s acknowledged twice", f.ClientID))
				}
				v.acked[f.ClientID] = m
				v.conv = m.ConversationID
				v.mu.Unlock()
				select {
				case <-window:
				default:
				}
				select {
				case acks <- struct{}{}:
				default:
				}
			case "error":
				v.fail("error frame %s", b)
			}
		}
	}()
	for {
		select {
		case window <- struct{}{}:
		case <-readerDone:
			return nil
		}
		v.mu.Lock()
		id, text := fmt.Sprintf("v%d-%d", v.i, v.next), fmt.Sprintf("visitor %d, message %d", v.i, v.next)
		v.next++
		v.sent[id] = text
		v.mu.Unlock()
		b, _ := json.Marshal(map[string]string{"type": "message.send", "client_id": id, "text": text})
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			<-readerDone
			return nil
		}
	}
}

func (v *crashVisitor) conversation() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.conv
}

func (v *crashVisitor) fail(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
}

// crashAgent replies over HTTP until the server dies, recording which
// replies were answered 201 and which had no answer.
type crashAgent struct {
	i       int
	next    int
	sent    map[string]sentReply // client_id -> reply
	created map[string]message   // client_id -> the 201 answer
}

type sentReply struct{ conversation, text string }

func (a *crashAgent) run(c *api, token string, visitors []*crashVisitor) {
	for {
		conv := ""
		for k := 0; k < len(visitors) && conv == ""; k++ {
			conv = visitors[(a.next+k)%len(visitors)].conversation()
		}
		if conv == "" {
			panic("the agent started before any conversation")
		}
		id, text := fmt.Sprintf("agent%d-%d", a.i, a.next), fmt.Sprintf("agent %d, reply %d", a.i, a.next)
		a.next++
		a.sent[id] = sentReply{conv, text}
		var m message
		status, err := c.do("POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"client_id": id, "text": text}, &m)
		if err != nil || status != http.StatusCreated {
			return // the server was killed
		}
		a.created[id] = m
	}
}

// TestAcknowledgedMessagesSurviveAKill runs the real binary, has visitors
// send over their sockets without pause while agents reply over HTTP, and
// kills the server with SIGKILL in the middle, twenty times over, each time
// at another point. After each restart on the same database every
// acknowledged message is there exactly once and the server serves again.
// In the end, sending every unacknowledged client_id again over HTTP
// stores each at most once, and the event log still matches the messages.
func TestAcknowledgedMessagesSurviveAKill(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	tg := testdb.New(t)
	srv := startServer(t, tg)
	c := newAPI(t, srv.URL)
	owner := c.login(t, ownerEmail, ownerPassword)
	var acc struct {
		ID        string `json:"id"`
		WidgetKey string `json:"widget_key"`
	}
	c.must(t, http.StatusOK, "GET", "/api/v1/account", owner, nil, &acc)

	visitors := make([]*crashVisitor, crashVisitors)
	for i := range visitors {
		var s struct {
			VisitorToken string `json:"visitor_token"`
			VisitorID    string `json:"visitor_id"`
		}
		c.must(t, http.StatusOK, "POST", "/widget/v1/session", "", map[string]string{"widget_key": acc.WidgetKey}, &s)
		visitors[i] = &crashVisitor{i: i, token: s.VisitorToken, id: s.VisitorID, sent: map[string]string{}, acked: map[string]message{}}
	}
	agents := make([]*crashAgent, crashAgents)
	for i := range agents {
		agents[i] = &crashAgent{i: i, sent: map[string]sentReply{}, created: map[string]message{}}
	}
	replies := func() (sent, answered int) {
		for _, a := range agents {
			sent, answered = sent+len(a.sent), answered+len(a.created)
		}
		return sent, answered
	}

	var sentBefore, ackedBefore, repliesBefore, answeredBefore int
	for round := 1; round <= crashRounds; round++ {
		roundStart := time.Now()
		killAt := killAfter/2 + rand.IntN(killAfter/2+1)
		acks := make(chan struct{}, 4096)
		var wg sync.WaitGroup
		wsURL := "ws" + strings.TrimPrefix(srv.URL, "http")
		for _, v := range visitors {
			wg.Go(func() {
				if err := v.run(ctx, wsURL, acks); err != nil {
					v.fail("round %d: visitor socket: %v", round, err)
				}
			})
		}
		for n := 0; n < killAt; n++ {
			if n == 5 {
				for _, a := range agents {
					wg.Go(func() { a.run(c, owner, visitors) })
				}
			}
			select {
			case <-acks:
			case <-time.After(time.Minute):
				t.Fatalf("round %d: only %d acknowledgements within a minute", round, n)
			}
		}
		srv.Kill()
		wg.Wait()

		sent, acked := 0, 0
		for _, v := range visitors {
			for _, e := range v.errs {
				t.Errorf("visitor %d: %s", v.i, e)
			}
			v.errs = nil
			sent += len(v.sent)
			acked += len(v.acked)
		}
		sent, acked = sent-sentBefore, acked-ackedBefore
		allReplies, allAnswered := replies()
		replied, answered := allReplies-repliesBefore, allAnswered-answeredBefore
		t.Logf("round %d: killed with %d visitor messages sent, %d acknowledged, %d in flight; %d agent replies sent, %d answered",
			round, sent, acked, sent-acked, replied, answered)
		if sent == acked {
			t.Fatalf("round %d: no message was in flight when the server was killed; the test proves nothing", round)
		}
		sentBefore, ackedBefore, repliesBefore, answeredBefore = sentBefore+sent, ackedBefore+acked, allReplies, allAnswered

		// Restart on the same database: everything acknowledged is there.
		srv = startServer(t, tg)
		c = newAPI(t, srv.URL)
		owner = c.login(t, ownerEmail, ownerPassword)
		checkSurvived(t, fmt.Sprintf("after kill %d", round), allMessages(t, c, owner), visitors, agents)
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("round %d: restarted and checked in %v", round, time.Since(roundStart).Round(time.Millisecond))
	}

	// The chat box sends again what it never saw acknowledged, over HTTP
	// this time, and one acknowledged message for good measure; the agent
	// sends again the replies it got no answer for.
	stored := byClientID(allMessages(t, c, owner))
	resent, already := 0, 0
	resend := func(who, path, token, id, text string) {
		t.Helper()
		before := stored[id]
		var m message
		status, err := c.do("POST", path, token, map[string]string{"client_id": id, "text": text}, &m)
		resent++
		switch {
		case len(before) == 0 && (status != http.StatusCreated || err != nil):
			t.Errorf("%s: %s was not stored, sending it again gave %d %v, want 201", who, id, status, err)
		case len(before) > 0 && (status != http.StatusOK || err != nil || m.ID != before[0].ID):
			t.Errorf("%s: %s was stored as %s, sending it again gave %d %v %+v, want 200 with it", who, id, before[0].ID, status, err, m)
		case len(before) > 0:
			already++
		}
	}
	for _, v := range visitors {
		for id, text := range v.sent {
			if _, ok := v.acked[id]; !ok || id == fmt.Sprintf("v%d-0", v.i) {
				resend(fmt.Sprintf("visitor %d", v.i), "/widget/v1/messages", v.token, id, text)
			}
		}
	}
	for _, a := range agents {
		for id, r := range a.sent {
			if _, ok := a.created[id]; !ok {
				resend(fmt.Sprintf("agent %d", a.i), "/api/v1/conversations/"+r.conversation+"/messages", owner, id, r.text)
			}
		}
	}
	t.Logf("sent %d client_ids again; %d of them had been stored before", resent, already)

	after := byClientID(allMessages(t, c, owner))
	for _, v := range visitors {
		for id := range v.sent {
			if n := len(after[id]); n != 1 {
				t.Errorf("visitor %d: after sending again, client_id %s is stored %d times, want once", v.i, id, n)
			}
		}
	}
	for _, a := range agents {
		for id := range a.sent {
			if n := len(after[id]); n != 1 {
				t.Errorf("agent %d: after sending again, client_id %s is stored %d times, want once", a.i, id, n)
			}
		}
	}
	allReplies, _ := replies()
	if n, want := len(after), allReplies+func() (n int) {
		for _, v := range visitors {
			n += len(v.sent)
		}
		return n
	}(); n != want {
		t.Errorf("%d client_ids stored, %d sent", n, want)
	}

	checkEventLog(t, c, srv.URL, owner)
	t.Logf("%d kills in %v", crashRounds, time.Since(start).Round(time.Second))
}

// checkSurvived checks, after a restart, that every acknowledged message is
// stored once under its acknowledged id and text, and that nothing is stored
// twice or without having been sent.
func checkSurvived(t *testing.T, when string, msgs []message, visitors []*crashVisitor, agents []*crashAgent) {
	t.Helper()
	stored := byClientID(msgs)
	sentBy := map[string]string{} // client_id -> text
	for _, v := range visitors {
		for id, text := range v.sent {
			sentBy[id] = text
		}
		for id, m := range v.acked {
			if s := stored[id]; len(s) != 1 || s[0].ID != m.ID || s[0].Text != v.sent[id] || s[0].SenderID == nil || *s[0].SenderID != v.id {
				t.Errorf("%s: visitor %d's acknowledged message %s (%s) is stored as %+v", when, v.i, id, m.ID, s)
			}
		}
	}
	for _, a := range agents {
		for id, r := range a.sent {
			sentBy[id] = r.text
		}
		for id, m := range a.created {
			if s := stored[id]; len(s) != 1 || s[0].ID != m.ID || s[0].Text != a.sent[id].text {
				t.Errorf("%s: agent %d's reply %s (%s), answered 201, is stored as %+v", when, a.i, id, m.ID, s)
			}
		}
	}
	for id, s := range stored {
		if text, ok := sentBy[id]; !ok || len(s) != 1 || s[0].Text != text {
			t.Errorf("%s: client_id %q is stored as %+v (sent: %v)", when, id, s, ok)
		}
	}
}

// byClientID groups the messages that have a client_id by it (the test's
// client_ids are unique across senders).
func byClientID(msgs []message) map[string][]message {
	out := map[string][]message{}
	for _, m := range msgs {
		if id := m.clientID(); id != "" {
			out[id] = append(out[id], m)
		}
	}
	return out
}

// allMessages lists every message of every conversation, open or resolved.
func allMessages(t *testing.T, c *api, token string) []message {
	t.Helper()
	var out []message
	seen := map[string]bool{}
	for _, status := range []string{"open", "resolved"} {
		for cursor := ""; ; {
			var page struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			c.must(t, http.StatusOK, "GET", "/api/v1/conversations?limit=200&status="+status+"&cursor="+cursor, token, nil, &page)
			for _, conv := range page.Items {
				for mc := ""; ; {
					var msgs struct {
						Items      []message `json:"items"`
						NextCursor string    `json:"next_cursor"`
					}
					c.must(t, http.StatusOK, "GET", "/api/v1/conversations/"+conv.ID+"/messages?limit=200&cursor="+mc, token, nil, &msgs)
					for _, m := range msgs.Items {
						if seen[m.ID] {
							t.Errorf("message %s is listed twice", m.ID)
						}
						seen[m.ID] = true
						out = append(out, m)
					}
					if mc = msgs.NextCursor; mc == "" {
						break
					}
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	return out
}

// checkEventLog replays the account's whole event log over an agent stream
// after the crash: seqs 1..N, each once, and one message.created for every
// stored message — the messages and their events were committed together.
func checkEventLog(t *testing.T, c *api, base, token string) {
	t.Helper()
	msgs := allMessages(t, c, token)
	if len(msgs) == 0 {
		t.Fatal("no messages stored")
	}
	// A last agent reply marks the end of the log: its conversation.updated
	// (seq+1) is the last event.
	var marker message
	c.must(t, http.StatusCreated, "POST", "/api/v1/conversations/"+msgs[0].ConversationID+"/messages", token, map[string]string{"text": "we are back"}, &marker)
	msgs = append(msgs, marker)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/stream?after_seq=0", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatalf("dial agent stream: %v", err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	created := map[string]int64{}
	for want := int64(1); want <= marker.Seq+1; {
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("agent stream after the restart, waiting for seq %d of %d: %v", want, marker.Seq+1, err)
		}
		var f struct {
			Type string          `json:"type"`
			Seq  int64           `json:"seq"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		if f.Seq == 0 {
			continue // presence
		}
		if f.Seq != want {
			t.Fatalf("agent stream after the restart: seq %d, want %d", f.Seq, want)
		}
		want++
		if f.Type == "message.created" {
			var m message
			json.Unmarshal(f.Data, &m)
			created[m.ID] = f.Seq
		}
	}
	for _, m := range msgs {
		if seq, ok := created[m.ID]; !ok || seq != m.Seq {
			t.Errorf("message %s (seq %d) has message.created at seq %d (found: %v)", m.ID, m.Seq, seq, ok)
		}
	}
	if len(created) != len(msgs) {
		t.Errorf("%d message.created events in the log, %d messages stored", len(created), len(msgs))
	}
}

// TestAccountCreateWhileServing runs `parley account create` against the
// database of a running server that is busy storing messages: it prints one
// JSON line, and the server lets the new owner in and opens the new chat
// box at once.
func TestAccountCreateWhileServing(t *testing.T) {
	tg := testdb.New(t)
	srv := startServer(t, tg)
	c := newAPI(t, srv.URL)
	owner := c.login(t, ownerEmail, ownerPassword)
	var first struct {
		ID        string `json:"id"`
		WidgetKey string `json:"widget_key"`
	}
	c.must(t, http.StatusOK, "GET", "/api/v1/account", owner, nil, &first)

	// Keep the server writing while the command writes to the same
	// database.
	var visitor struct {
		VisitorToken string `json:"visitor_token"`
	}
	c.must(t, http.StatusOK, "POST", "/widget/v1/session", "", map[string]string{"widget_key": first.WidgetKey}, &visitor)
	stop := make(chan struct{})
	busy := make(chan error, 1)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				busy <- nil
				return
			default:
			}
			if status, err := c.do("POST", "/widget/v1/messages", visitor.VisitorToken, map[string]string{"client_id": fmt.Sprint("busy-", n), "text": "are you there?"}, nil); status != http.StatusCreated {
				busy <- fmt.Errorf("message %d while the command ran: %d %v", n, status, err)
				return
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"account", "create", "--name", "Second shop", "--owner-email", "second@shop.example", "--owner-password", "another good one"}, dbArgs(tg)...)
	cmd := exec.CommandContext(ctx, parleyBinary(t), args...)
	cmd.Env = parleyEnv(tg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	close(stop)
	if err != nil {
		t.Fatalf("parley account create: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if err := <-busy; err != nil {
		t.Error(err)
	}
	if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
		t.Errorf("parley account create reported a data race:\n%s", stderr.String())
	}

	out := stdout.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("stdout = %q, want exactly one line", out)
	}
	var created map[string]any
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("stdout %q is not a JSON object: %v", out, err)
	}
	for _, k := range []string{"account_id", "owner_id", "widget_key"} {
		if s, ok := created[k].(string); !ok || s == "" {
			t.Errorf("stdout %s: %s = %#v, want a non-empty string", out, k, created[k])
		}
	}
	if len(created) != 3 {
		t.Errorf("stdout %s has %d keys, want account_id, owner_id and widget_key", out, len(created))
	}
	if created["account_id"] == first.ID {
		t.Fatalf("the command printed the first account %s", first.ID)
	}

	// The running server knows the new account at once: no retry.
	token := c.login(t, "second@shop.example", "another good one")
	var me struct {
		ID        string `json:"id"`
		AccountID string `json:"account_id"`
		Role      string `json:"role"`
	}
	c.must(t, http.StatusOK, "GET", "/api/v1/me", token, nil, &me)
	if me.ID != created["owner_id"] || me.AccountID != created["account_id"] || me.Role != "owner" {
		t.Errorf("GET /api/v1/me = %+v, want the owner %v of account %v", me, created["owner_id"], created["account_id"])
	}
	var acc struct {
		ID        string `json:"id"`
		WidgetKey string `json:"widget_key"`
	}
	c.must(t, http.StatusOK, "GET", "/api/v1/account", token, nil, &acc)
	if acc.ID != created["account_id"] || acc.WidgetKey != created["widget_key"] {
		t.Errorf("GET /api/v1/account = %+v, want %v", acc, created)
	}
	var session struct {
		VisitorToken string `json:"visitor_token"`
	}
	c.must(t, http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": created["widget_key"]}, &session)
	var m message
	c.must(t, http.StatusCreated, "POST", "/widget/v1/messages", session.VisitorToken, map[string]string{"client_id": "hello", "text": "hello, second shop"}, &m)

	// The message reaches the new account and only it.
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			AccountID string `json:"account_id"`
		} `json:"items"`
	}
	c.must(t, http.StatusOK, "GET", "/api/v1/conversations", token, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != m.ConversationID || list.Items[0].AccountID != created["account_id"] {
		t.Errorf("the new owner's conversations = %+v, want only %s", list.Items, m.ConversationID)
	}
	c.must(t, http.StatusNotFound, "GET", "/api/v1/conversations/"+m.ConversationID, owner, nil, nil)
}
