package httpapi

import (
	"html/template"
	"net/http"

	"github.com/parley-chat/parley/internal/respond"
)

// demoCSP lets the demo shop run the snippet (its inline queue stub) and
// frame the chat box, like any shop's page would.
const demoCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; connect-src 'self'"

type demoProduct struct {
	ID, Name, Price, Color, Note string
}

var demoProducts = []demoProduct{
	{"mug", "Morning mug", "€14", "#f59e0b", "Stoneware, 350 ml"},
	{"tote", "Canvas tote", "€19", "#0ea5e9", "Organic cotton"},
	{"socks", "Wool socks", "€12", "#a855f7", "Merino, sizes 36–46"},
	{"lamp", "Desk lamp", "€49", "#10b981", "Warm LED, dimmable"},
}

var demoTmpl = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Cart}}Your cart{{else}}Corner Shop{{end}} · Parley demo</title><link rel="icon" href="data:,">
<style>
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1f2937;background:#f9fafb}
header{display:flex;justify-content:space-between;align-items:center;padding:1rem 2rem;background:#fff;border-bottom:1px solid #e5e7eb}
header a{color:#1f2937;text-decoration:none;font-weight:600}
main{max-width:60rem;margin:2rem auto;padding:0 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:.75rem;padding:1rem}
.swatch{height:8rem;border-radius:.5rem;margin-bottom:.75rem}
.price{font-weight:600}
.btn{display:inline-block;margin-top:.5rem;padding:.45rem .9rem;border-radius:.4rem;background:#1f2937;color:#fff;text-decoration:none;font-size:.9rem}
.note{color:#6b7280;font-size:.9rem}
.banner{background:#fffbeb;border:1px solid #fde68a;padding:.75rem 1rem;border-radius:.5rem;margin-bottom:1.5rem;font-size:.95rem}
</style></head>
<body>
<header><a href="/demo">☕ Corner Shop</a><nav><a href="/demo">Products</a> · <a href="/demo/cart">Cart</a></nav></header>
<main>
<p class="banner">This is Parley's demo shop. The chat box in the corner is the real one of the account
<strong>{{.Account}}</strong>: write something, then answer from the agent side.</p>
{{if .Cart}}
<h1>Your cart</h1>
{{if .Item}}<div class="card"><div class="swatch" style="background:{{.Item.Color}}"></div><strong>{{.Item.Name}}</strong> — <span class="price">{{.Item.Price}}</span><p class="note">{{.Item.Note}}</p></div>
{{else}}<p>Your cart is empty. <a href="/demo">Browse the products</a>.</p>{{end}}
{{else}}
<h1>Things for slow mornings</h1>
<div class="grid">{{range .Products}}<div class="card"><div class="swatch" style="background:{{.Color}}"></div>
<strong>{{.Name}}</strong><div class="price">{{.Price}}</div><div class="note">{{.Note}}</div>
<a class="btn" href="/demo/cart?item={{.ID}}">Add to cart</a></div>{{end}}</div>
{{end}}
</main>
{{.Snippet}}
</body></html>`))

// demo is a small sample shop with the first account's chat box installed,
// so a newcomer can chat with themselves after `make run`.
func (s *Server) demo(w http.ResponseWriter, r *http.Request) {
	acc, err := s.Accounts.First(r.Context())
	if err != nil {
		respond.Error(w, r, s.log, err)
		return
	}
	data := struct {
		Account  string
		Cart     bool
		Item     *demoProduct
		Products []demoProduct
		Snippet  template.HTML
	}{Account: acc.Name, Cart: r.URL.Path == "/demo/cart", Products: demoProducts,
		Snippet: template.HTML(Snippet(s.publicBase(r), acc.WidgetKey))}
	for i := range demoProducts {
		if demoProducts[i].ID == r.URL.Query().Get("item") {
			data.Item = &demoProducts[i]
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", demoCSP)
	demoTmpl.Execute(w, data)
}
