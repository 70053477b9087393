package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
)

const (
	concurrentVisitors = 42
	messagesPerVisitor = 25
	// waitLong bounds every wait of the test for something the server
	// owes; it is generous because -race and PostgreSQL are slow.
	waitLong = 90 * time.Second
)

// TestConcurrentMessagesAreNeverLostOrDoubled drives the real-time core
// from every side at once: 42 visitors each send 25 messages over their own
// socket as fast as they can (some repeat client_ids over the socket, some
// race the socket with the same client_ids over HTTP), while an agent
// replies, writes notes, resolves, reopens and assigns over HTTP. Agent
// stream A follows everything from the start; agent stream B joins mid-way,
// drops and resumes with after_seq. In the end every acknowledged message is
// stored exactly once, each agent stream saw every event 1..N exactly once
// and in order, and each visitor saw exactly what it may see, once, in order.
func TestConcurrentMessagesAreNeverLostOrDoubled(t *testing.T) {
	e := apitest.New(t, apitest.Options{VisitorMessagesPerMinute: 600000, VisitorBurst: 100000})
	acc := e.NewAccount()
	c := newClient(t, e.URL, acc.OwnerToken)

	// Agent stream A, open before anything happens.
	streamA := newStreamLog("agent stream A")
	c.follow(t, "/api/v1/stream?after_seq=0", acc.OwnerToken, streamA, nil)

	acked := newCounter()
	convs := newConvSet()
	runs := make([]*visitorRun, concurrentVisitors)
	totalAcks := 0
	for i := range runs {
		v := e.NewVisitor(acc)
		r := &visitorRun{i: i, v: v, acks: make(map[string][]message), httpAcks: make(map[string][]message)}
		r.plan = sendPlan(i)
		totalAcks += len(r.plan)
		r.log = newStreamLog(fmt.Sprintf("visitor %d stream", i))
		r.ws = c.follow(t, "/widget/v1/stream?after_seq=0&token="+v.Token, "", r.log, func(f frame) { r.onFrame(t, c, f, acked, convs) })
		runs[i] = r
	}

	// When the test stops early, every helper goroutine stops before the
	// sockets close, so none reports after the test has ended.
	var wg, agentsWG sync.WaitGroup
	quit := make(chan struct{})
	t.Cleanup(func() {
		close(quit)
		agentsWG.Wait()
		wg.Wait()
	})

	// Agent stream B: joins once a fifth of the messages are acknowledged,
	// drops at 45%, and resumes at 70% from the last seq it saw.
	streamB1 := newStreamLog("agent stream B, first session")
	streamB2 := newStreamLog("agent stream B, second session")
	var resumeB, missedB int64
	wg.Go(func() {
		select {
		case <-acked.reached(totalAcks / 5):
		case <-time.After(waitLong):
			t.Errorf("only %d of %d messages acknowledged before stream B was to join", acked.value(), totalAcks)
			return
		case <-quit:
			return
		}
		ws, err := c.followErr(t, "/api/v1/stream?after_seq=0", acc.OwnerToken, streamB1, nil)
		if err != nil {
			t.Errorf("dial stream B: %v", err)
			return
		}
		select {
		case <-acked.reached(totalAcks * 45 / 100):
		case <-time.After(waitLong):
			t.Errorf("only %d of %d messages acknowledged before stream B was to drop", acked.value(), totalAcks)
		case <-quit:
			return
		}
		ws.Close(websocket.StatusNormalClosure, "")
		<-streamB1.done
		resumeB = streamB1.lastSeq()
		select {
		case <-acked.reached(totalAcks * 70 / 100):
		case <-time.After(waitLong):
			t.Errorf("only %d of %d messages acknowledged before stream B was to resume", acked.value(), totalAcks)
		case <-quit:
			return
		}
		// Stream A only carries committed events: what it has seen beyond
		// resumeB was committed while B was away and must be replayed.
		if missedB = streamA.lastSeq() - resumeB; missedB <= 0 {
			t.Errorf("nothing was committed while stream B was away (A at %d, B at %d); the resume proves nothing", streamA.lastSeq(), resumeB)
		}
		if _, err := c.followErr(t, fmt.Sprintf("/api/v1/stream?after_seq=%d", resumeB), acc.OwnerToken, streamB2, nil); err != nil {
			t.Errorf("dial stream B again: %v", err)
		}
	})

	// The visitors send as fast as they can; some race their own socket
	// with the same client_ids over HTTP.
	for _, r := range runs {
		wg.Go(func() { r.send(t) })
		if r.i%3 == 1 {
			wg.Go(func() { r.resendOverHTTP(t, c) })
		}
	}

	// Meanwhile the owner and an admin work the conversations over HTTP.
	admin := e.NewAgent(acc, "admin", "Adam Admin")
	sendersDone := make(chan struct{})
	seed := uint64(time.Now().UnixNano())
	t.Logf("agent actions seeded with %d", seed)
	agents := []*agentRun{
		{c: c, rng: rand.New(rand.NewPCG(seed, 1)), ownerID: acc.OwnerID, stored: make(map[string]message)},
		{c: c.as(admin.Token), rng: rand.New(rand.NewPCG(seed, 2)), ownerID: acc.OwnerID, stored: make(map[string]message)},
	}
	for _, a := range agents {
		agentsWG.Go(func() { a.work(t, convs, sendersDone, quit) })
	}

	for _, r := range runs {
		if !r.log.waitFor(waitLong, func(*streamLog) bool { return r.ackCount() >= len(r.plan) }) {
			t.Fatalf("visitor %d: %d of %d acks arrived (stream ended: %v)", r.i, r.ackCount(), len(r.plan), r.log.error())
		}
	}
	close(sendersDone)
	agentsWG.Wait()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// A last reply in every conversation marks the end of each stream:
	// its conversation.updated is the last event the visitor sees, and the
	// last one of these is the account's last event.
	finalSeq := map[string]int64{} // conversation -> seq of the marker's conversation.updated
	var last int64
	for _, r := range runs {
		m, status, err := c.postMessage(r.conversation(), "final reply", "text", "")
		if err != nil || status != http.StatusCreated {
			t.Fatalf("final reply: %d %v", status, err)
		}
		agents[0].stored[m.ID] = m
		finalSeq[m.ConversationID] = m.Seq + 1
		last = m.Seq + 1
	}
	for _, s := range []*streamLog{streamA, streamB2} {
		if !s.waitFor(waitLong, func(s *streamLog) bool { return s.lastSeqLocked() >= last }) {
			t.Fatalf("%s: last seq %d, want %d (stream ended: %v)", s.name, s.lastSeq(), last, s.error())
		}
	}
	for _, r := range runs {
		want := finalSeq[r.conversation()]
		if !r.log.waitFor(waitLong, func(s *streamLog) bool { return s.lastSeqLocked() >= want }) {
			t.Fatalf("visitor %d: last seq %d, want %d (stream ended: %v)", r.i, r.log.lastSeq(), want, r.log.error())
		}
	}

	// What is stored is the truth the streams are judged by.
	stored := c.allMessages(t)
	byConv := map[string][]message{}
	all := map[string]message{}
	for _, m := range stored {
		byConv[m.ConversationID] = append(byConv[m.ConversationID], m)
		if _, dup := all[m.ID]; dup {
			t.Errorf("message %s is listed twice", m.ID)
		}
		all[m.ID] = m
	}
	if len(byConv) != concurrentVisitors {
		t.Errorf("%d conversations hold messages, want one per visitor (%d)", len(byConv), concurrentVisitors)
	}
	for _, r := range runs {
		r.checkStored(t, byConv[r.conversation()])
		r.checkStream(t, byConv[r.conversation()])
	}
	checkAgentMessages(t, agents, all)
	checkAgentStream(t, "agent stream A", streamA.seqFrames(), last, all)
	b1, b2 := streamB1.seqFrames(), streamB2.seqFrames()
	t.Logf("stream B saw seq 1..%d, dropped, missed at least %d events, resumed after %d and saw %d more; %d events in all", resumeB, missedB, resumeB, len(b2), last)
	for i, a := range agents {
		t.Logf("agent %d did %d things, %d of them while visitors were sending", i, a.actions, a.whileSending)
	}
	if len(b1) == 0 || len(b2) == 0 {
		t.Errorf("stream B got %d frames before it dropped and %d after; want some in each", len(b1), len(b2))
	}
	checkAgentStream(t, "agent stream B (both sessions)", append(b1, b2...), last, all)
	checkCounts(t, c, acc.OwnerID)
}

