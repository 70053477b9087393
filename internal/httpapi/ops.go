package httpapi

import (
	"context"
	_ "embed"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/agent"
	"github.com/parley-chat/parley/internal/respond"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.log.Warn("not_ready", "err", err)
		respond.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	// A full disk refuses every write: send traffic elsewhere until it
	// has room again (the database logs it; not once per check here).
	if s.DB.RecheckStorage(ctx) {
		respond.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "storage full"})
		return
	}
	respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPIDoc)
}

// pageCSP is the Content-Security-Policy of the plain server-rendered pages.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Parley</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2937}
h1{font-size:1.6rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;background:#16a34a;color:#fff;border:0;border-radius:.4rem}
.error{color:#b91c1c}code{background:#f3f4f6;padding:.1rem .3rem}</style></head>
<body><h1>{{.Title}}</h1>{{if .Error}}<p class="error">{{.Error}}</p>{{end}}{{.Body}}</body></html>`))

type page struct {
	Title, Error string
	Body         template.HTML
}

func (s *Server) renderPage(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	pageTmpl.Execute(w, p)
}

// home is the plain landing page until the dashboard is built.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusOK, page{Title: "Parley is running", Body: `<p>Parley's server is up. The agent API is at <code>/api/v1</code>
(described in <a href="/api/openapi.json">/api/openapi.json</a>), the chat box API at <code>/widget/v1</code>.</p>
<p>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a> · metrics: <a href="/metrics">/metrics</a></p>`})
}

var setupFormTmpl = template.Must(template.New("setup").Parse(`<p>Create the owner of this Parley installation. This link works once.</p>
<form method="post"><label for="name">Your name</label><input id="name" name="name" autocomplete="name" value="{{.Name}}" required>
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" value="{{.Email}}" required>
<label for="password">Password (8 characters or more)</label><input id="password" name="password" type="password" minlength="8" autocomplete="new-password" required>
<button type="submit">Create owner</button></form>`))

// setupForm renders the setup form, filled with what was typed before.
func setupForm(name, email string) template.HTML {
	var b strings.Builder
	setupFormTmpl.Execute(&b, struct{ Name, Email string }{name, email})
	return template.HTML(b.String())
}

// setupPage is the one-time owner setup (a plain form until the dashboard
// brings its own).
func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	pending, err := s.Accounts.SetupPending(r.Context())
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	if !pending {
		s.renderPage(w, http.StatusNotFound, page{Title: "Setup is done", Body: `<p>This installation already has an owner. <a href="/login">Sign in</a> instead.</p>`})
		return
	}
	s.renderPage(w, http.StatusOK, page{Title: "Set up Parley", Body: setupForm("", "")})
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, respond.MaxBody)
	if err := r.ParseForm(); err != nil {
		s.renderPage(w, http.StatusBadRequest, page{Title: "Set up Parley", Error: "The form could not be read.", Body: setupForm("", "")})
		return
	}
	_, owner, err := s.Accounts.Setup(r.Context(), r.PathValue("token"), "", agent.NewAgent{
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Password: r.PostFormValue("password"),
	})
	if err != nil {
		status, d := respond.Classify(err)
		if status >= 500 {
			s.log.Error("setup_failed", "err", err)
		}
		body := setupForm(r.PostFormValue("name"), r.PostFormValue("email"))
		if status == http.StatusNotFound {
			body = `<p>This setup link was already used or is wrong.</p>`
		}
		s.renderPage(w, status, page{Title: "Set up Parley", Error: d.Message, Body: body})
		return
	}
	s.renderPage(w, http.StatusCreated, page{Title: "You are set up", Body: template.HTML(`<p>The owner <strong>` + template.HTMLEscapeString(owner.Email) +
		`</strong> was created. <a href="/login">Sign in</a>.</p>`)})
}
