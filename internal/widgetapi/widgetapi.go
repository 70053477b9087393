// Package widgetapi serves the visitor-facing API of the chat box
// (/widget/v1): sessions, messages over HTTP and WebSocket, and identify.
// It is the only API open to other origins (CORS).
package widgetapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/clientip"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/conversation"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/geo"
	"github.com/parley-chat/parley/internal/metrics"
	"github.com/parley-chat/parley/internal/respond"
	"github.com/parley-chat/parley/internal/stream"
	"github.com/parley-chat/parley/internal/useragent"
)

// Opts are the dependencies of the visitor API.
type Opts struct {
	Logger        *slog.Logger
	Accounts      *account.Service
	Agents        *agent.Service
	Conversations *conversation.Service
	Contacts      *contact.Service
	Log           *event.Log
	Hub           *event.Hub
	Metrics       *metrics.Metrics
	// MessagesPerMinute and Burst limit each visitor's sends
	// (defaults 60 and 30).
	MessagesPerMinute int
	Burst             int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (none by default).
	TrustedProxies clientip.Proxies
	// GeoIP locates visitors; nil leaves the location unknown.
	GeoIP *geo.DB
	// UserAgents parses User-Agents; nil leaves browser and OS unknown.
	UserAgents *useragent.Parser
	// Limits bound what one visitor, address and socket may do.
	Limits Limits
}

// Limits bound the chat box API, which anyone may call: per visitor, per
// client address and per socket. Zero fields take the defaults, chosen so
// that people never meet them: a shopper clicking fast through a shop, a
// visitor with many tabs, hundreds of visitors behind one carrier NAT.
// They are kept in memory by each server process.
type Limits struct {
	// PageViewBurst page views a visitor may report at once, and
	// PageViewsPerMinute more a minute (defaults 20 and 30: one every
	// 2 s). Beyond, page views are dropped, not stored.
	PageViewBurst      int
	PageViewsPerMinute int
	// NewVisitorBurst new visitors (a session without a valid
	// visitor_token) one client address may start at once, and
	// NewVisitorsPerMinute more a minute (defaults 300 and 60). IPv6
	// addresses count per /64. Returning visitors are never refused.
	NewVisitorBurst      int
	NewVisitorsPerMinute int
	// SocketsPerVisitor and SocketsPerAddress bound the chat box sockets
	// open at once (defaults 10 and 500).
	SocketsPerVisitor int
	SocketsPerAddress int
	// WriteTimeout bounds the time a frame may take to reach a chat box;
	// past it the socket is closed (default stream.WriteTimeout, 10 s).
	WriteTimeout time.Duration
	// TypingEvery is the shortest time between two typing frames of one
	// socket passed on to the agents (default stream.TypingEvery, 1.5 s).
	TypingEvery time.Duration
}

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.PageViewBurst, 20)
	def(&l.PageViewsPerMinute, 30)
	def(&l.NewVisitorBurst, 300)
	def(&l.NewVisitorsPerMinute, 60)
	def(&l.SocketsPerVisitor, 10)
	def(&l.SocketsPerAddress, 500)
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = stream.WriteTimeout
	}
	if l.TypingEvery <= 0 {
		l.TypingEvery = stream.TypingEvery
	}
	return l
}

// API is the visitor API handler.
type API struct {
	Opts
	log      *slog.Logger
	rare     *rareLog
	mux      *http.ServeMux
	limiter  *bucketLimiter[string]     // messages, per visitor
	pages    *bucketLimiter[string]     // page views, per visitor
	arrivals *bucketLimiter[netip.Addr] // new visitors, per network
	sockets  stream.Quota               // open sockets, per visitor and network
}

// New builds the visitor API.
func New(opts Opts) *API {
	if opts.MessagesPerMinute <= 0 {
		opts.MessagesPerMinute = 60
	}
	if opts.Burst <= 0 {
		opts.Burst = 30
	}
	opts.Limits = opts.Limits.withDefaults()
	l := opts.Limits
	a := &API{Opts: opts, log: opts.Logger, rare: &rareLog{log: opts.Logger}, mux: http.NewServeMux(),
		limiter:  newBucketLimiter[string](perMinute(opts.MessagesPerMinute), opts.Burst),
		pages:    newBucketLimiter[string](perMinute(l.PageViewsPerMinute), l.PageViewBurst),
		arrivals: newBucketLimiter[netip.Addr](perMinute(l.NewVisitorsPerMinute), l.NewVisitorBurst),
	}
	a.mux.HandleFunc("POST /widget/v1/session", a.session)
	a.mux.HandleFunc("POST /widget/v1/messages", a.visitor(a.postMessage))
	a.mux.HandleFunc("GET /widget/v1/messages", a.visitor(a.listMessages))
	a.mux.HandleFunc("POST /widget/v1/identify", a.visitor(a.identify))
	a.mux.HandleFunc("GET /widget/v1/stream", a.stream)
	a.mux.HandleFunc("/widget/v1/", func(w http.ResponseWriter, r *http.Request) {
		respond.Error(w, r, a.log, apperr.NotFound("endpoint "+r.Method+" "+r.URL.Path))
	})
	return a
}