// checkCounts compares the tab counts (kept as counters, changed by every
// assign, resolve and reopen) with the conversations the lists hold.
func checkCounts(t *testing.T, c *client, ownerID string) {
	t.Helper()
	var want struct{ all, unassigned, mine, others, resolved int }
	for _, status := range []string{"open", "resolved"} {
		cursor := ""
		for {
			var page struct {
				Items []struct {
					AssigneeID *string `json:"assignee_id"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			if st, err := c.do("GET", "/api/v1/conversations?limit=200&status="+status+"&cursor="+cursor, c.token, nil, &page); err != nil || st != http.StatusOK {
				t.Fatalf("list %s: %d %v", status, st, err)
			}
			for _, it := range page.Items {
				switch {
				case status == "resolved":
					want.resolved++
				case it.AssigneeID == nil:
					want.all++
					want.unassigned++
				case *it.AssigneeID == ownerID:
					want.all++
					want.mine++
				default:
					want.all++
					want.others++
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	var got struct {
		Open     struct{ All, Unassigned, Mine, Others int } `json:"open"`
		Resolved int                                         `json:"resolved"`
	}
	if st, err := c.do("GET", "/api/v1/conversations/counts", c.token, nil, &got); err != nil || st != http.StatusOK {
		t.Fatalf("counts: %d %v", st, err)
	}
	if got.Open.All != want.all || got.Open.Unassigned != want.unassigned || got.Open.Mine != want.mine || got.Open.Others != want.others || got.Resolved != want.resolved {
		t.Errorf("counts = %+v, want what the lists hold: %+v", got, want)
	}
}

// sendPlan is what visitor i sends over its socket, in order: 25 new
// client_ids, and for every third visitor some of them again.
func sendPlan(i int) []send {
	var plan []send
	id := func(j int) string { return fmt.Sprintf("v%d-m%d", i, j) }
	for j := range messagesPerVisitor {
		plan = append(plan, send{clientID: id(j), text: fmt.Sprintf("visitor %d says %d", i, j)})
		if i%3 == 0 && j == 10 {
			plan = append(plan, send{clientID: id(3), text: "the same client_id again, over the socket"})
		}
	}
	if i%3 == 0 {
		plan = append(plan,
			send{clientID: id(0), text: "first one again"},
			send{clientID: id(messagesPerVisitor - 1), text: "last one again"})
	}
	return plan
}

// httpResends are the client_ids every third visitor also sends over HTTP,
// racing its own socket.
func httpResends(i int) []string {
	return []string{fmt.Sprintf("v%d-m24", i), fmt.Sprintf("v%d-m5", i), fmt.Sprintf("v%d-m12", i), fmt.Sprintf("v%d-m20", i)}
}

type send struct{ clientID, text string }

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

// frame is one server frame as a stream received it.
type frame struct {
	Type     string          `json:"type"`
	Seq      int64           `json:"seq"`
	ClientID string          `json:"client_id"`
	Data     json.RawMessage `json:"data"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (f frame) message() (message, error) {
	var m message
	err := json.Unmarshal(f.Data, &m)
	return m, err
}

// streamLog records the frames one socket received.
type streamLog struct {
	name    string
	mu      sync.Mutex
	frames  []frame
	changed chan struct{}
	err     error
	done    chan struct{}
}

func newStreamLog(name string) *streamLog {
	return &streamLog{name: name, changed: make(chan struct{}), done: make(chan struct{})}
}

// read records every frame until the socket ends; onFrame, when set, sees
// each frame first (on this goroutine).
func (s *streamLog) read(ws *websocket.Conn, onFrame func(frame)) {
	defer close(s.done)
	for {
		_, b, err := ws.Read(context.Background())
		var f frame
		if err == nil {
			if err = json.Unmarshal(b, &f); err != nil {
				err = fmt.Errorf("frame %s is not JSON: %w", b, err)
			}
		}
		if err == nil && onFrame != nil {
			onFrame(f)
		}
		s.mu.Lock()
		if err != nil {
			s.err = err
		} else {
			s.frames = append(s.frames, f)
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// waitFor waits until cond holds (checked under the log's lock) or timeout.
func (s *streamLog) waitFor(timeout time.Duration, cond func(*streamLog) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, changed, ended := cond(s), s.changed, s.err != nil
		s.mu.Unlock()
		if ok {
			return true
		}
		if ended {
			return false
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

func (s *streamLog) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *streamLog) lastSeqLocked() int64 {
	for i := len(s.frames) - 1; i >= 0; i-- {
		if s.frames[i].Seq > 0 {
			return s.frames[i].Seq
		}
	}
	return 0
}

func (s *streamLog) lastSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSeqLocked()
}

// seqFrames returns the frames with a seq, in arrival order.
func (s *streamLog) seqFrames() []frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []frame
	for _, f := range s.frames {
		if f.Seq > 0 {
			out = append(out, f)
		}
	}
	return out
}

// counter counts acknowledgements and wakes whoever waits for a number.
type counter struct {
	mu    sync.Mutex
	n     int
	waits map[int][]chan struct{}
}

func newCounter() *counter { return &counter{waits: make(map[int][]chan struct{})} }

func (c *counter) add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	for _, ch := range c.waits[c.n] {
		close(ch)
	}
	delete(c.waits, c.n)
}

func (c *counter) value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// reached returns a channel closed once the count reaches n.
func (c *counter) reached(n int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if c.n >= n {
		close(ch)
	} else {
		c.waits[n] = append(c.waits[n], ch)
	}
	return ch
}

// convSet is the conversations the agent may work on, as visitors start
// them.
type convSet struct {
	mu    sync.Mutex
	ids   []string
	first chan struct{}
}

func newConvSet() *convSet { return &convSet{first: make(chan struct{})} }

func (s *convSet) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) == 0 {
		close(s.first)
	}
	s.ids = append(s.ids, id)
}

func (s *convSet) pick(rng *rand.Rand) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[rng.IntN(len(s.ids))]
}

// visitorRun is one visitor: its plan, its socket and what came back.
type visitorRun struct {
	i    int
	v    apitest.Visitor
	plan []send
	ws   *websocket.Conn
	log  *streamLog

	mu       sync.Mutex
	conv     string
	acks     map[string][]message // socket acks by client_id
	nAcks    int
	httpAcks map[string][]message // HTTP answers to resends by client_id
}

func (r *visitorRun) ackCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nAcks
}

func (r *visitorRun) conversation() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conv
}

// learn records the visitor's conversation, which must never change.
func (r *visitorRun) learn(t *testing.T, m message, convs *convSet) {
	r.mu.Lock()
	first := r.conv == ""
	if first {
		r.conv = m.ConversationID
	}
	conv := r.conv
	r.mu.Unlock()
	if first {
		convs.add(conv)
	} else if m.ConversationID != conv {
		t.Errorf("visitor %d: message %s went into conversation %s, want its conversation %s", r.i, m.ID, m.ConversationID, conv)
	}
}

// onFrame runs on the socket's reader for every frame: an ack must be for a
// message that is already stored.
func (r *visitorRun) onFrame(t *testing.T, c *client, f frame, acked *counter, convs *convSet) {
	switch f.Type {
	case "ack":
		m, err := f.message()
		if err != nil || m.ID == "" || f.ClientID != m.clientID() {
			t.Errorf("visitor %d: bad ack %+v (%v)", r.i, f, err)
			return
		}
		got, err := c.messageAt(m.ConversationID, m.Seq)
		if err != nil {
			t.Errorf("visitor %d: ack of %s: %v", r.i, f.ClientID, err)
		} else if got.ID != m.ID {
			t.Errorf("visitor %d: ack of %s names message %s (seq %d), but at that seq the conversation holds %+v", r.i, f.ClientID, m.ID, m.Seq, got)
		}
		r.learn(t, m, convs)
		r.mu.Lock()
		r.acks[f.ClientID] = append(r.acks[f.ClientID], m)
		r.nAcks++
		r.mu.Unlock()
		acked.add()
	case "error":
		t.Errorf("visitor %d: error frame for %q: %+v", r.i, f.ClientID, f.Error)
	}
}

// send writes the whole plan as fast as the socket takes it.
func (r *visitorRun) send(t *testing.T) {
	for _, s := range r.plan {
		b, _ := json.Marshal(map[string]string{"type": "message.send", "client_id": s.clientID, "text": s.text})
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		err := r.ws.Write(ctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			t.Errorf("visitor %d: send %s: %v", r.i, s.clientID, err)
			return
		}
	}
}

// resendOverHTTP sends some of the visitor's client_ids over HTTP while its
// socket sends them too: whichever comes first stores the message, the other
// gets it back.
func (r *visitorRun) resendOverHTTP(t *testing.T, c *client) {
	for _, id := range httpResends(r.i) {
		var m message
		status, err := c.do("POST", "/widget/v1/messages", r.v.Token, map[string]string{"client_id": id, "text": "sent over HTTP too"}, &m)
		if err != nil || (status != http.StatusCreated && status != http.StatusOK) {
			t.Errorf("visitor %d: resend %s over HTTP: %d %v", r.i, id, status, err)
			continue
		}
		r.mu.Lock()
		r.httpAcks[id] = append(r.httpAcks[id], m)
		r.mu.Unlock()
	}
}

// checkStored checks the visitor's conversation: every client_id once,
// under the message its acks named.
func (r *visitorRun) checkStored(t *testing.T, stored []message) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	byClientID := map[string][]message{}
	var seq int64
	for _, m := range stored {
		if m.Seq <= seq {
			t.Errorf("visitor %d: messages out of seq order: %d after %d", r.i, m.Seq, seq)
		}
		seq = m.Seq
		if m.SenderType == "visitor" {
			if m.SenderID == nil || *m.SenderID != r.v.ID {
				t.Errorf("visitor %d: conversation holds another visitor's message %+v", r.i, m)
			}
			byClientID[m.clientID()] = append(byClientID[m.clientID()], m)
		}
	}
	want := map[string]bool{}
	for _, s := range r.plan {
		want[s.clientID] = true
	}
	for id := range want {
		got := byClientID[id]
		if len(got) != 1 {
			t.Errorf("visitor %d: client_id %s is stored %d times, want once", r.i, id, len(got))
			continue
		}
		for _, a := range append(slices.Clone(r.acks[id]), r.httpAcks[id]...) {
			if a.ID != got[0].ID || a.Text != got[0].Text {
				t.Errorf("visitor %d: client_id %s was answered with %s %q, but %s %q is stored", r.i, id, a.ID, a.Text, got[0].ID, got[0].Text)
			}
		}
	}
	for id, ms := range byClientID {
		if !want[id] {
			t.Errorf("visitor %d: stored a message with client_id %q it never sent: %+v", r.i, id, ms)
		}
	}
	for _, s := range r.plan {
		if len(r.acks[s.clientID]) == 0 {
			t.Errorf("visitor %d: no ack for %s", r.i, s.clientID)
		}
	}
}

