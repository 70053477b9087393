package httpapi

import (
	"bytes"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/respond"
)

// Snippet is what a shop pastes into its pages to install the chat box.
func Snippet(baseURL, widgetKey string) string {
	return `<script>window.parley=window.parley||function(){(parley.q=parley.q||[]).push(arguments)};</script>` + "\n" +
		`<script async src="` + template.HTMLEscapeString(strings.TrimRight(baseURL, "/")) + `/widget/loader.js" data-key="` + template.HTMLEscapeString(widgetKey) + `"></script>`
}

// publicBase is Parley's public URL: the configured one, else the request's.
func (s *Server) publicBase(r *http.Request) string {
	if s.BaseURL != "" {
		return strings.TrimRight(s.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// widgetSettingsResponse is the settings with the install snippet.
type widgetSettingsResponse struct {
	account.WidgetSettings
	WidgetKey string `json:"widget_key"`
	Snippet   string `json:"snippet"`
}

func (s *Server) widgetSettings(w http.ResponseWriter, r *http.Request) {
	s.respondWidget(w, r, nil)
}

func (s *Server) updateWidgetSettings(w http.ResponseWriter, r *http.Request) {
	var p account.WidgetPatch
	if err := respond.Decode(r, &p); err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	s.respondWidget(w, r, &p)
}

func (s *Server) respondWidget(w http.ResponseWriter, r *http.Request, p *account.WidgetPatch) {
	a := actor(r)
	acc, err := s.Accounts.Account(r.Context(), a.AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	settings, err := s.Accounts.Widget(r.Context(), a.AccountID)
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if p != nil {
		before := settings
		if settings, err = s.Accounts.UpdateWidget(r.Context(), a.AccountID, *p); err != nil {
			respond.Error(w, r, s.log, err)
			return
		}
		if changed := changedFields(before, settings); len(changed) > 0 {
			s.record(r, audit.ActionWidgetChanged, audit.Target{Type: audit.TargetAccount, ID: acc.ID, Label: acc.Name}, map[string]any{"changed": changed})
		}
	}
	respond.JSON(w, http.StatusOK, widgetSettingsResponse{WidgetSettings: settings, WidgetKey: acc.WidgetKey, Snippet: Snippet(s.publicBase(r), acc.WidgetKey)})
}

// frameCSP is the policy of the chat box's iframe: everything from Parley's
// own origin, embeddable in any shop's page.
const frameCSP = "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; media-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *"

// widgetFile serves the built chat box: the loader (short cache: shops keep
// the same URL), the frame page (revalidated) and hashed assets (immutable).
func (s *Server) widgetFile(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/widget/")
	b, err := readBuilt(s.WidgetFiles, name)
	if errors.Is(err, errNoFile) && (name == "loader.js" || name == "frame.html") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("The chat box is not built: run `make build` (it needs Node.js and npm).\n"))
		return
	}
	if err != nil {
		s.fileError(w, r, err)
		return
	}
	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	switch {
	case name == "loader.js":
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Access-Control-Allow-Origin", "*")
	case name == "frame.html":
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", frameCSP)
		// Ask for the client hints that tell Windows 11 from 10 and give the
		// browser's full version on the visitor card.
		h.Set("Accept-CH", "Sec-CH-UA-Platform-Version, Sec-CH-UA-Full-Version-List")
	case strings.HasPrefix(name, "assets/"):
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeContent(w, r, name, s.started, bytes.NewReader(b))
}
