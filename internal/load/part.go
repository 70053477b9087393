package load

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Group is the share of one account's clients that one process drives.
type Group struct {
	Account Account `json:"account"`
	// FirstVisitor is the run-wide index of the group's first visitor;
	// visitor g sends client_ids "<time>-v<g>.<k>", unique per sender.
	FirstVisitor int  `json:"first_visitor"`
	Visitors     int  `json:"visitors"`
	AgentSockets bool `json:"agent_sockets"`
}

// Spec is one process's share of a run.
type Spec struct {
	Config        Config  `json:"config"`
	Base          string  `json:"base"`
	Part          int     `json:"part"`
	Parts         int     `json:"parts"`
	TotalVisitors int     `json:"total_visitors"`
	Groups        []Group `json:"groups"`
}

// PhaseArg is what a phase needs beyond the spec; every process gets the
// same, so their clients follow one schedule.
type PhaseArg struct {
	Start    time.Time `json:"start"`
	Deadline time.Time `json:"deadline"`
}

// Phases of the scenarios, run in this order by every process at once.
var phases = map[string][]string{
	"idle":  {"sessions", "connect", "close"},
	"chat":  {"sessions", "connect", "run", "drain", "verify", "close"},
	"storm": {"sessions", "connect", "disconnect", "away", "reconnect", "resume", "close"},
}

// part drives one process's clients.
type part struct {
	spec  Spec
	cfg   Config
	stats *Stats
	api   *apiClient
	dial  *dialer

	// ctx lives as long as the sockets.
	ctx    context.Context
	cancel context.CancelFunc

	groups   []*groupState
	visitors []*visitor
	agents   []*agentConn

	// start is the run phase's start (unix ns): visitor g's k-th message
	// is due at start + (g + k·visitors)/rate.
	start     atomic.Int64
	answered  atomic.Int64 // sends answered by an error frame
	replyWG   sync.WaitGroup
	sendsDone atomic.Bool
}

type groupState struct {
	Group
	mu       sync.Mutex
	visitors []*visitor
	agents   []*agentConn
}

type visitor struct {
	g     int
	local int
	grp   *groupState
	token string

	ws      *websocket.Conn
	closing atomic.Bool
	done    chan struct{}
	lastSeq int64 // owned by the reader goroutine; read after done

	// Under grp.mu.
	conv  string
	state []uint8 // chat: per message k, 0 sent or not, 1 acked, 2 refused
	sent  int

	// storm
	sentAt     atomic.Int64
	firstAck   chan struct{}
	ackOnce    sync.Once
	expectAway atomic.Int32
	gotAway    atomic.Int32
	resumeAt   atomic.Int64
	resumed    atomic.Bool
	postAcked  atomic.Bool
}

type agentConn struct {
	idx   int
	grp   *groupState
	agent Agent

	ws      *websocket.Conn
	closing atomic.Bool
	done    chan struct{}
	lastSeq int64

	got     [][]bool // [visitor local][k], under grp.mu
	replies chan reply
}

type reply struct {
	conv string
	g, k int64
}

const (
	stateAcked   = 1
	stateRefused = 2
)

func newPart(spec Spec) *part {
	p := &part{spec: spec, cfg: spec.Config, stats: newStats()}
	p.api = newAPIClient(spec.Base, 64)
	p.dial = newDialer(spec.Base, spec.Config.SourceIPs)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	perVisitor := 0
	if p.cfg.Scenario == "chat" && spec.TotalVisitors > 0 {
		perVisitor = int(p.cfg.Rate*p.cfg.Duration.Seconds()/float64(spec.TotalVisitors)) + 2
	}
	for _, g := range spec.Groups {
		gs := &groupState{Group: g}
		for i := range g.Visitors {
			v := &visitor{g: g.FirstVisitor + i, local: i, grp: gs, firstAck: make(chan struct{})}
			if perVisitor > 0 {
				v.state = make([]uint8, perVisitor)
			}
			gs.visitors = append(gs.visitors, v)
			p.visitors = append(p.visitors, v)
		}
		if g.AgentSockets {
			for i, ag := range g.Account.Agents {
				a := &agentConn{idx: i, grp: gs, agent: ag, replies: make(chan reply, 1024)}
				a.got = make([][]bool, g.Visitors)
				for j := range a.got {
					a.got[j] = make([]bool, perVisitor)
				}
				gs.agents = append(gs.agents, a)
				p.agents = append(p.agents, a)
			}
		}
		p.groups = append(p.groups, gs)
	}
	return p
}