// checkStream checks what the visitor's socket carried: every message of its
// conversation that is not a note, once and in seq order, and nothing else.
func (r *visitorRun) checkStream(t *testing.T, stored []message) {
	t.Helper()
	conv := r.conversation()
	want := map[string]message{}
	for _, m := range stored {
		if m.Kind != "note" {
			want[m.ID] = m
		}
	}
	seen := map[string]bool{}
	var last int64
	for _, f := range r.log.seqFrames() {
		if f.Seq <= last {
			t.Errorf("visitor %d: seq %d arrived after %d", r.i, f.Seq, last)
		}
		last = f.Seq
		switch f.Type {
		case "message.created":
			m, err := f.message()
			if err != nil {
				t.Errorf("visitor %d: message.created %s: %v", r.i, f.Data, err)
				continue
			}
			if m.ConversationID != conv || m.Kind == "note" {
				t.Errorf("visitor %d: received a message it must not see: %s", r.i, f.Data)
				continue
			}
			if seen[m.ID] {
				t.Errorf("visitor %d: received message %s twice", r.i, m.ID)
			}
			seen[m.ID] = true
			if w, ok := want[m.ID]; !ok || w.Seq != f.Seq || m.Seq != f.Seq {
				t.Errorf("visitor %d: received message %s at seq %d, which is not stored so (%+v)", r.i, m.ID, f.Seq, w)
			}
		case "conversation.updated":
			var c struct {
				ID          string   `json:"id"`
				LastMessage *message `json:"last_message"`
			}
			if err := json.Unmarshal(f.Data, &c); err != nil || c.ID != conv {
				t.Errorf("visitor %d: received another conversation: %s", r.i, f.Data)
			}
			if m := c.LastMessage; m != nil && (m.Kind == "note" || m.ConversationID != conv) {
				t.Errorf("visitor %d: conversation.updated shows a message it must not see: %s", r.i, f.Data)
			}
		default:
			t.Errorf("visitor %d: unexpected frame %s seq %d", r.i, f.Type, f.Seq)
		}
	}
	for id, m := range want {
		if !seen[id] {
			t.Errorf("visitor %d: never received message %s (seq %d, %s by %s: %q)", r.i, id, m.Seq, m.Kind, m.SenderType, m.Text)
		}
	}
}

