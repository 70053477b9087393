package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

// The one-time setup page creates the first owner once, keeps what was
// typed when the input is refused, and escapes it.
func TestSetupPageCreatesTheOwnerOnce(t *testing.T) {
	e := apitest.New(t)
	_, token, err := e.Server.Accounts.FirstStart(context.Background(), "Corner Shop", nil)
	if err != nil || token == "" {
		t.Fatalf("FirstStart = %q, %v; want a setup token", token, err)
	}
	post := func(form url.Values) (int, string) {
		res, err := http.PostForm(e.URL+"/setup/"+token, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if r := e.Do("GET", "/setup/"+token, "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Create owner") {
		t.Fatalf("GET setup page = %d, want the form", r.Status)
	}
	status, body := post(url.Values{"name": {`<b>Ann</b>`}, "email": {"ann(at)example.com"}, "password": {"secret123"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "plain address") {
		t.Fatalf("bad email = %d, want 422 with the reason", status)
	}
	if !strings.Contains(body, `value="&lt;b&gt;Ann&lt;/b&gt;"`) || !strings.Contains(body, `value="ann(at)example.com"`) {
		t.Errorf("refused form does not keep (escaped) what was typed:\n%s", body)
	}
	if status, _ := post(url.Values{"name": {"Ann"}, "email": {"ann@example.com"}, "password": {"secret123"}}); status != http.StatusCreated {
		t.Fatalf("setup = %d, want 201", status)
	}
	e.Login("ann@example.com", "secret123")
	if status, _ := post(url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "password": {"secret123"}}); status != http.StatusNotFound {
		t.Fatalf("second setup = %d, want 404 (the link works once)", status)
	}
	if r := e.Do("GET", "/setup/"+token, "", nil); r.Status != http.StatusNotFound {
		t.Errorf("setup page after setup = %d, want 404", r.Status)
	}
}
