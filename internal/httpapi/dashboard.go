package httpapi

import (
	"bytes"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/parley-chat/parley/internal/respond"
)

// dashboardCSP lets the dashboard load only from Parley's own origin.
const dashboardCSP = "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; media-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// dashboardPage serves the dashboard's index.html for its client-side
// routes; the plain start page stands in when it is not built.
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(s.DashboardFiles, "index.html")
	if errors.Is(err, fs.ErrNotExist) {
		if r.URL.Path == "/" {
			s.home(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("The dashboard is not built: run `make build` (it needs Node.js and npm).\n"))
		return
	}
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("X-Frame-Options", "DENY")
	http.ServeContent(w, r, "index.html", s.started, bytes.NewReader(b))
}

// dashboardAsset serves the dashboard's hashed, immutable assets.
func (s *Server) dashboardAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.DashboardFiles, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, name, s.started, bytes.NewReader(b))
}
