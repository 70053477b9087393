package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/conversation"
	"github.com/parley-chat/parley/internal/respond"
)

// queryInt reads an optional integer query parameter.
func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.BadRequest(name + " must be a non-negative integer")
	}
	return n, nil
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	page, err := s.Conversations.List(r.Context(), actor(r), conversation.Filter{
		Status: q.Get("status"), View: q.Get("view"), Limit: int(min(limit, 1000)), Cursor: q.Get("cursor"),
	})
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, page)
}

func (s *Server) conversationCounts(w http.ResponseWriter, r *http.Request) {
	c, err := s.Conversations.Counts(r.Context(), actor(r))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	c, err := s.Conversations.Conversation(r.Context(), actor(r).AccountID, r.PathValue("id"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	after, err := queryInt(r, "after_seq")
	if err == nil && r.URL.Query().Get("cursor") != "" {
		after, err = queryInt(r, "cursor")
	}
	limit, err2 := queryInt(r, "limit")
	if err != nil || err2 != nil {
		respond.Error(w, r, s.log, apperr.BadRequest("after_seq, cursor and limit must be non-negative integers"))
		return
	}
	page, err := s.Conversations.Messages(r.Context(), actor(r).AccountID, r.PathValue("id"), after, int(min(limit, 1000)))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, page)
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text     string `json:"text"`
		Kind     string `json:"kind"`
		ClientID string `json:"client_id"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	m, created, err := s.Conversations.PostAgentMessage(r.Context(), actor(r), r.PathValue("id"), in.Text, in.Kind, in.ClientID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.Stored(w, created, m)
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AgentID json.RawMessage `json:"agent_id"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	var agentID *string
	if len(in.AgentID) == 0 {
		respond.Error(w, r, s.log, apperr.Invalid("agent_id", `agent_id is required: an agent's id, or null to unassign`))
		return
	}
	if err := json.Unmarshal(in.AgentID, &agentID); err != nil {
		respond.Error(w, r, s.log, apperr.BadRequest("agent_id must be a string or null"))
		return
	}
	id := ""
	if agentID != nil {
		id = *agentID
	}
	c, err := s.Conversations.Assign(r.Context(), actor(r), r.PathValue("id"), id)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	c, err := s.Conversations.Resolve(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (s *Server) reopen(w http.ResponseWriter, r *http.Request) {
	c, err := s.Conversations.Reopen(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	c, err := s.Contacts.Contact(r.Context(), actor(r).AccountID, r.PathValue("id"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) {
	var p contact.Patch
	if err := respond.Decode(r, &p); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	c, err := s.Contacts.Update(r.Context(), actor(r).AccountID, r.PathValue("id"), p)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}