// ServeHTTP answers CORS preflights and adds CORS headers: the chat box
// runs on the shop's own origin. Visitors authenticate with a bearer token,
// never cookies, so any origin may call.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Cache-Control", "no-store")
	a.mux.ServeHTTP(w, r)
}

type ctxKey int

const visitorKey ctxKey = 1

func visitorOf(r *http.Request) contact.Visitor {
	v, _ := r.Context().Value(visitorKey).(contact.Visitor)
	return v
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// visitor wraps a handler that needs the visitor token.
func (a *API) visitor(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := a.Contacts.VisitorByToken(r.Context(), bearer(r))
		if err != nil {
			respond.Error(w, r, a.log, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), visitorKey, v)))
	}
}

// client describes the visitor's browser from the request: the address
// (behind trusted proxies only), its location, and the User-Agent with its
// client hints.
func (a *API) client(r *http.Request, addr netip.Addr) contact.Client {
	c := contact.Client{UserAgent: r.UserAgent(), Location: a.GeoIP.Lookup(addr), Agent: a.UserAgents.Parse(r.UserAgent(), r.Header)}
	if addr.IsValid() {
		c.IP = addr.String()
	}
	return c
}

type sessionResponse struct {
	VisitorToken string                     `json:"visitor_token"`
	VisitorID    string                     `json:"visitor_id"`
	ContactID    string                     `json:"contact_id"`
	Conversation *conversation.Conversation `json:"conversation"`
	Online       bool                       `json:"online"`
	AccountName  string                     `json:"account_name"`
	// Widget is the chat box's look and behaviour for this account.
	Widget account.WidgetSettings `json:"widget"`
}

