// Package agent manages the people who answer conversations: their roles,
// passwords, sign-in tokens, status and presence.
package agent

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/mask"
)

// Roles.
const (
	RoleOwner = "owner"
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// Statuses.
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
)

// Login limits: failed attempts per email and per address in the window.
const (
	loginWindow       = 15 * time.Minute
	maxFailsPerEmail  = 10
	maxFailsPerAddr   = 100
	tokenLifetime     = 90 * 24 * time.Hour
	minPasswordLength = 8
	maxPasswordLength = 1024
	maxNameLength     = 200
)

// Agent is a person of an account who answers conversations.
type Agent struct {
	ID                        string    `json:"id"`
	AccountID                 string    `json:"account_id"`
	Email                     string    `json:"email"`
	Name                      string    `json:"name"`
	Role                      string    `json:"role"`
	Active                    bool      `json:"active"`
	Status                    string    `json:"status"`
	NotifyOfflineMessages     bool      `json:"notify_offline_messages"`
	NotifyMissedConversations bool      `json:"notify_missed_conversations"`
	CreatedAt                 time.Time `json:"created_at"`
}

// CanManage reports whether the agent has full access (admin or owner).
func (a Agent) CanManage() bool { return a.Role == RoleOwner || a.Role == RoleAdmin }

// Service is the agent store and its rules.
type Service struct {
	db      *database.DB
	hub     *event.Hub
	log     *slog.Logger
	limiter *failLimiter
}

// NewService returns the agent service.
func NewService(db *database.DB, hub *event.Hub, log *slog.Logger) *Service {
	return &Service{db: db, hub: hub, log: log, limiter: newFailLimiter(loginWindow)}
}

const columns = `id, account_id, email, name, role, active, status, notify_offline_messages, notify_missed_conversations, created_at`

func scan(row interface{ Scan(...any) error }) (Agent, error) {
	var a Agent
	var created int64
	err := row.Scan(&a.ID, &a.AccountID, &a.Email, &a.Name, &a.Role, &a.Active, &a.Status, &a.NotifyOfflineMessages, &a.NotifyMissedConversations, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFound("agent")
	}
	a.CreatedAt = time.UnixMicro(created).UTC()
	return a, err
}

// NewAgent is what creating an agent takes.
type NewAgent struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// NormalizeEmail validates an email address for sign-in and lower-cases it.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || len(s) > 254 {
		return "", apperr.Invalid("email", "email must be a plain address like ann@example.com")
	}
	if mask.Cards(s) != s {
		return "", apperr.Invalid("email", "email must not hold a payment card number")
	}
	return strings.ToLower(s), nil
}

func validName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", apperr.Invalid(field, "%s must be valid text", field)
	}
	if s == "" {
		return "", apperr.Invalid(field, "%s must not be empty", field)
	}
	if utf8.RuneCountInString(s) > maxNameLength {
		return "", apperr.Invalid(field, "%s must be at most %d characters", field, maxNameLength)
	}
	return mask.Cards(s), nil
}

func validPassword(p string) error {
	if utf8.RuneCountInString(p) < minPasswordLength {
		return apperr.Invalid("password", "password must be at least %d characters", minPasswordLength)
	}
	if len(p) > maxPasswordLength {
		return apperr.Invalid("password", "password must be at most %d bytes", maxPasswordLength)
	}
	return nil
}

