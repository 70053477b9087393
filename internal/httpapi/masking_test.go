package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

// unmasked are the forms of the test Visa number (and of runs of it) that
// must never be seen once it is masked.
var unmasked = []string{"4111 1111", "4111-1111", "41111111", "1111 1111 1111", "1111-1111-1111", "111111111111"}

func TestCardMasking(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	owner := acc.Owner()
	var seen []string // every response body and frame
	keep := func(r apitest.Response) apitest.Response {
		seen = append(seen, string(r.Body))
		return r
	}

	ws := e.AgentStream(acc.ID, owner.Token)
	var s struct {
		VisitorToken string `json:"visitor_token"`
		VisitorID    string `json:"visitor_id"`
		ContactID    string `json:"contact_id"`
	}
	keep(e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey,
		"page": map[string]string{"url": "https://shop.example/pay?card=4111111111111111", "title": "Paying with 4111 1111 1111 1111", "referrer": "https://ref.example/?c=4111-1111-1111-1111"}})).JSON(t, &s)
	v := apitest.Visitor{Token: s.VisitorToken, ID: s.VisitorID, ContactID: s.ContactID}
	vws := e.VisitorStream(acc.ID, v)

	msg := keep(e.Must(http.StatusCreated, "POST", "/widget/v1/messages", v.Token, map[string]string{"text": "my card is 4111 1111 1111 1111, ok?", "client_id": newClientID()})).Map(t)
	conv := str(msg, "conversation_id")
	if want := "my card is **** **** **** 1111, ok?"; str(msg, "text") != want {
		t.Errorf("visitor message text = %q, want %q", str(msg, "text"), want)
	}
	ack := sendWS(t, vws, newClientID(), "again: 4111-1111-1111-1111")
	seen = append(seen, mustEncode(t, ack))
	if want := "again: ****-****-****-1111"; str(ack, "text") != want {
		t.Errorf("socket message text = %q, want %q", str(ack, "text"), want)
	}
	if err := apitest.Write(vws, map[string]string{"type": "page.view", "url": "https://shop.example/thanks?pan=4111111111111111", "title": "Card 4111111111111111 charged"}); err != nil {
		t.Fatalf("write page.view: %v", err)
	}
	// The socket handles frames in order: this ack means the page view is in.
	sendWS(t, vws, newClientID(), "after the page view")
	note := keep(e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": "customer card 4111111111111111", "kind": "note"})).Map(t)
	if want := "customer card ************1111"; str(note, "text") != want {
		t.Errorf("note text = %q, want %q", str(note, "text"), want)
	}
	keep(e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": "Your card 4111 1111 1111 1111 was charged"}))
	c := keep(e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+v.ContactID, owner.Token, map[string]string{"name": "Ann 4111 1111 1111 1111", "note": "pays with 4111-1111-1111-1111"})).Map(t)
	if str(c, "name") != "Ann **** **** **** 1111" || str(c, "note") != "pays with ****-****-****-1111" {
		t.Errorf("contact = name %q note %q, want both masked keeping 1111", str(c, "name"), str(c, "note"))
	}
	keep(e.Must(http.StatusOK, "POST", "/widget/v1/identify", v.Token, map[string]any{"name": "Ann 4111111111111111",
		"variables": map[string]any{"card": "4111 1111 1111 1111", "as_number": 4111111111111111, "nested": map[string]string{"pan": "4111111111111111"}}}))

	// Everything read back.
	keep(e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, owner.Token, nil))
	keep(e.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, owner.Token, nil))
	keep(e.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/messages", owner.Token, nil))
	keep(e.Must(http.StatusOK, "GET", "/api/v1/conversations", owner.Token, nil))
	keep(e.Must(http.StatusOK, "GET", "/widget/v1/messages", v.Token, nil))
	keep(e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey, "visitor_token": v.Token}))
	marker := postNote(e, owner.Token, conv, "marker")
	reply := keep(e.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": "visitor marker"})).Map(t)
	for _, f := range apitest.Until(t, ws, func(f apitest.Frame) bool {
		return f.Type == "message.created" && str(f.Object(t), "id") == str(marker, "id")
	}) {
		seen = append(seen, string(f.Data))
	}
	for _, f := range apitest.Until(t, vws, func(f apitest.Frame) bool {
		return f.Type == "message.created" && str(f.Object(t), "id") == str(reply, "id")
	}) {
		seen = append(seen, string(f.Data))
	}

	contact := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, owner.Token, nil).Map(t)
	vars, _ := contact["variables"].(map[string]any)
	if !strings.HasSuffix(str(contact, "name"), "1111") || !strings.HasSuffix(str(vars, "card"), "1111") || !strings.Contains(str(vars, "as_number"), "1111") {
		t.Errorf("contact = %v, want the masked numbers to keep their last four digits", contact)
	}
	for _, text := range seen {
		for _, u := range unmasked {
			if strings.Contains(text, u) {
				t.Errorf("%q appears unmasked in %.300s", u, text)
			}
		}
	}

	// The card number never reaches the database either (page views have
	// no API yet, so they are checked there).
	ctx := context.Background()
	for _, q := range []string{
		`SELECT url || ' ' || title || ' ' || referrer FROM page_views`,
		`SELECT text FROM messages`,
		`SELECT name || ' ' || note || ' ' || variables FROM contacts`,
		`SELECT data || ' ' || coalesce(visitor_data, '') FROM events`,
	} {
		rows, err := e.Server.DB.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := 0
		for rows.Next() {
			var text string
			if err := rows.Scan(&text); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			n++
			for _, u := range unmasked {
				if strings.Contains(text, u) {
					t.Errorf("%s: %q is stored unmasked in %.300s", q, u, text)
				}
			}
		}
		rows.Close()
		if n == 0 {
			t.Errorf("%s found no rows, want the test's data", q)
		}
	}
}

