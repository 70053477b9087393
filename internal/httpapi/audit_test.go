package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/audit"
)

// auditEvent is GET /api/v1/audit's item as the tests read it.
type auditEvent struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	CreatedAt time.Time `json:"created_at"`
	Actor     struct {
		Type, ID, Name, Email string
	} `json:"actor"`
	Action string `json:"action"`
	Target struct {
		Type, ID, Label string
	} `json:"target"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Details   map[string]any `json:"details"`
}

type auditPage struct {
	Items      []auditEvent `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

// auditLog returns every event of token's account, newest first.
func auditLog(t testing.TB, e *apitest.Env, token string) []auditEvent {
	t.Helper()
	var all []auditEvent
	cursor := ""
	for {
		var p auditPage
		e.Must(http.StatusOK, "GET", "/api/v1/audit?limit=200&cursor="+cursor, token, nil).JSON(t, &p)
		all = append(all, p.Items...)
		if p.NextCursor == nil || *p.NextCursor == "" {
			return all
		}
		cursor = *p.NextCursor
	}
}

// since returns the events of after that are not in before.
func since(before, after []auditEvent) []auditEvent {
	seen := map[string]bool{}
	for _, ev := range before {
		seen[ev.ID] = true
	}
	var out []auditEvent
	for _, ev := range after {
		if !seen[ev.ID] {
			out = append(out, ev)
		}
	}
	return out
}

// doAs sends a request with a User-Agent of its own.
func doAs(t testing.TB, e *apitest.Env, userAgent string, want int, method, path, token string, body any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.URL+path, rd)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, res.StatusCode, b, want)
	}
	return b
}

