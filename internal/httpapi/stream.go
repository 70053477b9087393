package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/conversation"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/respond"
	"github.com/parley-chat/parley/internal/stream"
)

// originAllowed reports whether an agent socket's Origin is Parley's own.
// A socket without Origin (a server-side client) is allowed. Without a
// configured base URL the request's Host stands in for it, but only when
// it names an IP address or localhost: a Host that is a domain name can be
// the attacker's own, rebound to this server's address (DNS rebinding),
// and then would match the attacker's page's Origin.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	origin = strings.ToLower(origin)
	if s.baseOrigin != "" {
		return origin == s.baseOrigin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	return origin == scheme+"://"+host && literalHost(host)
}

// literalHost reports whether a Host header (with an optional port) names
// an IP address or localhost, which no DNS answer can hand to an attacker.
func literalHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// stream is the agent WebSocket: the account's events after after_seq, then
// live, plus typing and presence frames.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r) {
		respond.Error(w, r, s.log, apperr.Forbidden("this socket's Origin is not Parley's own"))
		return
	}
	token, _ := credentials(r) // a cookie is safe here: the Origin is checked above
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	a, err := s.Agents.Authenticate(r.Context(), token)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	after := int64(-1)
	if v := r.URL.Query().Get("after_seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			respond.Error(w, r, s.log, apperr.BadRequest("after_seq must be a non-negative integer"))
			return
		}
		after = n
	}
	// Each open socket costs memory and a goroutine: a token, an agent
	// (all their devices) and an account may hold only so many.
	caps := []stream.Cap{{Key: "token " + id.Hash(token), Max: s.Streams.PerToken}, {Key: "agent " + a.ID, Max: s.Streams.PerAgent},
		{Key: "account " + a.AccountID, Max: s.Streams.PerAccount}}
	if !s.sockets.Take(caps...) {
		respond.Error(w, r, s.log, apperr.RateLimited("too many dashboard connections are open; close some tabs or try again shortly", 5*time.Second))
		return
	}
	// Subscribe and fix the starting point before the upgrade completes:
	// whatever commits once the client sees its socket open is delivered.
	f := event.Follow(s.Log, s.Hub, a.AccountID, "")
	begin := f.Begin(r.Context(), after)
	if begin != nil && !errors.Is(begin, event.ErrReset) {
		f.Close()
		s.sockets.Release(caps...)
		respond.Error(w, r, s.log, begin)
		return
	}
	ws, err := stream.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // Origin checked above
	if err != nil {
		f.Close()
		s.sockets.Release(caps...)
		return
	}
	// Served on a goroutine of its own until the socket closes or the
	// server shuts down (stream.Lifetime); this handler returns.
	go func() {
		defer s.sockets.Release(caps...)
		s.serveAgent(stream.Lifetime(r), ws, f, a, token, begin)
	}()
}

// serveAgent runs an accepted agent socket until it closes.
func (s *Server) serveAgent(ctx context.Context, ws *stream.Socket, f *event.Follower, a agent.Agent, token string, begin error) {
	defer f.Close()
	if s.Metrics != nil {
		g := s.Metrics.Sockets.WithLabelValues("agent")
		g.Inc()
		defer g.Dec()
	}
	t := &agentTyping{s: s, a: a, gates: make(map[string]*stream.TypingGate)}
	defer t.stop()
	err := stream.Serve(ctx, ws, f, stream.Options{
		Begin:  begin,
		Handle: s.agentFrame(a, t),
		Authorized: func(ctx context.Context) bool {
			_, err := s.Agents.Authenticate(ctx, token)
			return err == nil
		},
		RecheckEvery: s.StreamRecheck,
		WriteTimeout: s.Streams.WriteTimeout,
	})
	s.log.Debug("agent_stream_closed", "agent_id", a.ID, "err", err) // clean closes too
}

