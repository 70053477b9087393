package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/httpapi"
)

// matrixWorld is account A with one of everything, the callers of every
// kind, and account B's owner.
type matrixWorld struct {
	e                    *apitest.Env
	acc                  apitest.Account
	admin, agent         apitest.Person
	visitor              apitest.Visitor
	conv, key, keyID     string
	otherOwner, otherKey string
	n                    int
	// secrets are A's ids and secrets, which no outsider's answer may hold.
	secrets []string
}

// request is one call of a route: its path with A's ids and a valid body.
type request struct {
	path string
	body any
}

// rule is what the matrix expects of a route: who may call it (public,
// signedIn, manager, apiKey or socket), written here independently of the
// route table so that a changed rule fails too, and a request to make.
type rule struct {
	access string
	make   func() request
}

// matrixRequests gives, for every route of the table, who may call it and
// a request that an allowed caller can make successfully. A route missing
// here fails the test: every new route must say who may call it and be
// checked.
func matrixRequests(w *matrixWorld) map[string]rule {
	fixed := func(path string, body any) func() request {
		return func() request { return request{path, body} }
	}
	a := w.acc
	return map[string]rule{
		"GET /healthz":             {"public", fixed("/healthz", nil)},
		"GET /readyz":              {"public", fixed("/readyz", nil)},
		"GET /metrics":             {"public", fixed("/metrics", nil)},
		"GET /api/openapi.json":    {"public", fixed("/api/openapi.json", nil)},
		"POST /api/v1/auth/login":  {"public", fixed("/api/v1/auth/login", map[string]string{"email": a.OwnerEmail, "password": "password123"})},
		"POST /api/v1/auth/logout": {"signedIn", fixed("/api/v1/auth/logout", nil)},
		"GET /api/v1/auth/session": {"signedIn", fixed("/api/v1/auth/session", nil)},
		"POST /api/v1/setup":       {"public", fixed("/api/v1/setup", map[string]string{"token": "no-such-token"})},
		"GET /api/v1/me":           {"signedIn", fixed("/api/v1/me", nil)},
		"PATCH /api/v1/me":         {"signedIn", fixed("/api/v1/me", map[string]string{"name": "Renamed"})},
		"GET /api/v1/account":      {"signedIn", fixed("/api/v1/account", nil)},
		"PATCH /api/v1/account":    {"manager", fixed("/api/v1/account", map[string]string{"name": "Shop A"})},
		"GET /api/v1/audit":        {"owner", fixed("/api/v1/audit", nil)},
		"GET /api/v1/agents":       {"signedIn", fixed("/api/v1/agents", nil)},
		"GET /api/v1/agents/{id}":  {"signedIn", fixed("/api/v1/agents/"+w.agent.ID, nil)},
		"POST /api/v1/agents": {"manager", func() request {
			w.n++
			return request{"/api/v1/agents", map[string]string{"email": fmt.Sprintf("m%d@example.com", w.n), "name": "New", "password": "password123"}}
		}},
		"PATCH /api/v1/agents/{id}":                {"signedIn", fixed("/api/v1/agents/"+w.agent.ID, map[string]string{"name": "Andy"})},
		"GET /api/v1/conversations":                {"signedIn", fixed("/api/v1/conversations", nil)},
		"GET /api/v1/conversations/counts":         {"signedIn", fixed("/api/v1/conversations/counts", nil)},
		"GET /api/v1/conversations/{id}":           {"signedIn", fixed("/api/v1/conversations/"+w.conv, nil)},
		"GET /api/v1/conversations/{id}/messages":  {"signedIn", fixed("/api/v1/conversations/"+w.conv+"/messages", nil)},
		"POST /api/v1/conversations/{id}/messages": {"signedIn", fixed("/api/v1/conversations/"+w.conv+"/messages", map[string]string{"text": "hello", "kind": "note"})},
		"POST /api/v1/conversations/{id}/assign":   {"signedIn", fixed("/api/v1/conversations/"+w.conv+"/assign", map[string]any{"agent_id": w.admin.ID})},
		"POST /api/v1/conversations/{id}/resolve":  {"signedIn", fixed("/api/v1/conversations/"+w.conv+"/resolve", nil)},
		"POST /api/v1/conversations/{id}/reopen":   {"signedIn", fixed("/api/v1/conversations/"+w.conv+"/reopen", nil)},
		"GET /api/v1/widget":                       {"signedIn", fixed("/api/v1/widget", nil)},
		"PATCH /api/v1/widget":                     {"manager", fixed("/api/v1/widget", map[string]string{"position": "left"})},
		"GET /api/v1/contacts/{id}":                {"signedIn", fixed("/api/v1/contacts/"+w.visitor.ContactID, nil)},
		"PATCH /api/v1/contacts/{id}":              {"signedIn", fixed("/api/v1/contacts/"+w.visitor.ContactID, map[string]string{"note": "likes tea"})},
		"GET /api/v1/contacts/{id}/pages":          {"signedIn", fixed("/api/v1/contacts/"+w.visitor.ContactID+"/pages", nil)},
		"GET /api/v1/contacts/{id}/conversations":  {"signedIn", fixed("/api/v1/contacts/"+w.visitor.ContactID+"/conversations", nil)},
		"GET /api/v1/visitors/online":              {"signedIn", fixed("/api/v1/visitors/online", nil)},
		"POST /api/v1/visitors/{id}/conversations": {"signedIn", func() request {
			v := w.e.NewVisitor(a)
			w.secrets = append(w.secrets, v.ID)
			return request{"/api/v1/visitors/" + v.ID + "/conversations", map[string]string{"text": "Can I help?"}}
		}},
		"GET /api/v1/api-keys":                {"manager", fixed("/api/v1/api-keys", nil)},
		"POST /api/v1/api-keys":               {"manager", fixed("/api/v1/api-keys", map[string]string{"name": "back end"})},
		"DELETE /api/v1/api-keys/{id}":        {"manager", func() request { return request{"/api/v1/api-keys/" + w.newKeyID(), nil} }},
		"PUT /api/v1/customers/{external_id}": {"apiKey", fixed("/api/v1/customers/cust-1", map[string]any{"orders_count": 1})},
		"GET /api/v1/identity":                {"manager", fixed("/api/v1/identity", nil)},
		"PATCH /api/v1/identity":              {"manager", fixed("/api/v1/identity", map[string]bool{"verify": false})},
		"POST /api/v1/identity/secret":        {"manager", fixed("/api/v1/identity/secret", nil)},
		"GET /api/v1/stream":                  {"socket", fixed("/api/v1/stream", nil)},
		"GET /widget/loader.js":               {"public", fixed("/widget/loader.js", nil)},
		"GET /widget/frame.html":              {"public", fixed("/widget/frame.html", nil)},
		"GET /widget/assets/":                 {"public", fixed("/widget/assets/none.js", nil)},
		"GET /demo":                           {"public", fixed("/demo", nil)},
		"GET /demo/cart":                      {"public", fixed("/demo/cart", nil)},
		"GET /assets/":                        {"public", fixed("/assets/none.js", nil)},
		"GET /setup/{token}":                  {"public", fixed("/setup/no-such-token", nil)},
		"POST /setup/{token}":                 {"public", fixed("/setup/no-such-token", nil)},
		"GET /{$}":                            {"public", fixed("/", nil)},
		"GET /login":                          {"public", fixed("/login", nil)},
		"GET /conversations":                  {"public", fixed("/conversations", nil)},
		"GET /conversations/{id}":             {"public", fixed("/conversations/"+w.conv, nil)},
		"GET /team":                           {"public", fixed("/team", nil)},
		"GET /visitors":                       {"public", fixed("/visitors", nil)},
		"GET /settings":                       {"public", fixed("/settings", nil)},
		"GET /settings/widget":                {"public", fixed("/settings/widget", nil)},
		"GET /settings/security":              {"public", fixed("/settings/security", nil)},
		"GET /settings/api":                   {"public", fixed("/settings/api", nil)},
		"GET /profile":                        {"public", fixed("/profile", nil)},
	}
}

