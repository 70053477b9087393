package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

func TestAnswersWithTokensAreNeverCached(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	for _, rq := range []struct {
		method, path, token string
		body                any
	}{
		{"POST", "/api/v1/auth/login", "", map[string]string{"email": acc.OwnerEmail, "password": "password123"}},
		{"GET", "/api/v1/identity", acc.OwnerToken, nil},
		{"POST", "/api/v1/api-keys", acc.OwnerToken, map[string]string{"name": "back end"}},
		{"GET", "/api/v1/me", "", nil},
		{"POST", "/widget/v1/session", "", map[string]string{"widget_key": acc.WidgetKey}},
	} {
		r := e.Do(rq.method, rq.path, rq.token, rq.body)
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (%d): Cache-Control = %q, want no-store", rq.method, rq.path, r.Status, got)
		}
		if got := r.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("%s %s over plain http: Strict-Transport-Security = %q, want none", rq.method, rq.path, got)
		}
	}
}

func TestHSTSWithAnHTTPSBaseURL(t *testing.T) {
	e := apitest.New(t, apitest.Options{BaseURL: "https://chat.shop.example"})
	for _, path := range []string{"/healthz", "/api/v1/me", "/login"} {
		r := e.Do("GET", path, "", nil)
		if got := r.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Errorf("GET %s: Strict-Transport-Security = %q, want max-age=…", path, got)
		}
	}
}

// upgrade asks for an agent socket with the given Host and Origin and
// returns the status: 101 when the socket was accepted.
func upgrade(t *testing.T, e *apitest.Env, token, host, origin string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/stream?token=%s", e.URL, token), nil)
	req.Host = host
	req.Header.Set("Origin", origin)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Without --base-url the Host header stands in for Parley's address. A
// domain name in it may be the attacker's, pointed at this server (DNS
// rebinding): only IP addresses and localhost are trusted that way.
func TestAgentSocketOriginWithoutBaseURL(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	port := e.URL[strings.LastIndexByte(e.URL, ':'):]
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1" + port, http.StatusSwitchingProtocols},
		{"localhost" + port, http.StatusSwitchingProtocols},
		{"[::1]" + port, http.StatusSwitchingProtocols},
		{"evil.example" + port, http.StatusForbidden},
		{"chat.shop.example", http.StatusForbidden},
	} {
		if got := upgrade(t, e, acc.OwnerToken, tc.host, "http://"+tc.host); got != tc.want {
			t.Errorf("Host and Origin %s: status %d, want %d", tc.host, got, tc.want)
		}
	}
	t.Run("with a base URL its origin is the one trusted", func(t *testing.T) {
		e := apitest.New(t, apitest.Options{BaseURL: "https://chat.shop.example"})
		acc := e.NewAccount()
		if got := upgrade(t, e, acc.OwnerToken, "chat.shop.example", "https://chat.shop.example"); got != http.StatusSwitchingProtocols {
			t.Errorf("the base URL's origin: status %d, want 101", got)
		}
		if got := upgrade(t, e, acc.OwnerToken, "evil.example", "http://evil.example"); got != http.StatusForbidden {
			t.Errorf("another origin: status %d, want 403", got)
		}
	})
}
