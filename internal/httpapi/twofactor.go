package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/respond"
)

// signIn returns the request's sign-in (token and address) for changes
// that need the current password.
func (s *Server) signIn(r *http.Request) agent.Session {
	token, _ := credentials(r)
	return agent.Session{Token: token, Addr: s.clientIP(r)}
}

type twoFactorInput struct {
	CurrentPassword string `json:"current_password"`
	Code            string `json:"code"`
}

func (s *Server) startTwoFactor(w http.ResponseWriter, r *http.Request) {
	var in twoFactorInput
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	e, err := s.Agents.StartTwoFactor(r.Context(), actor(r), s.signIn(r), in.CurrentPassword)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, e)
}

func (s *Server) confirmTwoFactor(w http.ResponseWriter, r *http.Request) {
	var in twoFactorInput
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	on, err := s.Agents.ConfirmTwoFactor(r.Context(), actor(r), in.Code)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.record(r, audit.ActionTwoFactorEnabled, agentTarget(actor(r)), nil)
	respond.JSON(w, http.StatusOK, on)
}

func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) {
	var in twoFactorInput
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	a, err := s.Agents.DisableTwoFactor(r.Context(), actor(r), s.signIn(r), in.CurrentPassword, in.Code)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.record(r, audit.ActionTwoFactorDisabled, agentTarget(a), nil)
	respond.JSON(w, http.StatusOK, a)
}