// Each security action adds exactly its one event to the account's log,
// naming who did it (as they were then), what to, from which address and
// browser, with its small details.
func TestAuditRecordsEachSecurityAction(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	owner := acc.Owner()
	type want struct {
		action      string
		actorType   string
		actorID     string
		targetType  string
		targetID    string
		targetLabel string
		details     map[string]any
	}
	agentLabel := func(p apitest.Person) string { return p.Name + " <" + p.Email + ">" }
	for _, tc := range []struct {
		name string
		// do acts with userAgent and returns what the log must show.
		do func(t *testing.T, userAgent string) want
	}{
		{"a sign-in", func(t *testing.T, ua string) want {
			doAs(t, e, ua, 200, "POST", "/api/v1/auth/login", "", map[string]string{"email": owner.Email, "password": "password123"})
			return want{audit.ActionLogin, "agent", owner.ID, "agent", owner.ID, owner.Name + " <" + owner.Email + ">", nil}
		}},
		{"a failed sign-in with an agent's email", func(t *testing.T, ua string) want {
			p := e.NewAgent(acc, "agent", "Fay Failed")
			doAs(t, e, ua, 401, "POST", "/api/v1/auth/login", "", map[string]string{"email": strings.ToUpper(p.Email), "password": "wrong-password"})
			return want{audit.ActionLoginFailed, "anonymous", "", "agent", p.ID, agentLabel(p), nil}
		}},
		{"a sign-out", func(t *testing.T, ua string) want {
			p := e.NewAgent(acc, "agent", "Sid Signout")
			doAs(t, e, ua, 204, "POST", "/api/v1/auth/logout", p.Token, nil)
			return want{audit.ActionLogout, "agent", p.ID, "agent", p.ID, agentLabel(p), nil}
		}},
		{"a password change", func(t *testing.T, ua string) want {
			p := e.NewAgent(acc, "agent", "Pat Password")
			doAs(t, e, ua, 200, "PATCH", "/api/v1/me", p.Token, map[string]string{"password": "new-password-1", "current_password": "password123"})
			return want{audit.ActionPasswordChanged, "agent", p.ID, "agent", p.ID, agentLabel(p), nil}
		}},
		{"a new agent", func(t *testing.T, ua string) want {
			var a struct{ ID string }
			b := doAs(t, e, ua, 201, "POST", "/api/v1/agents", owner.Token, map[string]string{"email": "new-agent@example.com", "name": "Nina New", "password": "password123", "role": "admin"})
			json.Unmarshal(b, &a)
			return want{audit.ActionAgentCreated, "agent", owner.ID, "agent", a.ID, "Nina New <new-agent@example.com>", map[string]any{"role": "admin"}}
		}},
		{"a role change", func(t *testing.T, ua string) want {
			p := e.NewAgent(acc, "agent", "Rae Role")
			doAs(t, e, ua, 200, "PATCH", "/api/v1/agents/"+p.ID, owner.Token, map[string]string{"role": "admin"})
			return want{audit.ActionRoleChanged, "agent", owner.ID, "agent", p.ID, agentLabel(p), map[string]any{"from": "agent", "to": "admin"}}
		}},
		{"a deactivation", func(t *testing.T, ua string) want {
			p := e.NewAgent(acc, "agent", "Dee Deactivated")
			doAs(t, e, ua, 200, "PATCH", "/api/v1/agents/"+p.ID, owner.Token, map[string]bool{"active": false})
			return want{audit.ActionAgentDeactivated, "agent", owner.ID, "agent", p.ID, agentLabel(p), nil}
		}},
		{"a reactivation", func(t *testing.T, ua string) want {
			p := e.NewAgent(acc, "agent", "Rey Reactivated")
			e.Must(200, "PATCH", "/api/v1/agents/"+p.ID, owner.Token, map[string]bool{"active": false})
			// Only the reactivation is this test's action.
			before := auditLog(t, e, owner.Token)
			doAs(t, e, ua, 200, "PATCH", "/api/v1/agents/"+p.ID, owner.Token, map[string]bool{"active": true})
			after := since(before, auditLog(t, e, owner.Token))
			if len(after) != 1 || after[0].Action != audit.ActionAgentReactivated {
				t.Fatalf("after the reactivation the log gained %+v, want one %s", after, audit.ActionAgentReactivated)
			}
			return want{audit.ActionAgentReactivated, "agent", owner.ID, "agent", p.ID, agentLabel(p), nil}
		}},
		{"a new API key", func(t *testing.T, ua string) want {
			var k struct{ ID, Prefix string }
			json.Unmarshal(doAs(t, e, ua, 201, "POST", "/api/v1/api-keys", owner.Token, map[string]string{"name": "Shop back end"}), &k)
			return want{audit.ActionAPIKeyCreated, "agent", owner.ID, "api_key", k.ID, "Shop back end", map[string]any{"prefix": k.Prefix}}
		}},
		{"a revoked API key", func(t *testing.T, ua string) want {
			var k struct{ ID string }
			e.Must(201, "POST", "/api/v1/api-keys", owner.Token, map[string]string{"name": "Old key"}).JSON(t, &k)
			before := auditLog(t, e, owner.Token)
			doAs(t, e, ua, 204, "DELETE", "/api/v1/api-keys/"+k.ID, owner.Token, nil)
			if n := len(since(before, auditLog(t, e, owner.Token))); n != 1 {
				t.Fatalf("the revocation added %d events, want 1", n)
			}
			return want{audit.ActionAPIKeyRevoked, "agent", owner.ID, "api_key", k.ID, "Old key", nil}
		}},
		{"identity verification turned on", func(t *testing.T, ua string) want {
			doAs(t, e, ua, 200, "PATCH", "/api/v1/identity", owner.Token, map[string]bool{"verify": true})
			return want{audit.ActionIdentityEnabled, "agent", owner.ID, "account", acc.ID, "", nil}
		}},
		{"identity verification turned off", func(t *testing.T, ua string) want {
			e.Must(200, "PATCH", "/api/v1/identity", owner.Token, map[string]bool{"verify": true})
			before := auditLog(t, e, owner.Token)
			doAs(t, e, ua, 200, "PATCH", "/api/v1/identity", owner.Token, map[string]bool{"verify": false})
			if n := len(since(before, auditLog(t, e, owner.Token))); n != 1 {
				t.Fatalf("turning verification off added %d events, want 1", n)
			}
			return want{audit.ActionIdentityDisabled, "agent", owner.ID, "account", acc.ID, "", nil}
		}},
		{"a rotated identity secret", func(t *testing.T, ua string) want {
			doAs(t, e, ua, 200, "POST", "/api/v1/identity/secret", owner.Token, nil)
			return want{audit.ActionIdentitySecretRotated, "agent", owner.ID, "account", acc.ID, "", nil}
		}},
		{"changed chat box settings", func(t *testing.T, ua string) want {
			doAs(t, e, ua, 200, "PATCH", "/api/v1/widget", owner.Token, map[string]any{"color": "#123456", "greeting": "Hi! Card 4111 1111 1111 1111?", "position": "right"})
			return want{audit.ActionWidgetChanged, "agent", owner.ID, "account", acc.ID, "", map[string]any{"changed": []any{"color", "greeting"}}}
		}},
		{"changed account settings", func(t *testing.T, ua string) want {
			doAs(t, e, ua, 200, "PATCH", "/api/v1/account", owner.Token, map[string]string{"name": "Renamed Shop"})
			return want{audit.ActionAccountChanged, "agent", owner.ID, "account", acc.ID, "Renamed Shop", map[string]any{"changed": []any{"name"}}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ua := "AuditTest/1.0 (" + tc.name + ")"
			before := auditLog(t, e, owner.Token)
			w := tc.do(t, ua)
			var got []auditEvent
			// A failed sign-in is recorded just after its answer is sent.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				got = nil
				for _, ev := range since(before, auditLog(t, e, owner.Token)) {
					if ev.UserAgent == ua {
						got = append(got, ev)
					}
				}
				if len(got) > 0 || time.Now().After(deadline) {
					break
				}
			}
			if len(got) != 1 {
				t.Fatalf("the request added %d events %+v, want exactly one %s", len(got), got, w.action)
			}
			ev := got[0]
			if ev.Action != w.action || ev.AccountID != acc.ID {
				t.Errorf("event %s in account %s, want %s in %s", ev.Action, ev.AccountID, w.action, acc.ID)
			}
			if ev.Actor.Type != w.actorType || ev.Actor.ID != w.actorID {
				t.Errorf("actor = %+v, want %s %q", ev.Actor, w.actorType, w.actorID)
			}
			if w.actorType == "agent" && w.actorID == owner.ID && (ev.Actor.Name != owner.Name || ev.Actor.Email != owner.Email) {
				t.Errorf("actor = %+v, want the owner's name and email", ev.Actor)
			}
			if ev.Target.Type != w.targetType || ev.Target.ID != w.targetID {
				t.Errorf("target = %+v, want %s %s", ev.Target, w.targetType, w.targetID)
			}
			if w.targetLabel != "" && ev.Target.Label != w.targetLabel {
				t.Errorf("target label = %q, want %q", ev.Target.Label, w.targetLabel)
			}
			if ev.IP != "127.0.0.1" {
				t.Errorf("ip = %q, want 127.0.0.1", ev.IP)
			}
			if d := time.Since(ev.CreatedAt); d < 0 || d > time.Minute {
				t.Errorf("created_at = %v, want about now", ev.CreatedAt)
			}
			wantDetails := w.details
			if wantDetails == nil {
				wantDetails = map[string]any{}
			}
			if fmt.Sprint(ev.Details) != fmt.Sprint(wantDetails) {
				t.Errorf("details = %v, want %v", ev.Details, wantDetails)
			}
		})
	}

	t.Run("nothing is recorded when nothing changes", func(t *testing.T) {
		p := e.NewAgent(acc, "agent", "Stan Same")
		before := auditLog(t, e, owner.Token)
		e.Must(200, "PATCH", "/api/v1/agents/"+p.ID, owner.Token, map[string]any{"role": "agent", "active": true})
		e.Must(200, "PATCH", "/api/v1/identity", owner.Token, map[string]bool{"verify": false})
		e.Must(200, "PATCH", "/api/v1/me", p.Token, map[string]string{"name": "Stan Renamed"})
		if got := since(before, auditLog(t, e, owner.Token)); len(got) != 0 {
			t.Fatalf("changes of nothing security-related added %+v, want none", got)
		}
	})

	t.Run("refused changes are not recorded", func(t *testing.T) {
		p := e.NewAgent(acc, "agent", "Una Refused")
		before := auditLog(t, e, owner.Token)
		e.Must(403, "PATCH", "/api/v1/agents/"+owner.ID, p.Token, map[string]string{"role": "agent"})
		e.Must(403, "POST", "/api/v1/api-keys", p.Token, map[string]string{"name": "k"})
		e.Must(422, "PATCH", "/api/v1/me", p.Token, map[string]string{"password": "new-password-1", "current_password": "wrong-one"})
		e.Must(404, "DELETE", "/api/v1/api-keys/no-such-key", owner.Token, nil)
		if got := since(before, auditLog(t, e, owner.Token)); len(got) != 0 {
			t.Fatalf("refused requests added %+v, want none", got)
		}
	})

	t.Run("no secret reaches the log", func(t *testing.T) {
		var k struct{ Key string }
		e.Must(201, "POST", "/api/v1/api-keys", owner.Token, map[string]string{"name": "Secret check"}).JSON(t, &k)
		var idn struct{ Secret string }
		e.Must(200, "POST", "/api/v1/identity/secret", owner.Token, nil).JSON(t, &idn)
		body := string(e.Must(200, "GET", "/api/v1/audit?limit=200", owner.Token, nil).Body)
		for _, secret := range []string{k.Key, idn.Secret, owner.Token, "password123", "new-password-1", "4111 1111 1111 1111"} {
			if secret != "" && strings.Contains(body, secret) {
				t.Errorf("the security log holds %q", secret)
			}
		}
	})
}