// agentRun is an agent working the conversations over HTTP.
type agentRun struct {
	c            *client
	rng          *rand.Rand
	ownerID      string
	actions      int
	whileSending int
	stored       map[string]message // replies and notes, by id
	sent         []message          // replies with a client_id, to repeat
}

func (a *agentRun) work(t *testing.T, convs *convSet, stop, quit <-chan struct{}) {
	c := a.c
	select {
	case <-convs.first:
	case <-quit:
		return
	}
	for ; ; a.actions++ {
		select {
		case <-quit:
			return
		case <-stop:
			if a.actions >= 40 {
				return
			}
		default:
			a.whileSending++
		}
		conv := convs.pick(a.rng)
		var status, want int
		var err error
		switch n := a.rng.IntN(10); {
		case n < 4:
			var m message
			m, status, err = c.postMessage(conv, fmt.Sprintf("agent reply %d", a.actions), "text", fmt.Sprintf("reply-%d", a.actions))
			want = http.StatusCreated
			if err == nil && status == want {
				a.stored[m.ID] = m
				a.sent = append(a.sent, m)
			}
		case n == 4 && len(a.sent) > 0:
			first := a.sent[a.rng.IntN(len(a.sent))]
			var m message
			m, status, err = c.postMessage(first.ConversationID, "the same client_id again", "text", first.clientID())
			want = http.StatusOK
			if err == nil && status == want && (m.ID != first.ID || m.Text != first.Text) {
				t.Errorf("agent client_id %s again gave %+v, want the first message %+v", first.clientID(), m, first)
			}
		case n <= 5:
			var m message
			m, status, err = c.postMessage(conv, fmt.Sprintf("internal note %d", a.actions), "note", "")
			want = http.StatusCreated
			if err == nil && status == want {
				a.stored[m.ID] = m
			}
		case n <= 7:
			status, err = c.do("POST", "/api/v1/conversations/"+conv+"/resolve", c.token, nil, nil)
			want = http.StatusOK
		case n == 8:
			status, err = c.do("POST", "/api/v1/conversations/"+conv+"/reopen", c.token, nil, nil)
			want = http.StatusOK
		default:
			var assignee any
			if a.rng.IntN(2) == 0 {
				assignee = a.ownerID
			}
			status, err = c.do("POST", "/api/v1/conversations/"+conv+"/assign", c.token, map[string]any{"agent_id": assignee}, nil)
			want = http.StatusOK
		}
		if err != nil || status != want {
			t.Errorf("agent action %d on %s: %d %v, want %d", a.actions, conv, status, err, want)
		}
	}
}

