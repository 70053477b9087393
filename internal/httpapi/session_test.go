package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/parley-chat/parley/internal/apitest"
)

// A browser session: the login sets an HttpOnly SameSite=Strict cookie and
// returns a CSRF token; reads work with the cookie alone, changes need the
// token; logout ends the session and clears the cookie.
func TestCookieSessionWithCSRF(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	do := func(method, path, csrf, body string) (int, map[string]any, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return res.StatusCode, m, res
	}

	if status, _, _ := do("GET", "/api/v1/auth/session", "", ""); status != http.StatusUnauthorized {
		t.Fatalf("session before sign-in = %d, want 401", status)
	}
	status, body, res := do("POST", "/api/v1/auth/login", "", `{"email":"`+acc.OwnerEmail+`","password":"password123","cookie":true}`)
	if status != http.StatusOK {
		t.Fatalf("cookie login = %d %v", status, body)
	}
	if _, ok := body["token"]; ok {
		t.Error("a cookie login must not return the token to JavaScript")
	}
	csrf, _ := body["csrf_token"].(string)
	if csrf == "" {
		t.Fatal("no csrf_token in the login answer")
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "parley_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/", cookie)
	}

	if status, body, _ := do("GET", "/api/v1/auth/session", "", ""); status != http.StatusOK || body["csrf_token"] != csrf {
		t.Fatalf("session = %d %v, want the agent and the same csrf_token", status, body)
	}
	if status, _, _ := do("GET", "/api/v1/conversations/counts", "", ""); status != http.StatusOK {
		t.Errorf("a read with the cookie = %d, want 200", status)
	}
	for _, bad := range []string{"", "wrong"} {
		if status, body, _ := do("PATCH", "/api/v1/me", bad, `{"name":"Mallory"}`); status != http.StatusForbidden {
			t.Errorf("PATCH /me with csrf %q = %d %v, want 403", bad, status, body)
		}
	}
	if me := e.Must(http.StatusOK, "GET", "/api/v1/me", acc.OwnerToken, nil).Map(t); me["name"] == "Mallory" {
		t.Fatal("a change without the CSRF token went through")
	}
	if status, body, _ := do("PATCH", "/api/v1/me", csrf, `{"name":"Olivia O."}`); status != http.StatusOK || body["name"] != "Olivia O." {
		t.Errorf("PATCH /me with the CSRF token = %d %v, want 200", status, body)
	}
	// A bearer token needs no CSRF token (it is never sent by a browser on its own).
	e.Must(http.StatusOK, "PATCH", "/api/v1/me", acc.OwnerToken, map[string]string{"name": "Olivia Owner"})

	if status, _, res := do("POST", "/api/v1/auth/logout", csrf, ""); status != http.StatusNoContent {
		t.Fatalf("logout = %d, want 204", status)
	} else if c := res.Cookies(); len(c) == 0 || c[0].MaxAge >= 0 {
		t.Errorf("logout cookies = %v, want the session cookie cleared", c)
	}
	if status, _, _ := do("GET", "/api/v1/auth/session", "", ""); status != http.StatusUnauthorized {
		t.Errorf("session after logout = %d, want 401", status)
	}
}

// The dashboard's routes serve its index.html with a strict CSP; without a
// build / stays the plain start page.
func TestDashboardIsServed(t *testing.T) {
	built := fstest.MapFS{
		"index.html":      {Data: []byte(`<!doctype html><div id="app"></div><script type="module" src="/assets/app-1.js"></script>`)},
		"assets/app-1.js": {Data: []byte("export{}")},
		"placeholder.txt": {},
	}
	e := apitest.New(t, apitest.Options{DashboardFiles: built})
	for _, p := range []string{"/", "/login", "/conversations", "/conversations/abc", "/team", "/settings/widget", "/profile"} {
		r := e.Do("GET", p, "", nil)
		csp := r.Header.Get("Content-Security-Policy")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `id="app"`) || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s = %d, CSP %q; want the dashboard with a strict CSP", p, r.Status, csp)
		}
	}
	if r := e.Do("GET", "/assets/app-1.js", "", nil); r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("asset = %d %q", r.Status, r.Header.Get("Cache-Control"))
	}
	if r := e.Do("GET", "/assets/nope.js", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("missing asset = %d, want 404", r.Status)
	}

	plain := apitest.New(t, apitest.Options{DashboardFiles: fstest.MapFS{"placeholder.txt": {}}})
	if r := plain.Do("GET", "/", "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Parley is running") {
		t.Errorf("unbuilt / = %d, want the plain start page", r.Status)
	}
	if r := plain.Do("GET", "/login", "", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("unbuilt /login = %d, want 503 with a hint", r.Status)
	}
}
