package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

// newKey makes an API key for acc as its owner and returns the key.
func newKey(e *apitest.Env, acc apitest.Account) string {
	e.T.Helper()
	k := e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", acc.OwnerToken, map[string]string{"name": "Shop back end"}).Map(e.T)
	return str(k, "key")
}

// identified starts a visitor on acc that the site identifies, signed, as
// userID.
func identified(e *apitest.Env, acc apitest.Account, userID string, extra map[string]any) apitest.Visitor {
	e.T.Helper()
	v := e.NewVisitor(acc)
	e.IdentifyUser(acc, v, userID, extra)
	return v
}

func TestAPIKeys(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	admin := env.NewAgent(acc, "admin", "Ada Admin")
	agent := env.NewAgent(acc, "agent", "Andy Agent")

	t.Run("an admin makes a key, shown once, listed without it", func(t *testing.T) {
		e := env.For(t)
		k := e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", admin.Token, map[string]string{"name": "Webshop"}).Map(t)
		key := str(k, "key")
		if len(key) < 20 || key[:3] != "pk_" || str(k, "name") != "Webshop" || str(k, "created_by") != admin.ID {
			t.Fatalf("new key = %v, want pk_… named Webshop made by the admin", k)
		}
		var list struct{ Items []map[string]any }
		e.Must(http.StatusOK, "GET", "/api/v1/api-keys", acc.OwnerToken, nil).JSON(t, &list)
		found := false
		for _, item := range list.Items {
			if _, has := item["key"]; has {
				t.Errorf("listed key %v carries the key itself", item)
			}
			if str(item, "id") == str(k, "id") {
				found = true
				if p := str(item, "prefix"); p == "" || key[:len(p)] != p {
					t.Errorf("prefix %q is not the start of the key", p)
				}
			}
		}
		if !found {
			t.Errorf("the new key is not listed: %v", list.Items)
		}
	})
	t.Run("a limited agent may not list, make or revoke keys", func(t *testing.T) {
		e := env.For(t)
		wantError(t, e.Do("GET", "/api/v1/api-keys", agent.Token, nil), http.StatusForbidden, "forbidden")
		wantError(t, e.Do("POST", "/api/v1/api-keys", agent.Token, map[string]string{"name": "x"}), http.StatusForbidden, "forbidden")
		k := e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", admin.Token, map[string]string{"name": "kept"}).Map(t)
		wantError(t, e.Do("DELETE", "/api/v1/api-keys/"+str(k, "id"), agent.Token, nil), http.StatusForbidden, "forbidden")
	})
	t.Run("a key needs a name of 1 to 100 characters", func(t *testing.T) {
		e := env.For(t)
		for _, name := range []string{"", "   ", string(make([]byte, 101))} {
			wantError(t, e.Do("POST", "/api/v1/api-keys", admin.Token, map[string]string{"name": name}), http.StatusUnprocessableEntity, "invalid")
		}
	})
	t.Run("a revoked key stops working at once and leaves the list", func(t *testing.T) {
		e := env.For(t)
		k := e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", admin.Token, map[string]string{"name": "old"}).Map(t)
		identified(e, acc, "rev-1", nil)
		e.Must(http.StatusOK, "PUT", "/api/v1/customers/rev-1", str(k, "key"), map[string]any{"orders_count": 1})
		e.Must(http.StatusNoContent, "DELETE", "/api/v1/api-keys/"+str(k, "id"), admin.Token, nil)
		wantError(t, e.Do("PUT", "/api/v1/customers/rev-1", str(k, "key"), map[string]any{"orders_count": 2}), http.StatusUnauthorized, "unauthorized")
		wantError(t, e.Do("DELETE", "/api/v1/api-keys/"+str(k, "id"), admin.Token, nil), http.StatusNotFound, "not_found")
		var list struct{ Items []map[string]any }
		e.Must(http.StatusOK, "GET", "/api/v1/api-keys", admin.Token, nil).JSON(t, &list)
		for _, item := range list.Items {
			if str(item, "id") == str(k, "id") {
				t.Errorf("revoked key still listed")
			}
		}
	})
	t.Run("another account's key cannot be revoked", func(t *testing.T) {
		e := env.For(t)
		other := e.NewAccount()
		k := e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", other.OwnerToken, map[string]string{"name": "theirs"}).Map(t)
		wantError(t, e.Do("DELETE", "/api/v1/api-keys/"+str(k, "id"), acc.OwnerToken, nil), http.StatusNotFound, "not_found")
		identified(e, other, "theirs-1", nil)
		e.Must(http.StatusOK, "PUT", "/api/v1/customers/theirs-1", str(k, "key"), map[string]any{"orders_count": 1})
	})
}