// phase runs one phase of the scenario.
func (p *part) phase(ctx context.Context, name string, arg PhaseArg) error {
	switch name {
	case "sessions":
		return p.sessions(ctx)
	case "connect":
		return p.connect(ctx, arg)
	case "run":
		return p.run(ctx, arg)
	case "drain":
		return p.drain(ctx, arg)
	case "verify":
		return p.verify(ctx)
	case "disconnect":
		p.closeAll(false)
		return nil
	case "away":
		return p.away(ctx)
	case "reconnect":
		return p.reconnect(ctx, arg)
	case "resume":
		return p.resume(ctx, arg)
	case "close":
		p.closeAll(true)
		return nil
	}
	return fmt.Errorf("unknown phase %q", name)
}

func (p *part) shutdown() {
	p.closeAll(true)
	p.cancel()
	p.api.close()
}

// sessions starts the visitors' sessions over HTTP.
func (p *part) sessions(ctx context.Context) error {
	jobs := make(chan *visitor)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range jobs {
				token, _, err := p.api.session(ctx, v.grp.Account.WidgetKey)
				if err != nil {
					p.stats.inc(cSessionErrors)
					p.stats.fail(errKind("session", err))
					continue
				}
				v.token = token
				p.stats.inc(cSessions)
			}
		}()
	}
	for _, v := range p.visitors {
		jobs <- v
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

// connect opens the agents' sockets, then the visitors' at the ramp rate;
// in the storm each visitor then says hello and waits for its ack.
func (p *part) connect(ctx context.Context, arg PhaseArg) error {
	for _, a := range p.agents {
		ws, err := p.dial.dial(ctx, "/api/v1/stream?token="+url.QueryEscape(a.agent.Token))
		if err != nil {
			p.stats.inc(cConnectErrors)
			p.stats.fail("agent " + dialKind(err))
			continue
		}
		p.stats.inc(cConnects)
		p.stats.inc(cOpen)
		a.ws, a.done = ws, make(chan struct{})
		go p.readAgent(a)
		for range 4 {
			p.replyWG.Add(1)
			go p.replier(a)
		}
	}
	var wg sync.WaitGroup
	// Each process ramps at its share of the rate.
	rate := float64(p.cfg.Ramp) / float64(max(p.spec.Parts, 1))
	start := arg.Start
	sem := make(chan struct{}, 256)
	for i, v := range p.visitors {
		if v.token == "" {
			continue
		}
		if err := sleepUntil(ctx, start.Add(time.Duration(float64(i)/rate*float64(time.Second)))); err != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if p.openVisitor(ctx, v, -1) && p.cfg.Scenario == "storm" {
				p.hello(ctx, v)
			}
		}()
	}
	wg.Wait()
	if p.cfg.Scenario == "storm" {
		// Let the echoes of the hellos arrive before the visitors leave.
		sleepUntil(ctx, time.Now().Add(500*time.Millisecond))
	}
	return ctx.Err()
}

// openVisitor opens v's socket (after seq `after` when not negative).
func (p *part) openVisitor(ctx context.Context, v *visitor, after int64) bool {
	path := "/widget/v1/stream?token=" + url.QueryEscape(v.token)
	if after >= 0 {
		path += "&after_seq=" + strconv.FormatInt(after, 10)
	}
	t0 := time.Now()
	ws, err := p.dial.dial(ctx, path)
	if err != nil {
		p.stats.inc(cConnectErrors)
		p.stats.fail(dialKind(err))
		return false
	}
	p.stats.record(hConnect, time.Since(t0))
	p.stats.inc(cConnects)
	p.stats.inc(cOpen)
	v.closing.Store(false)
	v.ws, v.done = ws, make(chan struct{})
	go p.readVisitor(v)
	return true
}

