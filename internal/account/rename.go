package account

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
)

// maxRename bounds a name set through the API (PATCH /api/v1/account).
const maxRename = 100

// Rename changes the account's name (1–100 characters, masked like every
// text); the chat box shows the new name at its next session.
func (s *Service) Rename(ctx context.Context, accountID, name string) (Account, error) {
	name, err := validAccountName(name)
	if err != nil {
		return Account{}, err
	}
	if utf8.RuneCountInString(name) > maxRename {
		return Account{}, apperr.Invalid("name", "account name must be at most %d characters", maxRename)
	}
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE accounts SET name = ? WHERE id = ?`, name, accountID)
		if err != nil {
			return fmt.Errorf("rename account: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound("account")
		}
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	return s.Account(ctx, accountID)
}