func TestCustomerEndpoint(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	key := newKey(env, acc)
	full := map[string]any{
		"email": "maria@example.com", "name": "Maria Kovacs", "phone": "+36 30 123 4567",
		"customer_since": "2023-05-14", "orders_count": 7, "total_spent": "1249.90", "currency": "eur",
		"last_orders": []map[string]any{
			{"number": "10432", "date": "2026-11-20T10:12:00Z", "total": 189.9, "status": "shipped", "url": "https://shop.example.com/admin/orders/10432"},
			{"number": "10001", "date": "2026-01-02", "total": "59", "currency": "HUF", "status": "delivered"},
		},
		"attributes": map[string]any{"vip": true, "segment": "returning", "points": 120},
	}

	t.Run("matched by the external id the site identified the visitor with", func(t *testing.T) {
		e := env.For(t)
		v := identified(e, acc, "user-42", map[string]any{"name": "Maria"})
		agentWS := e.AgentStream(acc.ID, acc.OwnerToken)
		c := e.Must(http.StatusOK, "PUT", "/api/v1/customers/user-42", key, full).Map(t)
		if str(c, "id") != v.ContactID || str(c, "external_id") != "user-42" {
			t.Fatalf("PUT answered contact %v, want the identified visitor's %s", c["id"], v.ContactID)
		}
		if str(c, "email") != "maria@example.com" || str(c, "name") != "Maria Kovacs" || str(c, "phone") != "+36301234567" {
			t.Errorf("contact details = %q %q %q, want the shop's, phone in E.164", c["name"], c["email"], c["phone"])
		}
		shop, _ := c["shop"].(map[string]any)
		if shop == nil {
			t.Fatalf("no shop data in %v", c)
		}
		if shop["orders_count"] != float64(7) || fmt.Sprint(shop["total_spent"]) != "1249.9" || shop["currency"] != "EUR" || shop["customer_since"] != "2023-05-14T00:00:00Z" {
			t.Errorf("shop = %v, want 7 orders, 1249.90 EUR since 2023-05-14", shop)
		}
		orders, _ := shop["last_orders"].([]any)
		if len(orders) != 2 {
			t.Fatalf("last_orders = %v, want 2", shop["last_orders"])
		}
		o1, o2 := orders[0].(map[string]any), orders[1].(map[string]any)
		if o1["number"] != "10432" || o1["status"] != "shipped" || o1["url"] != "https://shop.example.com/admin/orders/10432" || o1["currency"] != "EUR" || o1["total"] != 189.9 {
			t.Errorf("first order = %v", o1)
		}
		if o2["currency"] != "HUF" || o2["date"] != "2026-01-02T00:00:00Z" || o2["total"] != float64(59) {
			t.Errorf("second order = %v", o2)
		}
		attrs, _ := shop["attributes"].(map[string]any)
		if attrs["vip"] != true || attrs["segment"] != "returning" || attrs["points"] != float64(120) {
			t.Errorf("attributes = %v", attrs)
		}
		got := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, nil).Map(t)
		if gs, _ := got["shop"].(map[string]any); gs == nil || gs["orders_count"] != float64(7) {
			t.Errorf("GET contact shop = %v, want what was put", got["shop"])
		}
		f := apitest.Until(t, agentWS, func(f apitest.Frame) bool { return f.Type == "contact.updated" })
		if u := f[len(f)-1].Object(t); str(u, "id") != v.ContactID || u["shop"] == nil {
			t.Errorf("contact.updated = %v, want the contact with its shop data", u)
		}
	})
	t.Run("an email a visitor typed never receives a customer's shop data", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		e.Must(http.StatusOK, "POST", "/widget/v1/identify", v.Token, map[string]any{"email": "zoe@example.com"})
		c := e.Must(http.StatusCreated, "PUT", "/api/v1/customers/shop-zoe", key, map[string]any{"email": "zoe@example.com", "orders_count": 2}).Map(t)
		if str(c, "id") == v.ContactID || str(c, "external_id") != "shop-zoe" {
			t.Fatalf("PUT with the visitor's typed email landed on %v (external id %q), want a contact of its own", c["id"], c["external_id"])
		}
		if mine := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, nil).Map(t); mine["shop"] != nil || str(mine, "external_id") != "" {
			t.Errorf("the anonymous contact got %v / %q", mine["shop"], mine["external_id"])
		}
		again := e.Must(http.StatusOK, "PUT", "/api/v1/customers/shop-zoe", key, map[string]any{"orders_count": 3}).Map(t)
		if str(again, "id") != str(c, "id") || again["shop"].(map[string]any)["orders_count"] != float64(3) {
			t.Errorf("second PUT by id = %v, want the same contact with 3 orders", again)
		}
		// The customer's own signed identify joins the shop's contact.
		w := identified(e, acc, "shop-zoe", nil)
		joined := e.Must(http.StatusOK, "POST", "/widget/v1/identify", w.Token, map[string]any{"name": "Zoe"}).Map(t)
		if str(joined, "id") != str(c, "id") {
			t.Errorf("after a signed identify the visitor is on %v, want the customer's contact %v", joined["id"], c["id"])
		}
	})
	t.Run("another account's customer is never touched", func(t *testing.T) {
		e := env.For(t)
		other := e.NewAccount()
		v := identified(e, other, "shared-id", map[string]any{"email": "pat@example.com"})
		for _, path := range []string{"/api/v1/customers/shared-id", "/api/v1/customers/x"} {
			mine := e.Must(http.StatusCreated, "PUT", path, key, map[string]any{"email": "pat@example.com", "orders_count": 99}).Map(t)
			if str(mine, "id") == v.ContactID || str(mine, "account_id") != acc.ID {
				t.Errorf("PUT %s answered %v, want a new contact of the key's own account", path, mine)
			}
		}
		c := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, other.OwnerToken, nil).Map(t)
		if c["shop"] != nil {
			t.Errorf("the other account's contact got shop data: %v", c["shop"])
		}
	})
	t.Run("without a valid API key it is 401", func(t *testing.T) {
		e := env.For(t)
		identified(e, acc, "auth-1", nil)
		for name, token := range map[string]string{"no key": "", "a made-up key": "pk_madeup", "an agent token": acc.OwnerToken, "a visitor token": e.NewVisitor(acc).Token} {
			r := e.Do("PUT", "/api/v1/customers/auth-1", token, map[string]any{"orders_count": 1})
			if r.Status != http.StatusUnauthorized || r.ErrorCode() != "unauthorized" {
				t.Errorf("%s: %d %s, want 401 unauthorized", name, r.Status, r.Body)
			}
		}
	})
	t.Run("bad data is 422 and changes nothing", func(t *testing.T) {
		e := env.For(t)
		v := identified(e, acc, "bad-1", nil)
		e.Must(http.StatusOK, "PUT", "/api/v1/customers/bad-1", key, map[string]any{"email": "kept@example.com", "orders_count": 5, "currency": "EUR"})
		tooMany := make([]map[string]any, 21)
		for i := range tooMany {
			tooMany[i] = map[string]any{"number": fmt.Sprint(i)}
		}
		for name, body := range map[string]map[string]any{
			"a bad email":                    {"email": "not an email", "orders_count": 6},
			"a bad phone":                    {"phone": "call me", "orders_count": 6},
			"negative orders":                {"orders_count": -1},
			"orders as text":                 {"orders_count": "many"},
			"fractional orders":              {"orders_count": 2.5},
			"a total that is not a number":   {"total_spent": "lots", "orders_count": 6},
			"a currency that is not a code":  {"currency": "euro", "orders_count": 6},
			"a date that is not a date":      {"customer_since": "last spring", "orders_count": 6},
			"an order link that is not http": {"last_orders": []map[string]any{{"number": "1", "url": "javascript:alert(1)"}}},
			"an order date that is bad":      {"last_orders": []map[string]any{{"number": "1", "date": "yesterday"}}},
			"more than 20 orders":            {"last_orders": tooMany},
			"orders that are not a list":     {"last_orders": "10432"},
			"an attribute that is an object": {"attributes": map[string]any{"nested": map[string]any{"a": 1}}},
			"attributes that are a list":     {"attributes": []string{"a"}},
		} {
			r := e.Do("PUT", "/api/v1/customers/bad-1", key, body)
			if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "invalid" {
				t.Errorf("%s: %d %s, want 422 invalid", name, r.Status, r.Body)
			}
		}
		c := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, nil).Map(t)
		shop, _ := c["shop"].(map[string]any)
		if str(c, "email") != "kept@example.com" || shop == nil || shop["orders_count"] != float64(5) || shop["currency"] != "EUR" {
			t.Errorf("after refusals contact = %v, want what was stored before", c)
		}
		wantError(t, e.Do("PUT", "/api/v1/customers/bad-1", key, "not an object"), http.StatusBadRequest, "bad_request")
	})
	t.Run("shop text is card-masked", func(t *testing.T) {
		e := env.For(t)
		identified(e, acc, "mask-1", nil)
		c := e.Must(http.StatusOK, "PUT", "/api/v1/customers/mask-1", key, map[string]any{"attributes": map[string]any{"card": "4111 1111 1111 1111"},
			"last_orders": []map[string]any{{"number": "4111111111111111", "status": "paid"}}}).Map(t)
		shop := c["shop"].(map[string]any)
		if a := shop["attributes"].(map[string]any)["card"]; a != "**** **** **** 1111" {
			t.Errorf("attribute = %v, want masked", a)
		}
		if n := shop["last_orders"].([]any)[0].(map[string]any)["number"]; n != "************1111" {
			t.Errorf("order number = %v, want masked", n)
		}
	})
}