func (p *part) readVisitor(v *visitor) {
	defer close(v.done)
	err := readFrames(p.ctx, v.ws, func(b []byte) { p.visitorFrame(v, b) })
	p.stats.add(cOpen, -1)
	if !v.closing.Load() && p.ctx.Err() == nil {
		p.stats.inc(cDropped)
		p.stats.fail(errKind("visitor socket dropped", err))
	}
}

func (p *part) readAgent(a *agentConn) {
	defer close(a.done)
	err := readFrames(p.ctx, a.ws, func(b []byte) { p.agentFrame(a, b) })
	p.stats.add(cOpen, -1)
	if !a.closing.Load() && p.ctx.Err() == nil {
		p.stats.inc(cDropped)
		p.stats.fail(errKind("agent socket dropped", err))
	}
}

// due is when visitor g's k-th chat message is scheduled.
func (p *part) due(g, k int64) time.Time {
	at := (float64(g) + float64(k)*float64(p.spec.TotalVisitors)) / p.cfg.Rate
	return time.Unix(0, p.start.Load()+int64(at*float64(time.Second)))
}

// visitorFrame handles a frame on a visitor's socket (its reader goroutine).
func (p *part) visitorFrame(v *visitor, b []byte) {
	now := time.Now()
	f, err := parseFrame(b)
	if err != nil {
		p.stats.fail("visitor frame: not JSON")
		return
	}
	if f.Seq > 0 {
		if f.Seq <= v.lastSeq {
			p.stats.inc(cOrderErrors)
			p.stats.fail("visitor frame: seq not increasing")
		}
		v.lastSeq = max(v.lastSeq, f.Seq)
	}
	switch string(f.Type) {
	case "ack":
		kind, n, ok := parseClientID(f.ClientID)
		if !ok || n[0] != int64(v.g) {
			p.stats.fail("ack for a client_id never sent")
			return
		}
		m, _ := parseMessage(f.Data)
		switch kind {
		case 'v':
			p.stats.record(hAck, now.Sub(p.due(n[0], n[1])))
			p.stats.inc(cAcked)
			v.grp.mu.Lock()
			if v.conv == "" {
				v.conv = string(m.ConversationID)
			}
			if k := n[1]; k < int64(len(v.state)) {
				if v.state[k] == stateAcked {
					p.stats.fail("ack repeated")
				}
				v.state[k] = stateAcked
			}
			v.grp.mu.Unlock()
		case 's', 'p':
			p.stats.record(hAck, now.Sub(time.Unix(0, v.sentAt.Load())))
			p.stats.inc(cAcked)
			if kind == 's' {
				v.grp.mu.Lock()
				v.conv = string(m.ConversationID)
				v.grp.mu.Unlock()
				v.ackOnce.Do(func() { close(v.firstAck) })
			} else {
				v.postAcked.Store(true)
			}
		}
	case "error":
		p.stats.inc(cErrorFrames)
		p.stats.fail("error frame: " + errorCode(b))
		kind, n, ok := parseClientID(f.ClientID)
		if ok && kind == 'v' {
			p.answered.Add(1)
			v.grp.mu.Lock()
			if k := n[1]; k < int64(len(v.state)) {
				v.state[k] = stateRefused
			}
			v.grp.mu.Unlock()
		}
	case "reset":
		p.stats.inc(cResets)
		p.stats.fail("reset frame")
	case "message.created":
		m, err := parseMessage(f.Data)
		if err != nil || string(m.SenderType) != "agent" {
			return
		}
		kind, n, ok := parseClientID(m.ClientID)
		if !ok || n[0] != int64(v.g) {
			return
		}
		switch kind {
		case 'r':
			p.stats.record(hReplyVisitor, now.Sub(time.Unix(0, n[2])))
			p.stats.inc(cRepliesDelivered)
		case 'a':
			if int(v.gotAway.Add(1)) == int(v.expectAway.Load()) && !v.resumed.Swap(true) {
				p.stats.record(hResume, now.Sub(time.Unix(0, v.resumeAt.Load())))
				p.stats.inc(cResumed)
				go p.postResume(v)
			}
		}
	}
}

