package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

func TestNoCORSOnTheAgentAPI(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	requests := []struct {
		method, path, token string
		body                any
	}{
		{"GET", "/api/v1/me", acc.OwnerToken, nil},
		{"GET", "/api/v1/me", "", nil},
		{"GET", "/api/v1/conversations", acc.OwnerToken, nil},
		{"POST", "/api/v1/auth/login", "", map[string]string{"email": acc.OwnerEmail, "password": "password123"}},
		{"OPTIONS", "/api/v1/me", "", nil},
		{"OPTIONS", "/api/v1/auth/login", "", nil},
	}
	for _, rq := range requests {
		t.Run(rq.method+" "+rq.path+" from another site has no CORS headers", func(t *testing.T) {
			e := env.For(t)
			req, err := http.NewRequest(rq.method, e.URL+rq.path, strings.NewReader(mustEncode(t, rq.body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", "https://shop.example")
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			if rq.token != "" {
				req.Header.Set("Authorization", "Bearer "+rq.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Headers", "Access-Control-Allow-Credentials"} {
				if v := res.Header.Get(h); v != "" {
					t.Errorf("%s = %q, want no such header on /api/v1", h, v)
				}
			}
		})
	}
}

func TestAgentStreamOrigin(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	cases := []struct {
		name   string
		origin string
		ok     bool
	}{
		{"a socket without Origin (a server-side client) is accepted", "", true},
		{"a socket from Parley's own origin is accepted", env.URL, true},
		{"a socket from another site is refused", "https://evil.example", false},
		{"a socket from the same host on another port is refused", "http://127.0.0.1:1", false},
		{"a socket from Parley's host over another scheme is refused", "https" + strings.TrimPrefix(env.URL, "http"), false},
		{"a socket from the null origin is refused", "null", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := env.For(t)
			h := http.Header{"Authorization": {"Bearer " + acc.OwnerToken}}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, res, err := e.Dial(fmt.Sprintf("/api/v1/stream?after_seq=%d", e.LastSeq(acc.ID)), h)
			if tc.ok {
				if err != nil {
					t.Fatalf("dial = %v, want the socket open", err)
				}
				m := e.VisitorSays(e.NewVisitor(acc), "hello")
				if f := apitest.Next(t, ws); f.Type != "message.created" || str(f.Object(t), "id") != str(m, "id") {
					t.Errorf("first frame = %s %s, want the visitor's message.created", f.Type, f.Data)
				}
				return
			}
			if err == nil {
				ws.CloseNow()
				t.Fatalf("socket from %s opened, want 403", tc.origin)
			}
			if res == nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("dial from %s = %v %v, want 403", tc.origin, res, err)
			}
		})
	}
}

// mustEncode encodes v as JSON ("" for nil).
func mustEncode(t testing.TB, v any) string {
	t.Helper()
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(b)
}
