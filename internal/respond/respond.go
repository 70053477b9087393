// Package respond writes the JSON responses and errors of Parley's HTTP APIs
// and decodes their bounded JSON bodies.
package respond

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
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
		case apperr.KindUnsupportedMediaType:
			return http.StatusUnsupportedMediaType, ErrorDetail{"unsupported_media_type", e.Message, ""}
		case apperr.KindStorageFull:
			return http.StatusServiceUnavailable, ErrorDetail{"storage_full", e.Message, ""}
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, ErrorDetail{"unavailable", "the request was cancelled or timed out", ""}
	}
	return http.StatusInternalServerError, ErrorDetail{"internal", "something went wrong on the server", ""}
}

// storageFullRetry is the Retry-After of a write refused for lack of space.
const storageFullRetry = "30"

// Error writes err as a JSON error; internal errors are logged once here.
// A full disk is not: the database logs it, once a minute, with a count.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, d := Classify(err)
	if status >= 500 && log != nil && d.Code != "storage_full" {
		log.ErrorContext(r.Context(), "request_failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if d.Code == "storage_full" {
		w.Header().Set("Retry-After", storageFullRetry)
	}
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindRateLimited {
		secs := int(e.RetryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	JSON(w, status, ErrorBody{d})
}

// Decode reads a bounded JSON body into v. An empty body decodes as {}. A
// body must be sent as application/json (or a +json type): a browser sends
// text/plain and form bodies to another site without asking it first, so
// accepting them would let any page act with a visitor's or agent's
// credentials. It must hold one JSON value and nothing after it but white
// space.
func Decode(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.TooLarge("request body is larger than 256 KiB")
		}
		return apperr.BadRequest("request body could not be read")
	}
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return nil
	}
	if !IsJSONType(r.Header.Get("Content-Type")) {
		return apperr.UnsupportedMediaType("request body must be sent with Content-Type: application/json")
	}
	return DecodeBytes(body, v)
}

// IsJSONType reports whether a Content-Type header names JSON:
// application/json or application/*+json, with any parameters.
func IsJSONType(header string) bool {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return false
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && (sub == "json" || (strings.HasSuffix(sub, "+json") && len(sub) > len("+json")))
}

// DecodeBytes decodes body, one JSON value with nothing after it but white
// space, into v.
func DecodeBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return apperr.BadRequest("field " + typeErr.Field + " has the wrong type")
		}
		return apperr.BadRequest("request body is not valid JSON")
	}
	// Anything but white space after the value, even a stray bracket
	// (which Decoder.More does not count), means the body is not the one
	// value the client meant to send.
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return apperr.BadRequest("request body holds data after its JSON value")
	}
	return nil
}