// Insert validates n and adds the agent inside tx (used when an account and
// its owner are created together). role may be owner only here.
func Insert(ctx context.Context, tx *database.Tx, accountID string, n NewAgent) (Agent, error) {
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return Agent{}, err
	}
	name := strings.TrimSpace(n.Name)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if name, err = validName("name", name); err != nil {
		return Agent{}, err
	}
	if err := validPassword(n.Password); err != nil {
		return Agent{}, err
	}
	switch n.Role {
	case RoleOwner, RoleAdmin, RoleAgent:
	case "":
		n.Role = RoleAgent
	default:
		return Agent{}, apperr.Invalid("role", "role must be agent or admin")
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return Agent{}, err
	}
	now := time.Now()
	a := Agent{ID: id.New(), AccountID: accountID, Email: email, Name: name, Role: n.Role, Active: true, Status: StatusOffline,
		NotifyOfflineMessages: true, NotifyMissedConversations: true, CreatedAt: time.UnixMicro(now.UnixMicro()).UTC()}
	_, err = tx.Exec(ctx, `INSERT INTO agents (`+columns+`, password_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.AccountID, a.Email, a.Name, a.Role, a.Active, a.Status, a.NotifyOfflineMessages, a.NotifyMissedConversations, now.UnixMicro(), hash, now.UnixMicro())
	if database.IsUniqueViolation(err) {
		return Agent{}, apperr.Conflict("an agent with this email already exists")
	}
	if err != nil {
		return Agent{}, fmt.Errorf("insert agent: %w", err)
	}
	return a, nil
}

// Create adds an agent to the actor's account (admin and owner only).
func (s *Service) Create(ctx context.Context, actor Agent, n NewAgent) (Agent, error) {
	if !actor.CanManage() {
		return Agent{}, apperr.Forbidden("only an admin or the owner may add agents")
	}
	if n.Role == RoleOwner {
		return Agent{}, apperr.Invalid("role", "an account has one owner; role must be agent or admin")
	}
	var a Agent
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		var err error
		a, err = Insert(ctx, tx, actor.AccountID, n)
		return err
	})
	return a, err
}

// Agent returns one agent of the account.
func (s *Service) Agent(ctx context.Context, accountID, agentID string) (Agent, error) {
	return scan(s.db.QueryRow(ctx, `SELECT `+columns+` FROM agents WHERE id = ? AND account_id = ?`, agentID, accountID))
}

// List returns every agent of the account, oldest first.
func (s *Service) List(ctx context.Context, accountID string) ([]Agent, error) {
	rows, err := s.db.Query(ctx, `SELECT `+columns+` FROM agents WHERE account_id = ? ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Agent{}
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Patch is a partial update of an agent; nil fields stay as they are.
type Patch struct {
	Name                      *string `json:"name"`
	Role                      *string `json:"role"`
	Active                    *bool   `json:"active"`
	Status                    *string `json:"status"`
	NotifyOfflineMessages     *bool   `json:"notify_offline_messages"`
	NotifyMissedConversations *bool   `json:"notify_missed_conversations"`
	Password                  *string `json:"password"`
	CurrentPassword           *string `json:"current_password"`
}

// UpdateMe changes the actor's own profile, status and notification choices.
func (s *Service) UpdateMe(ctx context.Context, actor Agent, p Patch) (Agent, error) {
	if p.Role != nil || p.Active != nil {
		return Agent{}, apperr.Forbidden("role and active are changed by an admin through /api/v1/agents")
	}
	if p.Password != nil {
		if err := validPassword(*p.Password); err != nil {
			return Agent{}, err
		}
		var hash string
		if err := s.db.QueryRow(ctx, `SELECT password_hash FROM agents WHERE id = ?`, actor.ID).Scan(&hash); err != nil {
			return Agent{}, err
		}
		if p.CurrentPassword == nil {
			return Agent{}, apperr.Invalid("current_password", "give your current password to set a new one")
		}
		if ok, _ := CheckPassword(hash, *p.CurrentPassword); !ok {
			return Agent{}, apperr.Invalid("current_password", "current password is wrong")
		}
	}
	return s.update(ctx, actor.AccountID, actor.ID, p)
}

// Update changes another agent (admin and owner only). Nobody becomes owner
// this way, and the owner's role and activity cannot be changed.
func (s *Service) Update(ctx context.Context, actor Agent, agentID string, p Patch) (Agent, error) {
	target, err := s.Agent(ctx, actor.AccountID, agentID)
	if err != nil {
		return Agent{}, err
	}
	if !actor.CanManage() {
		return Agent{}, apperr.Forbidden("only an admin or the owner may change agents")
	}
	if p.Role != nil {
		if *p.Role != RoleAdmin && *p.Role != RoleAgent {
			return Agent{}, apperr.Invalid("role", "role must be agent or admin")
		}
		if target.Role == RoleOwner && *p.Role != RoleOwner {
			return Agent{}, apperr.Forbidden("the owner's role cannot be changed")
		}
	}
	if p.Active != nil && !*p.Active && target.Role == RoleOwner {
		return Agent{}, apperr.Forbidden("the owner cannot be deactivated")
	}
	if p.Password != nil {
		return Agent{}, apperr.Forbidden("a password is changed by its agent through PATCH /api/v1/me, with the current password")
	}
	if (p.NotifyOfflineMessages != nil || p.NotifyMissedConversations != nil) && target.ID != actor.ID {
		return Agent{}, apperr.Forbidden("notification choices are the agent's own")
	}
	return s.update(ctx, actor.AccountID, agentID, p)
}

func (s *Service) update(ctx context.Context, accountID, agentID string, p Patch) (Agent, error) {
	var sets []string
	var args []any
	if p.Name != nil {
		name, err := validName("name", *p.Name)
		if err != nil {
			return Agent{}, err
		}
		sets, args = append(sets, "name = ?"), append(args, name)
	}
	if p.Role != nil {
		sets, args = append(sets, "role = ?"), append(args, *p.Role)
	}
	if p.Active != nil {
		sets, args = append(sets, "active = ?"), append(args, *p.Active)
	}
	if p.Status != nil {
		if *p.Status != StatusOnline && *p.Status != StatusOffline {
			return Agent{}, apperr.Invalid("status", "status must be online or offline")
		}
		sets, args = append(sets, "status = ?"), append(args, *p.Status)
	}
	if p.NotifyOfflineMessages != nil {
		sets, args = append(sets, "notify_offline_messages = ?"), append(args, *p.NotifyOfflineMessages)
	}
	if p.NotifyMissedConversations != nil {
		sets, args = append(sets, "notify_missed_conversations = ?"), append(args, *p.NotifyMissedConversations)
	}
	if p.Password != nil {
		hash, err := HashPassword(*p.Password)
		if err != nil {
			return Agent{}, err
		}
		sets, args = append(sets, "password_hash = ?"), append(args, hash)
	}
	var before, after Agent
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		var err error
		if before, err = scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM agents WHERE id = ? AND account_id = ?`, agentID, accountID)); err != nil {
			return err
		}
		if len(sets) > 0 {
			q := `UPDATE agents SET ` + strings.Join(sets, ", ") + `, updated_at = ? WHERE id = ?`
			if _, err := tx.Exec(ctx, q, append(args, time.Now().UnixMicro(), agentID)...); err != nil {
				return fmt.Errorf("update agent: %w", err)
			}
		}
		if p.Active != nil && !*p.Active {
			// A deactivated agent is signed out everywhere.
			if _, err := tx.Exec(ctx, `DELETE FROM tokens WHERE agent_id = ?`, agentID); err != nil {
				return err
			}
		}
		after, err = scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM agents WHERE id = ?`, agentID))
		return err
	})
	if err != nil {
		return Agent{}, err
	}
	if before.Status != after.Status || before.Active != after.Active {
		s.announcePresence(ctx, after)
	}
	return after, nil
}