// agentFrame handles a frame on an agent's socket.
func (p *part) agentFrame(a *agentConn, b []byte) {
	now := time.Now()
	f, err := parseFrame(b)
	if err != nil {
		p.stats.fail("agent frame: not JSON")
		return
	}
	if f.Seq > 0 {
		if f.Seq <= a.lastSeq {
			p.stats.inc(cOrderErrors)
			p.stats.fail("agent frame: seq not increasing")
		}
		a.lastSeq = max(a.lastSeq, f.Seq)
	}
	switch string(f.Type) {
	case "message.created":
	case "error":
		p.stats.inc(cErrorFrames)
		p.stats.fail("agent error frame: " + errorCode(b))
		return
	case "reset":
		p.stats.inc(cResets)
		p.stats.fail("agent reset frame")
		return
	default:
		return
	}
	m, err := parseMessage(f.Data)
	if err != nil || string(m.SenderType) != "visitor" {
		return
	}
	kind, n, ok := parseClientID(m.ClientID)
	if !ok || kind != 'v' {
		return
	}
	g, k := n[0], n[1]
	p.stats.record(hAgent, now.Sub(p.due(g, k)))
	local := int(g) - a.grp.FirstVisitor
	a.grp.mu.Lock()
	if local >= 0 && local < len(a.got) && k < int64(len(a.got[local])) {
		if !a.got[local][k] {
			a.got[local][k] = true
			p.stats.inc(cDelivered)
		}
	}
	a.grp.mu.Unlock()
	// One agent of the account answers a share of the messages.
	h := uint64(g)*0x9E3779B97F4A7C15 ^ uint64(k)*0xBF58476D1CE4E5B9
	h ^= h >> 31
	if int(h%uint64(len(a.grp.agents))) == a.idx && float64((h>>8)%10000) < p.cfg.ReplyShare*10000 {
		select {
		case a.replies <- reply{conv: string(m.ConversationID), g: g, k: k}:
		default:
			p.stats.fail("client: reply queue full")
		}
	}
}

// replier posts an agent's replies over HTTP.
func (p *part) replier(a *agentConn) {
	defer p.replyWG.Done()
	for r := range a.replies {
		start := time.Now()
		body := map[string]string{
			"text":      "Thanks for asking! Let me check that for you.",
			"client_id": timedClientID(start, "r%d.%d.%d", r.g, r.k, start.UnixNano()),
		}
		p.stats.inc(cRepliesSent)
		_, err := p.api.do(p.ctx, "POST", "/api/v1/conversations/"+r.conv+"/messages", a.agent.Token, body, nil)
		p.stats.record(hReplyHTTP, time.Since(start))
		if err != nil {
			p.stats.inc(cReplyErrors)
			p.stats.fail(errKind("reply", err))
			continue
		}
		p.stats.inc(cRepliesOK)
	}
}

// run sends every visitor's messages on the shared open-loop schedule:
// late sends are sent at once and their latency counts from when they
// were due.
func (p *part) run(ctx context.Context, arg PhaseArg) error {
	p.start.Store(arg.Start.UnixNano())
	end := arg.Start.Add(p.cfg.Duration)
	var wg sync.WaitGroup
	for _, v := range p.visitors {
		if v.ws == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.send(ctx, v, end)
		}()
	}
	wg.Wait()
	p.sendsDone.Store(true)
	return ctx.Err()
}

var chatTexts = []string{
	"Hello, is the blue one in stock?",
	"Do you ship to Austria, and how long does it take?",
	"My order 10482 has not arrived yet, can you check?",
	"Can I return the shoes if they do not fit?",
	"Is there a discount for two?",
}