func (a *API) session(w http.ResponseWriter, r *http.Request) {
	var in struct {
		WidgetKey    string        `json:"widget_key"`
		VisitorToken string        `json:"visitor_token"`
		Page         *contact.Page `json:"page"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	acc, err := a.Accounts.ByWidgetKey(r.Context(), in.WidgetKey)
	if err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	// A returning visitor is never refused; a new one is counted against
	// its network, whose people all share one bucket (a carrier NAT's
	// hundreds fit in it). Only a new visitor costs rows, so only a new
	// one is limited.
	now, addr := time.Now(), a.TrustedProxies.Addr(r)
	returning := ""
	if in.VisitorToken != "" {
		known, err := a.Contacts.VisitorByToken(r.Context(), in.VisitorToken)
		switch {
		case err == nil && known.AccountID == acc.ID:
			returning = known.ID
		case err != nil && !errors.Is(err, apperr.ErrUnauthorized):
			respond.Error(w, r, a.log, err)
			return
		}
	}
	if returning == "" {
		if ok, wait := a.arrivals.allow(network(addr), now); !ok {
			a.hintProxy(r, addr)
			respond.Error(w, r, a.log, apperr.RateLimited("too many new visitors from your network; try again shortly", wait))
			return
		}
	} else if in.Page != nil && !a.allowPage(returning, now) {
		in.Page = nil // over the page view limit: the session starts, the page is not kept
	}
	v, token, err := a.Contacts.ClientSession(r.Context(), acc.ID, in.VisitorToken, a.client(r, addr), in.Page)
	if err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	if returning == "" && in.Page != nil {
		a.allowPage(v.ID, now) // a new visitor's first page counts too
	}
	out := sessionResponse{VisitorToken: token, VisitorID: v.ID, ContactID: v.ContactID, AccountName: acc.Name}
	c, err := a.Conversations.VisitorConversation(r.Context(), v)
	switch {
	case err == nil:
		out.Conversation = c.ForVisitor()
	case !errors.Is(err, apperr.ErrNotFound):
		respond.Error(w, r, a.log, err)
		return
	}
	if out.Widget, err = a.Accounts.Widget(r.Context(), acc.ID); err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	if out.Online, err = a.Agents.Online(r.Context(), acc.ID); err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, out)
}

// store stores a message from the socket's send queue and answers with
// its ack, or an error frame.
// onStored, when set, learns the stored message.
func (a *API) store(ctx context.Context, c *stream.Conn, v contact.Visitor, p pendingSend, onStored func(*conversation.Message)) {
	m, _, err := a.send(ctx, v, p.text, p.clientID)
	if err != nil {
		if ctx.Err() != nil {
			return // the socket is gone; the chat box resends on its next one
		}
		_, d := respond.Classify(err)
		if d.Code == "internal" {
			a.rare.error("visitor_send_failed", "visitor_id", v.ID, "err", err)
		}
		c.Send(stream.ErrorFrame(p.clientID, d.Code, d.Message))
		return
	}
	if onStored != nil {
		onStored(m)
	}
	b, _ := json.Marshal(m)
	c.Send(stream.AckFrame(p.clientID, b))
}

// send stores a visitor message under the visitor's rate limit.
func (a *API) send(ctx context.Context, v contact.Visitor, text, clientID string) (*conversation.Message, bool, error) {
	if ok, wait := a.limiter.allow(v.ID, time.Now()); !ok {
		return nil, false, apperr.RateLimited("too many messages; slow down", wait)
	}
	return a.Conversations.PostVisitorMessage(ctx, v, text, clientID)
}

func (a *API) postMessage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text     string `json:"text"`
		ClientID string `json:"client_id"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	m, created, err := a.send(r.Context(), visitorOf(r), in.Text, in.ClientID)
	if err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	respond.Stored(w, created, m)
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after, limit int64
	var err error
	if v := q.Get("after_seq"); v != "" {
		after, err = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("cursor"); v != "" && err == nil {
		after, err = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("limit"); v != "" && err == nil {
		limit, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil || after < 0 || limit < 0 {
		respond.Error(w, r, a.log, apperr.BadRequest("after_seq, cursor and limit must be non-negative integers"))
		return
	}
	page, err := a.Conversations.VisitorMessages(r.Context(), visitorOf(r), q.Get("conversation_id"), after, int(min(limit, 1000)))
	if err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	respond.JSON(w, http.StatusOK, page)
}

func (a *API) identify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name      *string         `json:"name"`
		Email     *string         `json:"email"`
		Phone     *string         `json:"phone"`
		Variables map[string]any  `json:"variables"`
		UserID    json.RawMessage `json:"user_id"`
		UserHash  string          `json:"user_hash"`
	}
	if err := respond.Decode(r, &in); err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	p := contact.Patch{Name: in.Name, Email: in.Email, Phone: in.Phone}
	if in.Variables != nil {
		p.Variables = make(map[string]string, len(in.Variables))
		for k, v := range in.Variables {
			p.Variables[k] = variableText(v)
		}
	}
	v := visitorOf(r)
	userID, err := userIDText(in.UserID)
	if err == nil && userID == "" && in.UserHash != "" {
		err = apperr.Invalid("user_id", "user_hash needs the user_id it signs")
	}
	if err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	verified := false
	if userID != "" {
		verified, err = a.Accounts.CheckUser(r.Context(), v.AccountID, userID, in.UserHash)
	}
	var c contact.Contact
	switch {
	case err != nil:
	case verified:
		c, v, err = a.Contacts.IdentifyUser(r.Context(), v, userID, p)
	default:
		// An unsigned user id proves nothing: anyone can type one into
		// the console. It never joins, shows or changes the contact of
		// that user; the agents see it on this visitor's own card as a
		// claim.
		if userID != "" {
			if p.Variables == nil {
				p.Variables = map[string]string{}
			}
			p.Variables[UnverifiedUserIDVariable] = userID
		}
		c, err = a.Contacts.Identify(r.Context(), v.AccountID, v.ContactID, p)
	}
	if err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	if a.Hub.VisitorOnline(v.AccountID, v.ID) {
		a.arrived(r.Context(), v)
	}
	respond.JSON(w, http.StatusOK, c.Public())
}

// UnverifiedUserIDVariable is the contact variable that keeps a user id a
// visitor claimed without a valid user_hash.
const UnverifiedUserIDVariable = "unverified_user_id"

// userIDText reads the site's user id: a string, or a number as written.
func userIDText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), nil
	}
	return "", apperr.Invalid("user_id", "user_id must be a string or a number")
}

