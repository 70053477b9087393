package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/respond"
)

// routes is the whole route table: who may call what.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// Operations.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics.Handler())
	}
	mux.HandleFunc("GET /api/openapi.json", s.openAPI)

	// Sign-in and first-run setup.
	mux.HandleFunc("POST /api/v1/auth/login", s.login)
	mux.HandleFunc("POST /api/v1/auth/logout", s.enrolling(s.logout))
	mux.HandleFunc("GET /api/v1/auth/session", s.enrolling(s.session))
	mux.HandleFunc("POST /api/v1/setup", s.setup)

	// The signed-in agent and the account.
	mux.HandleFunc("GET /api/v1/me", s.enrolling(s.me))
	mux.HandleFunc("PATCH /api/v1/me", s.authed(s.updateMe))
	mux.HandleFunc("GET /api/v1/account", s.authed(s.account))
	mux.HandleFunc("PATCH /api/v1/account", s.authed(s.updateAccount))

	// Two-factor sign-in of the signed-in agent (open to an agent who must
	// still set it up).
	mux.HandleFunc("POST /api/v1/me/two-factor", s.enrolling(s.startTwoFactor))
	mux.HandleFunc("POST /api/v1/me/two-factor/confirm", s.enrolling(s.confirmTwoFactor))
	mux.HandleFunc("DELETE /api/v1/me/two-factor", s.authed(s.disableTwoFactor))

	// The team: everyone may list; admins and the owner manage.
	mux.HandleFunc("GET /api/v1/agents", s.authed(s.listAgents))
	mux.HandleFunc("GET /api/v1/agents/{id}", s.authed(s.getAgent))
	mux.HandleFunc("POST /api/v1/agents", s.manager(s.createAgent))
	mux.HandleFunc("PATCH /api/v1/agents/{id}", s.authed(s.updateAgent))

	// Conversations: any agent of the account; the service applies the
	// rules of resolve and assign.
	mux.HandleFunc("GET /api/v1/conversations", s.authed(s.listConversations))
	mux.HandleFunc("GET /api/v1/conversations/counts", s.authed(s.conversationCounts))
	mux.HandleFunc("GET /api/v1/conversations/{id}", s.authed(s.getConversation))
	mux.HandleFunc("GET /api/v1/conversations/{id}/messages", s.authed(s.listMessages))
	mux.HandleFunc("POST /api/v1/conversations/{id}/messages", s.authed(s.postMessage))
	mux.HandleFunc("POST /api/v1/conversations/{id}/assign", s.authed(s.assign))
	mux.HandleFunc("POST /api/v1/conversations/{id}/resolve", s.authed(s.resolve))
	mux.HandleFunc("POST /api/v1/conversations/{id}/reopen", s.authed(s.reopen))

	// The chat box's settings: every agent may read, admins change.
	mux.HandleFunc("GET /api/v1/widget", s.authed(s.widgetSettings))
	mux.HandleFunc("PATCH /api/v1/widget", s.manager(s.updateWidgetSettings))

	// Contacts (the visitor card).
	mux.HandleFunc("GET /api/v1/contacts/{id}", s.authed(s.getContact))
	mux.HandleFunc("PATCH /api/v1/contacts/{id}", s.authed(s.updateContact))
	mux.HandleFunc("GET /api/v1/contacts/{id}/pages", s.authed(s.contactPages))
	mux.HandleFunc("GET /api/v1/contacts/{id}/conversations", s.authed(s.contactConversations))

	// Visitors on the site now, and starting a chat with one.
	mux.HandleFunc("GET /api/v1/visitors/online", s.authed(s.onlineVisitors))
	mux.HandleFunc("POST /api/v1/visitors/{id}/conversations", s.authed(s.startConversation))

	// The shop's back end: API keys (admins manage) and customer data
	// (authenticated with a key, not an agent).
	mux.HandleFunc("GET /api/v1/api-keys", s.manager(s.listAPIKeys))
	mux.HandleFunc("POST /api/v1/api-keys", s.manager(s.createAPIKey))
	mux.HandleFunc("DELETE /api/v1/api-keys/{id}", s.manager(s.revokeAPIKey))
	mux.HandleFunc("PUT /api/v1/customers/{external_id}", s.withAPIKey(s.putCustomer))

	// Identity verification of logged-in shoppers (admins).
	mux.HandleFunc("GET /api/v1/identity", s.manager(s.identity))
	mux.HandleFunc("PATCH /api/v1/identity", s.manager(s.updateIdentity))
	mux.HandleFunc("POST /api/v1/identity/secret", s.manager(s.rotateIdentitySecret))

	// Real time.
	mux.HandleFunc("GET /api/v1/stream", s.stream)

	// Anything else under /api/ is a JSON 404, not an HTML page.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		respond.Error(w, r, s.log, apperr.NotFound("endpoint "+r.Method+" "+r.URL.Path))
	})

	// The visitor API lives in its own package with its own CORS rules.
	if s.Widget != nil {
		mux.Handle("/widget/v1/", s.Widget)
	}

	// The built chat box and the demo shop.
	mux.HandleFunc("GET /widget/loader.js", s.widgetFile)
	mux.HandleFunc("GET /widget/frame.html", s.widgetFile)
	mux.HandleFunc("GET /widget/assets/", s.widgetFile)
	mux.HandleFunc("GET /demo", s.demo)
	mux.HandleFunc("GET /demo/cart", s.demo)

	// The agent dashboard: its client-side routes and assets.
	for _, p := range []string{"/{$}", "/login", "/conversations", "/conversations/{id}", "/team", "/visitors", "/settings", "/settings/widget", "/settings/api", "/profile"} {
		mux.HandleFunc("GET "+p, s.dashboardPage)
	}
	mux.HandleFunc("GET /assets/", s.dashboardAsset)

	// Pages.
	mux.HandleFunc("GET /setup/{token}", s.setupPage)
	mux.HandleFunc("POST /setup/{token}", s.setupForm)
	return mux
}
