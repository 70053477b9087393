package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

func TestLoginAndLogout(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()

	t.Run("a good password gives a token and the agent", func(t *testing.T) {
		e := env.For(t)
		r := e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": acc.OwnerEmail, "password": "password123"}).Map(t)
		a, _ := r["agent"].(map[string]any)
		if str(r, "token") == "" || str(a, "id") != acc.OwnerID || str(a, "account_id") != acc.ID || str(a, "role") != "owner" || a["active"] != true || str(a, "email") != acc.OwnerEmail {
			t.Errorf("login = %v, want a token and the active owner %s of %s", r, acc.OwnerID, acc.ID)
		}
		me := e.Must(http.StatusOK, "GET", "/api/v1/me", str(r, "token"), nil).Map(t)
		if str(me, "id") != acc.OwnerID {
			t.Errorf("me = %v, want %s", me, acc.OwnerID)
		}
	})
	for _, tc := range []struct{ name, email, password string }{
		{"a wrong password", acc.OwnerEmail, "password124"},
		{"an unknown email", "nobody@example.com", "password123"},
	} {
		t.Run(tc.name+" is unauthorized", func(t *testing.T) {
			wantError(t, env.For(t).Do("POST", "/api/v1/auth/login", "", map[string]string{"email": tc.email, "password": tc.password}), http.StatusUnauthorized, "unauthorized")
		})
	}
	t.Run("after logout the token no longer works, other tokens do", func(t *testing.T) {
		e := env.For(t)
		token := e.Login(acc.OwnerEmail, "password123")
		e.Must(http.StatusOK, "GET", "/api/v1/me", token, nil)
		r := e.Do("POST", "/api/v1/auth/logout", token, nil)
		if r.Status < 200 || r.Status > 299 {
			t.Fatalf("logout = %d %s, want success", r.Status, r.Body)
		}
		wantError(t, e.Do("GET", "/api/v1/me", token, nil), http.StatusUnauthorized, "unauthorized")
		if _, res, err := e.Dial("/api/v1/stream?token="+token, nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("agent stream with the logged-out token: err %v, want 401", err)
		}
		e.Must(http.StatusOK, "GET", "/api/v1/me", acc.OwnerToken, nil)
	})
}

