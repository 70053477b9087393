package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/httpapi"
)

// The route tables whose every route must be documented in openapi.json:
// this package's table (read from the server itself) and the visitor API's
// registrations. Every non-test Go file of these packages is scanned, so a
// route added in a new file is caught too.
var openAPIRouteDirs = []string{filepath.Join("..", "widgetapi")}

// Routes that need not be documented: HTML pages and operational endpoints
// (they may still be documented; documenting them is not stale).
var openAPIUndocumented = map[string]bool{
	"GET /{$}":                true,
	"GET /setup/{token}":      true,
	"POST /setup/{token}":     true,
	"GET /healthz":            true,
	"GET /readyz":             true,
	"GET /metrics":            true,
	"GET /widget/loader.js":   true,
	"GET /widget/frame.html":  true,
	"GET /widget/assets/":     true,
	"GET /demo":               true,
	"GET /demo/cart":          true,
	"GET /login":              true,
	"GET /conversations":      true,
	"GET /conversations/{id}": true,
	"GET /team":               true,
	"GET /settings":           true,
	"GET /settings/widget":    true,
	"GET /profile":            true,
	"GET /visitors":           true,
	"GET /settings/api":       true,
	"GET /settings/security":  true,
	"GET /assets/":            true,
}

// openAPIRoutePattern matches mux.HandleFunc("METHOD /path", ...) and
// mux.Handle("METHOD /path", ...).
var openAPIRoutePattern = regexp.MustCompile(`\.Handle(?:Func)?\(\s*"([^"]*)"`)

// openAPIRegisteredRoutes returns "METHOD /path" for every route registered in
// dir's Go source, skipping patterns without a method (catch-alls).
func openAPIRegisteredRoutes(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range openAPIRoutePattern.FindAllStringSubmatch(string(src), -1) {
			method, path, ok := strings.Cut(m[1], " ")
			if !ok || !strings.HasPrefix(path, "/") {
				continue // no method: a catch-all such as "/api/"
			}
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	return out
}

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components json.RawMessage                       `json:"components"`
}

var openAPIMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

func fetchOpenAPI(t *testing.T) ([]byte, openAPIDoc) {
	t.Helper()
	e := apitest.New(t)
	r := e.Do("GET", "/api/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/openapi.json = %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !json.Valid(r.Body) {
		t.Fatalf("/api/openapi.json is not valid JSON")
	}
	var doc openAPIDoc
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("decode /api/openapi.json: %v", err)
	}
	return r.Body, doc
}

// openAPIOperations returns "METHOD /path" for every operation of the document.
func openAPIOperations(doc openAPIDoc) map[string]bool {
	ops := make(map[string]bool)
	for path, item := range doc.Paths {
		for key := range item {
			if openAPIMethods[key] {
				ops[strings.ToUpper(key)+" "+path] = true
			}
		}
	}
	return ops
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	_, doc := fetchOpenAPI(t)
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(doc.OpenAPI) {
		t.Fatalf(`openapi = %q, want "3.1.x"`, doc.OpenAPI)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("the document has no paths")
	}

	registered := make(map[string]bool)
	for _, r := range httpapi.Routes(apitest.New(t).Server.Handler.(*httpapi.Server)) {
		registered[r.Pattern] = true
	}
	for _, dir := range openAPIRouteDirs {
		routes := openAPIRegisteredRoutes(t, dir)
		// Guard against a parser that silently finds nothing.
		if len(routes) < 5 {
			t.Fatalf("found only %d routes in %s; has the route registration changed shape?", len(routes), dir)
		}
		for _, r := range routes {
			registered[r] = true
		}
	}

	documented := openAPIOperations(doc)
	var missing, stale []string
	for r := range registered {
		if !documented[r] && !openAPIUndocumented[r] {
			missing = append(missing, r)
		}
	}
	for op := range documented {
		if !registered[op] {
			stale = append(stale, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	for _, r := range missing {
		t.Errorf("route %q is registered but not documented in internal/httpapi/openapi.json", r)
	}
	for _, op := range stale {
		t.Errorf("openapi.json documents %q, which no route serves", op)
	}
	for path := range doc.Paths {
		found := false
		for r := range registered {
			if _, p, _ := strings.Cut(r, " "); p == path {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("openapi.json has path %q, which is not in the route table", path)
		}
	}
}

// TestOpenAPIIsConsistent checks what a JSON parse does not: every $ref
// resolves, every path template parameter is declared, and every operation
// has responses.
func TestOpenAPIIsConsistent(t *testing.T) {
	body, doc := fetchOpenAPI(t)
	var root any
	if err := json.Unmarshal(body, &root); err != nil {
		t.Fatal(err)
	}

	// Every "$ref" resolves within the document.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				if k == "$ref" {
					ref, _ := child.(string)
					if openAPIResolve(root, ref) == nil {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
					continue
				}
				walk(child, at+"/"+k)
			}
		case []any:
			for _, child := range x {
				walk(child, at+"/[]")
			}
		}
	}
	walk(root, "#")

	tmpl := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		var shared []openAPIParam
		if raw, ok := item["parameters"]; ok {
			json.Unmarshal(raw, &shared)
		}
		for key, raw := range item {
			if !openAPIMethods[key] {
				continue
			}
			var op struct {
				Parameters []openAPIParam             `json:"parameters"`
				Responses  map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Errorf("%s %s: %v", key, path, err)
				continue
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s %s has no responses", key, path)
			}
			declared := make(map[string]bool)
			for _, p := range append(shared, op.Parameters...) {
				p = p.resolve(t, root)
				if p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range tmpl.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter {%s} is not declared", key, path, m[1])
				}
			}
		}
	}
}

type openAPIParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

func (p openAPIParam) resolve(t *testing.T, root any) openAPIParam {
	if p.Ref == "" {
		return p
	}
	v := openAPIResolve(root, p.Ref)
	b, _ := json.Marshal(v)
	var out openAPIParam
	if err := json.Unmarshal(b, &out); err != nil {
		t.Errorf("parameter %s: %v", p.Ref, err)
	}
	return out
}

// openAPIResolve follows a local JSON pointer ("#/components/...").
func openAPIResolve(root any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	cur := root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[tok]; !ok {
			return nil
		}
	}
	return cur
}
