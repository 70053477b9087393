// Package respond writes the JSON responses and errors of Parley's HTTP APIs
// and decodes their bounded JSON bodies.
package respond

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/apperr"
)

// MaxBody bounds every JSON request body.
const MaxBody = 256 << 10

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"could not encode the response"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// ErrorBody is the JSON shape of every error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Stored answers an idempotent create: 201 when created is true, else 200
// with what an earlier identical request stored.
func Stored(w http.ResponseWriter, created bool, v any) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	JSON(w, status, v)
}

// Classify maps an error to its HTTP status and public code and message.
// Errors that are not refusals are internal: their text is not shown.
func Classify(err error) (int, ErrorDetail) {
	if e, ok := apperr.As(err); ok {
		status, d := classify(e)
		if e.Code != "" {
			d.Code = e.Code
		}
		return status, d
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, ErrorDetail{"unavailable", "the request was cancelled or timed out", ""}
	}
	return http.StatusInternalServerError, ErrorDetail{"internal", "something went wrong on the server", ""}
}

// classify maps a refusal to its status and usual code.
func classify(e *apperr.Error) (int, ErrorDetail) {
	switch e.Kind {
	case apperr.KindNotFound:
		return http.StatusNotFound, ErrorDetail{"not_found", e.Message, ""}
	case apperr.KindForbidden:
		return http.StatusForbidden, ErrorDetail{"forbidden", e.Message, ""}
	case apperr.KindConflict:
		return http.StatusConflict, ErrorDetail{"conflict", e.Message, ""}
	case apperr.KindInvalid:
		return http.StatusUnprocessableEntity, ErrorDetail{"invalid", e.Message, e.Field}
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge, ErrorDetail{"too_large", e.Message, ""}
	case apperr.KindRateLimited:
		return http.StatusTooManyRequests, ErrorDetail{"rate_limited", e.Message, ""}
	case apperr.KindUnauthorized:
		return http.StatusUnauthorized, ErrorDetail{"unauthorized", e.Message, ""}
	case apperr.KindBadRequest:
		return http.StatusBadRequest, ErrorDetail{"bad_request", e.Message, ""}
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable, ErrorDetail{"unavailable", e.Message, ""}
	}
	return http.StatusInternalServerError, ErrorDetail{"internal", "something went wrong on the server", ""}
}

// Error writes err as a JSON error; internal errors are logged once here.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, d := Classify(err)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request_failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if e, ok := apperr.As(err); ok && (e.Kind == apperr.KindRateLimited || e.Kind == apperr.KindUnavailable) {
		secs := int(e.RetryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	JSON(w, status, ErrorBody{d})
}

// Decode reads a bounded JSON body into v. An empty body decodes as {}.
func Decode(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, MaxBody)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return apperr.TooLarge("request body is larger than 256 KiB")
		case errors.Is(err, io.EOF):
			return nil
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return apperr.BadRequest("field " + typeErr.Field + " has the wrong type")
		}
		return apperr.BadRequest("request body is not valid JSON")
	}
	if dec.More() {
		return apperr.BadRequest("request body holds more than one JSON value")
	}
	return nil
}