// checkAgentMessages checks that each reply and note the agents wrote is
// stored once, and that no agent message is stored that they did not write.
func checkAgentMessages(t *testing.T, agents []*agentRun, all map[string]message) {
	t.Helper()
	written := map[string]message{}
	for _, a := range agents {
		for id, m := range a.stored {
			written[id] = m
		}
	}
	for id, m := range written {
		got, ok := all[id]
		if !ok || got.Seq != m.Seq || got.Kind != m.Kind || got.ConversationID != m.ConversationID {
			t.Errorf("agent message %+v is stored as %+v", m, got)
		}
	}
	for id, m := range all {
		if m.SenderType == "agent" && m.Kind != "event" {
			if _, ok := written[id]; !ok {
				t.Errorf("stored agent message %+v was never written", m)
			}
		}
	}
}

// checkAgentStream checks that an agent stream received every event of the
// account 1..last once, in order, and every stored message's
// message.created.
func checkAgentStream(t *testing.T, name string, frames []frame, last int64, all map[string]message) {
	t.Helper()
	seen := map[string]bool{}
	for i, f := range frames {
		if f.Seq != int64(i+1) {
			t.Errorf("%s: frame %d has seq %d, want %d (events must come 1..N, each once, in order)", name, i, f.Seq, i+1)
			return
		}
		if f.Type != "message.created" {
			continue
		}
		m, err := f.message()
		if err != nil {
			t.Errorf("%s: message.created %s: %v", name, f.Data, err)
			continue
		}
		if seen[m.ID] {
			t.Errorf("%s: message %s arrived twice", name, m.ID)
		}
		seen[m.ID] = true
		if s, ok := all[m.ID]; !ok || s.Seq != f.Seq || m.Seq != f.Seq {
			t.Errorf("%s: message.created seq %d for %s, stored as %+v", name, f.Seq, m.ID, s)
		}
	}
	if n := int64(len(frames)); n != last {
		t.Errorf("%s: received events 1..%d, want 1..%d", name, n, last)
	}
	for id, m := range all {
		if !seen[id] {
			t.Errorf("%s: never received message %s (seq %d)", name, id, m.Seq)
		}
	}
}