// ruledByTheService are the routes open to every agent where the service
// itself refuses a plain agent (403) for this fixture: changing another
// agent, and resolving or assigning a conversation that is not theirs.
var ruledByTheService = map[string]bool{
	"PATCH /api/v1/agents/{id}":               true,
	"POST /api/v1/conversations/{id}/assign":  true,
	"POST /api/v1/conversations/{id}/resolve": true,
}

func (w *matrixWorld) newKeyID() string {
	k := w.e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", w.acc.OwnerToken, map[string]string{"name": "to revoke"}).Map(w.e.T)
	w.secrets = append(w.secrets, str(k, "id"))
	return str(k, "id")
}

// caller is one kind of credential.
type caller struct {
	name  string
	token func() string
	// role is the agent role in account A ("" when not an agent of A).
	role string
}

// TestAuthorizationMatrix calls every route of the route table as every
// kind of caller and checks the answer against the route's access rule.
func TestAuthorizationMatrix(t *testing.T) {
	e := apitest.New(t, apitest.Options{
		WidgetFiles:    fstest.MapFS{"loader.js": {Data: []byte("//")}, "frame.html": {Data: []byte("<!doctype html>")}, "assets/app-1.js": {Data: []byte("//")}},
		DashboardFiles: fstest.MapFS{"index.html": {Data: []byte(`<!doctype html><div id="app"></div>`)}, "assets/app-1.js": {Data: []byte("//")}},
	})
	w := &matrixWorld{e: e, acc: e.NewAccount()}
	w.admin = e.NewAgent(w.acc, "admin", "Ada Admin")
	w.agent = e.NewAgent(w.acc, "agent", "Andy Agent")
	w.visitor, w.conv = e.NewConversation(w.acc, "hello from A")
	k := e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", w.acc.OwnerToken, map[string]string{"name": "shop"}).Map(t)
	w.key, w.keyID = str(k, "key"), str(k, "id")
	other := e.NewAccount()
	w.otherOwner = other.OwnerToken
	w.otherKey = str(e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", other.OwnerToken, map[string]string{"name": "theirs"}).Map(t), "key")
	idn := e.Must(http.StatusOK, "GET", "/api/v1/identity", w.acc.OwnerToken, nil).Map(t)
	w.secrets = []string{w.acc.ID, w.acc.OwnerID, w.acc.OwnerEmail, w.admin.ID, w.agent.ID, w.agent.Email,
		w.visitor.ID, w.visitor.ContactID, w.conv, w.keyID, str(idn, "secret"), "hello from A"}

	// Logging out revokes the token it is called with: each call of it
	// gets a token of its own.
	fresh := func(email string) func() string { return func() string { return e.Login(email, "password123") } }
	otherEmail := other.OwnerEmail
	token := func(s string) func() string { return func() string { return s } }
	callers := []caller{
		{"anonymous", token(""), ""},
		{"a visitor", token(w.visitor.Token), ""},
		{"an API key", token(w.key), ""},
		{"another account's API key", token(w.otherKey), ""},
		{"an agent", token(w.agent.Token), "agent"},
		{"an admin", token(w.admin.Token), "admin"},
		{"the owner", token(w.acc.OwnerToken), "owner"},
		{"another account's owner", token(w.otherOwner), "other"},
	}
	requests := matrixRequests(w)
	routes := httpapi.Routes(e.Server.Handler.(*httpapi.Server))
	if len(routes) < 40 {
		t.Fatalf("the route table has %d routes; has it changed shape?", len(routes))
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.Pattern] = true
		want, ok := requests[rt.Pattern]
		if !ok {
			t.Errorf("route %s (%s) has no entry in the authorization matrix: add one to matrixRequests", rt.Pattern, rt.Access)
			continue
		}
		if rt.Access != want.access {
			t.Errorf("route %s is %s in the route table, %s in the matrix", rt.Pattern, rt.Access, want.access)
		}
		mk := want.make
		method, _, _ := strings.Cut(rt.Pattern, " ")
		for _, c := range callers {
			tok := c.token
			if rt.Pattern == "POST /api/v1/auth/logout" {
				switch c.role {
				case "agent":
					tok = fresh(w.agent.Email)
				case "admin":
					tok = fresh(w.admin.Email)
				case "owner":
					tok = fresh(w.acc.OwnerEmail)
				case "other":
					tok = fresh(otherEmail)
				}
			}
			rq := mk()
			var got apitest.Response
			if rt.Access == "socket" {
				got = dialStatus(t, e, rq.path, tok())
			} else {
				got = e.Do(method, rq.path, tok(), rq.body)
			}
			want := expect(rt, c, rq.path, w)
			if msg := want(got.Status); msg != "" {
				t.Errorf("%s as %s: %d %s; want %s", rt.Pattern, c.name, got.Status, trim(got.Body), msg)
			}
			// Signing in answers with the agent it signs in; A's own
			// key writes into A.
			if (c.role == "" || c.role == "other") && rt.Pattern != "POST /api/v1/auth/login" && c.name != "an API key" {
				for _, s := range w.secrets {
					if s != "" && strings.Contains(string(got.Body), s) {
						t.Errorf("%s as %s: the answer holds account A's %q", rt.Pattern, c.name, s)
					}
				}
			}
		}
	}
	for p := range requests {
		if !seen[p] {
			t.Errorf("the matrix lists %s, which is not in the route table", p)
		}
	}
}

