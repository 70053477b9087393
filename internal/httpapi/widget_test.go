package httpapi_test

import (
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/parley-chat/parley/internal/apitest"
)

// Every agent reads the chat box settings; only admins and the owner change
// them; a bad value changes nothing; visitors get them with their session.
func TestWidgetSettings(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	admin := e.NewAgent(acc, "admin", "Ada Admin")
	agent := e.NewAgent(acc, "agent", "Al Agent")

	got := e.Must(http.StatusOK, "GET", "/api/v1/widget", agent.Token, nil).Map(t)
	if got["color"] != "#16a34a" || got["position"] != "right" || got["offline_form"] != true || got["prechat"] != "off" {
		t.Errorf("default settings = %v", got)
	}
	if snip, _ := got["snippet"].(string); !strings.Contains(snip, `data-key="`+acc.WidgetKey+`"`) || !strings.Contains(snip, e.URL+"/widget/loader.js") {
		t.Errorf("snippet = %q, want the loader URL and the widget key", snip)
	}

	r := e.Do("PATCH", "/api/v1/widget", agent.Token, map[string]any{"color": "#000000"})
	if r.Status != http.StatusForbidden {
		t.Errorf("PATCH by a limited agent = %d, want 403", r.Status)
	}
	changed := e.Must(http.StatusOK, "PATCH", "/api/v1/widget", admin.Token, map[string]any{
		"color": "#1D4ED8", "position": "left", "greeting": "Hi! Card 4111 1111 1111 1111?", "prechat": "required",
		"offline_form": false, "privacy_url": "https://shop.example/privacy", "consent_required": true,
	}).Map(t)
	if changed["color"] != "#1d4ed8" || changed["position"] != "left" || changed["prechat"] != "required" || changed["offline_form"] != false || changed["consent_required"] != true {
		t.Errorf("changed settings = %v", changed)
	}
	if g := changed["greeting"].(string); !strings.Contains(g, "**** **** **** 1111") {
		t.Errorf("greeting = %q, want the card number masked", g)
	}

	for _, bad := range []map[string]any{
		{"color": "blue"}, {"position": "top"}, {"prechat": "maybe"}, {"privacy_url": "javascript:alert(1)"},
		{"greeting": strings.Repeat("x", 501)}, {"color": "#000000", "position": "middle"},
	} {
		r := e.Do("PATCH", "/api/v1/widget", acc.OwnerToken, bad)
		if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "invalid" {
			t.Errorf("PATCH %v = %d %s, want 422 invalid", bad, r.Status, r.Body)
		}
	}
	after := e.Must(http.StatusOK, "GET", "/api/v1/widget", acc.OwnerToken, nil).Map(t)
	if after["color"] != "#1d4ed8" || after["position"] != "left" {
		t.Errorf("refused patches changed the settings: %v", after)
	}

	// Another account's settings are its own.
	other := e.NewAccount()
	if o := e.Must(http.StatusOK, "GET", "/api/v1/widget", other.OwnerToken, nil).Map(t); o["color"] != "#16a34a" {
		t.Errorf("another account's color = %v, want the default", o["color"])
	}

	var session struct {
		Widget map[string]any `json:"widget"`
	}
	e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey}).JSON(t, &session)
	if session.Widget["color"] != "#1d4ed8" || session.Widget["prechat"] != "required" || session.Widget["privacy_url"] != "https://shop.example/privacy" {
		t.Errorf("session widget settings = %v", session.Widget)
	}
}

// The built chat box is served with the right types and caching; without a
// build the loader says so instead of failing silently.
func TestWidgetFiles(t *testing.T) {
	built := fstest.MapFS{
		"loader.js":          {Data: []byte("console.log('loader')")},
		"frame.html":         {Data: []byte("<!doctype html><title>chat</title>")},
		"assets/app-abc1.js": {Data: []byte("export{}")},
	}
	e := apitest.New(t, apitest.Options{WidgetFiles: built})
	for _, tc := range []struct {
		path, ctype, cache string
	}{
		{"/widget/loader.js", "javascript", "max-age=300"},
		{"/widget/frame.html", "text/html", "no-cache"},
		{"/widget/assets/app-abc1.js", "javascript", "immutable"},
	} {
		r := e.Do("GET", tc.path, "", nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(r.Header.Get("Cache-Control"), tc.cache) {
			t.Errorf("GET %s = %d %q %q, want 200, %s, %s", tc.path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), tc.ctype, tc.cache)
		}
	}
	if csp := e.Do("GET", "/widget/frame.html", "", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("frame CSP = %q, want embeddable anywhere and scripts only from Parley", csp)
	}
	for _, p := range []string{"/widget/assets/missing.js", "/widget/assets/..%2F..%2Fweb.go", "/widget/assets/..%2Floader.js"} {
		if r := e.Do("GET", p, "", nil); r.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, r.Status)
		}
	}

	unbuilt := apitest.New(t, apitest.Options{WidgetFiles: fstest.MapFS{"placeholder.txt": {}}})
	r := unbuilt.Do("GET", "/widget/loader.js", "", nil)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "make build") {
		t.Errorf("unbuilt loader = %d %q, want 503 saying how to build it", r.Status, r.Body)
	}
}