// announcePresence tells the account's agents that an agent's status changed
// and its visitors whether the team is now online.
func (s *Service) announcePresence(ctx context.Context, a Agent) {
	status := a.Status
	if !a.Active {
		status = StatusOffline
	}
	data, _ := json.Marshal(map[string]string{"agent_id": a.ID, "status": status})
	s.hub.Publish(&event.Event{AccountID: a.AccountID, AgentFrame: event.Frame("presence", 0, data)})
	online, err := s.Online(ctx, a.AccountID)
	if err != nil {
		return
	}
	vd, _ := json.Marshal(map[string]bool{"online": online})
	s.hub.BroadcastVisitors(a.AccountID, event.Frame("presence", 0, vd))
}

// Online reports whether any active agent of the account is online.
func (s *Service) Online(ctx context.Context, accountID string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM agents WHERE account_id = ? AND active = ? AND status = ?`, accountID, true, StatusOnline).Scan(&n)
	return n > 0, err
}

// Login checks an email and password and returns a new bearer token.
// Failed attempts are limited per email and per address.
func (s *Service) Login(ctx context.Context, email, password, addr string) (string, Agent, error) {
	now := time.Now()
	email = strings.ToLower(strings.TrimSpace(email))
	for _, k := range []struct {
		key string
		max int
	}{{"email:" + email, maxFailsPerEmail}, {"addr:" + addr, maxFailsPerAddr}} {
		if blocked, wait := s.limiter.blocked(k.key, k.max, now); blocked {
			return "", Agent{}, apperr.RateLimited("too many failed sign-in attempts; try again later", wait)
		}
	}
	var hash string
	var a Agent
	var created int64
	err := s.db.QueryRow(ctx, `SELECT `+columns+`, password_hash FROM agents WHERE email = ?`, email).
		Scan(&a.ID, &a.AccountID, &a.Email, &a.Name, &a.Role, &a.Active, &a.Status, &a.NotifyOfflineMessages, &a.NotifyMissedConversations, &created, &hash)
	a.CreatedAt = time.UnixMicro(created).UTC()
	ok := false
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Spend the same time as a real check so timing does not tell
		// which emails exist.
		CheckPassword(dummyHash, password)
	case err != nil:
		return "", Agent{}, err
	default:
		ok, err = CheckPassword(hash, password)
		if err != nil {
			s.log.Error("password_check_failed", "agent_id", a.ID, "err", err)
		}
		ok = ok && a.Active
	}
	if !ok {
		s.limiter.fail("email:"+email, now)
		s.limiter.fail("addr:"+addr, now)
		return "", Agent{}, apperr.Unauthorized("wrong email or password")
	}
	s.limiter.reset("email:" + email)
	token := id.Secret()
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tokens (hash, agent_id, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			id.Hash(token), a.ID, a.AccountID, now.UnixMicro(), now.Add(tokenLifetime).UnixMicro())
		return err
	})
	if err != nil {
		return "", Agent{}, fmt.Errorf("store token: %w", err)
	}
	return token, a, nil
}

var dummyHash, _ = HashPassword("not a real password")

// Authenticate returns the active agent a bearer token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (Agent, error) {
	if token == "" || len(token) > 200 {
		return Agent{}, apperr.Unauthorized("missing or invalid token")
	}
	var expires int64
	var a Agent
	var created int64
	err := s.db.QueryRow(ctx, `SELECT a.id, a.account_id, a.email, a.name, a.role, a.active, a.status, a.notify_offline_messages, a.notify_missed_conversations, a.created_at, t.expires_at
		FROM tokens t JOIN agents a ON a.id = t.agent_id WHERE t.hash = ?`, id.Hash(token)).
		Scan(&a.ID, &a.AccountID, &a.Email, &a.Name, &a.Role, &a.Active, &a.Status, &a.NotifyOfflineMessages, &a.NotifyMissedConversations, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!a.Active || time.Now().UnixMicro() > expires)) {
		return Agent{}, apperr.Unauthorized("missing or invalid token")
	}
	a.CreatedAt = time.UnixMicro(created).UTC()
	return a, err
}

// Logout revokes a bearer token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM tokens WHERE hash = ?`, id.Hash(token))
		return err
	})
}
