// Package apperr holds the errors the domain packages return for refused
// requests; only the HTTP layer turns them into status codes.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a refusal.
type Kind int

// The kinds of refusal, each mapped to one HTTP status by the API layer.
const (
	KindNotFound Kind = iota + 1
	KindForbidden
	KindConflict
	KindInvalid
	KindTooLarge
	KindRateLimited
	KindUnauthorized
	KindBadRequest
	KindStorageFull
	KindUnsupportedMediaType
)

// Error is a refusal with a message safe to show to the caller.
type Error struct {
	Kind    Kind
	Message string
	// Field names the offending input field for KindInvalid.
	Field string
	// RetryAfter is set for KindRateLimited.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Is lets errors.Is(err, ErrNotFound) match any not-found refusal.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrNotFound     = &Error{Kind: KindNotFound}
	ErrForbidden    = &Error{Kind: KindForbidden}
	ErrConflict     = &Error{Kind: KindConflict}
	ErrInvalid      = &Error{Kind: KindInvalid}
	ErrUnauthorized = &Error{Kind: KindUnauthorized}
	ErrStorageFull  = &Error{Kind: KindStorageFull}
)

// NotFound reports a missing object (or another account's object).
func NotFound(what string) error { return &Error{Kind: KindNotFound, Message: what + " not found"} }

// Forbidden reports an action the caller's role does not allow.
func Forbidden(msg string) error { return &Error{Kind: KindForbidden, Message: msg} }

// Conflict reports a clash with existing data.
func Conflict(msg string) error { return &Error{Kind: KindConflict, Message: msg} }

// Invalid reports a field that failed validation.
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// TooLarge reports an input over its size limit.
func TooLarge(msg string) error { return &Error{Kind: KindTooLarge, Message: msg} }

// BadRequest reports a malformed request.
func BadRequest(msg string) error { return &Error{Kind: KindBadRequest, Message: msg} }

// Unauthorized reports missing or wrong credentials.
func Unauthorized(msg string) error { return &Error{Kind: KindUnauthorized, Message: msg} }

// StorageFull reports a write refused because the server's disk (or
// database) is full: nothing was stored, and the same request may succeed
// later.
func StorageFull() error {
	return &Error{Kind: KindStorageFull, Message: "the server's storage is full; try again later"}
}

// UnsupportedMediaType reports a request body of a type the endpoint does
// not read.
func UnsupportedMediaType(msg string) error {
	return &Error{Kind: KindUnsupportedMediaType, Message: msg}
}

// RateLimited reports too many attempts; retry after d.
func RateLimited(msg string, d time.Duration) error {
	return &Error{Kind: KindRateLimited, Message: msg, RetryAfter: d}
}

// As returns err as an *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
