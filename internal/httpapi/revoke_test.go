package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
)

// An open agent stream ends once its token stops working: after logout and
// after the agent is deactivated.
func TestAgentStreamEndsWhenSignedOut(t *testing.T) {
	e := apitest.New(t, apitest.Options{StreamRecheck: 50 * time.Millisecond})
	acc := e.NewAccount()
	for _, tc := range []struct {
		name   string
		revoke func(p apitest.Person)
	}{
		{"after logout", func(p apitest.Person) {
			e.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", p.Token, nil)
		}},
		{"after deactivation", func(p apitest.Person) {
			e.Must(http.StatusOK, "PATCH", "/api/v1/agents/"+p.ID, acc.OwnerToken, map[string]any{"active": false})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.NewAgent(acc, "agent", "Ann "+tc.name)
			ws := e.AgentStream(acc.ID, p.Token)
			tc.revoke(p)
			for {
				_, err := apitest.Read(ws, 5*time.Second)
				if err == nil {
					continue // events of the revocation itself
				}
				var ce websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation {
					t.Fatalf("stream ended with %v, want a policy-violation close", err)
				}
				return
			}
		})
	}
}

// Bad input aimed at another account's object is a 404 like any other
// request for it: validation must not tell that the object exists.
func TestBadInputToAnotherAccountsObjectIsNotFound(t *testing.T) {
	e := apitest.New(t)
	a, b := e.NewAccount(), e.NewAccount()
	v, conv := e.NewConversation(a, "hello")
	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"a message over the length limit", "POST", "/api/v1/conversations/" + conv + "/messages", map[string]string{"text": strings.Repeat("x", 10001)}},
		{"an empty message", "POST", "/api/v1/conversations/" + conv + "/messages", map[string]string{"text": " "}},
		{"a message of an unknown kind", "POST", "/api/v1/conversations/" + conv + "/messages", map[string]string{"text": "hi", "kind": "shout"}},
		{"a contact with a bad email", "PATCH", "/api/v1/contacts/" + v.ContactID, map[string]string{"email": "not an email"}},
		{"a contact with a bad phone", "PATCH", "/api/v1/contacts/" + v.ContactID, map[string]string{"phone": "call me"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(tc.method, tc.path, b.OwnerToken, tc.body)
			if r.Status != http.StatusNotFound || r.ErrorCode() != "not_found" {
				t.Fatalf("%s %s with another account's token = %d %s, want 404 not_found", tc.method, tc.path, r.Status, r.Body)
			}
			// The account's own agents still get the validation error.
			if r := e.Do(tc.method, tc.path, a.OwnerToken, tc.body); r.Status == http.StatusNotFound || r.Status < 400 {
				t.Fatalf("%s %s by the owner = %d %s, want a validation error", tc.method, tc.path, r.Status, r.Body)
			}
		})
	}
}