// Every other field people type or a shop sends: masked where the masked
// text still means something, refused (422, nothing stored) where a masked
// value would be another value — an address, a phone number, an amount.
func TestCardNumbersInEveryField(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	key := newKey(e, acc)

	t.Run("an API key's name is masked", func(t *testing.T) {
		k := e.Must(http.StatusCreated, "POST", "/api/v1/api-keys", acc.OwnerToken, map[string]string{"name": "card 4111 1111 1111 1111"}).Map(t)
		if str(k, "name") != "card **** **** **** 1111" {
			t.Errorf("key name = %q, want masked", str(k, "name"))
		}
		list := string(e.Must(http.StatusOK, "GET", "/api/v1/api-keys", acc.OwnerToken, nil).Body)
		noCard(t, "the key list", list)
	})
	t.Run("the chat box's privacy_url is masked", func(t *testing.T) {
		w := e.Must(http.StatusOK, "PATCH", "/api/v1/widget", acc.OwnerToken, map[string]string{"privacy_url": "https://shop.example/privacy?ref=4111111111111111"}).Map(t)
		if got := str(w, "privacy_url"); got != "https://shop.example/privacy?ref=************1111" {
			t.Errorf("privacy_url = %q, want masked", got)
		}
		noCard(t, "the session", string(e.Must(http.StatusOK, "POST", "/widget/v1/session", "", map[string]any{"widget_key": acc.WidgetKey}).Body))
	})
	t.Run("card numbers are refused as phone numbers, phones are not", func(t *testing.T) {
		for _, phone := range []string{"378282246310005", "3782 822463 10005", "4222222222222", "(4222) 222-222-222", "+378282246310005"} {
			wantError(t, e.Do("PATCH", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, map[string]string{"phone": phone}), http.StatusUnprocessableEntity, "invalid")
			wantError(t, e.Do("POST", "/widget/v1/identify", v.Token, map[string]string{"phone": phone}), http.StatusUnprocessableEntity, "invalid")
			wantError(t, e.Do("PUT", "/api/v1/customers/phone-1", key, map[string]string{"phone": phone}), http.StatusUnprocessableEntity, "invalid")
		}
		for _, phone := range []string{"+36 30 123 4567", "+1 (415) 555-0100", "0043 1 234567890"} {
			e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, map[string]string{"phone": phone})
		}
	})
	t.Run("a card number in an email address is refused", func(t *testing.T) {
		for _, email := range []string{"4111111111111111@example.com", "pay.4111-1111-1111-1111@example.com"} {
			wantError(t, e.Do("PATCH", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, map[string]string{"email": email}), http.StatusUnprocessableEntity, "invalid")
			wantError(t, e.Do("POST", "/widget/v1/identify", v.Token, map[string]string{"email": email}), http.StatusUnprocessableEntity, "invalid")
			wantError(t, e.Do("PUT", "/api/v1/customers/mail-1", key, map[string]string{"email": email}), http.StatusUnprocessableEntity, "invalid")
			wantError(t, e.Do("POST", "/api/v1/agents", acc.OwnerToken, map[string]string{"email": email, "name": "Card", "password": "password123"}), http.StatusUnprocessableEntity, "invalid")
		}
		e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, map[string]string{"email": "order-10432@example.com"})
	})
	t.Run("customer amounts and number attributes", func(t *testing.T) {
		for _, total := range []any{"4111111111111111", "378282246310005", 378282246310005} {
			wantError(t, e.Do("PUT", "/api/v1/customers/amount-1", key, map[string]any{"total_spent": total}), http.StatusUnprocessableEntity, "invalid")
		}
		c := e.Must(http.StatusCreated, "PUT", "/api/v1/customers/attr-1", key, map[string]any{"total_spent": "1249.90",
			"attributes": map[string]any{"card": 4111111111111111, "pan 4111111111111111": "x", "vip": true, "points": 1250}}).Map(t)
		attrs := c["shop"].(map[string]any)["attributes"].(map[string]any)
		if attrs["card"] != "************1111" || attrs["pan ************1111"] != "x" || attrs["points"] != float64(1250) || attrs["vip"] != true {
			t.Errorf("attributes = %v, want the card number masked as text, the rest as sent", attrs)
		}
		noCard(t, "the customer", string(e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+str(c, "id"), acc.OwnerToken, nil).Body))
	})
	t.Run("a User-Agent holding a card number is masked", func(t *testing.T) {
		var s struct {
			ContactID string `json:"contact_id"`
		}
		r := e.DoWith("POST", "/widget/v1/session", "", http.Header{"User-Agent": {"Mozilla/5.0 (4111 1111 1111 1111)"}}, map[string]any{"widget_key": acc.WidgetKey})
		if r.Status != http.StatusOK {
			t.Fatalf("session: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &s)
		noCard(t, "the visitor's card", string(e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+s.ContactID, acc.OwnerToken, nil).Body))
		var ua string
		if err := e.Server.DB.QueryRow(context.Background(), `SELECT user_agent FROM visitors WHERE contact_id = ?`, s.ContactID).Scan(&ua); err != nil {
			t.Fatal(err)
		}
		if ua != "Mozilla/5.0 (**** **** **** 1111)" {
			t.Errorf("stored User-Agent = %q, want masked", ua)
		}
	})
}

// noCard fails when body shows the test card number unmasked.
func noCard(t *testing.T, what, body string) {
	t.Helper()
	for _, u := range unmasked {
		if strings.Contains(body, u) {
			t.Errorf("%s shows %q: %s", what, u, body)
		}
	}
	for _, u := range []string{"378282246310005", "4222222222222"} {
		if strings.Contains(body, u) {
			t.Errorf("%s shows %q", what, u)
		}
	}
}