// variableText shows a variable the site sent as text: strings as they are,
// anything else as its JSON.
func variableText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// stream is the visitor WebSocket; any page origin may open it.
func (a *API) stream(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		token = bearer(r)
	}
	v, err := a.Contacts.VisitorByToken(r.Context(), token)
	if err != nil {
		respond.Error(w, r, a.log, err)
		return
	}
	after := int64(-1)
	if s := r.URL.Query().Get("after_seq"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			respond.Error(w, r, a.log, apperr.BadRequest("after_seq must be a non-negative integer"))
			return
		}
		after = n
	}
	// An open socket costs memory and a goroutine for as long as it
	// stays open: a visitor's tabs, and the visitors of one network, may
	// hold only so many. Refused before anything else is done.
	caps := []stream.Cap{{Key: "visitor " + v.ID, Max: a.Limits.SocketsPerVisitor},
		{Key: "network " + network(a.TrustedProxies.Addr(r)).String(), Max: a.Limits.SocketsPerAddress}}
	if !a.sockets.Take(caps...) {
		a.hintProxy(r, a.TrustedProxies.Addr(r))
		respond.Error(w, r, a.log, apperr.RateLimited("too many chat box connections are open; close some tabs or try again shortly", 5*time.Second))
		return
	}
	// Subscribe and fix the starting point before the upgrade completes:
	// whatever commits once the client sees its socket open is delivered.
	f := event.Follow(a.Log, a.Hub, v.AccountID, v.ID)
	begin := f.Begin(r.Context(), after)
	if begin != nil && !errors.Is(begin, event.ErrReset) {
		f.Close()
		a.sockets.Release(caps...)
		respond.Error(w, r, a.log, begin)
		return
	}
	ws, err := stream.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		f.Close()
		a.sockets.Release(caps...)
		return
	}
	// The socket is served on a goroutine of its own and this handler
	// returns: an idle chat box then holds no request, no handler stack.
	ctx := stream.Lifetime(r)
	go func() {
		defer a.sockets.Release(caps...)
		a.serveVisitor(ctx, ws, f, v, begin)
	}()
}

// serveVisitor runs an accepted visitor socket until it closes.
func (a *API) serveVisitor(ctx context.Context, ws *stream.Socket, f *event.Follower, v contact.Visitor, begin error) {
	if a.Metrics != nil {
		g := a.Metrics.Sockets.WithLabelValues("visitor")
		g.Inc()
		defer g.Dec()
	}
	a.announce(v, true)
	a.arrived(ctx, v)
	s := a.newSocket(ctx, v)
	defer func() {
		s.close()
		f.Close()
		online := a.Hub.VisitorOnline(v.AccountID, v.ID)
		a.announce(v, online)
		if !online {
			a.left(v)
		}
	}()
	// Every close is logged, a clean one (nil err) too: whether the
	// client's close or a failed write ends the socket first is a race.
	err := stream.Serve(ctx, ws, f, stream.Options{Begin: begin, Handle: s.frame, WriteTimeout: a.Limits.WriteTimeout})
	a.log.Debug("visitor_stream_closed", "visitor_id", v.ID, "err", err)
}

// announce tells the account's agents whether a visitor is connected.
func (a *API) announce(v contact.Visitor, online bool) {
	b, _ := json.Marshal(map[string]any{"visitor_id": v.ID, "contact_id": v.ContactID, "online": online})
	a.Hub.Publish(&event.Event{AccountID: v.AccountID, AgentFrame: event.Frame("presence", 0, b)})
}

// hintProxy tells the operator, once in a while, when a limit per client
// address refuses a request that came through a proxy Parley does not
// trust: then every visitor seems to come from the proxy's address and
// they all share its limits.
func (a *API) hintProxy(r *http.Request, addr netip.Addr) {
	if r.Header.Get("X-Forwarded-For") == "" {
		return
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil && host == addr.String() {
		a.rare.warn("client_limit_behind_untrusted_proxy", "addr", addr.String(),
			"hint", "requests carry X-Forwarded-For from a peer not in --trusted-proxies: every visitor behind it shares one address's limits")
	}
}

// allowPage takes one of the visitor's page views, false when over the
// limit.
func (a *API) allowPage(visitorID string, now time.Time) bool {
	ok, _ := a.pages.allow(visitorID, now)
	return ok
}
