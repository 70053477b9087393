package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/respond"
	"github.com/parley-chat/parley/internal/stream"
)

// originAllowed reports whether an agent socket's Origin is Parley's own.
// A socket without Origin (a server-side client) is allowed.
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
	return origin == scheme+"://"+strings.ToLower(r.Host)
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
	if err == nil && a.TwoFactorSetupRequired {
		err = errSetUpTwoFactor
	}
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
	// Subscribe and fix the starting point before the upgrade completes:
	// whatever commits once the client sees its socket open is delivered.
	f := event.Follow(s.Log, s.Hub, a.AccountID, "")
	begin := f.Begin(r.Context(), after)
	if begin != nil && !errors.Is(begin, event.ErrReset) {
		f.Close()
		respond.Error(w, r, s.log, begin)
		return
	}
	ws, err := stream.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // Origin checked above
	if err != nil {
		f.Close()
		return
	}
	// Served on a goroutine of its own until the socket closes or the
	// server shuts down (stream.Lifetime); this handler returns.
	go s.serveAgent(stream.Lifetime(r), ws, f, a, token, begin)
}

// serveAgent runs an accepted agent socket until it closes.
func (s *Server) serveAgent(ctx context.Context, ws *stream.Socket, f *event.Follower, a agent.Agent, token string, begin error) {
	defer f.Close()
	if s.Metrics != nil {
		g := s.Metrics.Sockets.WithLabelValues("agent")
		g.Inc()
		defer g.Dec()
	}
	err := stream.Serve(ctx, ws, f, stream.Options{
		Begin:  begin,
		Handle: s.agentFrame(a),
		Authorized: func(ctx context.Context) bool {
			a, err := s.Agents.Authenticate(ctx, token)
			// Once the owner requires two-factor sign-in, an agent
			// without it keeps no stream either.
			return err == nil && !a.TwoFactorSetupRequired
		},
		RecheckEvery: s.StreamRecheck,
	})
	s.log.Debug("agent_stream_closed", "agent_id", a.ID, "err", err) // clean closes too
}

// agentFrame handles what a dashboard sends: typing, and message.send for
// clients that prefer the socket to HTTP.
func (s *Server) agentFrame(a agent.Agent) stream.Handler {
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
			conv, err := s.Conversations.Conversation(ctx, a.AccountID, f.ConversationID)
			if err != nil {
				_, d := respond.Classify(err)
				c.Send(stream.ErrorFrame("", d.Code, d.Message))
				return
			}
			payload, _ := json.Marshal(map[string]any{"conversation_id": conv.ID, "sender_type": "agent", "agent_id": a.ID, "name": a.Name, "on": f.On})
			e := &event.Event{AccountID: a.AccountID, AgentFrame: event.Frame("typing", 0, payload)}
			if conv.VisitorID != nil {
				vp, _ := json.Marshal(map[string]any{"conversation_id": conv.ID, "sender_type": "agent", "name": a.Name, "on": f.On})
				e.VisitorID, e.VisitorFrame = *conv.VisitorID, event.Frame("typing", 0, vp)
			}
			s.Hub.Publish(e)
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
