package httpapi

import (
	"context"
	"net/http"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/respond"
)

// The visitor card's lists, the visitors on the site, the shop's API keys
// and customer data, and identity verification.

func (s *Server) contactPages(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	pages, err := s.Contacts.PageViews(r.Context(), actor(r).AccountID, r.PathValue("id"), int(min(limit, 1000)), r.URL.Query().Get("cursor"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, pages)
}

func (s *Server) contactConversations(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	accountID := actor(r).AccountID
	if _, err := s.Contacts.Contact(r.Context(), accountID, r.PathValue("id")); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	page, err := s.Conversations.OfContact(r.Context(), accountID, r.PathValue("id"), int(min(limit, 1000)), r.URL.Query().Get("cursor"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, page)
}

func (s *Server) onlineVisitors(w http.ResponseWriter, r *http.Request) {
	accountID := actor(r).AccountID
	ids := s.Hub.OnlineVisitors(accountID)
	total := len(ids)
	vs, err := s.Contacts.Online(r.Context(), accountID, ids)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if len(vs) > contact.MaxOnline {
		vs = vs[:contact.MaxOnline]
	}
	respond.JSON(w, http.StatusOK, map[string]any{"items": vs, "total": total})
}

func (s *Server) startConversation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text     string `json:"text"`
		ClientID string `json:"client_id"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	a := actor(r)
	v, err := s.Contacts.VisitorOf(r.Context(), a.AccountID, r.PathValue("id"))
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	c, created, err := s.Conversations.StartWithVisitor(r.Context(), a, v, in.Text, in.ClientID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.Stored(w, created, c)
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.APIKeys.List(r.Context(), actor(r).AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"items": keys})
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	a := actor(r)
	k, err := s.APIKeys.Create(r.Context(), a.AccountID, a.ID, in.Name)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.record(r, audit.ActionAPIKeyCreated, audit.Target{Type: audit.TargetAPIKey, ID: k.ID, Label: k.Name}, map[string]any{"prefix": k.Prefix})
	respond.JSON(w, http.StatusCreated, k)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	// The key's name, for a log that stays readable.
	target := audit.Target{Type: audit.TargetAPIKey, ID: r.PathValue("id")}
	if keys, err := s.APIKeys.List(r.Context(), actor(r).AccountID); err == nil {
		for _, k := range keys {
			if k.ID == target.ID {
				target.Label = k.Name
			}
		}
	}
	if err := s.APIKeys.Revoke(r.Context(), actor(r).AccountID, target.ID); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.record(r, audit.ActionAPIKeyRevoked, target, nil)
	w.WriteHeader(http.StatusNoContent)
}

type apiKeyAccount struct{}

// withAPIKey wraps a handler for the shop's back end: the bearer must be an
// account API key (agent tokens and cookies are not keys).
func (s *Server) withAPIKey(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		accountID, err := s.APIKeys.Authenticate(r.Context(), bearer(r))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley", error="invalid_token"`)
			respond.Error(w, r, s.log, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), apiKeyAccount{}, accountID)))
	}
}

func (s *Server) putCustomer(w http.ResponseWriter, r *http.Request) {
	accountID, _ := r.Context().Value(apiKeyAccount{}).(string)
	var body contact.Customer
	if err := respond.Decode(r, &body); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	c, created, err := s.Contacts.PutCustomer(r.Context(), accountID, r.PathValue("external_id"), body)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.Stored(w, created, c)
}

func (s *Server) identity(w http.ResponseWriter, r *http.Request) {
	idn, err := s.Accounts.Identity(r.Context(), actor(r).AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, idn)
}

func (s *Server) updateIdentity(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Verify *bool `json:"verify"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if in.Verify == nil {
		respond.Error(w, r, s.log, apperr.Invalid("verify", "verify must be true or false"))
		return
	}
	before, err := s.Accounts.Identity(r.Context(), actor(r).AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	idn, err := s.Accounts.SetIdentityVerify(r.Context(), actor(r).AccountID, *in.Verify)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if before.Verify != idn.Verify {
		action := audit.ActionIdentityDisabled
		if idn.Verify {
			action = audit.ActionIdentityEnabled
		}
		s.record(r, action, s.accountTarget(r), nil)
	}
	respond.JSON(w, http.StatusOK, idn)
}

func (s *Server) rotateIdentitySecret(w http.ResponseWriter, r *http.Request) {
	idn, err := s.Accounts.RotateIdentitySecret(r.Context(), actor(r).AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.record(r, audit.ActionIdentitySecretRotated, s.accountTarget(r), nil)
	respond.JSON(w, http.StatusOK, idn)
}
