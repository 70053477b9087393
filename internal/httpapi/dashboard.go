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
	b, err := readBuilt(s.DashboardFiles, name)
	if err != nil {
		s.fileError(w, r, err)
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

// errNoFile means a request names no file of a build: missing, a folder,
// or not a valid name at all.
var errNoFile = errors.New("no such file")

// readBuilt reads the file name of a build. Anything that names no file —
// a folder, a name fs.FS refuses (trailing slashes, NUL bytes, ".."
// elements), a missing file — is errNoFile, answered 404 without an
// error in the log: anyone can ask for such paths.
func readBuilt(fsys fs.FS, name string) ([]byte, error) {
	if !fs.ValidPath(name) || strings.Contains(name, "..") || strings.ContainsRune(name, '\\') {
		return nil, errNoFile
	}
	st, err := fs.Stat(fsys, name)
	if err != nil || st.IsDir() {
		return nil, errNoFile
	}
	return fs.ReadFile(fsys, name)
}

// fileError answers a failed readBuilt: 404 for what is no file, else an
// internal error (the file exists but could not be read).
func (s *Server) fileError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNoFile) {
		http.NotFound(w, r)
		return
	}
	respond.Error(w, r, s.log, err)
}
