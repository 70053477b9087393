package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/id"
)

// Identity is the account's identity verification: a site that signs its
// logged-in users' ids with Secret lets the chat box prove who a visitor
// is. Only a signed id joins the user's contact; with Verify on, an
// unsigned id is refused outright instead of being kept as an unverified
// label on the visitor's own contact.
type Identity struct {
	Secret string `json:"secret"`
	Verify bool   `json:"verify"`
}

// Identity returns the account's identity settings, creating the secret on
// first use.
func (s *Service) Identity(ctx context.Context, accountID string) (Identity, error) {
	var out Identity
	err := s.db.QueryRow(ctx, `SELECT identity_secret, identity_verify FROM accounts WHERE id = ?`, accountID).Scan(&out.Secret, &out.Verify)
	if errors.Is(err, sql.ErrNoRows) {
		return out, apperr.NotFound("account")
	}
	if err != nil || out.Secret != "" {
		return out, err
	}
	return s.rotate(ctx, accountID, `identity_secret = ''`)
}

// RotateIdentitySecret replaces the secret: hashes made with the old one
// stop matching at once.
func (s *Service) RotateIdentitySecret(ctx context.Context, accountID string) (Identity, error) {
	return s.rotate(ctx, accountID, `1 = 1`)
}

// rotate sets a new secret where cond holds (so two first reads agree on
// one secret) and returns the stored settings.
func (s *Service) rotate(ctx context.Context, accountID, cond string) (Identity, error) {
	var out Identity
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE accounts SET identity_secret = ? WHERE id = ? AND `+cond, "ids_"+id.Secret(), accountID); err != nil {
			return fmt.Errorf("set identity secret: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT identity_secret, identity_verify FROM accounts WHERE id = ?`, accountID).Scan(&out.Secret, &out.Verify)
	})
	return out, err
}

// SetIdentityVerify turns verification on or off.
func (s *Service) SetIdentityVerify(ctx context.Context, accountID string, verify bool) (Identity, error) {
	if _, err := s.Identity(ctx, accountID); err != nil {
		return Identity{}, err
	}
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE accounts SET identity_verify = ? WHERE id = ?`, verify, accountID)
		return err
	})
	if err != nil {
		return Identity{}, err
	}
	return s.Identity(ctx, accountID)
}

// UserHash is what a site computes for its user: lowercase hex
// HMAC-SHA256(secret, userID).
func UserHash(secret, userID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckUser decides whether a visitor's claim to be the site's user userID
// is proven. Only a hash that matches proves it (verified is true); a claim
// without a hash is unproven — refused when the account verifies
// identities, otherwise kept apart from the user's contact by the caller.
// A hash that does not match is always refused: the site meant to sign and
// the signature is wrong (or forged). Hashes are compared in constant time.
func (s *Service) CheckUser(ctx context.Context, accountID, userID, hash string) (verified bool, err error) {
	idn, err := s.Identity(ctx, accountID)
	if err != nil {
		return false, err
	}
	if hash == "" {
		if idn.Verify {
			return false, apperr.Forbidden("this site verifies identities: user_hash is required with user_id")
		}
		return false, nil
	}
	want := UserHash(idn.Secret, userID)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(hash))) {
		return false, apperr.Forbidden("user_hash does not match user_id")
	}
	return true, nil
}
