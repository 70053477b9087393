package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

// endpoint is one route of the agent API with a harmless body.
type endpoint struct {
	method, path string
	body         any
}

// agentEndpoints lists every authenticated /api/v1 route, with the ids of
// a conversation, a contact and an agent.
func agentEndpoints(conv, contact, agentID string) []endpoint {
	return []endpoint{
		{"POST", "/api/v1/auth/logout", nil},
		{"GET", "/api/v1/me", nil},
		{"PATCH", "/api/v1/me", map[string]string{"name": "X"}},
		{"GET", "/api/v1/account", nil},
		{"GET", "/api/v1/agents", nil},
		{"POST", "/api/v1/agents", map[string]string{"email": "new@example.com", "name": "New", "password": "password123", "role": "agent"}},
		{"GET", "/api/v1/agents/" + agentID, nil},
		{"PATCH", "/api/v1/agents/" + agentID, map[string]string{"name": "X"}},
		{"GET", "/api/v1/conversations", nil},
		{"GET", "/api/v1/conversations/counts", nil},
		{"GET", "/api/v1/conversations/" + conv, nil},
		{"GET", "/api/v1/conversations/" + conv + "/messages", nil},
		{"POST", "/api/v1/conversations/" + conv + "/messages", map[string]string{"text": "hi"}},
		{"POST", "/api/v1/conversations/" + conv + "/assign", map[string]any{"agent_id": nil}},
		{"POST", "/api/v1/conversations/" + conv + "/resolve", nil},
		{"POST", "/api/v1/conversations/" + conv + "/reopen", nil},
		{"GET", "/api/v1/contacts/" + contact, nil},
		{"PATCH", "/api/v1/contacts/" + contact, map[string]string{"name": "X"}},
	}
}

func TestUnauthorized(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	v, conv := env.NewConversation(acc, "hello")
	gone := env.NewAgent(acc, "agent", "Gone Agent")
	env.Must(http.StatusOK, "PATCH", "/api/v1/agents/"+gone.ID, acc.OwnerToken, map[string]any{"active": false})
	loggedOut := env.Login(acc.OwnerEmail, "password123")
	env.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", loggedOut, nil)

	credentials := []struct {
		name   string
		header string
	}{
		{"without a token", ""},
		{"with a made-up token", "Bearer not-a-real-token"},
		{"with an empty bearer token", "Bearer "},
		{"with basic authentication", "Basic " + "b3duZXI6cGFzc3dvcmQxMjM="},
		{"with a token after logout", "Bearer " + loggedOut},
		{"with the token of a deactivated agent", "Bearer " + gone.Token},
	}
	for _, c := range credentials {
		for _, ep := range agentEndpoints(conv, v.ContactID, acc.OwnerID) {
			t.Run(fmt.Sprintf("%s %s %s is unauthorized", ep.method, ep.path, c.name), func(t *testing.T) {
				e := env.For(t)
				r := doWithHeader(e, ep.method, ep.path, c.header, ep.body)
				wantError(t, r, http.StatusUnauthorized, "unauthorized")
			})
		}
		t.Run("the agent stream "+c.name+" is unauthorized", func(t *testing.T) {
			h := http.Header{}
			if c.header != "" {
				h.Set("Authorization", c.header)
			}
			ws, res, err := env.For(t).Dial("/api/v1/stream", h)
			if err == nil {
				ws.CloseNow()
				t.Fatalf("agent stream opened, want 401")
			}
			if res == nil || res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("agent stream dial = %v %v, want 401", res, err)
			}
		})
	}
	t.Run("the owner's other token still works after a logout", func(t *testing.T) {
		env.For(t).Must(http.StatusOK, "GET", "/api/v1/me", acc.OwnerToken, nil)
	})
	t.Run("a deactivated agent cannot sign in", func(t *testing.T) {
		wantError(t, env.For(t).Do("POST", "/api/v1/auth/login", "", map[string]string{"email": gone.Email, "password": "password123"}), http.StatusUnauthorized, "unauthorized")
	})
}

