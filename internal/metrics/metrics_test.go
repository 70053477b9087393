package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/buildinfo"
	"github.com/parley-chat/parley/internal/database"
)

func newMetrics(token string) *Metrics {
	return New(Opts{StoredMessages: func() int64 { return 0 }, Writer: func() database.WriterStats { return database.WriterStats{} },
		Build: buildinfo.Info{Version: "v1", Commit: "c", GoVersion: "go1"}, Token: token})
}

// The main address serves /metrics only to a bearer of the token when one is
// set, else only to a direct loopback client; the metrics listener to all.
func TestMetricsAreNotPublic(t *testing.T) {
	tests := []struct {
		name   string
		token  string // the server's
		remote string
		header map[string]string
		want   int
	}{
		{"a client on the internet is told there is nothing", "", "203.0.113.5:41000", nil, http.StatusNotFound},
		{"a private-network client is told there is nothing", "", "10.0.0.7:41000", nil, http.StatusNotFound},
		{"curl on the machine reads them", "", "127.0.0.1:41000", nil, http.StatusOK},
		{"curl on the machine over IPv6 reads them", "", "[::1]:41000", nil, http.StatusOK},
		{"a request through a local proxy is not the machine's", "", "127.0.0.1:41000", map[string]string{"X-Forwarded-For": "203.0.113.5"}, http.StatusNotFound},
		{"a request with Forwarded is not the machine's", "", "127.0.0.1:41000", map[string]string{"Forwarded": "for=203.0.113.5"}, http.StatusNotFound},
		{"a request with X-Real-IP is not the machine's", "", "127.0.0.1:41000", map[string]string{"X-Real-IP": "203.0.113.5"}, http.StatusNotFound},
		{"with a token, its bearer reads them from anywhere", "s3cret-token", "203.0.113.5:41000", map[string]string{"Authorization": "Bearer s3cret-token"}, http.StatusOK},
		{"with a token, a wrong one is refused", "s3cret-token", "203.0.113.5:41000", map[string]string{"Authorization": "Bearer guess"}, http.StatusUnauthorized},
		{"with a token, loopback without it sees nothing", "s3cret-token", "127.0.0.1:41000", nil, http.StatusNotFound},
		{"without a token, any bearer sees nothing", "", "203.0.113.5:41000", map[string]string{"Authorization": "Bearer s3cret-token"}, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			newMetrics(tt.token).Handler().ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("GET /metrics = %d, want %d", w.Code, tt.want)
			}
			body := w.Body.String()
			if tt.want == http.StatusOK && !strings.Contains(body, `parley_build_info{commit="c",go_version="go1",version="v1"} 1`) {
				t.Errorf("the metrics lack parley_build_info:\n%s", body)
			}
			if tt.want != http.StatusOK && (strings.Contains(body, "parley_") || !strings.Contains(body, `"error"`)) {
				t.Errorf("a refusal answers %q, want a JSON error without metrics", body)
			}
		})
	}
	t.Run("the metrics listener serves anyone who reaches it", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = "10.0.0.9:5000"
		w := httptest.NewRecorder()
		newMetrics("s3cret-token").Open().ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("GET /metrics on the metrics listener = %d, want 200", w.Code)
		}
	})
}
