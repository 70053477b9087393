// Package apikey keeps the keys a shop's back end uses to push customer data
// (PUT /api/v1/customers/{external_id}). Only a key's hash is stored; the
// key itself is shown once, when it is made.
package apikey

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/mask"
)

// Prefix starts every key, so a leaked one is recognisable.
const Prefix = "pk_"

// Key is an API key as listed; Secret is set only when it is created.
type Key struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Secret     string     `json:"key,omitempty"`
}

// Service is the key store.
type Service struct{ db *database.DB }

// NewService returns the key store.
func NewService(db *database.DB) *Service { return &Service{db: db} }

// usedEvery bounds how often last_used_at is written for a busy key.
const usedEvery = time.Minute

// Create makes a key for the account; the returned Secret is the only copy.
func (s *Service) Create(ctx context.Context, accountID, createdBy, name string) (Key, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return Key{}, apperr.Invalid("name", "name must be 1 to 100 characters, e.g. the shop's back end")
	}
	name = mask.Cards(name)
	secret := Prefix + id.Secret()
	k := Key{ID: id.New(), Name: name, Prefix: secret[:len(Prefix)+6], CreatedBy: createdBy,
		CreatedAt: time.UnixMicro(time.Now().UnixMicro()).UTC(), Secret: secret}
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, account_id, name, prefix, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			k.ID, accountID, k.Name, k.Prefix, id.Hash(secret), createdBy, k.CreatedAt.UnixMicro())
		return err
	})
	if err != nil {
		return Key{}, fmt.Errorf("create api key: %w", err)
	}
	return k, nil
}

// List returns the account's working keys, oldest first.
func (s *Service) List(ctx context.Context, accountID string) ([]Key, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name, prefix, created_by, created_at, last_used_at FROM api_keys
		WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		var k Key
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &k.Prefix, &k.CreatedBy, &created, &used); err != nil {
			return nil, err
		}
		k.CreatedAt = time.UnixMicro(created).UTC()
		if used.Valid {
			t := time.UnixMicro(used.Int64).UTC()
			k.LastUsedAt = &t
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Revoke stops a key at once; another account's key is not found.
func (s *Service) Revoke(ctx context.Context, accountID, keyID string) error {
	return s.db.Write(ctx, func(tx *database.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL`,
			time.Now().UnixMicro(), keyID, accountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("api key")
		}
		return nil
	})
}

// Authenticate returns the account a key belongs to.
func (s *Service) Authenticate(ctx context.Context, secret string) (accountID string, err error) {
	if !strings.HasPrefix(secret, Prefix) || len(secret) > 200 {
		return "", apperr.Unauthorized("missing or invalid API key")
	}
	var keyID string
	var used sql.NullInt64
	var revoked sql.NullInt64
	err = s.db.QueryRow(ctx, `SELECT id, account_id, last_used_at, revoked_at FROM api_keys WHERE hash = ?`, id.Hash(secret)).
		Scan(&keyID, &accountID, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked.Valid) {
		return "", apperr.Unauthorized("missing or invalid API key")
	}
	if err != nil {
		return "", err
	}
	now := time.Now()
	if !used.Valid || now.Sub(time.UnixMicro(used.Int64)) > usedEvery {
		err = s.db.Write(ctx, func(tx *database.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now.UnixMicro(), keyID)
			return err
		})
	}
	return accountID, err
}