// A failed sign-in with an email nobody has is in no account's log.
func TestAuditKeepsUnknownEmailsOutOfEveryAccount(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	before := auditLog(t, e, acc.OwnerToken)
	e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody-" + acc.OwnerEmail, "password": "password123"})
	// Another failed sign-in that is recorded, to know the first one
	// has had its chance to land.
	e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"email": acc.OwnerEmail, "password": "wrong-password"})
	var got []auditEvent
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = since(before, auditLog(t, e, acc.OwnerToken))
	}
	if len(got) != 1 || got[0].Target.ID != acc.OwnerID {
		t.Fatalf("after a failed sign-in of an unknown email and one of the owner's, the log gained %+v, want only the owner's", got)
	}
}

// The log is the owner's: admins and agents are refused, and an owner sees
// only their own account's events.
func TestAuditIsTheOwnersOnly(t *testing.T) {
	e := apitest.New(t)
	a, b := e.NewAccount(), e.NewAccount()
	admin := e.NewAgent(a, "admin", "Ada Admin")
	ag := e.NewAgent(a, "agent", "Al Agent")
	wantError(t, e.Do("GET", "/api/v1/audit", admin.Token, nil), http.StatusForbidden, "forbidden")
	wantError(t, e.Do("GET", "/api/v1/audit", ag.Token, nil), http.StatusForbidden, "forbidden")
	wantError(t, e.Do("GET", "/api/v1/audit", "", nil), http.StatusUnauthorized, "unauthorized")

	// Things happen in A, some done by B's owner's email failing in A's
	// name... none may show in B.
	e.Must(201, "POST", "/api/v1/api-keys", a.OwnerToken, map[string]string{"name": "A's key"})
	e.Must(200, "PATCH", "/api/v1/agents/"+ag.ID, a.OwnerToken, map[string]string{"role": "admin"})
	e.Must(401, "POST", "/api/v1/auth/login", "", map[string]string{"email": admin.Email, "password": "wrong-password"})
	aIDs := map[string]bool{a.ID: true, a.OwnerID: true, admin.ID: true, ag.ID: true}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		found := false
		for _, ev := range auditLog(t, e, a.OwnerToken) {
			found = found || ev.Action == audit.ActionLoginFailed
		}
		if found || time.Now().After(deadline) {
			break
		}
	}
	bLog := auditLog(t, e, b.OwnerToken)
	if len(bLog) == 0 {
		t.Fatal("B's log is empty, want at least its owner's sign-in")
	}
	for _, ev := range bLog {
		if ev.AccountID != b.ID || aIDs[ev.Actor.ID] || aIDs[ev.Target.ID] {
			t.Errorf("B's owner sees %+v, an event of account A", ev)
		}
	}
	var n int
	for _, ev := range auditLog(t, e, a.OwnerToken) {
		if ev.AccountID != a.ID {
			t.Errorf("A's owner sees %+v of another account", ev)
		}
		n++
	}
	if n < 4 {
		t.Errorf("A's log has %d events, want at least 4", n)
	}
}

