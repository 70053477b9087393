package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/respond"
)

// The security log is written here, in the handlers, right after the
// service call has committed its change: only the HTTP layer knows the
// actor, the address and the User-Agent, and the services (agent, account,
// apikey) keep their signatures. A crash between the two writes loses the
// event, never the change; a failed audit write is logged, and the change,
// already made, is still answered as done.

// agentActor is a signed-in agent as the log names it.
func agentActor(a agent.Agent) audit.Actor {
	return audit.Actor{Type: audit.ActorAgent, ID: a.ID, Name: a.Name, Email: a.Email}
}

// agentTarget is an agent as the target of an event.
func agentTarget(a agent.Agent) audit.Target {
	label := a.Name
	if a.Email != "" {
		label += " <" + a.Email + ">"
	}
	return audit.Target{Type: audit.TargetAgent, ID: a.ID, Label: label}
}

// origin is where r came from.
func (s *Server) origin(r *http.Request) audit.Origin {
	return audit.Origin{IP: s.clientIP(r), UserAgent: r.UserAgent()}
}

// record adds an event done by the request's signed-in agent, in its
// account. It is the one line a handler adds after its change.
func (s *Server) record(r *http.Request, action string, target audit.Target, details map[string]any) {
	a := actor(r)
	s.recordEntry(r, audit.Entry{AccountID: a.AccountID, Actor: agentActor(a), Action: action, Target: target, Details: details})
}

// recordEntry stores e with the request's origin. The change is made by
// now: a client that hangs up does not cancel its record.
func (s *Server) recordEntry(r *http.Request, e audit.Entry) {
	if s.Audit == nil {
		return
	}
	e.Origin = s.origin(r)
	if err := s.Audit.Record(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.ErrorContext(r.Context(), "audit_record_failed", "action", e.Action, "account_id", e.AccountID, "err", err)
	}
}

// recordLoginFailed records a refused sign-in in the account of the agent
// whose email it named. An email of nobody is only a log line: it belongs
// to no account, and no account's log fills with strangers' guesses.
func (s *Server) recordLoginFailed(r *http.Request, email string) {
	if s.Audit == nil {
		return
	}
	// The answer is sent: the client may be gone, the record is still due.
	ctx := context.WithoutCancel(r.Context())
	a, err := s.Agents.ByEmail(ctx, email)
	if errors.Is(err, apperr.ErrNotFound) {
		e := audit.Entry{Actor: audit.Actor{Type: audit.ActorAnonymous}, Action: audit.ActionLoginFailed, Origin: s.origin(r),
			Details: map[string]any{"email_known": false}}
		if norm, err := agent.NormalizeEmail(email); err == nil {
			// Only something shaped like an address: a password typed
			// into the email field never reaches the log.
			e.Details["email"] = norm
		}
		s.Audit.LogOnly(ctx, e)
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "audit_record_failed", "action", audit.ActionLoginFailed, "err", err)
		return
	}
	s.recordEntry(r, audit.Entry{AccountID: a.AccountID, Actor: audit.Actor{Type: audit.ActorAnonymous},
		Action: audit.ActionLoginFailed, Target: agentTarget(a)})
}

// owner wraps a handler for the account's owner only.
func (s *Server) owner(h http.HandlerFunc) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request) {
		if actor(r).Role != agent.RoleOwner {
			respond.Error(w, r, s.log, apperr.Forbidden("only the account's owner may do this"))
			return
		}
		h(w, r)
	})
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	page, err := s.Audit.List(r.Context(), actor(r).AccountID, audit.Filter{
		Action: q.Get("action"), ActorID: q.Get("actor_id"), Limit: int(min(limit, 1000)), Cursor: q.Get("cursor"),
	})
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, page)
}

// accountTarget is the request's account as the target of an event.
func (s *Server) accountTarget(r *http.Request) audit.Target {
	t := audit.Target{Type: audit.TargetAccount, ID: actor(r).AccountID}
	if acc, err := s.Accounts.Account(r.Context(), t.ID); err == nil {
		t.Label = acc.Name
	}
	return t
}

// changedFields names the JSON fields whose values differ between two
// settings objects, sorted: the log says what changed, not to what (a
// greeting is free text).
func changedFields(before, after any) []string {
	var b, a map[string]json.RawMessage
	bb, _ := json.Marshal(before)
	ab, _ := json.Marshal(after)
	json.Unmarshal(bb, &b)
	json.Unmarshal(ab, &a)
	var out []string
	for k, v := range a {
		if string(b[k]) != string(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
