package agent

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/id"
)

// Error codes the dashboard acts on.
const (
	// CodeTwoFactorRequired: the password was right; sign in again with
	// the code of the agent's authenticator app (or a recovery code).
	CodeTwoFactorRequired = "two_factor_required"
	// CodeTwoFactorSetupRequired: the account requires two-factor sign-in
	// and the agent has to set it up before anything else.
	CodeTwoFactorSetupRequired = "two_factor_setup_required"
)

// recoveryCodeCount is how many one-time recovery codes an agent gets.
const recoveryCodeCount = 10

// Enrolment is a two-factor secret being set up: the agent adds it to an
// authenticator app and confirms it with a code.
type Enrolment struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

// Enabled is the answer to a confirmed enrolment: the recovery codes, shown
// this once (only their hashes are kept), and the agent.
type Enabled struct {
	RecoveryCodes []string `json:"recovery_codes"`
	Agent         Agent    `json:"agent"`
}

// StartTwoFactor makes a new secret for the actor, pending until it is
// confirmed with a code. Two-factor sign-in stays as it is until then.
func (s *Service) StartTwoFactor(ctx context.Context, actor Agent, sess Session, currentPassword string) (Enrolment, error) {
	if actor.TwoFactor {
		return Enrolment{}, apperr.Conflict("two-factor sign-in is already on; turn it off first to set up a new app")
	}
	if err := s.confirmPassword(ctx, actor, sess.Addr, currentPassword); err != nil {
		return Enrolment{}, err
	}
	key := make([]byte, 20)
	rand.Read(key)
	secret := secretEncoding.EncodeToString(key)
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE agents SET totp_pending = ?, updated_at = ? WHERE id = ?`, secret, time.Now().UnixMicro(), actor.ID)
		return err
	})
	if err != nil {
		return Enrolment{}, err
	}
	q := url.Values{"secret": {secret}, "issuer": {"Parley"}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	label := url.PathEscape("Parley:" + actor.Email)
	return Enrolment{Secret: secret, OTPAuthURL: "otpauth://totp/" + label + "?" + q.Encode()}, nil
}

// ConfirmTwoFactor turns two-factor sign-in on with a code of the pending
// secret and returns new recovery codes (earlier ones stop working).
func (s *Service) ConfirmTwoFactor(ctx context.Context, actor Agent, code string) (Enabled, error) {
	var pending string
	if err := s.db.QueryRow(ctx, `SELECT totp_pending FROM agents WHERE id = ?`, actor.ID).Scan(&pending); err != nil {
		return Enabled{}, err
	}
	if pending == "" {
		return Enabled{}, apperr.Conflict("no two-factor set-up is pending: start with POST /api/v1/me/two-factor")
	}
	key, err := secretEncoding.DecodeString(pending)
	if err != nil {
		return Enabled{}, err
	}
	step, ok := totpMatch(key, normalizeCode(code), s.now())
	if !ok {
		return Enabled{}, apperr.Invalid("code", "the code is wrong or too old; type the current code of your app")
	}
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	var a Agent
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE agents SET two_factor = ?, totp_secret = totp_pending, totp_pending = '', totp_last_step = ?, updated_at = ?
			WHERE id = ? AND totp_pending = ?`, true, step, time.Now().UnixMicro(), actor.ID, pending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return apperr.Conflict("the two-factor set-up changed meanwhile; start again")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE agent_id = ?`, actor.ID); err != nil {
			return err
		}
		now := time.Now().UnixMicro()
		for _, c := range codes {
			if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (hash, agent_id, created_at) VALUES (?, ?, ?)`, id.Hash(normalizeCode(c)), actor.ID, now); err != nil {
				return err
			}
		}
		a, err = scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM agents WHERE id = ?`, actor.ID))
		return err
	})
	if err != nil {
		return Enabled{}, err
	}
	return Enabled{RecoveryCodes: codes, Agent: a}, nil
}

// DisableTwoFactor turns two-factor sign-in off, with the current password
// and a code (a wrong one counts as a failed sign-in). An agent whose
// account requires two-factor sign-in cannot turn it off.
func (s *Service) DisableTwoFactor(ctx context.Context, actor Agent, sess Session, currentPassword, code string) (Agent, error) {
	if !actor.TwoFactor {
		return Agent{}, apperr.Conflict("two-factor sign-in is already off")
	}
	var required bool
	if err := s.db.QueryRow(ctx, `SELECT require_two_factor FROM accounts WHERE id = ?`, actor.AccountID).Scan(&required); err != nil {
		return Agent{}, err
	}
	if required {
		return Agent{}, apperr.Forbidden("the account's owner requires two-factor sign-in of the whole team")
	}
	att, wait := s.limiter.reserve(sess.Addr, actor.Email, s.now())
	if att == nil {
		return Agent{}, apperr.RateLimited("too many wrong passwords or codes; try again later", wait)
	}
	var hash, secret string
	if err := s.db.QueryRow(ctx, `SELECT password_hash, totp_secret FROM agents WHERE id = ?`, actor.ID).Scan(&hash, &secret); err != nil {
		s.limiter.release(att)
		return Agent{}, err
	}
	ok, err := s.hashes.check(ctx, hash, currentPassword)
	if err != nil {
		s.limiter.release(att)
		return Agent{}, err
	}
	if !ok {
		return Agent{}, apperr.Invalid("current_password", "current password is wrong")
	}
	if ok, err := s.secondFactor(ctx, actor.ID, secret, code); err != nil {
		s.limiter.release(att)
		return Agent{}, err
	} else if !ok {
		return Agent{}, apperr.Invalid("code", "the code is wrong or was used already")
	}
	s.limiter.release(att)
	var a Agent
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agents SET two_factor = ?, totp_secret = '', totp_pending = '', updated_at = ? WHERE id = ?`, false, time.Now().UnixMicro(), actor.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE agent_id = ?`, actor.ID); err != nil {
			return err
		}
		var err error
		a, err = scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM agents WHERE id = ?`, actor.ID))
		return err
	})
	return a, err
}

// secondFactor reports whether code is the current TOTP code of secret,
// not used before, or one of the agent's unused recovery codes; either is
// used up by this check.
func (s *Service) secondFactor(ctx context.Context, agentID, secret, code string) (bool, error) {
	code = normalizeCode(code)
	if code == "" || secret == "" {
		return false, nil
	}
	key, err := secretEncoding.DecodeString(secret)
	if err != nil {
		return false, err
	}
	var res sql.Result
	if step, ok := totpMatch(key, code, s.now()); ok {
		// Only a step later than the last one accepted: a code seen
		// over a shoulder or replayed from a log is refused.
		err = s.db.Write(ctx, func(tx *database.Tx) error {
			res, err = tx.Exec(ctx, `UPDATE agents SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, agentID, step)
			return err
		})
	} else {
		err = s.db.Write(ctx, func(tx *database.Tx) error {
			res, err = tx.Exec(ctx, `DELETE FROM recovery_codes WHERE agent_id = ? AND hash = ?`, agentID, id.Hash(code))
			return err
		})
	}
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// normalizeCode drops the spaces and dashes people type or copy into a
// code, and lower-cases it.
func normalizeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
}

// recoveryAlphabet leaves out look-alikes (0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode is ten random letters and digits, shown as xxxxx-xxxxx
// (about 49 bits).
func newRecoveryCode() string {
	b := make([]byte, 10)
	rand.Read(b)
	out := make([]byte, 0, 11)
	for i, c := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, recoveryAlphabet[int(c)%len(recoveryAlphabet)])
	}
	return string(out)
}