func TestAgentManagement(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	admin := env.NewAgent(acc, "admin", "Adam Admin")
	alice := env.NewAgent(acc, "agent", "Alice Agent")
	n := 0
	newEmail := func() string { n++; return fmt.Sprintf("new%d@example.com", n) }
	countAgents := func(e *apitest.Env) (all, owners int) {
		var list struct {
			Items []map[string]any `json:"items"`
		}
		e.Must(http.StatusOK, "GET", "/api/v1/agents", owner.Token, nil).JSON(e.T, &list)
		for _, a := range list.Items {
			if str(a, "role") == "owner" {
				owners++
			}
		}
		return len(list.Items), owners
	}

	creators := []struct {
		name  string
		actor apitest.Person
		role  string
	}{
		{"the owner adds an agent", owner, "agent"},
		{"the owner adds an admin", owner, "admin"},
		{"an admin adds an agent", admin, "agent"},
		{"an admin adds an admin", admin, "admin"},
	}
	for _, tc := range creators {
		t.Run(tc.name, func(t *testing.T) {
			e := env.For(t)
			email := newEmail()
			a := e.Must(http.StatusCreated, "POST", "/api/v1/agents", tc.actor.Token, map[string]string{"email": email, "name": "New Person", "password": "password123", "role": tc.role}).Map(t)
			if str(a, "id") == "" || str(a, "account_id") != acc.ID || str(a, "email") != email || str(a, "name") != "New Person" || str(a, "role") != tc.role || a["active"] != true || str(a, "status") != "offline" {
				t.Errorf("created agent = %v, want an active offline %s of %s", a, tc.role, acc.ID)
			}
			if _, ok := a["password"]; ok {
				t.Errorf("created agent %v shows its password", a)
			}
			token := e.Login(email, "password123")
			if me := e.Must(http.StatusOK, "GET", "/api/v1/me", token, nil).Map(t); str(me, "id") != str(a, "id") {
				t.Errorf("me of the new agent = %v, want %s", me, str(a, "id"))
			}
		})
	}

	refusals := []struct {
		name   string
		actor  apitest.Person
		body   map[string]string
		status int
		code   string
	}{
		{"an agent may not add agents", alice, map[string]string{"email": "x1@example.com", "name": "X", "password": "password123", "role": "agent"}, http.StatusForbidden, "forbidden"},
		{"an agent may not add admins", alice, map[string]string{"email": "x2@example.com", "name": "X", "password": "password123", "role": "admin"}, http.StatusForbidden, "forbidden"},
		{"a duplicate email is a conflict", owner, map[string]string{"email": alice.Email, "name": "X", "password": "password123", "role": "agent"}, http.StatusConflict, "conflict"},
		{"the owner's email again is a conflict", admin, map[string]string{"email": acc.OwnerEmail, "name": "X", "password": "password123", "role": "admin"}, http.StatusConflict, "conflict"},
		{"a password of 7 characters is invalid", owner, map[string]string{"email": "x3@example.com", "name": "X", "password": "1234567", "role": "agent"}, http.StatusUnprocessableEntity, "invalid"},
		{"an empty password is invalid", owner, map[string]string{"email": "x4@example.com", "name": "X", "password": "", "role": "agent"}, http.StatusUnprocessableEntity, "invalid"},
		{"a bad email is invalid", owner, map[string]string{"email": "not-an-email", "name": "X", "password": "password123", "role": "agent"}, http.StatusUnprocessableEntity, "invalid"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			e := env.For(t)
			all, _ := countAgents(e)
			wantError(t, e.Do("POST", "/api/v1/agents", tc.actor.Token, tc.body), tc.status, tc.code)
			if after, _ := countAgents(e); after != all {
				t.Errorf("agents = %d after the refusal, want %d", after, all)
			}
		})
	}

	t.Run("a password of 8 characters is accepted, also when they are not ASCII", func(t *testing.T) {
		e := env.For(t)
		for _, pw := range []string{"12345678", "žluťoučk", "😀😀😀😀😀😀😀😀"} {
			email := newEmail()
			e.Must(http.StatusCreated, "POST", "/api/v1/agents", owner.Token, map[string]string{"email": email, "name": "Pat", "password": pw, "role": "agent"})
			e.Login(email, pw)
		}
	})

	for _, who := range []apitest.Person{owner, admin} {
		t.Run(who.Role+" cannot make an owner with POST", func(t *testing.T) {
			e := env.For(t)
			all, _ := countAgents(e)
			r := e.Do("POST", "/api/v1/agents", who.Token, map[string]string{"email": newEmail(), "name": "Second Owner", "password": "password123", "role": "owner"})
			if r.Status < 400 || r.Status > 499 {
				t.Fatalf("POST role owner = %d %s, want a 4xx refusal", r.Status, r.Body)
			}
			if after, owners := countAgents(e); after != all || owners != 1 {
				t.Errorf("after the refusal: %d agents, %d owners; want %d agents and 1 owner", after, owners, all)
			}
		})
		t.Run(who.Role+" cannot make an owner with PATCH", func(t *testing.T) {
			e := env.For(t)
			target := addAgent(e, owner.Token, "Would Be Owner")
			r := e.Do("PATCH", "/api/v1/agents/"+target.ID, who.Token, map[string]string{"role": "owner"})
			if r.Status < 400 || r.Status > 499 {
				t.Fatalf("PATCH role owner = %d %s, want a 4xx refusal", r.Status, r.Body)
			}
			if a := e.Must(http.StatusOK, "GET", "/api/v1/agents/"+target.ID, owner.Token, nil).Map(t); str(a, "role") != "agent" {
				t.Errorf("role after the refusal = %q, want agent", str(a, "role"))
			}
			if _, owners := countAgents(e); owners != 1 {
				t.Errorf("owners = %d, want 1", owners)
			}
		})
		t.Run(who.Role+" cannot deactivate the owner", func(t *testing.T) {
			e := env.For(t)
			r := e.Do("PATCH", "/api/v1/agents/"+owner.ID, who.Token, map[string]any{"active": false})
			if r.Status < 400 || r.Status > 499 {
				t.Fatalf("deactivating the owner = %d %s, want a 4xx refusal", r.Status, r.Body)
			}
			if a := e.Must(http.StatusOK, "GET", "/api/v1/agents/"+owner.ID, owner.Token, nil).Map(t); a["active"] != true || str(a, "role") != "owner" {
				t.Errorf("owner after the refusal = %v, want an active owner", a)
			}
			e.Must(http.StatusOK, "GET", "/api/v1/me", owner.Token, nil)
		})
	}

	t.Run("an admin changes an agent's name and role", func(t *testing.T) {
		e := env.For(t)
		target := addAgent(e, owner.Token, "Carl")
		a := e.Must(http.StatusOK, "PATCH", "/api/v1/agents/"+target.ID, admin.Token, map[string]string{"name": "Carl Admin", "role": "admin"}).Map(t)
		if str(a, "name") != "Carl Admin" || str(a, "role") != "admin" {
			t.Errorf("patched agent = %v, want Carl Admin, admin", a)
		}
	})

	t.Run("an agent may not change agents", func(t *testing.T) {
		e := env.For(t)
		target := addAgent(e, owner.Token, "Dora")
		for _, body := range []map[string]any{{"name": "Hacked"}, {"role": "admin"}, {"active": false}} {
			wantError(t, e.Do("PATCH", "/api/v1/agents/"+target.ID, alice.Token, body), http.StatusForbidden, "forbidden")
		}
		wantError(t, e.Do("PATCH", "/api/v1/agents/"+alice.ID, alice.Token, map[string]any{"role": "admin"}), http.StatusForbidden, "forbidden")
		if a := e.Must(http.StatusOK, "GET", "/api/v1/agents/"+target.ID, owner.Token, nil).Map(t); str(a, "name") != "Dora" || str(a, "role") != "agent" || a["active"] != true {
			t.Errorf("agent after the refusals = %v, want it unchanged", a)
		}
		if a := e.Must(http.StatusOK, "GET", "/api/v1/me", alice.Token, nil).Map(t); str(a, "role") != "agent" {
			t.Errorf("alice's role = %q, want agent", str(a, "role"))
		}
	})

	t.Run("a deactivated agent's tokens stop working", func(t *testing.T) {
		e := env.For(t)
		target := e.NewAgent(acc, "agent", "Eve")
		second := e.Login(target.Email, "password123")
		a := e.Must(http.StatusOK, "PATCH", "/api/v1/agents/"+target.ID, admin.Token, map[string]any{"active": false}).Map(t)
		if a["active"] != false {
			t.Errorf("deactivated agent = %v, want active false", a)
		}
		for _, token := range []string{target.Token, second} {
			wantError(t, e.Do("GET", "/api/v1/me", token, nil), http.StatusUnauthorized, "unauthorized")
			wantError(t, e.Do("GET", "/api/v1/conversations", token, nil), http.StatusUnauthorized, "unauthorized")
		}
		if _, res, err := e.Dial("/api/v1/stream?token="+target.Token, nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("agent stream of a deactivated agent: err %v, want 401", err)
		}
		wantError(t, e.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": target.Email, "password": "password123"}), http.StatusUnauthorized, "unauthorized")
	})

	t.Run("PATCH /me changes the agent's own name and status but not its role", func(t *testing.T) {
		e := env.For(t)
		a := e.Must(http.StatusOK, "PATCH", "/api/v1/me", alice.Token, map[string]any{"name": "Alice A.", "status": "online", "notify_offline_messages": false}).Map(t)
		if str(a, "name") != "Alice A." || str(a, "status") != "online" || a["notify_offline_messages"] != false {
			t.Errorf("me after PATCH = %v, want name Alice A., online, notify_offline_messages false", a)
		}
		wantError(t, e.Do("PATCH", "/api/v1/me", alice.Token, map[string]any{"status": "away"}), http.StatusUnprocessableEntity, "invalid")
		r := e.Do("PATCH", "/api/v1/me", alice.Token, map[string]any{"role": "owner"})
		if r.Status < 400 || r.Status > 499 {
			t.Errorf("PATCH /me role owner = %d %s, want a 4xx refusal", r.Status, r.Body)
		}
		if me := e.Must(http.StatusOK, "GET", "/api/v1/me", alice.Token, nil).Map(t); str(me, "role") != "agent" {
			t.Errorf("role after PATCH /me = %q, want agent", str(me, "role"))
		}
		e.Must(http.StatusOK, "PATCH", "/api/v1/me", alice.Token, map[string]any{"name": "Alice Agent", "status": "offline"})
	})
}

