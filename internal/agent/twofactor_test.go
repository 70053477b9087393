package agent_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apitest"
)

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func wantCode(t testing.TB, r apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

// enrol sets up two-factor sign-in for token's agent and returns the
// secret and the recovery codes.
func enrol(t *testing.T, e *apitest.Env, c *clock, token, password string) (string, []string) {
	t.Helper()
	en := e.Must(http.StatusOK, "POST", "/api/v1/me/two-factor", token, map[string]string{"current_password": password}).Map(t)
	secret := str(en, "secret")
	u, err := url.Parse(str(en, "otpauth_url"))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != secret || secret == "" {
		t.Fatalf("enrolment = %v, want a secret and its otpauth://totp/ URL", en)
	}
	var on struct {
		RecoveryCodes []string       `json:"recovery_codes"`
		Agent         map[string]any `json:"agent"`
	}
	e.Must(http.StatusOK, "POST", "/api/v1/me/two-factor/confirm", token, map[string]string{"code": agent.TOTP(secret, c.Now())}).JSON(t, &on)
	if len(on.RecoveryCodes) != 10 || on.Agent["two_factor"] != true {
		t.Fatalf("confirmation = %+v, want 10 recovery codes and two_factor on", on)
	}
	c.Advance(30 * time.Second) // the confirming code is used up
	return secret, on.RecoveryCodes
}

func TestTwoFactorSignIn(t *testing.T) {
	var c clock
	e := newEnv(t, apitest.Options{SignIn: agent.Options{Now: c.Now}})
	acc := e.NewAccount()
	p := e.NewAgent(acc, "agent", "Ann")
	const addr = "203.0.113.20"
	signIn := func(code string) apitest.Response {
		return from(t, e, addr, "POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password123", "code": code})
	}

	t.Run("set-up needs the current password and a right code", func(t *testing.T) {
		e := e.For(t)
		wantCode(t, e.Do("POST", "/api/v1/me/two-factor", p.Token, map[string]string{}), http.StatusUnprocessableEntity, "invalid")
		wantCode(t, e.Do("POST", "/api/v1/me/two-factor", p.Token, map[string]string{"current_password": "nope nope"}), http.StatusUnprocessableEntity, "invalid")
		e.Must(http.StatusOK, "POST", "/api/v1/me/two-factor", p.Token, map[string]string{"current_password": "password123"})
		wantCode(t, e.Do("POST", "/api/v1/me/two-factor/confirm", p.Token, map[string]string{"code": "000000"}), http.StatusUnprocessableEntity, "invalid")
		if me := e.Must(http.StatusOK, "GET", "/api/v1/me", p.Token, nil).Map(t); me["two_factor"] != false {
			t.Fatalf("me while set-up is pending = %v, want two_factor false", me)
		}
		e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password123"})
	})
	secret, recovery := enrol(t, e, &c, p.Token, "password123")
	if me := e.Must(http.StatusOK, "GET", "/api/v1/me", p.Token, nil).Map(t); me["two_factor"] != true {
		t.Fatalf("me after set-up = %v, want two_factor true", me)
	}

	t.Run("the right password without a code asks for it and is not a failure", func(t *testing.T) {
		for range 12 {
			wantCode(t, signIn(""), http.StatusUnauthorized, "two_factor_required")
		}
	})
	t.Run("a code from the app signs in, once", func(t *testing.T) {
		code := agent.TOTP(secret, c.Now())
		r := signIn(code)
		if r.Status != http.StatusOK || str(r.Map(t), "token") == "" {
			t.Fatalf("sign-in with the code = %d %s, want 200 with a token", r.Status, r.Body)
		}
		wantCode(t, signIn(code), http.StatusUnauthorized, "unauthorized")
		c.Advance(30 * time.Second)
	})
	t.Run("the code of the previous step still works", func(t *testing.T) {
		c.Advance(30 * time.Second) // the step before now was not used yet
		e := e.For(t)
		e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password123", "code": agent.TOTP(secret, c.Now().Add(-30*time.Second))})
		c.Advance(30 * time.Second)
	})
	t.Run("a wrong password with a right code is refused", func(t *testing.T) {
		wantCode(t, e.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password12", "code": agent.TOTP(secret, c.Now())}), http.StatusUnauthorized, "unauthorized")
		c.Advance(30 * time.Second)
	})
	t.Run("a recovery code signs in once", func(t *testing.T) {
		e := e.For(t)
		code := strings.ToUpper(recovery[3])
		e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password123", "code": code})
		wantCode(t, e.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password123", "code": code}), http.StatusUnauthorized, "unauthorized")
	})
	t.Run("wrong codes count as failures", func(t *testing.T) {
		const from2 = "203.0.113.21"
		limited := false
		for i := range 7 {
			r := from(t, e, from2, "POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password123", "code": "12345" + string(rune('0'+i))})
			if r.Status == http.StatusTooManyRequests {
				limited = true
				break
			}
			wantCode(t, r, http.StatusUnauthorized, "unauthorized")
		}
		if !limited {
			t.Fatal("7 wrong codes from one address were all answered 401, want 429")
		}
	})
	t.Run("turning it off needs the password and a code", func(t *testing.T) {
		e := e.For(t)
		c.Advance(time.Minute)
		wantCode(t, e.Do("DELETE", "/api/v1/me/two-factor", p.Token, map[string]string{"current_password": "password123", "code": "000000"}), http.StatusUnprocessableEntity, "invalid")
		// The email has had 10 failures by now: each address that failed
		// waits 30 s between attempts.
		c.Advance(31 * time.Second)
		wantCode(t, e.Do("DELETE", "/api/v1/me/two-factor", p.Token, map[string]string{"current_password": "wrong one", "code": agent.TOTP(secret, c.Now())}), http.StatusUnprocessableEntity, "invalid")
		c.Advance(31 * time.Second)
		a := e.Must(http.StatusOK, "DELETE", "/api/v1/me/two-factor", p.Token, map[string]string{"current_password": "password123", "code": agent.TOTP(secret, c.Now())}).Map(t)
		if a["two_factor"] != false {
			t.Fatalf("agent after turning it off = %v, want two_factor false", a)
		}
		e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": p.Email, "password": "password123"})
	})
	t.Run("the security log has both changes, and no failure for a missing code", func(t *testing.T) {
		var log struct{ Items []map[string]any }
		e.Must(http.StatusOK, "GET", "/api/v1/audit?actor_id="+p.ID+"&limit=200", acc.OwnerToken, nil).JSON(t, &log)
		n := map[string]int{}
		for _, it := range log.Items {
			n[str(it, "action")]++
		}
		if n["agent.two_factor_enabled"] != 1 || n["agent.two_factor_disabled"] != 1 {
			t.Errorf("security log actions = %v, want one agent.two_factor_enabled and one agent.two_factor_disabled", n)
		}
		var failed struct{ Items []map[string]any }
		e.Must(http.StatusOK, "GET", "/api/v1/audit?action=auth.login_failed&limit=200", acc.OwnerToken, nil).JSON(t, &failed)
		// Failures: the wrong codes and passwords above, never the 12
		// sign-ins that only lacked their code.
		if len(failed.Items) >= 12 {
			t.Errorf("%d failed sign-ins logged; sign-ins that only lack their code are no failure", len(failed.Items))
		}
	})
}

func TestOwnerRequiresTwoFactor(t *testing.T) {
	var c clock
	e := newEnv(t, apitest.Options{SignIn: agent.Options{Now: c.Now}, StreamRecheck: 50 * time.Millisecond})
	acc := e.NewAccount()
	admin := e.NewAgent(acc, "admin", "Adam")
	ann := e.NewAgent(acc, "agent", "Ann")
	on := map[string]bool{"require_two_factor": true}

	wantCode(t, e.Do("PATCH", "/api/v1/account", acc.OwnerToken, on), http.StatusUnprocessableEntity, "invalid")
	wantCode(t, e.Do("PATCH", "/api/v1/account", admin.Token, on), http.StatusForbidden, "forbidden")
	wantCode(t, e.Do("PATCH", "/api/v1/account", ann.Token, on), http.StatusForbidden, "forbidden")
	if a := e.Must(http.StatusOK, "GET", "/api/v1/account", acc.OwnerToken, nil).Map(t); a["require_two_factor"] != false {
		t.Fatalf("account = %v, want require_two_factor false", a)
	}
	enrol(t, e, &c, acc.OwnerToken, "password123")
	annStream := e.AgentStream(acc.ID, ann.Token)
	if a := e.Must(http.StatusOK, "PATCH", "/api/v1/account", acc.OwnerToken, on).Map(t); a["require_two_factor"] != true {
		t.Fatalf("account after PATCH = %v, want require_two_factor true", a)
	}
	// Open streams of agents without a second factor close.
	for {
		_, err := apitest.Read(annStream, 5*time.Second)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation {
			t.Fatalf("Ann's open stream ended with %v, want a policy-violation close", err)
		}
		break
	}

	// Ann has no second factor: she is signed in, but may only set it up.
	if me := e.Must(http.StatusOK, "GET", "/api/v1/me", ann.Token, nil).Map(t); me["two_factor_setup_required"] != true {
		t.Fatalf("Ann's me = %v, want two_factor_setup_required", me)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/auth/session", ann.Token, nil)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/conversations"},
		{"GET", "/api/v1/agents"},
		{"GET", "/api/v1/account"},
		{"PATCH", "/api/v1/me"},
	} {
		wantCode(t, e.Do(tc.method, tc.path, ann.Token, map[string]string{}), http.StatusForbidden, "two_factor_setup_required")
	}
	if _, res, err := e.Dial("/api/v1/stream?token="+ann.Token, nil); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("Ann's stream before set-up: %v, want 403", err)
	}
	// A new sign-in without the second factor works too (to set it up),
	// and says what is missing.
	var login struct {
		Token string         `json:"token"`
		Agent map[string]any `json:"agent"`
	}
	e.Must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.Email, "password": "password123"}).JSON(t, &login)
	if login.Agent["two_factor_setup_required"] != true {
		t.Errorf("sign-in answer = %v, want two_factor_setup_required", login.Agent)
	}
	fresh := login.Token
	wantCode(t, e.Do("GET", "/api/v1/conversations", fresh, nil), http.StatusForbidden, "two_factor_setup_required")

	enrol(t, e, &c, ann.Token, "password123")
	e.Must(http.StatusOK, "GET", "/api/v1/conversations", ann.Token, nil)
	e.Must(http.StatusOK, "GET", "/api/v1/conversations", fresh, nil)
	wantCode(t, e.Do("DELETE", "/api/v1/me/two-factor", ann.Token, map[string]string{"current_password": "password123", "code": "123456"}), http.StatusForbidden, "forbidden")

	// The owner lets go again.
	e.Must(http.StatusOK, "PATCH", "/api/v1/account", acc.OwnerToken, map[string]bool{"require_two_factor": false})
	e.Must(http.StatusOK, "GET", "/api/v1/agents", admin.Token, nil)
}
