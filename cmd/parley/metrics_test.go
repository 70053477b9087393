package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/testdb"
)

// TestMetricsListener: a real parley serve answers /metrics on
// --metrics-addr to anyone, and on its main address to a direct loopback
// client but not to one that came through a proxy.
func TestMetricsListener(t *testing.T) {
	metricsAddr := freeAddr(t)
	srv := startServer(t, testdb.New(t), "PARLEY_METRICS_ADDR="+metricsAddr)
	get := func(url string, header map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("http://"+metricsAddr+"/metrics", nil); code != http.StatusOK || !strings.Contains(body, "parley_build_info{") {
		t.Errorf("GET /metrics on --metrics-addr = %d, want 200 with parley_build_info", code)
	}
	if code, _ := get("http://"+metricsAddr+"/api/v1/me", nil); code != http.StatusNotFound {
		t.Errorf("GET /api/v1/me on --metrics-addr = %d, want 404: it serves metrics only", code)
	}
	if code, _ := get(srv.URL+"/metrics", nil); code != http.StatusOK {
		t.Errorf("GET /metrics on the main address from loopback = %d, want 200", code)
	}
	if code, _ := get(srv.URL+"/metrics", map[string]string{"X-Forwarded-For": "203.0.113.5"}); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the main address through a proxy = %d, want 404", code)
	}
}
