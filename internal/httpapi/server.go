// Package httpapi serves Parley's agent API (/api/v1), its WebSocket stream,
// the operational endpoints and the plain pages, and mounts the visitor API.
package httpapi

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing/fstest"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apikey"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/clientip"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/conversation"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/metrics"
	"github.com/parley-chat/parley/internal/respond"
)

// Opts are the dependencies of the HTTP server.
type Opts struct {
	Logger        *slog.Logger
	DB            *database.DB
	Accounts      *account.Service
	Agents        *agent.Service
	Conversations *conversation.Service
	Contacts      *contact.Service
	APIKeys       *apikey.Service
	Log           *event.Log
	Hub           *event.Hub
	Metrics       *metrics.Metrics
	// BaseURL is Parley's public URL; agent sockets from other origins are
	// refused. Empty means the request's own host.
	BaseURL string
	// Widget serves /widget/v1/.
	Widget http.Handler
	// WidgetFiles are the built chat box (loader.js, frame.html, assets/).
	WidgetFiles fs.FS
	// DashboardFiles are the built dashboard (index.html, assets/).
	DashboardFiles fs.FS
	// StreamRecheck is how often an open agent stream checks that its token
	// still works (0: 15 s).
	StreamRecheck time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (none by default).
	TrustedProxies clientip.Proxies
}

// Server is the HTTP handler of the whole application.
type Server struct {
	Opts
	log     *slog.Logger
	handler http.Handler
	// baseOrigin is scheme://host of BaseURL, or "".
	baseOrigin string
	started    time.Time
}

// New builds the handler.
func New(opts Opts) *Server {
	s := &Server{Opts: opts, log: opts.Logger, started: time.Now()}
	if s.WidgetFiles == nil {
		s.WidgetFiles = fstest.MapFS{}
	}
	if s.DashboardFiles == nil {
		s.DashboardFiles = fstest.MapFS{}
	}
	if u, err := url.Parse(opts.BaseURL); err == nil && u.Host != "" {
		s.baseOrigin = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	s.handler = s.observe(s.routes())
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

type ctxKey int

const agentKey ctxKey = 1

// actor returns the signed-in agent of an authenticated request.
func actor(r *http.Request) agent.Agent {
	a, _ := r.Context().Value(agentKey).(agent.Agent)
	return a
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authed wraps a handler that needs a signed-in agent: a bearer token, or
// the dashboard's session cookie with the CSRF header on changes. An agent
// who must set up two-factor sign-in first is refused (see enrolling).
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc { return s.signedIn(h, false) }

// enrolling is authed for the few routes an agent who must still set up
// two-factor sign-in may call: who am I, the set-up itself, sign out.
func (s *Server) enrolling(h http.HandlerFunc) http.HandlerFunc { return s.signedIn(h, true) }

func (s *Server) signedIn(h http.HandlerFunc, duringSetup bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, fromCookie := credentials(r)
		a, err := s.Agents.Authenticate(r.Context(), token)
		if err == nil && fromCookie {
			err = checkCSRF(r, token)
		}
		if err == nil && a.TwoFactorSetupRequired && !duringSetup {
			err = errSetUpTwoFactor
		}
		if err != nil {
			respond.Error(w, r, s.log, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), agentKey, a)))
	}
}

var errSetUpTwoFactor = apperr.WithCode(apperr.KindForbidden, agent.CodeTwoFactorSetupRequired,
	"your account requires two-factor sign-in: set it up first (POST /api/v1/me/two-factor)")

// manager wraps a handler for admins and the owner only.
func (s *Server) manager(h http.HandlerFunc) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request) {
		if !actor(r).CanManage() {
			respond.Error(w, r, s.log, apperr.Forbidden("only an admin or the owner may do this"))
			return
		}
		h(w, r)
	})
}

// statusWriter remembers the status code for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the
// underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe records metrics and a log line per request (route pattern only:
// never the query string, which may hold a token, nor any body), sets the
// baseline security headers and turns a panic into a 500.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler_panic", "route", r.Pattern, "panic", p)
				if sw.code == 0 {
					respond.JSON(sw, http.StatusInternalServerError, respond.ErrorBody{Error: respond.ErrorDetail{Code: "internal", Message: "something went wrong on the server"}})
				}
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			d := time.Since(start)
			if s.Metrics != nil {
				s.Metrics.Observe(r.Pattern, code, d)
			}
			// A WebSocket's request lasts as long as the socket: not slow.
			if code >= 500 || (d > time.Second && code != http.StatusSwitchingProtocols) {
				s.log.Warn("slow_or_failed_request", "method", r.Method, "route", r.Pattern, "status", code, "duration_ms", d.Milliseconds())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