// doWithHeader sends a request with a raw Authorization header ("" for
// none).
func doWithHeader(e *apitest.Env, method, path, auth string, body any) apitest.Response {
	e.T.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.T.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatalf("new request: %v", err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatalf("read %s %s: %v", method, path, err)
	}
	return apitest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func TestNotFound(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	for _, id := range []string{"0190a0a0-0000-7000-8000-000000000000", "nope"} {
		for _, ep := range agentEndpoints(id, id, id) {
			if !strings.Contains(ep.path, id) {
				continue
			}
			t.Run(fmt.Sprintf("%s %s is not found", ep.method, ep.path), func(t *testing.T) {
				wantError(t, env.For(t).Do(ep.method, ep.path, acc.OwnerToken, ep.body), http.StatusNotFound, "not_found")
			})
		}
	}
	t.Run("an unknown route under /api is a JSON not found", func(t *testing.T) {
		wantError(t, env.For(t).Do("GET", "/api/v1/nothing-here", acc.OwnerToken, nil), http.StatusNotFound, "not_found")
	})
	t.Run("assigning an unknown agent is not found", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "hi")
		wantError(t, e.Do("POST", "/api/v1/conversations/"+conv+"/assign", acc.OwnerToken, map[string]any{"agent_id": "nope"}), http.StatusNotFound, "not_found")
	})
}

func TestTextLength(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()

	texts := []struct {
		name string
		text string
		ok   bool
	}{
		{"10,000 ASCII letters", strings.Repeat("a", 10000), true},
		{"10,001 ASCII letters", strings.Repeat("a", 10001), false},
		{"10,000 emoji", strings.Repeat("😀", 10000), true},
		{"10,001 emoji", strings.Repeat("😀", 10001), false},
		{"10,000 two-byte letters", strings.Repeat("é", 10000), true},
		{"10,001 two-byte letters", strings.Repeat("é", 10001), false},
		{"5,000 letters with combining accents (10,000 code points)", strings.Repeat("e\u0301", 5000), true},
		{"5,000 letters with combining accents and one more (10,001 code points)", strings.Repeat("e\u0301", 5000) + "x", false},
	}
	senders := []struct {
		name string
		send func(e *apitest.Env, v apitest.Visitor, conv, text string) apitest.Response
	}{
		{"an agent's message", func(e *apitest.Env, _ apitest.Visitor, conv, text string) apitest.Response {
			return e.Do("POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": text})
		}},
		{"an agent's note", func(e *apitest.Env, _ apitest.Visitor, conv, text string) apitest.Response {
			return e.Do("POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": text, "kind": "note"})
		}},
		{"a visitor's message over HTTP", func(e *apitest.Env, v apitest.Visitor, _, text string) apitest.Response {
			return e.Do("POST", "/widget/v1/messages", v.Token, map[string]string{"text": text, "client_id": newClientID()})
		}},
	}
	for _, s := range senders {
		for _, tx := range texts {
			verdict := "is accepted"
			if !tx.ok {
				verdict = "is too large"
			}
			t.Run(fmt.Sprintf("%s of %s %s", s.name, tx.name, verdict), func(t *testing.T) {
				e := env.For(t)
				v, conv := e.NewConversation(acc, "hello")
				msgs := e.MessagesOf(owner.Token, conv)
				r := s.send(e, v, conv, tx.text)
				if !tx.ok {
					wantError(t, r, http.StatusRequestEntityTooLarge, "too_large")
					if added := newMessages(msgs, e.MessagesOf(owner.Token, conv)); len(added) != 0 {
						t.Errorf("refused text stored %d messages, want none", len(added))
					}
					return
				}
				if r.Status != http.StatusCreated {
					t.Fatalf("send = %d %.200s, want 201", r.Status, r.Body)
				}
				if got := str(r.Map(t), "text"); got != tx.text {
					t.Errorf("stored text has %d bytes, want the %d sent", len(got), len(tx.text))
				}
			})
		}
	}
	for _, tx := range texts {
		verdict := "is acknowledged"
		if !tx.ok {
			verdict = "gets a too_large error frame"
		}
		t.Run(fmt.Sprintf("a visitor's message over the socket of %s %s", tx.name, verdict), func(t *testing.T) {
			e := env.For(t)
			v, conv := e.NewConversation(acc, "hello")
			msgs := e.MessagesOf(owner.Token, conv)
			vws := e.VisitorStream(acc.ID, v)
			cid := newClientID()
			f := writeAndAck(t, vws, cid, tx.text)
			if !tx.ok {
				if f.Type != "error" || f.Error == nil || f.Error.Code != "too_large" || f.ClientID != cid {
					t.Fatalf("answer = %s client_id %q error %+v, want error too_large for %s", f.Type, f.ClientID, f.Error, cid)
				}
				if added := newMessages(msgs, e.MessagesOf(owner.Token, conv)); len(added) != 0 {
					t.Errorf("refused text stored %d messages, want none", len(added))
				}
				return
			}
			if f.Type != "ack" || str(f.Object(t), "text") != tx.text {
				t.Fatalf("answer = %s %+v, want an ack with the text", f.Type, f.Error)
			}
		})
	}
}

