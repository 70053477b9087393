package httpapi

import (
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/respond"
)

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		// Cookie asks for a session cookie (the dashboard) instead of a
		// token in the body.
		Cookie bool `json:"cookie"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if in.Email == "" || in.Password == "" {
		respond.Error(w, r, s.log, apperr.Invalid("email", "email and password are required"))
		return
	}
	token, a, err := s.Agents.Login(r.Context(), in.Email, in.Password, s.clientIP(r))
	if err != nil {
		respond.Error(w, r, s.log, err)
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthorized {
			// Answer first, then look the email up and record: the time
			// of the answer does not tell whether the email exists.
			http.NewResponseController(w).Flush()
			s.recordLoginFailed(r, in.Email)
		}
		return
	}
	s.recordEntry(r, audit.Entry{AccountID: a.AccountID, Actor: agentActor(a), Action: audit.ActionLogin, Target: agentTarget(a)})
	if in.Cookie {
		s.setSessionCookie(w, r, token, sessionMaxAge)
		respond.JSON(w, http.StatusOK, map[string]any{"agent": a, "csrf_token": csrfToken(token)})
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"token": token, "agent": a})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	token, fromCookie := credentials(r)
	if err := s.Agents.Logout(r.Context(), token); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.record(r, audit.ActionLogout, agentTarget(actor(r)), nil)
	if fromCookie {
		s.setSessionCookie(w, r, "", -time.Second)
	}
	w.WriteHeader(http.StatusNoContent)
}

// setup creates the first owner with the one-time token printed at first
// start, and signs them in.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token       string `json:"token"`
		AccountName string `json:"account_name"`
		agent.NewAgent
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	acc, owner, err := s.Accounts.Setup(r.Context(), in.Token, in.AccountName, in.NewAgent)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	token, a, err := s.Agents.Login(r.Context(), owner.Email, in.Password, s.clientIP(r))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.recordEntry(r, audit.Entry{AccountID: a.AccountID, Actor: agentActor(a), Action: audit.ActionLogin, Target: agentTarget(a)})
	respond.JSON(w, http.StatusCreated, map[string]any{"token": token, "agent": a, "account": acc})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	respond.JSON(w, http.StatusOK, actor(r))
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var p agent.Patch
	if err := respond.Decode(r, &p); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	a, err := s.Agents.UpdateMe(r.Context(), actor(r), p)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if p.Password != nil {
		s.record(r, audit.ActionPasswordChanged, agentTarget(a), nil)
	}
	respond.JSON(w, http.StatusOK, a)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	acc, err := s.Accounts.Account(r.Context(), actor(r).AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, acc)
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name *string `json:"name"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if in.Name == nil {
		respond.Error(w, r, s.log, apperr.Invalid("name", "name is required"))
		return
	}
	before, err := s.Accounts.Account(r.Context(), actor(r).AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	acc, err := s.Accounts.Rename(r.Context(), actor(r).AccountID, *in.Name)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if changed := changedFields(before, acc); len(changed) > 0 {
		s.record(r, audit.ActionAccountChanged, audit.Target{Type: audit.TargetAccount, ID: acc.ID, Label: acc.Name}, map[string]any{"changed": changed})
	}
	respond.JSON(w, http.StatusOK, acc)
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	list, err := s.Agents.List(r.Context(), actor(r).AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"items": list, "next_cursor": ""})
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) {
	a, err := s.Agents.Agent(r.Context(), actor(r).AccountID, r.PathValue("id"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, a)
}

func (s *Server) createAgent(w http.ResponseWriter, r *http.Request) {
	var in agent.NewAgent
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	a, err := s.Agents.Create(r.Context(), actor(r), in)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.record(r, audit.ActionAgentCreated, agentTarget(a), map[string]any{"role": a.Role})
	respond.JSON(w, http.StatusCreated, a)
}

func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request) {
	var p agent.Patch
	if err := respond.Decode(r, &p); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	// What the agent was, to record what changed (another account's
	// agent is not found here, and Update refuses it the same way).
	before, _ := s.Agents.Agent(r.Context(), actor(r).AccountID, r.PathValue("id"))
	a, err := s.Agents.Update(r.Context(), actor(r), r.PathValue("id"), p)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if before.Role != a.Role {
		s.record(r, audit.ActionRoleChanged, agentTarget(a), map[string]any{"from": before.Role, "to": a.Role})
	}
	if before.Active != a.Active {
		action := audit.ActionAgentReactivated
		if !a.Active {
			action = audit.ActionAgentDeactivated
		}
		s.record(r, action, agentTarget(a), nil)
	}
	respond.JSON(w, http.StatusOK, a)
}
