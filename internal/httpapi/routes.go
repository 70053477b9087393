package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/respond"
)

// access says who may call a route. Every route names one, and the
// authorization matrix test checks each route against it for every kind of
// caller, so a route added without a rule fails the build.
type access int

const (
	// public: anyone; the handler checks whatever secret it takes (a
	// setup token, a widget key, a password).
	public access = iota
	// signedIn: any active agent of the account, by bearer token or the
	// dashboard's session cookie with its CSRF header. The service may
	// refuse some agents more (resolving another's conversation).
	signedIn
	// manager: an admin or the owner.
	manager
	// owner: the account's owner only.
	owner
	// apiKey: the shop's back end, with an API key.
	apiKey
	// socket: a signed-in agent, checked by the handler itself (the
	// token may come in the query string and the Origin is checked
	// first).
	socket
)

// route is one line of the route table.
type route struct {
	pattern string
	access  access
	handler http.HandlerFunc
}

// table is the whole route table of the agent API, the operational
// endpoints and the pages: who may call what.
func (s *Server) table() []route {
	rs := []route{
		// Operations.
		{"GET /healthz", public, s.healthz},
		{"GET /readyz", public, s.readyz},
		{"GET /api/openapi.json", public, s.openAPI},

		// Sign-in and first-run setup.
		{"POST /api/v1/auth/login", public, s.login},
		{"POST /api/v1/auth/logout", signedIn, s.logout},
		{"GET /api/v1/auth/session", signedIn, s.session},
		{"POST /api/v1/setup", public, s.setup},

		// The signed-in agent and the account.
		{"GET /api/v1/me", signedIn, s.me},
		{"PATCH /api/v1/me", signedIn, s.updateMe},
		{"GET /api/v1/account", signedIn, s.account},
		{"PATCH /api/v1/account", manager, s.updateAccount},

		// The security log: the owner's only.
		{"GET /api/v1/audit", owner, s.listAudit},

		// The team: everyone may list; admins and the owner manage (the
		// service checks PATCH, so another account's agent is a 404
		// before a plain agent's 403).
		{"GET /api/v1/agents", signedIn, s.listAgents},
		{"GET /api/v1/agents/{id}", signedIn, s.getAgent},
		{"POST /api/v1/agents", manager, s.createAgent},
		{"PATCH /api/v1/agents/{id}", signedIn, s.updateAgent},

		// Conversations: any agent of the account; the service applies
		// the rules of resolve and assign.
		{"GET /api/v1/conversations", signedIn, s.listConversations},
		{"GET /api/v1/conversations/counts", signedIn, s.conversationCounts},
		{"GET /api/v1/conversations/{id}", signedIn, s.getConversation},
		{"GET /api/v1/conversations/{id}/messages", signedIn, s.listMessages},
		{"POST /api/v1/conversations/{id}/messages", signedIn, s.postMessage},
		{"POST /api/v1/conversations/{id}/assign", signedIn, s.assign},
		{"POST /api/v1/conversations/{id}/resolve", signedIn, s.resolve},
		{"POST /api/v1/conversations/{id}/reopen", signedIn, s.reopen},

		// The chat box's settings: every agent may read, admins change.
		{"GET /api/v1/widget", signedIn, s.widgetSettings},
		{"PATCH /api/v1/widget", manager, s.updateWidgetSettings},

		// Contacts (the visitor card).
		{"GET /api/v1/contacts/{id}", signedIn, s.getContact},
		{"PATCH /api/v1/contacts/{id}", signedIn, s.updateContact},
		{"GET /api/v1/contacts/{id}/pages", signedIn, s.contactPages},
		{"GET /api/v1/contacts/{id}/conversations", signedIn, s.contactConversations},

		// Visitors on the site now, and starting a chat with one.
		{"GET /api/v1/visitors/online", signedIn, s.onlineVisitors},
		{"POST /api/v1/visitors/{id}/conversations", signedIn, s.startConversation},

		// The shop's back end: API keys (admins manage) and customer data
		// (authenticated with a key, not an agent).
		{"GET /api/v1/api-keys", manager, s.listAPIKeys},
		{"POST /api/v1/api-keys", manager, s.createAPIKey},
		{"DELETE /api/v1/api-keys/{id}", manager, s.revokeAPIKey},
		{"PUT /api/v1/customers/{external_id}", apiKey, s.putCustomer},

		// Identity verification of logged-in shoppers (admins).
		{"GET /api/v1/identity", manager, s.identity},
		{"PATCH /api/v1/identity", manager, s.updateIdentity},
		{"POST /api/v1/identity/secret", manager, s.rotateIdentitySecret},

		// Real time.
		{"GET /api/v1/stream", socket, s.stream},

		// The built chat box and the demo shop.
		{"GET /widget/loader.js", public, s.widgetFile},
		{"GET /widget/frame.html", public, s.widgetFile},
		{"GET /widget/assets/", public, s.widgetFile},
		{"GET /demo", public, s.demo},
		{"GET /demo/cart", public, s.demo},

		// The agent dashboard's assets; its pages follow.
		{"GET /assets/", public, s.dashboardAsset},

		// Pages.
		{"GET /setup/{token}", public, s.setupPage},
		{"POST /setup/{token}", public, s.setupForm},
	}
	if s.Metrics != nil {
		rs = append(rs, route{"GET /metrics", public, s.Metrics.Handler().ServeHTTP})
	}
	// The dashboard's client-side routes all serve its page.
	for _, p := range dashboardPages {
		rs = append(rs, route{"GET " + p, public, s.dashboardPage})
	}
	return rs
}

// dashboardPages are the dashboard's client-side routes.
var dashboardPages = []string{"/{$}", "/login", "/conversations", "/conversations/{id}", "/team", "/visitors", "/settings", "/settings/widget", "/settings/api", "/settings/security", "/profile"}

// routes builds the handler from the table.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.table() {
		mux.HandleFunc(rt.pattern, s.guard(rt.access, rt.handler))
	}
	// Anything else under /api/ is a JSON 404, not an HTML page.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		respond.Error(w, r, s.log, apperr.NotFound("endpoint "+r.Method+" "+r.URL.Path))
	})
	// The visitor API lives in its own package with its own CORS rules
	// and its own credentials (widget keys and visitor tokens).
	if s.Widget != nil {
		mux.Handle("/widget/v1/", s.Widget)
	}
	return mux
}

// guard wraps h in the check its access level needs.
func (s *Server) guard(a access, h http.HandlerFunc) http.HandlerFunc {
	switch a {
	case signedIn:
		return s.authed(h)
	case manager:
		return s.manager(h)
	case owner:
		return s.owner(h)
	case apiKey:
		return s.withAPIKey(h)
	}
	return h // public, and sockets that check for themselves
}