// expect returns the check of a status for route rt called by c.
func expect(rt httpapi.RouteRule, c caller, path string, w *matrixWorld) func(int) string {
	ok := func(s int) string {
		if s >= 200 && s < 300 || s == http.StatusSwitchingProtocols {
			return ""
		}
		return "success"
	}
	is := func(want int) func(int) string {
		return func(s int) string {
			if s == want {
				return ""
			}
			return fmt.Sprint(want)
		}
	}
	hasAsID := strings.Contains(path, w.conv) || strings.Contains(path, w.agent.ID) || strings.Contains(path, w.visitor.ContactID) ||
		strings.Contains(path, "/api-keys/") || strings.Contains(path, "/visitors/0")
	switch rt.Access {
	case "public":
		return func(s int) string {
			if s == http.StatusUnauthorized || s == http.StatusForbidden || s >= 500 {
				return "an answer to anyone: no 401/403, no 5xx"
			}
			return ""
		}
	case "apiKey":
		if c.name == "an API key" {
			return ok
		}
		if c.name == "another account's API key" {
			return ok // it writes into its own account; the secrets check covers A
		}
		return is(http.StatusUnauthorized)
	}
	// signedIn, manager and socket: an agent of some account.
	switch c.role {
	case "":
		return is(http.StatusUnauthorized)
	case "other":
		if hasAsID && rt.Access != "socket" {
			return is(http.StatusNotFound)
		}
		if rt.Access == "manager" || rt.Access == "owner" || rt.Access == "socket" || !hasAsID {
			return ok // B's own things
		}
	case "agent":
		if rt.Access == "manager" || rt.Access == "owner" || ruledByTheService[rt.Pattern] {
			return is(http.StatusForbidden)
		}
	case "admin":
		if rt.Access == "owner" {
			return is(http.StatusForbidden)
		}
	}
	return ok
}

// dialStatus opens a socket with the token and answers its status (101
// when it opened).
func dialStatus(t *testing.T, e *apitest.Env, path, token string) apitest.Response {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ws, res, err := e.Dial(path, h)
	if err == nil {
		ws.CloseNow()
		return apitest.Response{Status: http.StatusSwitchingProtocols}
	}
	if res == nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return apitest.Response{Status: res.StatusCode}
}

func trim(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