// The log pages newest first with cursors, filters by action and actor,
// clamps the limit and refuses a bad cursor.
func TestAuditPages(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	admin := e.NewAgent(acc, "admin", "Ada Admin")
	for i := range 7 {
		e.Must(201, "POST", "/api/v1/api-keys", acc.OwnerToken, map[string]string{"name": fmt.Sprintf("key %d", i)})
	}
	for i := range 3 {
		e.Must(201, "POST", "/api/v1/api-keys", admin.Token, map[string]string{"name": fmt.Sprintf("admin key %d", i)})
	}
	all := auditLog(t, e, acc.OwnerToken)

	t.Run("pages walk the whole log once, newest first", func(t *testing.T) {
		var got []auditEvent
		cursor, pages := "", 0
		for {
			var p auditPage
			e.Must(200, "GET", "/api/v1/audit?limit=3&cursor="+cursor, acc.OwnerToken, nil).JSON(t, &p)
			if len(p.Items) > 3 {
				t.Fatalf("a page of limit 3 has %d items", len(p.Items))
			}
			got = append(got, p.Items...)
			pages++
			if p.NextCursor == nil {
				t.Fatal("next_cursor is missing, want it present (empty on the last page)")
			}
			if *p.NextCursor == "" {
				break
			}
			cursor = *p.NextCursor
		}
		if len(got) != len(all) || pages != (len(all)+2)/3 {
			t.Fatalf("walked %d events in %d pages, want %d in %d", len(got), pages, len(all), (len(all)+2)/3)
		}
		seen := map[string]bool{}
		for i, ev := range got {
			if seen[ev.ID] {
				t.Errorf("event %s listed twice", ev.ID)
			}
			seen[ev.ID] = true
			if i > 0 && (ev.CreatedAt.After(got[i-1].CreatedAt) || (ev.CreatedAt.Equal(got[i-1].CreatedAt) && ev.ID > got[i-1].ID)) {
				t.Errorf("event %d (%v %s) is newer than the one before it", i, ev.CreatedAt, ev.ID)
			}
		}
		if got[0].Action != audit.ActionAPIKeyCreated || got[0].Target.Label != "admin key 2" {
			t.Errorf("newest event = %s %q, want the last key made", got[0].Action, got[0].Target.Label)
		}
	})

	t.Run("filters by action", func(t *testing.T) {
		var p auditPage
		e.Must(200, "GET", "/api/v1/audit?action=api_key.created", acc.OwnerToken, nil).JSON(t, &p)
		if len(p.Items) != 10 {
			t.Fatalf("action=api_key.created gave %d events, want 10", len(p.Items))
		}
		for _, ev := range p.Items {
			if ev.Action != audit.ActionAPIKeyCreated {
				t.Errorf("action filter let %s through", ev.Action)
			}
		}
	})

	t.Run("filters by actor", func(t *testing.T) {
		var p auditPage
		e.Must(200, "GET", "/api/v1/audit?action=api_key.created&actor_id="+admin.ID, acc.OwnerToken, nil).JSON(t, &p)
		if len(p.Items) != 3 {
			t.Fatalf("actor_id=admin gave %d key events, want 3", len(p.Items))
		}
		for _, ev := range p.Items {
			if ev.Actor.ID != admin.ID {
				t.Errorf("actor filter let %+v through", ev.Actor)
			}
		}
	})

	t.Run("limit defaults to 50 and is clamped to 200", func(t *testing.T) {
		for range 200 {
			if err := e.Server.Audit.Record(context.Background(), audit.Entry{AccountID: acc.ID, Actor: audit.Actor{Type: audit.ActorSystem}, Action: "test.filler"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			query string
			want  int
		}{{"", 50}, {"?limit=0", 50}, {"?limit=7", 7}, {"?limit=500", 200}} {
			var p auditPage
			e.Must(200, "GET", "/api/v1/audit"+tc.query, acc.OwnerToken, nil).JSON(t, &p)
			if len(p.Items) != tc.want || p.NextCursor == nil || *p.NextCursor == "" {
				t.Errorf("GET /api/v1/audit%s gave %d items, want %d and a next_cursor", tc.query, len(p.Items), tc.want)
			}
		}
	})

	t.Run("bad paging is refused", func(t *testing.T) {
		wantError(t, e.Do("GET", "/api/v1/audit?cursor=not-a-cursor", acc.OwnerToken, nil), 400, "bad_request")
		wantError(t, e.Do("GET", "/api/v1/audit?limit=-1", acc.OwnerToken, nil), 400, "bad_request")
		wantError(t, e.Do("GET", "/api/v1/audit?limit=ten", acc.OwnerToken, nil), 400, "bad_request")
	})

	t.Run("an unknown filter value finds nothing", func(t *testing.T) {
		var p auditPage
		e.Must(200, "GET", "/api/v1/audit?actor_id=nobody", acc.OwnerToken, nil).JSON(t, &p)
		if len(p.Items) != 0 || p.NextCursor == nil || *p.NextCursor != "" {
			t.Fatalf("actor_id=nobody gave %+v, want an empty last page", p)
		}
	})
}

// PATCH /api/v1/account renames the account for admins and the owner.
func TestAccountRename(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	admin := e.NewAgent(acc, "admin", "Ada Admin")
	ag := e.NewAgent(acc, "agent", "Al Agent")
	got := e.Must(200, "PATCH", "/api/v1/account", admin.Token, map[string]string{"name": "  New Name 4111111111111111 "}).Map(t)
	if str(got, "name") != "New Name ************1111" || str(got, "id") != acc.ID {
		t.Fatalf("renamed account = %v, want the trimmed, masked name", got)
	}
	var s struct {
		AccountName string `json:"account_name"`
	}
	e.Must(200, "POST", "/widget/v1/session", "", map[string]string{"widget_key": acc.WidgetKey}).JSON(t, &s)
	if s.AccountName != "New Name ************1111" {
		t.Errorf("the chat box says account_name %q, want the new name", s.AccountName)
	}
	wantError(t, e.Do("PATCH", "/api/v1/account", ag.Token, map[string]string{"name": "Agent's name"}), 403, "forbidden")
	wantError(t, e.Do("PATCH", "/api/v1/account", admin.Token, map[string]string{"name": ""}), 422, "invalid")
	wantError(t, e.Do("PATCH", "/api/v1/account", admin.Token, map[string]string{"name": strings.Repeat("n", 101)}), 422, "invalid")
	wantError(t, e.Do("PATCH", "/api/v1/account", admin.Token, map[string]any{}), 422, "invalid")
	if name := str(e.Must(200, "GET", "/api/v1/account", admin.Token, nil).Map(t), "name"); name != "New Name ************1111" {
		t.Errorf("after refused renames the name is %q, want it unchanged", name)
	}
}

// The first owner's sign-in at setup is in the new account's log.
func TestAuditRecordsTheSetupSignIn(t *testing.T) {
	e := apitest.New(t)
	_, token, err := e.Server.Accounts.FirstStart(context.Background(), "Corner Shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Token string
		Agent struct{ ID string }
	}
	json.Unmarshal(doAs(t, e, "SetupBrowser/1", 201, "POST", "/api/v1/setup", "", map[string]string{
		"token": token, "account_name": "Corner Shop", "email": "ann@example.com", "password": "secret123", "name": "Ann"}), &out)
	log := auditLog(t, e, out.Token)
	if len(log) != 1 || log[0].Action != audit.ActionLogin || log[0].Actor.ID != out.Agent.ID || log[0].UserAgent != "SetupBrowser/1" {
		t.Fatalf("after setup the log is %+v, want the owner's one sign-in", log)
	}
}