func (p *part) send(ctx context.Context, v *visitor, end time.Time) {
	buf := make([]byte, 0, 160)
	for k := 0; ; k++ {
		at := p.due(int64(v.g), int64(k))
		if !at.Before(end) || k >= len(v.state) {
			return
		}
		if sleepUntil(ctx, at) != nil {
			return
		}
		buf = append(buf[:0], `{"type":"message.send","client_id":"`...)
		buf = appendClientIDTime(buf, time.Now())
		buf = append(buf, 'v')
		buf = strconv.AppendInt(buf, int64(v.g), 10)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(k), 10)
		buf = append(buf, `","text":"`...)
		buf = append(buf, chatTexts[(v.g+k)%len(chatTexts)]...)
		buf = append(buf, `"}`...)
		v.grp.mu.Lock()
		v.sent = k + 1
		v.grp.mu.Unlock()
		p.stats.inc(cSent)
		wctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		err := v.ws.Write(wctx, websocket.MessageText, buf)
		cancel()
		if err != nil {
			p.stats.fail(errKind("send", err))
			return
		}
	}
}

// drain waits until every send is answered and every delivery arrived, or
// the deadline; then counts what never came.
func (p *part) drain(ctx context.Context, arg PhaseArg) error {
	agents := int64(p.cfg.Agents)
	for {
		pendingAcks := p.stats.get(cSent) - p.stats.get(cAcked) - p.answered.Load()
		pendingDeliveries := p.stats.get(cAcked)*agents - p.stats.get(cDelivered)
		// A reply is pending until it failed or reached its visitor.
		pendingReplies := p.stats.get(cRepliesSent) - p.stats.get(cReplyErrors) - p.stats.get(cRepliesDelivered)
		if pendingAcks <= 0 && pendingDeliveries <= 0 && pendingReplies <= 0 && p.repliesQueued() == 0 {
			break
		}
		if time.Now().After(arg.Deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, g := range p.groups {
		g.mu.Lock()
		for _, v := range g.visitors {
			for k := 0; k < v.sent; k++ {
				switch v.state[k] {
				case 0:
					p.stats.inc(cUnacked)
					p.stats.fail("ack timeout")
				case stateAcked:
					for _, a := range g.agents {
						if !a.got[v.local][k] {
							p.stats.inc(cMissing)
							p.stats.fail("acked message never reached an agent socket")
						}
					}
				}
			}
		}
		g.mu.Unlock()
	}
	if n := p.stats.get(cRepliesOK) - p.stats.get(cRepliesDelivered); n > 0 {
		p.stats.add(cRepliesMissing, n)
		p.stats.errorsAdd("agent reply never reached the visitor", n)
	}
	return nil
}

func (p *part) repliesQueued() int {
	n := 0
	for _, a := range p.agents {
		n += len(a.replies)
	}
	return n
}

// verify reads every visitor's conversation back over HTTP: each
// acknowledged message is stored exactly once.
func (p *part) verify(ctx context.Context) error {
	if !p.cfg.Verify {
		return nil
	}
	jobs := make(chan *visitor)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range jobs {
				p.verifyVisitor(ctx, v)
			}
		}()
	}
	for _, v := range p.visitors {
		jobs <- v
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

func (p *part) verifyVisitor(ctx context.Context, v *visitor) {
	g := v.grp
	g.mu.Lock()
	conv, sent := v.conv, v.sent
	state := append([]uint8(nil), v.state...)
	g.mu.Unlock()
	if sent == 0 {
		return
	}
	acked := 0
	for _, s := range state {
		if s == stateAcked {
			acked++
		}
	}
	if conv == "" || len(g.Account.Agents) == 0 {
		if acked > 0 {
			p.stats.add(cStoreMissing, int64(acked))
			p.stats.errorsAdd("verify: conversation unknown", int64(acked))
		}
		return
	}
	stored := make([]int, len(state))
	var after int64
	for {
		var page struct {
			Items []struct {
				Seq        int64  `json:"seq"`
				SenderType string `json:"sender_type"`
				ClientID   string `json:"client_id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		path := fmt.Sprintf("/api/v1/conversations/%s/messages?limit=200&after_seq=%d", conv, after)
		if _, err := p.api.do(ctx, "GET", path, g.Account.Agents[0].Token, nil, &page); err != nil {
			p.stats.inc(cHTTPErrors)
			p.stats.fail(errKind("verify", err))
			return
		}
		for _, m := range page.Items {
			after = m.Seq
			kind, n, ok := parseClientID([]byte(m.ClientID))
			if ok && kind == 'v' && m.SenderType == "visitor" && n[0] == int64(v.g) && n[1] < int64(len(stored)) {
				stored[n[1]]++
			}
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			break
		}
	}
	for k, s := range state {
		switch {
		case stored[k] > 1:
			p.stats.add(cStoreDuplicates, 1)
			p.stats.fail("verify: message stored twice")
		case s == stateAcked && stored[k] == 0:
			p.stats.inc(cStoreMissing)
			p.stats.fail("verify: acknowledged message not stored")
		case s == stateAcked:
			p.stats.inc(cStored)
		}
	}
}

// hello sends a storm visitor's first message and waits for its ack.
func (p *part) hello(ctx context.Context, v *visitor) {
	v.sentAt.Store(time.Now().UnixNano())
	p.stats.inc(cSent)
	frame := fmt.Sprintf(`{"type":"message.send","client_id":"s%d.0","text":"Hello, I have a question about my order."}`, v.g)
	wctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if err := v.ws.Write(wctx, websocket.MessageText, []byte(frame)); err != nil {
		p.stats.fail(errKind("send", err))
		return
	}
	select {
	case <-v.firstAck:
	case <-wctx.Done():
		p.stats.inc(cUnacked)
		p.stats.fail("ack timeout")
	}
}

// closeAll closes every open socket with a normal closure, as a browser
// tab does, and waits for their readers.
func (p *part) closeAll(agentsToo bool) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	closeOne := func(ws *websocket.Conn, closing *atomic.Bool, done chan struct{}, after func()) {
		if ws == nil || closing.Swap(true) {
			return
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws.Close(websocket.StatusNormalClosure, "")
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				ws.CloseNow()
				<-done
			}
			if after != nil {
				after()
			}
		}()
	}
	for _, v := range p.visitors {
		closeOne(v.ws, &v.closing, v.done, nil)
	}
	if agentsToo {
		for _, a := range p.agents {
			// The reader hands out replies: stop the repliers after it.
			closeOne(a.ws, &a.closing, a.done, func() { close(a.replies) })
		}
	}
	wg.Wait()
	if agentsToo {
		p.replyWG.Wait()
	}
}

// away has an agent write to every visitor while the visitors are gone.
func (p *part) away(ctx context.Context) error {
	jobs := make(chan *visitor)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range jobs {
				v.grp.mu.Lock()
				conv := v.conv
				v.grp.mu.Unlock()
				if conv == "" || len(v.grp.Account.Agents) == 0 {
					continue
				}
				for j := range p.cfg.Away {
					body := map[string]string{"text": "We are back! Your parcel left today.", "client_id": timedClientID(time.Now(), "a%d.%d", v.g, j)}
					if _, err := p.api.do(ctx, "POST", "/api/v1/conversations/"+conv+"/messages", v.grp.Account.Agents[0].Token, body, nil); err != nil {
						p.stats.inc(cHTTPErrors)
						p.stats.fail(errKind("agent message while away", err))
						continue
					}
					v.expectAway.Add(1)
					p.stats.inc(cAwaySent)
				}
			}
		}()
	}
	for _, v := range p.visitors {
		jobs <- v
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

// reconnect brings every visitor back within the window, spread evenly,
// each resuming after the last seq it saw.
func (p *part) reconnect(ctx context.Context, arg PhaseArg) error {
	window := p.cfg.Window
	var wg sync.WaitGroup
	for _, v := range p.visitors {
		if v.token == "" || v.ws == nil {
			continue
		}
		offset := time.Duration(float64(window) * float64(v.g) / float64(max(p.spec.TotalVisitors, 1)))
		if sleepUntil(ctx, arg.Start.Add(offset)) != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.resumeAt.Store(time.Now().UnixNano())
			p.stats.inc(cReconnects)
			if !p.openVisitor(ctx, v, v.lastSeq) {
				return
			}
			if v.expectAway.Load() == 0 && !v.resumed.Swap(true) {
				go p.postResume(v)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// postResume sends one more message on the resumed socket: it must work
// as before.
func (p *part) postResume(v *visitor) {
	v.sentAt.Store(time.Now().UnixNano())
	p.stats.inc(cSent)
	frame := fmt.Sprintf(`{"type":"message.send","client_id":"p%d.0","text":"Thanks, got it."}`, v.g)
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.Timeout)
	defer cancel()
	if err := v.ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		p.stats.fail(errKind("send after resuming", err))
	}
}

// resume waits until every visitor received what it missed and its next
// message was acknowledged, or the deadline; then counts what is missing.
func (p *part) resume(ctx context.Context, arg PhaseArg) error {
	for {
		waiting := 0
		for _, v := range p.visitors {
			if v.ws != nil && (!v.resumed.Load() || !v.postAcked.Load()) {
				waiting++
			}
		}
		if waiting == 0 || time.Now().After(arg.Deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, v := range p.visitors {
		if v.ws == nil {
			continue
		}
		if miss := v.expectAway.Load() - v.gotAway.Load(); miss > 0 {
			p.stats.add(cAwayMissing, int64(miss))
			p.stats.errorsAdd("message sent while away never arrived", int64(miss))
		}
		if v.resumed.Load() && !v.postAcked.Load() {
			p.stats.inc(cUnacked)
			p.stats.fail("ack timeout after resuming")
		}
	}
	return nil
}

// appendClientIDTime begins a client_id as Parley's own clients do, with
// the time it is made: 12 hexadecimal digits of Unix milliseconds and a
// dash. Ids that grow with time go to one place in the server's client_id
// index instead of one place per sender (docs/api.md).
func appendClientIDTime(b []byte, t time.Time) []byte {
	const hex = "0123456789abcdef"
	ms := uint64(t.UnixMilli())
	for shift := 44; shift >= 0; shift -= 4 {
		b = append(b, hex[ms>>uint(shift)&0xf])
	}
	return append(b, '-')
}

// timedClientID is a client_id of an HTTP send: the time, then the format.
func timedClientID(t time.Time, format string, args ...any) string {
	return string(appendClientIDTime(nil, t)) + fmt.Sprintf(format, args...)
}

// parseClientID reads the tool's client_ids: after the time (see
// appendClientIDTime), a letter and up to three numbers separated by dots
// ("019ab3f2c4d1-v12.3", "019ab3f2c4d1-r12.3.1700000000000000000").
func parseClientID(b []byte) (kind byte, n [3]int64, ok bool) {
	if i := bytes.IndexByte(b, '-'); i >= 0 {
		b = b[i+1:]
	}
	if len(b) < 2 {
		return 0, n, false
	}
	kind = b[0]
	i, field := 1, 0
	for field < 3 {
		start := i
		var v int64
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			v = v*10 + int64(b[i]-'0')
			i++
		}
		if i == start {
			return 0, n, false
		}
		n[field] = v
		field++
		if i == len(b) {
			return kind, n, true
		}
		if b[i] != '.' {
			return 0, n, false
		}
		i++
	}
	return 0, n, false
}

// errorCode is error.code of an error frame.
func errorCode(b []byte) string {
	code := "unknown"
	eachField(b, func(key, val []byte) error {
		if string(key) == "error" {
			eachField(val, func(k, v []byte) error {
				if string(k) == "code" {
					if c := unquote(v); c != nil {
						code = string(c)
					}
				}
				return nil
			})
		}
		return nil
	})
	return code
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
