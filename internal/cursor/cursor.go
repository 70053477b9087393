// Package cursor is the keyset cursor of every paged list: the sort time of
// the last item and its id, opaque to clients.
package cursor

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/apperr"
)

// Encode returns the cursor after the item (at, id).
func Encode(at int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + ":" + id))
}

// Decode reads a cursor made by Encode; anything else is a bad request.
func Decode(s string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		at, id, ok := strings.Cut(string(b), ":")
		if n, err := strconv.ParseInt(at, 10, 64); ok && err == nil && id != "" {
			return n, id, nil
		}
	}
	return 0, "", apperr.BadRequest("cursor is not valid; pass next_cursor from the previous page")
}

// ClampLimit applies the list conventions to a page size: 50 by default,
// at most 200 (larger is clamped, not refused).
func ClampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 200:
		return 200
	}
	return n
}
