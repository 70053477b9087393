// Package server wires Parley's parts together — database, services, hub,
// HTTP handlers, background loops — for `parley serve` and for tests.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apikey"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/buildinfo"
	"github.com/parley-chat/parley/internal/clientip"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/conversation"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/geo"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/metrics"
	"github.com/parley-chat/parley/internal/useragent"
	"github.com/parley-chat/parley/internal/widgetapi"
	"github.com/parley-chat/parley/web"
)

// Opts configures a server.
type Opts struct {
	DB      *database.DB
	Logger  *slog.Logger
	BaseURL string
	// VisitorMessagesPerMinute and VisitorBurst limit each visitor's sends
	// (0: the defaults, 60 a minute with bursts of 30).
	VisitorMessagesPerMinute int
	VisitorBurst             int
	// StreamRecheck is how often open agent streams re-check their token.
	StreamRecheck time.Duration
	// WidgetFiles and DashboardFiles replace the embedded builds (tests).
	WidgetFiles    fs.FS
	DashboardFiles fs.FS
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (none by default).
	TrustedProxies clientip.Proxies
	// GeoIP locates visitors for the visitor card; nil: location unknown.
	GeoIP *geo.DB
	// VisitorLimits bound the chat box API per visitor, address and
	// socket; AgentStreams bound the agent sockets. Zero fields take the
	// defaults (see widgetapi.Limits and httpapi.StreamLimits).
	VisitorLimits widgetapi.Limits
	AgentStreams  httpapi.StreamLimits
	// MetricsToken, when set, lets a client that sends it as a bearer
	// token read /metrics on the main address; else only direct loopback
	// clients may.
	MetricsToken string
}

// Server is a wired Parley instance.
type Server struct {
	DB            *database.DB
	Hub           *event.Hub
	Log           *event.Log
	Accounts      *account.Service
	Agents        *agent.Service
	Audit         *audit.Service
	Contacts      *contact.Service
	Conversations *conversation.Service
	Handler       http.Handler
	// Metrics serves /metrics, also on a listener of its own (Open).
	Metrics *metrics.Metrics
	logger  *slog.Logger
}

// New wires a server on an open database.
func New(opts Opts) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hub := event.NewHub()
	s := &Server{DB: opts.DB, Hub: hub, Log: event.NewLog(opts.DB), logger: log}
	s.Accounts = account.NewService(opts.DB)
	s.Agents = agent.NewService(opts.DB, hub, log)
	s.Contacts = contact.NewService(opts.DB, hub)
	s.Conversations = conversation.NewService(opts.DB, hub, s.Agents)
	s.Contacts.Conversations = s.Conversations
	s.Log.Visitors = s.Conversations // visitor streams replay from conversations
	apiKeys := apikey.NewService(opts.DB)
	s.Audit = audit.NewService(opts.DB, log)
	m := metrics.New(metrics.Opts{StoredMessages: s.Conversations.Stored, Writer: opts.DB.WriterStats,
		Build: buildinfo.Read(), Token: opts.MetricsToken})
	s.Metrics = m
	widgetFiles, dashboardFiles := opts.WidgetFiles, opts.DashboardFiles
	if widgetFiles == nil {
		widgetFiles = web.Widget()
	}
	if dashboardFiles == nil {
		dashboardFiles = web.Dashboard()
	}
	uaParser, err := useragent.New()
	if err != nil {
		// Built-in rules that do not compile are a bug, not a reason
		// to refuse chats: browsers are simply unknown.
		log.Error("useragent_rules_failed", "err", err)
	}
	widget := widgetapi.New(widgetapi.Opts{
		Logger: log, Accounts: s.Accounts, Agents: s.Agents, Conversations: s.Conversations, Contacts: s.Contacts,
		Log: s.Log, Hub: hub, Metrics: m, MessagesPerMinute: opts.VisitorMessagesPerMinute, Burst: opts.VisitorBurst,
		TrustedProxies: opts.TrustedProxies, GeoIP: opts.GeoIP, UserAgents: uaParser, Limits: opts.VisitorLimits,
	})
	s.Handler = httpapi.New(httpapi.Opts{
		Logger: log, DB: opts.DB, Accounts: s.Accounts, Agents: s.Agents, Conversations: s.Conversations, Contacts: s.Contacts,
		APIKeys: apiKeys, Audit: s.Audit, Log: s.Log, Hub: hub, Metrics: m, BaseURL: opts.BaseURL, Widget: widget, StreamRecheck: opts.StreamRecheck,
		WidgetFiles: widgetFiles, DashboardFiles: dashboardFiles, TrustedProxies: opts.TrustedProxies, Streams: opts.AgentStreams,
	})
	return s
}

// EventRetention is how long the event log keeps events for replay; the API
// promises at least 7 days.
const EventRetention = 8 * 24 * time.Hour

// AuditRetention is how long the security log keeps its entries; the API
// promises at least 365 days.
const AuditRetention = 366 * 24 * time.Hour

// Run does the background work until ctx ends: pruning old events and
// security log entries hourly.
func (s *Server) Run(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.Log.Prune(ctx, EventRetention); err != nil && ctx.Err() == nil {
			s.logger.Error("prune_events_failed", "err", err)
		} else if n > 0 {
			s.logger.Info("events_pruned", "count", n)
		}
		if n, err := s.Audit.Prune(ctx, AuditRetention); err != nil && ctx.Err() == nil {
			s.logger.Error("prune_audit_failed", "err", err)
		} else if n > 0 {
			s.logger.Info("audit_pruned", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
