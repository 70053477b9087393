package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// checkLoopback refuses any server that is not on this machine's loopback
// interface: the tool must never load someone else's server.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://127.0.0.1:PORT", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--url %q: the load tool drives loopback servers only (127.0.0.0/8, ::1, localhost)", raw)
	}
	return nil
}

// normalizeURL makes localhost explicit (127.0.0.1), so source addresses
// from 127.0.0.0/8 reach it, and drops a trailing slash.
func normalizeURL(raw string) string {
	u, _ := url.Parse(raw)
	if u.Hostname() == "localhost" {
		if p := u.Port(); p != "" {
			u.Host = "127.0.0.1:" + p
		} else {
			u.Host = "127.0.0.1"
		}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u.String()
}

// apiClient calls the server's HTTP API; safe for concurrent use.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string, conns int) *apiClient {
	tr := &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: 30 * time.Second, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

func (c *apiClient) close() { c.http.CloseIdleConnections() }

// apiError is an answer with a status of 300 or more.
type apiError struct {
	Status int
	Code   string
	Body   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Status, strings.TrimSpace(e.Body))
}

// do sends a JSON request and decodes a 2xx answer into out (when not nil).
func (c *apiClient) do(ctx context.Context, method, path, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 300 {
		e := &apiError{Status: res.StatusCode, Body: string(b)}
		var eb struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil {
			e.Code = eb.Error.Code
		}
		return res.StatusCode, e
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode, nil
}

// errKind names an error for the report's error table.
func errKind(prefix string, err error) string {
	var ae *apiError
	switch {
	case err == nil:
		return prefix
	case errors.As(err, &ae):
		if ae.Code != "" {
			return fmt.Sprintf("%s: HTTP %d %s", prefix, ae.Status, ae.Code)
		}
		return fmt.Sprintf("%s: HTTP %d", prefix, ae.Status)
	case strings.Contains(err.Error(), "deadline exceeded") || strings.Contains(err.Error(), "timeout"):
		return prefix + ": timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return prefix + ": connection refused"
	case strings.Contains(err.Error(), "connection reset"):
		return prefix + ": connection reset"
	case strings.Contains(err.Error(), "too many open files"):
		return prefix + ": too many open files"
	case strings.Contains(err.Error(), "address already in use"), strings.Contains(err.Error(), "cannot assign requested address"):
		return prefix + ": no free local port"
	}
	return prefix + ": " + shorten(err.Error(), 80)
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Account is a Parley account the run drives, with its agents.
type Account struct {
	Index     int     `json:"index"`
	ID        string  `json:"id"`
	WidgetKey string  `json:"widget_key"`
	Agents    []Agent `json:"agents"`

	ownerEmail, ownerPassword, ownerToken string
}

// Agent is a signed-in agent.
type Agent struct {
	ID    string `json:"id"`
	Token string `json:"token"`

	email, password string
}

func (c *apiClient) login(ctx context.Context, email, password string) (token, id string, err error) {
	var out struct {
		Token string `json:"token"`
		Agent struct {
			ID string `json:"id"`
		} `json:"agent"`
	}
	_, err = c.do(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, &out)
	return out.Token, out.Agent.ID, err
}

// session starts a visitor on a chat box.
func (c *apiClient) session(ctx context.Context, widgetKey string) (token, id string, err error) {
	var out struct {
		VisitorToken string `json:"visitor_token"`
		VisitorID    string `json:"visitor_id"`
	}
	_, err = c.do(ctx, "POST", "/widget/v1/session", "", map[string]any{"widget_key": widgetKey}, &out)
	return out.VisitorToken, out.VisitorID, err
}
