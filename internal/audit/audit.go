// Package audit keeps each account's security log: sign-ins and failed
// ones, role changes, API keys, settings. Every entry is a row the owner can
// read (GET /api/v1/audit) and one structured log line for operators.
// Entries never hold secrets, passwords, tokens or message text.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/cursor"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/mask"
)

// Actions: stable dotted names, listed in docs/api.md. Add new ones here.
const (
	ActionLogin                 = "auth.login"
	ActionLoginFailed           = "auth.login_failed"
	ActionLogout                = "auth.logout"
	ActionPasswordChanged       = "agent.password_changed"
	ActionTwoFactorEnabled      = "agent.two_factor_enabled"
	ActionTwoFactorDisabled     = "agent.two_factor_disabled"
	ActionAgentCreated          = "agent.created"
	ActionRoleChanged           = "agent.role_changed"
	ActionAgentDeactivated      = "agent.deactivated"
	ActionAgentReactivated      = "agent.reactivated"
	ActionAPIKeyCreated         = "api_key.created"
	ActionAPIKeyRevoked         = "api_key.revoked"
	ActionIdentityEnabled       = "identity.verify_enabled"
	ActionIdentityDisabled      = "identity.verify_disabled"
	ActionIdentitySecretRotated = "identity.secret_rotated"
	ActionWidgetChanged         = "widget.settings_changed"
	ActionAccountChanged        = "account.settings_changed"
)

// Actor types.
const (
	ActorAgent     = "agent"
	ActorAPIKey    = "api_key"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// Target types.
const (
	TargetAgent   = "agent"
	TargetAPIKey  = "api_key"
	TargetAccount = "account"
)

// Bounds of what an entry keeps.
const (
	maxText      = 200 // names, labels, ids
	maxUserAgent = 256
	maxDetails   = 4 << 10
)

// Actor is who did it: an agent (its name and email at the time), an API
// key, the system, or someone not signed in.
type Actor struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Target is what it was done to, with a label readable after the target
// is renamed or gone.
type Target struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Origin is where a request came from.
type Origin struct {
	IP        string
	UserAgent string
}

// Entry is one event to record.
type Entry struct {
	AccountID string
	Actor     Actor
	Action    string
	Target    Target
	Origin    Origin
	// Details is a small JSON object of facts (a role's from and to, the
	// fields changed); never secrets or message text.
	Details map[string]any
}

// Event is a recorded entry as the API shows it.
type Event struct {
	ID        string          `json:"id"`
	AccountID string          `json:"account_id"`
	CreatedAt time.Time       `json:"created_at"`
	Actor     Actor           `json:"actor"`
	Action    string          `json:"action"`
	Target    Target          `json:"target"`
	IP        string          `json:"ip"`
	UserAgent string          `json:"user_agent"`
	Details   json.RawMessage `json:"details"`
}

// Service is the security log.
type Service struct {
	db  *database.DB
	log *slog.Logger
}

// NewService returns the security log; each event is also logged to log.
func NewService(db *database.DB, log *slog.Logger) *Service {
	return &Service{db: db, log: log}
}

// Record stores e in a write of its own (for changes already committed)
// and logs it.
func (s *Service) Record(ctx context.Context, e Entry) error {
	return s.db.Write(ctx, func(tx *database.Tx) error { return s.Write(ctx, tx, e) })
}

// Write stores e inside tx, so the event is kept exactly when the change
// is; the log line is written once the transaction commits.
func (s *Service) Write(ctx context.Context, tx *database.Tx, e Entry) error {
	ev, err := build(e, time.Now())
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_events (id, account_id, created_at, actor_type, actor_id, actor_name, actor_email,
		action, target_type, target_id, target_label, ip, user_agent, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.AccountID, ev.CreatedAt.UnixMicro(), ev.Actor.Type, ev.Actor.ID, ev.Actor.Name, ev.Actor.Email,
		ev.Action, ev.Target.Type, ev.Target.ID, ev.Target.Label, ev.IP, ev.UserAgent, string(ev.Details))
	if err != nil {
		return fmt.Errorf("insert audit event: %w", err)
	}
	tx.AfterCommit(func() { s.logLine(ctx, ev) })
	return nil
}

// LogOnly writes e to the server log without storing it: for attempts
// that belong to no account (a failed sign-in with an unknown email).
func (s *Service) LogOnly(ctx context.Context, e Entry) {
	ev, err := build(e, time.Now())
	if err != nil {
		s.log.ErrorContext(ctx, "audit_event_invalid", "action", e.Action, "err", err)
		return
	}
	s.logLine(ctx, ev)
}

func (s *Service) logLine(ctx context.Context, ev Event) {
	attrs := []slog.Attr{
		slog.String("audit_id", ev.ID),
		slog.String("account_id", ev.AccountID),
		slog.String("action", ev.Action),
		slog.String("actor_type", ev.Actor.Type),
		slog.String("actor_id", ev.Actor.ID),
		slog.String("actor_email", ev.Actor.Email),
		slog.String("target_type", ev.Target.Type),
		slog.String("target_id", ev.Target.ID),
		slog.String("ip", ev.IP),
		slog.String("user_agent", ev.UserAgent),
	}
	var details map[string]any
	if json.Unmarshal(ev.Details, &details) == nil && len(details) > 0 {
		attrs = append(attrs, slog.Any("details", details))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}

// build checks e and makes the stored event: every text bounded, valid
// UTF-8, without control characters and with card numbers masked.
func build(e Entry, now time.Time) (Event, error) {
	if e.Action == "" || e.Actor.Type == "" {
		return Event{}, fmt.Errorf("audit entry needs an action and an actor type")
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		b, err := json.Marshal(cleanDetails(e.Details))
		if err != nil {
			return Event{}, fmt.Errorf("audit details: %w", err)
		}
		if len(b) > maxDetails {
			b = []byte(`{"truncated":true}`)
		}
		details = b
	}
	return Event{
		ID:        id.New(),
		AccountID: e.AccountID,
		CreatedAt: time.UnixMicro(now.UnixMicro()).UTC(),
		Actor:     Actor{Type: clean(e.Actor.Type, 40), ID: clean(e.Actor.ID, maxText), Name: clean(e.Actor.Name, maxText), Email: clean(e.Actor.Email, 254)},
		Action:    clean(e.Action, 100),
		Target:    Target{Type: clean(e.Target.Type, 40), ID: clean(e.Target.ID, maxText), Label: clean(e.Target.Label, maxText)},
		IP:        clean(e.Origin.IP, 64),
		UserAgent: clean(e.Origin.UserAgent, maxUserAgent),
		Details:   details,
	}, nil
}

// clean makes s safe to keep and show: valid UTF-8, control characters as
// spaces, trimmed to max characters, card numbers masked.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = strings.TrimSpace(string([]rune(s)[:max]))
	}
	return mask.Cards(s)
}

