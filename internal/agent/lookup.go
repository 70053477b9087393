package agent

import (
	"context"
	"strings"
)

// ByEmail returns the agent who signs in with email (any account, active
// or not): the security log records a failed sign-in in that agent's
// account.
func (s *Service) ByEmail(ctx context.Context, email string) (Agent, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	return scan(s.db.QueryRow(ctx, `SELECT `+columns+` FROM agents WHERE email = ?`, email))
}
