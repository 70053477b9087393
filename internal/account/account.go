// Package account manages accounts (a shop, a website), the first start of
// an installation and its one-time owner setup.
package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/mask"
)

// Account is one shop or website served by the installation.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	WidgetKey string    `json:"widget_key"`
	CreatedAt time.Time `json:"created_at"`
	// RequireTwoFactor: every agent must sign in with a second factor
	// (set by the owner).
	RequireTwoFactor bool `json:"require_two_factor"`
}

// Service is the account store.
type Service struct {
	db *database.DB
}

// NewService returns the account service.
func NewService(db *database.DB) *Service { return &Service{db: db} }

const accountColumns = `id, name, widget_key, created_at, require_two_factor`

func scan(row *sql.Row) (Account, error) {
	var a Account
	var created int64
	err := row.Scan(&a.ID, &a.Name, &a.WidgetKey, &created, &a.RequireTwoFactor)
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFound("account")
	}
	a.CreatedAt = time.UnixMicro(created).UTC()
	return a, err
}

// Account returns an account by id.
func (s *Service) Account(ctx context.Context, accountID string) (Account, error) {
	return scan(s.db.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, accountID))
}

// AccountPatch is a partial update of an account; nil fields stay as they are.
type AccountPatch struct {
	// Name is the shop's name, shown to visitors (admins and the owner).
	Name *string `json:"name"`
	// RequireTwoFactor makes every agent sign in with a second factor
	// (the owner alone).
	RequireTwoFactor *bool `json:"require_two_factor"`
}

// maxRename bounds a name set through the API (PATCH /api/v1/account).
const maxRename = 100

// Update changes the actor's account: all of p or, when any field is bad
// or not the actor's to change, nothing. Only admins and the owner change
// the name; requiring two-factor sign-in of the whole team is the owner's
// alone, and only once the owner signs in so. The chat box shows a new
// name at its next session.
func (s *Service) Update(ctx context.Context, actor agent.Agent, p AccountPatch) (Account, error) {
	if p.Name == nil && p.RequireTwoFactor == nil {
		return Account{}, apperr.Invalid("name", "give name or require_two_factor to change")
	}
	var sets []string
	var args []any
	if p.Name != nil {
		if !actor.CanManage() {
			return Account{}, apperr.Forbidden("only an admin or the owner may rename the account")
		}
		name, err := validAccountName(*p.Name)
		if err != nil {
			return Account{}, err
		}
		if utf8.RuneCountInString(name) > maxRename {
			return Account{}, apperr.Invalid("name", "account name must be at most %d characters", maxRename)
		}
		sets, args = append(sets, "name = ?"), append(args, name)
	}
	if p.RequireTwoFactor != nil {
		if actor.Role != agent.RoleOwner {
			return Account{}, apperr.Forbidden("only the owner may require two-factor sign-in")
		}
		if *p.RequireTwoFactor && !actor.TwoFactor {
			return Account{}, apperr.Invalid("require_two_factor", "turn on two-factor sign-in for yourself first (Profile)")
		}
		sets, args = append(sets, "require_two_factor = ?"), append(args, *p.RequireTwoFactor)
	}
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE accounts SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, actor.AccountID)...)
		if err != nil {
			return fmt.Errorf("update account: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("account")
		}
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	return s.Account(ctx, actor.AccountID)
}

