package audit

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/internal/cursor"
	"github.com/parley-chat/parley/internal/database"
)

// Plan returns the database's query plan of the list query of f, one line
// per step (for tests that the query walks an index).
func (s *Service) Plan(ctx context.Context, accountID string, f Filter) ([]string, error) {
	q, args, err := listQuery(accountID, f)
	if err != nil {
		return nil, err
	}
	args = append(args, cursor.ClampLimit(f.Limit)+1)
	prefix := "EXPLAIN QUERY PLAN "
	if s.db.Dialect() == database.Postgres {
		prefix = "EXPLAIN "
	}
	rows, err := s.db.Query(ctx, prefix+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprint(vals[len(vals)-1]))
	}
	return out, rows.Err()
}
