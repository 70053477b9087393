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