// ByWidgetKey returns the account a chat box belongs to.
func (s *Service) ByWidgetKey(ctx context.Context, key string) (Account, error) {
	if key == "" || len(key) > 100 {
		return Account{}, apperr.NotFound("widget key")
	}
	a, err := scan(s.db.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE widget_key = ?`, key))
	if errors.Is(err, apperr.ErrNotFound) {
		return a, apperr.NotFound("widget key")
	}
	return a, err
}

func validAccountName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return "", apperr.Invalid("name", "account name must be valid text")
	}
	if name == "" {
		return "", apperr.Invalid("name", "account name must not be empty")
	}
	if utf8.RuneCountInString(name) > 200 {
		return "", apperr.Invalid("name", "account name must be at most 200 characters")
	}
	return mask.Cards(name), nil
}

func insert(ctx context.Context, tx *database.Tx, name string) (Account, error) {
	now := time.Now()
	a := Account{ID: id.New(), Name: name, WidgetKey: id.Key(), CreatedAt: time.UnixMicro(now.UnixMicro()).UTC()}
	_, err := tx.Exec(ctx, `INSERT INTO accounts (id, name, widget_key, last_seq, created_at) VALUES (?, ?, ?, 0, ?)`, a.ID, a.Name, a.WidgetKey, now.UnixMicro())
	if err != nil {
		return Account{}, fmt.Errorf("insert account: %w", err)
	}
	return a, nil
}

// Create adds an account with its owner.
func (s *Service) Create(ctx context.Context, name string, owner agent.NewAgent) (Account, agent.Agent, error) {
	name, err := validAccountName(name)
	if err != nil {
		return Account{}, agent.Agent{}, err
	}
	owner.Role = agent.RoleOwner
	var a Account
	var o agent.Agent
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		var err error
		if a, err = insert(ctx, tx, name); err != nil {
			return err
		}
		o, err = agent.Insert(ctx, tx, a.ID, owner)
		return err
	})
	return a, o, err
}

// FirstStart prepares a database that has no account yet: it creates the
// first account, with its owner when ownerEmail is set, and otherwise returns
// a one-time setup token for creating the owner. It does nothing (and
// returns empty values) once the installation has been set up, also when
// several processes start at once.
func (s *Service) FirstStart(ctx context.Context, accountName string, owner *agent.NewAgent) (acc Account, setupToken string, err error) {
	if owner != nil {
		// Validate before anything is written so a bad setting is reported
		// instead of leaving a half-set-up installation.
		if _, err := agent.NormalizeEmail(owner.Email); err != nil {
			return Account{}, "", fmt.Errorf("PARLEY_OWNER_EMAIL: %w", err)
		}
		if utf8.RuneCountInString(owner.Password) < 8 {
			return Account{}, "", errors.New("PARLEY_OWNER_PASSWORD: must be at least 8 characters")
		}
	}
	if accountName, err = validAccountName(accountName); err != nil {
		return Account{}, "", fmt.Errorf("PARLEY_ACCOUNT_NAME: %w", err)
	}
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM install`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		var existing int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&existing); err != nil {
			return err
		}
		var tokenHash any
		if existing == 0 {
			var err error
			if acc, err = insert(ctx, tx, accountName); err != nil {
				return err
			}
			if owner != nil {
				o := *owner
				o.Role = agent.RoleOwner
				if _, err := agent.Insert(ctx, tx, acc.ID, o); err != nil {
					return err
				}
			} else {
				setupToken = id.Secret()
				tokenHash = id.Hash(setupToken)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO install (id, setup_token_hash, created_at) VALUES (1, ?, ?)`, tokenHash, time.Now().UnixMicro())
		return err
	})
	if database.IsUniqueViolation(err) {
		return Account{}, "", nil // another process set the installation up first
	}
	return acc, setupToken, err
}

// SetupPending reports whether the one-time owner setup is still open.
func (s *Service) SetupPending(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM install WHERE setup_token_hash IS NOT NULL`).Scan(&n)
	return n > 0, err
}

// Setup creates the owner of the first account with the one-time token
// printed at first start, renaming the account when accountName is given;
// the token then stops working.
func (s *Service) Setup(ctx context.Context, token, accountName string, owner agent.NewAgent) (Account, agent.Agent, error) {
	var a Account
	var o agent.Agent
	if accountName != "" {
		var err error
		if accountName, err = validAccountName(accountName); err != nil {
			return a, o, err
		}
	}
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		var hash sql.NullString
		err := tx.QueryRow(ctx, `SELECT setup_token_hash FROM install WHERE id = 1`).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (!hash.Valid || hash.String != id.Hash(token))) {
			return apperr.NotFound("setup link (already used or wrong)")
		}
		if err != nil {
			return err
		}
		var created int64
		err = tx.QueryRow(ctx, `SELECT id, name, widget_key, created_at FROM accounts ORDER BY created_at, id LIMIT 1`).Scan(&a.ID, &a.Name, &a.WidgetKey, &created)
		if err != nil {
			return fmt.Errorf("first account: %w", err)
		}
		a.CreatedAt = time.UnixMicro(created).UTC()
		owner.Role = agent.RoleOwner
		if o, err = agent.Insert(ctx, tx, a.ID, owner); err != nil {
			return err
		}
		if accountName != "" {
			if _, err := tx.Exec(ctx, `UPDATE accounts SET name = ? WHERE id = ?`, accountName, a.ID); err != nil {
				return err
			}
			a.Name = accountName
		}
		_, err = tx.Exec(ctx, `UPDATE install SET setup_token_hash = NULL WHERE id = 1`)
		return err
	})
	return a, o, err
}

// First returns the oldest account (the one /demo shows).
func (s *Service) First(ctx context.Context) (Account, error) {
	return scan(s.db.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY created_at, id LIMIT 1`))
}