// agentFrame handles what a dashboard sends: typing, and message.send for
// clients that prefer the socket to HTTP.
func (s *Server) agentFrame(a agent.Agent, t *agentTyping) stream.Handler {
	return func(ctx context.Context, c *stream.Conn, data []byte) {
		var f struct {
			Type           string `json:"type"`
			ConversationID string `json:"conversation_id"`
			On             bool   `json:"on"`
			ClientID       string `json:"client_id"`
			Text           string `json:"text"`
			Kind           string `json:"kind"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			c.Send(stream.ErrorFrame("", "bad_request", "frame is not valid JSON"))
			return
		}
		switch f.Type {
		case "typing":
			t.set(ctx, c, f.ConversationID, f.On)
		case "message.send":
			m, _, err := s.Conversations.PostAgentMessage(ctx, a, f.ConversationID, f.Text, f.Kind, f.ClientID)
			if err != nil {
				_, d := respond.Classify(err)
				c.Send(stream.ErrorFrame(f.ClientID, d.Code, d.Message))
				return
			}
			b, _ := json.Marshal(m)
			c.Send(stream.AckFrame(f.ClientID, b))
		default:
			c.Send(stream.ErrorFrame("", "bad_request", "unknown frame type; expected typing or message.send"))
		}
	}
}

// maxTypingConversations bounds the conversations one agent socket may be
// typing in at once; a person types in one.
const maxTypingConversations = 16

// agentTyping passes an agent socket's typing frames on, per conversation,
// through a stream.TypingGate each: changes and keep-alives at most once
// per TypingEvery, the final state always. Each conversation is read from
// the database once, when its first frame is passed on, not per frame.
type agentTyping struct {
	s     *Server
	a     agent.Agent
	mu    sync.Mutex
	gates map[string]*stream.TypingGate
}

// set records that the agent is typing (or stopped) in conversation id.
func (t *agentTyping) set(ctx context.Context, c *stream.Conn, id string, on bool) {
	t.mu.Lock()
	g := t.gates[id]
	if g == nil {
		if len(t.gates) >= maxTypingConversations {
			for k, old := range t.gates {
				if old.Idle() {
					old.Stop()
					delete(t.gates, k)
				}
			}
		}
		if len(t.gates) >= maxTypingConversations {
			t.mu.Unlock()
			c.Send(stream.ErrorFrame("", "rate_limited", "typing in too many conversations at once"))
			return
		}
		g = stream.NewTypingGate(t.s.Streams.TypingEvery, t.relay(ctx, c, id))
		t.gates[id] = g
	}
	t.mu.Unlock()
	g.Set(on)
}

// relay returns the gate's relay for one conversation: it reads the
// conversation on its first call (relays never overlap) and then tells the
// account's agents and the conversation's visitor.
func (t *agentTyping) relay(ctx context.Context, c *stream.Conn, id string) func(bool) {
	var conv *conversation.Conversation
	var err error
	return func(on bool) {
		if conv == nil && err == nil {
			conv, err = t.s.Conversations.Conversation(ctx, t.a.AccountID, id)
		}
		if err != nil {
			_, d := respond.Classify(err)
			c.Send(stream.ErrorFrame("", d.Code, d.Message))
			if d.Code != "not_found" {
				err = nil // a passing failure: ask again next time
			}
			return
		}
		a := t.a
		payload, _ := json.Marshal(map[string]any{"conversation_id": conv.ID, "sender_type": "agent", "agent_id": a.ID, "name": a.Name, "on": on})
		e := &event.Event{AccountID: a.AccountID, AgentFrame: event.Frame("typing", 0, payload)}
		if conv.VisitorID != nil {
			vp, _ := json.Marshal(map[string]any{"conversation_id": conv.ID, "sender_type": "agent", "name": a.Name, "on": on})
			e.VisitorID, e.VisitorFrame = *conv.VisitorID, event.Frame("typing", 0, vp)
		}
		t.s.Hub.Publish(e)
	}
}

// stop drops the typing states waiting to be passed on.
func (t *agentTyping) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, g := range t.gates {
		g.Stop()
	}
}
