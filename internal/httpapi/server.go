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
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/clientip"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/conversation"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/metrics"
	"github.com/parley-chat/parley/internal/respond"
	"github.com/parley-chat/parley/internal/stream"
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
	Audit         *audit.Service
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
	// Streams bound the agent sockets.
	Streams StreamLimits
}

// StreamLimits bound the agent sockets (/api/v1/stream). Zero fields take
// the defaults, chosen so that a team never meets them: 50 agents behind
// one office address, each with a few dashboard tabs. They are kept in
// memory by each server process.
type StreamLimits struct {
	// PerToken, PerAgent and PerAccount bound the agent sockets open at
	// once with one token, by one agent (all their tokens) and in one
	// account (defaults 10, 20 and 1000).
	PerToken   int
	PerAgent   int
	PerAccount int
	// WriteTimeout bounds the time a frame may take to reach a dashboard;
	// past it the socket is closed (default stream.WriteTimeout, 10 s).
	WriteTimeout time.Duration
	// TypingEvery is the shortest time between two typing frames of one
	// socket about one conversation passed on (default stream.TypingEvery).
	TypingEvery time.Duration
}

// withDefaults fills the zero fields.
func (l StreamLimits) withDefaults() StreamLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.PerToken, 10)
	def(&l.PerAgent, 20)
	def(&l.PerAccount, 1000)
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = stream.WriteTimeout
	}
	if l.TypingEvery <= 0 {
		l.TypingEvery = stream.TypingEvery
	}
	return l
}

// Server is the HTTP handler of the whole application.
type Server struct {
	Opts
	log     *slog.Logger
	handler http.Handler
	// baseOrigin is scheme://host of BaseURL, or "".
	baseOrigin string
	// https is whether BaseURL is https: browsers are then told to use
	// nothing else (HSTS).
	https   bool
	started time.Time
	sockets stream.Quota // open agent sockets, per token, agent and account
}

// New builds the handler.
func New(opts Opts) *Server {
	s := &Server{Opts: opts, log: opts.Logger, started: time.Now()}
	s.Streams = s.Streams.withDefaults()
	if s.WidgetFiles == nil {
		s.WidgetFiles = fstest.MapFS{}
	}
	if s.DashboardFiles == nil {
		s.DashboardFiles = fstest.MapFS{}
	}
	if u, err := url.Parse(opts.BaseURL); err == nil && u.Host != "" {
		s.baseOrigin = strings.ToLower(u.Scheme + "://" + u.Host)
		s.https = strings.EqualFold(u.Scheme, "https")
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
// the dashboard's session cookie with the CSRF header on changes.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, fromCookie := credentials(r)
		a, err := s.Agents.Authenticate(r.Context(), token)
		if err == nil && fromCookie {
			err = checkCSRF(r, token)
		}
		if err != nil {
			respond.Error(w, r, s.log, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), agentKey, a)))
	}
}

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
		if s.https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if noStore(r.URL.Path) {
			// Answers that carry tokens, secrets or people's data are
			// never kept by a browser or a proxy.
			h.Set("Cache-Control", "no-store")
		}
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
			// A full disk refuses every write with 503: the database logs
			// that once a minute, not here once per request.
			refusedFull := code == http.StatusServiceUnavailable && s.DB != nil && s.DB.StorageFull()
			if (code >= 500 && !refusedFull) || (d > time.Second && code != http.StatusSwitchingProtocols) {
				s.log.Warn("slow_or_failed_request", "method", r.Method, "route", r.Pattern, "status", code, "duration_ms", d.Milliseconds())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// noStore reports whether answers under path may carry tokens, secrets or
// personal data: the APIs, the metrics and the setup pages.
func noStore(path string) bool {
	for _, p := range []string{"/api/", "/widget/v1/", "/setup/", "/metrics"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}