// The demo shop installs the first account's chat box.
func TestDemoShopHasTheSnippet(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	e.NewAccount() // a later account must not be the one shown
	for _, p := range []string{"/demo", "/demo/cart?item=mug"} {
		r := e.Do("GET", p, "", nil)
		body := string(r.Body)
		if r.Status != http.StatusOK || !strings.Contains(body, `data-key="`+acc.WidgetKey+`"`) || !strings.Contains(body, "/widget/loader.js") {
			t.Errorf("GET %s = %d, want the first account's snippet", p, r.Status)
		}
		if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-src 'self'") {
			t.Errorf("GET %s CSP = %q", p, r.Header.Get("Content-Security-Policy"))
		}
	}
	if body := string(e.Do("GET", "/demo/cart?item=mug", "", nil).Body); !strings.Contains(body, "Morning mug") {
		t.Error("the cart does not show the item added")
	}
}

// Page views reported by the chat box reach the contact, newest first, and
// stay within the account.
func TestContactPages(t *testing.T) {
	e := apitest.New(t)
	acc, other := e.NewAccount(), e.NewAccount()
	var s struct {
		VisitorToken string `json:"visitor_token"`
		ContactID    string `json:"contact_id"`
	}
	e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey,
		"page": map[string]string{"url": "https://shop.example/", "title": "Home", "referrer": "https://search.example/?q=mugs"}}).JSON(t, &s)
	ws, _, err := e.Dial("/widget/v1/stream?token="+s.VisitorToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Write(ws, map[string]string{"type": "page.view", "url": "https://shop.example/cart?card=4111111111111111", "title": "Cart"})
	apitest.Write(ws, map[string]string{"type": "message.send", "client_id": "after-pages", "text": "hi"})
	for f, err := apitest.Read(ws, 5*time.Second); f.Type != "ack"; f, err = apitest.Read(ws, 5*time.Second) {
		if err != nil {
			t.Fatal(err)
		}
	}
	var pages struct {
		Items []map[string]any `json:"items"`
	}
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+s.ContactID+"/pages", acc.OwnerToken, nil).JSON(t, &pages)
	if len(pages.Items) != 2 || pages.Items[0]["title"] != "Cart" || pages.Items[1]["referrer"] != "https://search.example/?q=mugs" {
		t.Fatalf("pages = %v, want Cart then Home with its referrer", pages.Items)
	}
	if u := pages.Items[0]["url"].(string); strings.Contains(u, "4111111111111111") {
		t.Errorf("page URL %q holds an unmasked card number", u)
	}
	if r := e.Do("GET", "/api/v1/contacts/"+s.ContactID+"/pages", other.OwnerToken, nil); r.Status != http.StatusNotFound {
		t.Errorf("another account's contact pages = %d, want 404", r.Status)
	}
}

// Paths under the built files' folders that name no file — the folders
// themselves, sub-folders, odd bytes, traversal attempts — are a quiet 404
// (no ERROR in the log), for the chat box's files and the dashboard's.
func TestStaticFilesThatAreNotFilesAre404(t *testing.T) {
	files := fstest.MapFS{
		"loader.js":              {Data: []byte("console.log('loader')")},
		"frame.html":             {Data: []byte("<!doctype html><title>chat</title>")},
		"index.html":             {Data: []byte("<!doctype html><title>dashboard</title>")},
		"assets/app-abc1.js":     {Data: []byte("export{}")},
		"assets/sub/deep-ab1.js": {Data: []byte("export{}")},
	}
	// The same files on disk: os.DirFS answers odd names differently.
	dir := t.TempDir()
	for name, f := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for fsName, fsys := range map[string]fs.FS{"in memory": files, "on disk": os.DirFS(dir)} {
		t.Run(fsName, func(t *testing.T) {
			var logs strings.Builder
			var mu sync.Mutex
			log := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				return logs.Write(p)
			}), nil))
			e := apitest.New(t, apitest.Options{WidgetFiles: fsys, DashboardFiles: fsys, Logger: log})
			for _, prefix := range []string{"/widget/assets/", "/assets/"} {
				for _, p := range []string{"", "sub", "sub/", "nope.js", "a%00b.js", "%2e%2e/loader.js", "..%2Floader.js", "..%5Cloader.js",
					"%2e%2e%2f%2e%2e%2fgo.mod", "sub/%2e%2e/app-abc1.js", ".", "app-abc1.js/", "app-abc1.js/x", "%ff.js", "a:b.js"} {
					r := e.Do("GET", prefix+p, "", nil)
					if r.Status != http.StatusNotFound {
						t.Errorf("GET %s = %d %.200s, want 404", prefix+p, r.Status, r.Body)
					}
				}
				if r := e.Do("GET", prefix+"sub/deep-ab1.js", "", nil); r.Status != http.StatusOK {
					t.Errorf("GET a file in a sub-folder = %d, want 200", r.Status)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("requests for missing files logged errors:\n%s", logs.String())
			}
		})
	}
}

// writerFunc is an io.Writer from a function.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