// addAgent adds an agent without signing it in (which would cost a
// password hash) and returns it with its id.
func addAgent(e *apitest.Env, token, name string) apitest.Person {
	e.T.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "-" + newClientID() + "@example.com"
	a := e.Must(http.StatusCreated, "POST", "/api/v1/agents", token, map[string]string{"email": email, "name": name, "password": "password123", "role": "agent"}).Map(e.T)
	return apitest.Person{ID: str(a, "id"), Email: email, Name: name, Role: "agent"}
}

func TestOnlineFlag(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	alice := e.NewAgent(acc, "agent", "Alice Agent")
	online := func() bool {
		var s struct {
			Online *bool `json:"online"`
		}
		e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey}).JSON(t, &s)
		if s.Online == nil {
			t.Fatalf("session has no online flag")
		}
		return *s.Online
	}
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"nobody online", func() {}, false},
		{"an agent goes online", func() {
			e.Must(http.StatusOK, "PATCH", "/api/v1/me", alice.Token, map[string]string{"status": "online"})
		}, true},
		{"the owner goes online too", func() {
			e.Must(http.StatusOK, "PATCH", "/api/v1/me", acc.OwnerToken, map[string]string{"status": "online"})
		}, true},
		{"the agent goes offline, the owner is still online", func() {
			e.Must(http.StatusOK, "PATCH", "/api/v1/me", alice.Token, map[string]string{"status": "offline"})
		}, true},
		{"the owner goes offline", func() {
			e.Must(http.StatusOK, "PATCH", "/api/v1/me", acc.OwnerToken, map[string]string{"status": "offline"})
		}, false},
		{"the agent is online again", func() {
			e.Must(http.StatusOK, "PATCH", "/api/v1/me", alice.Token, map[string]string{"status": "online"})
		}, true},
		{"the online agent is deactivated", func() {
			e.Must(http.StatusOK, "PATCH", "/api/v1/agents/"+alice.ID, acc.OwnerToken, map[string]any{"active": false})
		}, false},
	}
	for _, s := range steps {
		s.do()
		if got := online(); got != s.want {
			t.Errorf("after %s: online = %v, want %v", s.name, got, s.want)
		}
	}
	// Another account's agents do not count.
	other := e.NewAccount()
	e.Must(http.StatusOK, "PATCH", "/api/v1/me", other.OwnerToken, map[string]string{"status": "online"})
	if online() {
		t.Errorf("online = true when only another account's owner is online, want false")
	}
}