func TestBadBodies(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	v, conv := env.NewConversation(acc, "hello")
	huge := `{"text": "` + strings.Repeat("a", 300<<10) + `"}`
	targets := []struct {
		method, path, token string
	}{
		{"POST", "/api/v1/auth/login", ""},
		{"POST", "/api/v1/conversations/" + conv + "/messages", acc.OwnerToken},
		{"POST", "/api/v1/conversations/" + conv + "/assign", acc.OwnerToken},
		{"PATCH", "/api/v1/contacts/" + v.ContactID, acc.OwnerToken},
		{"PATCH", "/api/v1/me", acc.OwnerToken},
		{"POST", "/api/v1/agents", acc.OwnerToken},
		{"POST", "/widget/v1/session", ""},
		{"POST", "/widget/v1/messages", v.Token},
		{"POST", "/widget/v1/identify", v.Token},
	}
	for _, tg := range targets {
		t.Run(fmt.Sprintf("a body over 256 KiB to %s %s is too large", tg.method, tg.path), func(t *testing.T) {
			wantError(t, env.For(t).Do(tg.method, tg.path, tg.token, huge), http.StatusRequestEntityTooLarge, "too_large")
		})
		for _, bad := range []string{`{"text": `, `not json`, `{"text": "a"} {"text": "b"}`} {
			t.Run(fmt.Sprintf("the body %q to %s %s is a bad request", bad, tg.method, tg.path), func(t *testing.T) {
				wantError(t, env.For(t).Do(tg.method, tg.path, tg.token, bad), http.StatusBadRequest, "bad_request")
			})
		}
	}
	t.Run("nothing was stored by the refused bodies", func(t *testing.T) {
		if n := len(env.For(t).MessagesOf(acc.OwnerToken, conv)); n != 1 {
			t.Errorf("conversation has %d messages, want 1", n)
		}
	})
}