// cleanDetails cleans the strings of a details object, one level deep and
// in string lists (what callers put there).
func cleanDetails(d map[string]any) map[string]any {
	out := make(map[string]any, len(d))
	for k, v := range d {
		switch v := v.(type) {
		case string:
			out[k] = clean(v, maxText)
		case []string:
			l := make([]string, len(v))
			for i, s := range v {
				l[i] = clean(s, maxText)
			}
			out[k] = l
		default:
			out[k] = v
		}
	}
	return out
}

// Filter selects a page of the log.
type Filter struct {
	Action  string
	ActorID string
	Limit   int
	Cursor  string
}

// Page is one page of the log, newest first.
type Page struct {
	Items      []Event `json:"items"`
	NextCursor string  `json:"next_cursor"`
}

// listQuery is the page query of f (ending in LIMIT ?) and its arguments.
// Each filter has its own index, walked in order.
func listQuery(accountID string, f Filter) (string, []any, error) {
	where := []string{"account_id = ?"}
	args := []any{accountID}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.ActorID != "" {
		where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
	}
	if f.Cursor != "" {
		at, id, err := cursor.Decode(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		// A row-value comparison: both databases seek the index to the
		// cursor instead of reading the pages before it.
		where, args = append(where, "(created_at, id) < (?, ?)"), append(args, at, id)
	}
	return `SELECT id, account_id, created_at, actor_type, actor_id, actor_name, actor_email, action, target_type, target_id, target_label, ip, user_agent, details
		FROM audit_events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY created_at DESC, id DESC LIMIT ?`, args, nil
}

// List returns a page of the account's log, newest first.
func (s *Service) List(ctx context.Context, accountID string, f Filter) (Page, error) {
	limit := cursor.ClampLimit(f.Limit)
	q, args, err := listQuery(accountID, f)
	if err != nil {
		return Page{}, err
	}
	rows, err := s.db.Query(ctx, q, append(args, limit+1)...)
	if err != nil {
		return Page{}, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	page := Page{Items: make([]Event, 0, min(limit, 64))}
	for rows.Next() {
		var ev Event
		var created int64
		var details string
		if err := rows.Scan(&ev.ID, &ev.AccountID, &created, &ev.Actor.Type, &ev.Actor.ID, &ev.Actor.Name, &ev.Actor.Email,
			&ev.Action, &ev.Target.Type, &ev.Target.ID, &ev.Target.Label, &ev.IP, &ev.UserAgent, &details); err != nil {
			return Page{}, err
		}
		ev.CreatedAt = time.UnixMicro(created).UTC()
		ev.Details = json.RawMessage(details)
		if !json.Valid(ev.Details) {
			ev.Details = json.RawMessage("{}")
		}
		page.Items = append(page.Items, ev)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = cursor.Encode(last.CreatedAt.UnixMicro(), last.ID)
	}
	return page, nil
}

// Prune deletes the entries older than keep and returns how many.
func (s *Service) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM audit_events WHERE created_at < ?`, time.Now().Add(-keep).UnixMicro())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
