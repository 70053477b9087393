package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

// rawDo sends body as is with the given Content-Type ("" sends none).
func rawDo(e *apitest.Env, method, path, token, ctype, body string) apitest.Response {
	e.T.Helper()
	return e.DoWith(method, path, token, http.Header{"Content-Type": {ctype}}, body)
}

// A JSON body is one JSON value and nothing after it but white space, sent
// as application/json: anything else is refused and changes nothing. A
// text/plain body is what a form on another site can send without a CORS
// preflight, so accepting it would let that site sign a browser in.
func TestJSONBodies(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	login := `{"email":"` + acc.OwnerEmail + `","password":"password123"}`

	t.Run("trailing data after the JSON value is refused", func(t *testing.T) {
		e := env.For(t)
		for _, body := range []string{login + "}", login + "]", login + " x", login + `{"a":1}`, login + " 1", login + ",", login + "\x00"} {
			if r := rawDo(e, "POST", "/api/v1/auth/login", "", "application/json", body); r.Status != http.StatusBadRequest || r.ErrorCode() != "bad_request" {
				t.Errorf("login with body %q = %d %s, want 400 bad_request", body, r.Status, r.Body)
			}
		}
	})
	t.Run("trailing white space is fine", func(t *testing.T) {
		e := env.For(t)
		if r := rawDo(e, "POST", "/api/v1/auth/login", "", "application/json", login+" \r\n\t"); r.Status != http.StatusOK {
			t.Errorf("login with trailing white space = %d %s, want 200", r.Status, r.Body)
		}
	})
	t.Run("JSON media types with parameters or a +json suffix are accepted", func(t *testing.T) {
		e := env.For(t)
		for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"} {
			if r := rawDo(e, "POST", "/api/v1/auth/login", "", ct, login); r.Status != http.StatusOK {
				t.Errorf("login as %q = %d %s, want 200", ct, r.Status, r.Body)
			}
		}
	})
	t.Run("a body that is not application/json is refused with 415", func(t *testing.T) {
		e := env.For(t)
		for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonx", "json"} {
			if r := rawDo(e, "POST", "/api/v1/auth/login", "", ct, login); r.Status != http.StatusUnsupportedMediaType || r.ErrorCode() != "unsupported_media_type" {
				t.Errorf("login as %q = %d %s, want 415 unsupported_media_type", ct, r.Status, r.Body)
			}
		}
	})
	t.Run("every kind of JSON endpoint refuses text/plain and stores nothing", func(t *testing.T) {
		e := env.For(t)
		v, conv := e.NewConversation(acc, "hello")
		key := newKey(e, acc)
		before := len(e.MessagesOf(acc.OwnerToken, conv))
		calls := []struct{ method, path, token, body string }{
			{"POST", "/widget/v1/messages", v.Token, `{"text":"plain","client_id":"p1"}`},
			{"POST", "/widget/v1/identify", v.Token, `{"name":"Plain"}`},
			{"POST", "/widget/v1/session", "", `{"widget_key":"` + acc.WidgetKey + `"}`},
			{"POST", "/api/v1/conversations/" + conv + "/messages", acc.OwnerToken, `{"text":"plain"}`},
			{"PATCH", "/api/v1/me", acc.OwnerToken, `{"name":"Plain"}`},
			{"PATCH", "/api/v1/contacts/" + v.ContactID, acc.OwnerToken, `{"name":"Plain"}`},
			{"PUT", "/api/v1/customers/u-1", key, `{"name":"Plain"}`},
		}
		for _, c := range calls {
			if r := rawDo(e, c.method, c.path, c.token, "text/plain", c.body); r.Status != http.StatusUnsupportedMediaType || r.ErrorCode() != "unsupported_media_type" {
				t.Errorf("%s %s as text/plain = %d %s, want 415 unsupported_media_type", c.method, c.path, r.Status, r.Body)
			}
		}
		if after := len(e.MessagesOf(acc.OwnerToken, conv)); after != before {
			t.Errorf("the conversation has %d messages after refused sends, want %d", after, before)
		}
		if me := e.Must(http.StatusOK, "GET", "/api/v1/me", acc.OwnerToken, nil).Map(t); str(me, "name") == "Plain" {
			t.Errorf("a text/plain PATCH /api/v1/me renamed the agent")
		}
	})
	t.Run("requests without a body need no Content-Type", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "resolve me")
		if r := rawDo(e, "POST", "/api/v1/conversations/"+conv+"/resolve", acc.OwnerToken, "", ""); r.Status != http.StatusOK {
			t.Errorf("resolve without a body = %d %s, want 200", r.Status, r.Body)
		}
	})
}
