package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/respond"
)

// The dashboard signs in with a session cookie instead of a bearer token:
// the token then never reaches JavaScript. Requests that change something
// must also carry the CSRF token, derived from the session so nothing more
// is stored; the cookie is SameSite=Strict as a second line.
const (
	sessionCookie  = "parley_session"
	csrfHeader     = "X-CSRF-Token"
	sessionMaxAge  = 90 * 24 * time.Hour
	csrfDerivation = "parley-csrf:"
)

// csrfToken is the CSRF token of a session token.
func csrfToken(session string) string {
	h := sha256.Sum256([]byte(csrfDerivation + session))
	return hex.EncodeToString(h[:16])
}

// credentials returns the request's token and whether it came from the
// session cookie (then non-GET requests need the CSRF header).
func credentials(r *http.Request) (token string, fromCookie bool) {
	if t := bearer(r); t != "" {
		return t, false
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// checkCSRF refuses a cookie-authenticated request that changes something
// without the session's CSRF token.
func checkCSRF(r *http.Request, token string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(token))) != 1 {
		return apperr.Forbidden("missing or wrong CSRF token: send the X-CSRF-Token header you got at sign-in")
	}
	return nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.HasPrefix(s.BaseURL, "https://"), MaxAge: int(maxAge / time.Second),
	})
}

// session tells the dashboard who is signed in, with the CSRF token.
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	token, _ := credentials(r)
	respond.JSON(w, http.StatusOK, map[string]any{"agent": actor(r), "csrf_token": csrfToken(token)})
}