func TestContactValidation(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	v := env.NewVisitor(acc)
	path := "/api/v1/contacts/" + v.ContactID
	start := map[string]string{"name": "Ann Smith", "email": "ann@example.com", "phone": "+420777123456", "note": "VIP"}

	invalid := []struct {
		name  string
		patch map[string]string
	}{
		{"an email with a display name", map[string]string{"email": "Ann <a@b.com>"}},
		{"an email without an @", map[string]string{"email": "not-an-email"}},
		{"an email without a local part", map[string]string{"email": "@example.com"}},
		{"an email with two @", map[string]string{"email": "ann@@example.com"}},
		{"a phone with 5 digits", map[string]string{"phone": "12345"}},
		{"a phone with 16 digits", map[string]string{"phone": "1234567890123456"}},
		{"a phone with letters", map[string]string{"phone": "+1 555 CALL NOW"}},
		{"a phone with letters among digits", map[string]string{"phone": "777a123456"}},
		{"a phone with a + inside", map[string]string{"phone": "777+123456"}},
		{"a phone of only a +", map[string]string{"phone": "+"}},
		{"a good name with a bad email", map[string]string{"name": "Changed", "email": "nope"}},
		{"a good email with a bad phone", map[string]string{"email": "new@example.com", "phone": "12"}},
	}
	valid := []struct {
		name  string
		patch map[string]string
		// stored is what is kept where it differs from the patch.
		stored map[string]string
	}{
		{"a plain email", map[string]string{"email": "bob@example.org"}, nil},
		{"a phone with a + and spaces, kept in E.164", map[string]string{"phone": "+44 20 7946 0958"}, map[string]string{"phone": "+442079460958"}},
		{"a US phone with parentheses, kept in E.164", map[string]string{"phone": "+1 (415) 555-2671"}, map[string]string{"phone": "+14155552671"}},
		{"a phone with parentheses and dashes", map[string]string{"phone": "(555) 123-4567"}, nil},
		{"a phone of 6 digits", map[string]string{"phone": "123456"}, nil},
		{"a phone of 15 digits that no country plan knows, kept as typed", map[string]string{"phone": "+123456789012345"}, nil},
		{"an empty email, which clears it", map[string]string{"email": ""}, nil},
		{"an empty phone, which clears it", map[string]string{"phone": ""}, nil},
		{"an empty name and note, which clear them", map[string]string{"name": "", "note": ""}, nil},
	}

	for _, tc := range invalid {
		t.Run(fmt.Sprintf("an agent's patch with %s is invalid and changes nothing", tc.name), func(t *testing.T) {
			e := env.For(t)
			e.Must(http.StatusOK, "PATCH", path, owner.Token, start)
			wantError(t, e.Do("PATCH", path, owner.Token, tc.patch), http.StatusUnprocessableEntity, "invalid")
			got := e.Must(http.StatusOK, "GET", path, owner.Token, nil).Map(t)
			for k, want := range start {
				if str(got, k) != want {
					t.Errorf("%s after the refusal = %q, want %q", k, str(got, k), want)
				}
			}
		})
		t.Run(fmt.Sprintf("a visitor identifying with %s is invalid and changes nothing", tc.name), func(t *testing.T) {
			e := env.For(t)
			e.Must(http.StatusOK, "PATCH", path, owner.Token, start)
			wantError(t, e.Do("POST", "/widget/v1/identify", v.Token, tc.patch), http.StatusUnprocessableEntity, "invalid")
			got := e.Must(http.StatusOK, "GET", path, owner.Token, nil).Map(t)
			for k, want := range start {
				if str(got, k) != want {
					t.Errorf("%s after the refusal = %q, want %q", k, str(got, k), want)
				}
			}
		})
	}
	for _, tc := range valid {
		t.Run(fmt.Sprintf("an agent's patch with %s is stored", tc.name), func(t *testing.T) {
			e := env.For(t)
			e.Must(http.StatusOK, "PATCH", path, owner.Token, start)
			answer := e.Must(http.StatusOK, "PATCH", path, owner.Token, tc.patch).Map(t)
			got := e.Must(http.StatusOK, "GET", path, owner.Token, nil).Map(t)
			for k, want := range start {
				if p, ok := tc.patch[k]; ok {
					want = p
				}
				if p, ok := tc.stored[k]; ok {
					want = p
				}
				if str(answer, k) != want || str(got, k) != want {
					t.Errorf("%s = %q in the answer and %q after, want %q", k, str(answer, k), str(got, k), want)
				}
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	wrong := map[string]string{"email": acc.OwnerEmail, "password": "wrong password"}
	for i := 1; i <= 5; i++ {
		wantError(t, e.Do("POST", "/api/v1/auth/login", "", wrong), http.StatusUnauthorized, "unauthorized")
	}
	for i := 6; ; i++ {
		r := e.Do("POST", "/api/v1/auth/login", "", wrong)
		if r.Status == http.StatusUnauthorized {
			if i > 100 {
				t.Fatalf("%d failed logins in a row were all answered 401, want 429 at some point", i)
			}
			continue
		}
		wantError(t, r, http.StatusTooManyRequests, "rate_limited")
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("Retry-After = %q, want a positive number of seconds", r.Header.Get("Retry-After"))
		}
		break
	}
}

func TestVisitorRateLimit(t *testing.T) {
	env := apitest.New(t) // the default limits: 60 a minute, bursts of 30
	acc := env.NewAccount()
	owner := acc.Owner()

	t.Run("over HTTP a burst of 30 is accepted and then sends are limited", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		var conv string
		for i := range 30 {
			conv = str(e.VisitorSays(v, fmt.Sprintf("message %d", i)), "conversation_id")
		}
		stored := len(e.MessagesOf(owner.Token, conv))
		for i := 0; ; i++ {
			r := e.Do("POST", "/widget/v1/messages", v.Token, map[string]string{"text": "more", "client_id": newClientID()})
			if r.Status == http.StatusCreated {
				stored++
				if i > 200 {
					t.Fatalf("%d sends past the burst were all accepted, want 429 at some point", i)
				}
				continue
			}
			wantError(t, r, http.StatusTooManyRequests, "rate_limited")
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("Retry-After = %q, want a positive number of seconds", r.Header.Get("Retry-After"))
			}
			break
		}
		if n := len(e.MessagesOf(owner.Token, conv)); n != stored {
			t.Errorf("conversation holds %d messages, want the %d accepted", n, stored)
		}
		// The limit is the visitor's own.
		e.VisitorSays(e.NewVisitor(acc), "another visitor is not limited")
	})

	t.Run("over the socket a burst of 30 is accepted and then sends get a rate_limited error frame", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		vws := e.VisitorStream(acc.ID, v)
		for i := range 30 {
			sendWS(t, vws, newClientID(), fmt.Sprintf("message %d", i))
		}
		for i := 0; ; i++ {
			cid := newClientID()
			f := writeAndAck(t, vws, cid, "more")
			if f.Type == "ack" {
				if i > 200 {
					t.Fatalf("%d sends past the burst were all acknowledged, want a rate_limited error", i)
				}
				continue
			}
			if f.Error == nil || f.Error.Code != "rate_limited" || f.ClientID != cid {
				t.Fatalf("answer = %s client_id %q error %+v, want error rate_limited for %s", f.Type, f.ClientID, f.Error, cid)
			}
			break
		}
	})
}