// client is an HTTP and WebSocket client safe for any goroutine.
type client struct {
	base  string
	token string
	http  *http.Client
}

// as returns a client that calls the agent API with another agent's token.
func (c *client) as(token string) *client {
	cc := *c
	cc.token = token
	return &cc
}

func newClient(t *testing.T, base, ownerToken string) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 128}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{base: base, token: ownerToken, http: &http.Client{Transport: tr, Timeout: waitLong}}
}

func (c *client) do(method, path, token string, body, out any) (int, error) {
	return apitest.Client{Base: c.base, HTTP: c.http}.Do(method, path, token, body, out)
}
func (c *client) postMessage(conv, text, kind, clientID string) (message, int, error) {
	body := map[string]string{"text": text, "kind": kind}
	if clientID != "" {
		body["client_id"] = clientID
	}
	var m message
	status, err := c.do("POST", "/api/v1/conversations/"+conv+"/messages", c.token, body, &m)
	return m, status, err
}

// messageAt returns the stored message with that seq.
func (c *client) messageAt(conv string, seq int64) (message, error) {
	var page struct {
		Items []message `json:"items"`
	}
	if _, err := c.do("GET", fmt.Sprintf("/api/v1/conversations/%s/messages?after_seq=%d&limit=1", conv, seq-1), c.token, nil, &page); err != nil {
		return message{}, err
	}
	if len(page.Items) == 0 || page.Items[0].Seq != seq {
		return message{}, fmt.Errorf("no message with seq %d stored in %s (got %+v)", seq, conv, page.Items)
	}
	return page.Items[0], nil
}

// allMessages lists every message of every conversation, open or resolved.
func (c *client) allMessages(t *testing.T) []message {
	t.Helper()
	var out []message
	for _, status := range []string{"open", "resolved"} {
		cursor := ""
		for {
			var page struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			if _, err := c.do("GET", "/api/v1/conversations?limit=7&status="+status+"&cursor="+cursor, c.token, nil, &page); err != nil {
				t.Fatal(err)
			}
			for _, conv := range page.Items {
				out = append(out, c.conversationMessages(t, conv.ID)...)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	return out
}

func (c *client) conversationMessages(t *testing.T, conv string) []message {
	t.Helper()
	var out []message
	cursor := ""
	for {
		var page struct {
			Items      []message `json:"items"`
			NextCursor string    `json:"next_cursor"`
		}
		if _, err := c.do("GET", "/api/v1/conversations/"+conv+"/messages?limit=200&cursor="+cursor, c.token, nil, &page); err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return out
		}
	}
}

func (c *client) dialErr(path, token string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	return ws, nil
}

// followErr opens a socket and records what it receives until it ends or
// the test ends.
func (c *client) followErr(t *testing.T, path, token string, log *streamLog, onFrame func(frame)) (*websocket.Conn, error) {
	ws, err := c.dialErr(path, token)
	if err != nil {
		return nil, err
	}
	go log.read(ws, onFrame)
	t.Cleanup(func() {
		ws.CloseNow()
		<-log.done
	})
	return ws, nil
}

func (c *client) follow(t *testing.T, path, token string, log *streamLog, onFrame func(frame)) *websocket.Conn {
	t.Helper()
	ws, err := c.followErr(t, path, token, log, onFrame)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return ws
}
