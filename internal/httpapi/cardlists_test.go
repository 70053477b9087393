package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/widgetapi"
)

// visit opens a page the way the chat box does on every page load: a
// session with the page, resuming token (empty: a new visitor).
func visit(t *testing.T, e *apitest.Env, widgetKey, token, userAgent, url, referrer string) (string, string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"widget_key": widgetKey, "visitor_token": token, "page": map[string]string{"url": url, "title": "Title of " + url, "referrer": referrer}})
	req, _ := http.NewRequest("POST", e.URL+"/widget/v1/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ VisitorToken, VisitorID, ContactID string }
	var raw map[string]any
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("session = %d %v", res.StatusCode, err)
	}
	out.VisitorToken, out.VisitorID, out.ContactID = str(raw, "visitor_token"), str(raw, "visitor_id"), str(raw, "contact_id")
	return out.VisitorToken, out.VisitorID, out.ContactID
}

// pause makes the visitor's last page view look older than a visit's gap.
func pause(t *testing.T, e *apitest.Env, visitorID string, d time.Duration) {
	t.Helper()
	err := e.Server.DB.Write(context.Background(), func(tx *database.Tx) error {
		_, err := tx.Exec(context.Background(), `UPDATE visitors SET last_view_at = last_view_at - ? WHERE id = ?`, d.Microseconds(), visitorID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

type pageList struct {
	Items []struct {
		URL, Title, Referrer string
		VisitorID            string `json:"visitor_id"`
		VisitID              string `json:"visit_id"`
		VisitStart           bool   `json:"visit_start"`
	}
	NextCursor string `json:"next_cursor"`
	Visits     int64  `json:"visits"`
}

func TestBrowsingHistoryIsGroupedIntoVisits(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	token, vid, contactID := visit(t, e, acc.WidgetKey, "", chromeOnWindows, "https://shop.example/", "https://www.google.com/")
	visit(t, e, acc.WidgetKey, token, chromeOnWindows, "https://shop.example/shoes", "https://shop.example/")
	pause(t, e, vid, 31*time.Minute)
	ws := e.AgentStream(acc.ID, acc.OwnerToken)
	visit(t, e, acc.WidgetKey, token, chromeOnWindows, "https://shop.example/cart", "https://newsletter.example/")

	f := apitest.Until(t, ws, func(f apitest.Frame) bool { return f.Type == "contact.updated" })
	if c := f[len(f)-1].Object(t); c["visits"] != float64(2) || str(c, "referrer") != "https://newsletter.example/" {
		t.Errorf("contact.updated on the new visit = visits %v referrer %q, want 2 and the newsletter", c["visits"], c["referrer"])
	}
	var got pageList
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID+"/pages", acc.OwnerToken, nil).JSON(t, &got)
	if got.Visits != 2 || len(got.Items) != 3 || got.NextCursor != "" {
		t.Fatalf("pages = %d items, %d visits, cursor %q; want 3 pages in 2 visits, one page", len(got.Items), got.Visits, got.NextCursor)
	}
	cart, shoes, home := got.Items[0], got.Items[1], got.Items[2]
	if cart.URL != "https://shop.example/cart" || shoes.URL != "https://shop.example/shoes" || home.URL != "https://shop.example/" {
		t.Errorf("order = %s, %s, %s; want newest first", cart.URL, shoes.URL, home.URL)
	}
	if !cart.VisitStart || shoes.VisitStart || !home.VisitStart {
		t.Errorf("visit_start = %v %v %v, want the cart and the home page to start visits", cart.VisitStart, shoes.VisitStart, home.VisitStart)
	}
	if cart.VisitID == shoes.VisitID || shoes.VisitID != home.VisitID || cart.VisitID == "" {
		t.Errorf("visit ids = %q %q %q, want the last two together", cart.VisitID, shoes.VisitID, home.VisitID)
	}
	if home.Referrer != "https://www.google.com/" || cart.Title != "Title of https://shop.example/cart" {
		t.Errorf("home referrer %q, cart title %q", home.Referrer, cart.Title)
	}
	c := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID, acc.OwnerToken, nil).Map(t)
	if c["visits"] != float64(2) || str(c, "referrer") != "https://newsletter.example/" || c["last_seen_at"] == nil {
		t.Errorf("contact = visits %v referrer %q last seen %v", c["visits"], c["referrer"], c["last_seen_at"])
	}
}

func TestBrowsingHistoryPagesWithMore(t *testing.T) {
	// 105 page views at once: more than a visitor may report in a burst.
	e := apitest.New(t, apitest.Options{VisitorLimits: widgetapi.Limits{PageViewBurst: 200}})
	acc := e.NewAccount()
	token, _, contactID := visit(t, e, acc.WidgetKey, "", chromeOnWindows, "https://shop.example/p/0", "")
	v, err := e.Server.Contacts.VisitorByToken(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	// Stored through the service: the chat box's own page views are rate
	// limited, and this test is about the list.
	for i := 1; i < 205; i++ {
		if err := e.Server.Contacts.PageView(context.Background(), v, contact.Page{URL: fmt.Sprintf("https://shop.example/p/%d", i), Title: "Title"}); err != nil {
			t.Fatal(err)
		}
	}
	var first, second, def, big pageList
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID+"/pages", acc.OwnerToken, nil).JSON(t, &def)
	if len(def.Items) != 50 || def.NextCursor == "" {
		t.Errorf("default page = %d items, cursor %q; want 50 and more", len(def.Items), def.NextCursor)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID+"/pages?limit=1000", acc.OwnerToken, nil).JSON(t, &big)
	if len(big.Items) != 200 || big.NextCursor == "" {
		t.Errorf("limit=1000 gave %d items, cursor %q; want it clamped to 200 and more", len(big.Items), big.NextCursor)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID+"/pages?limit=200", acc.OwnerToken, nil).JSON(t, &first)
	if len(first.Items) != 200 || first.NextCursor == "" || first.Items[0].URL != "https://shop.example/p/204" {
		t.Fatalf("first page = %d items (first %q), cursor %q; want the latest 200 and more", len(first.Items), first.Items[0].URL, first.NextCursor)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID+"/pages?limit=200&cursor="+first.NextCursor, acc.OwnerToken, nil).JSON(t, &second)
	if len(second.Items) != 5 || second.NextCursor != "" || second.Items[4].URL != "https://shop.example/p/0" {
		t.Fatalf("second page = %d items, cursor %q; want the 5 oldest and no more", len(second.Items), second.NextCursor)
	}
	seen := map[string]bool{}
	for _, p := range append(first.Items, second.Items...) {
		if seen[p.URL] {
			t.Errorf("%s listed twice", p.URL)
		}
		seen[p.URL] = true
	}
	wantError(t, e.Do("GET", "/api/v1/contacts/"+contactID+"/pages?cursor=bogus", acc.OwnerToken, nil), http.StatusBadRequest, "bad_request")
	other := e.NewAccount()
	wantError(t, e.Do("GET", "/api/v1/contacts/"+contactID+"/pages", other.OwnerToken, nil), http.StatusNotFound, "not_found")
}

func TestConversationHistory(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	v, first := e.NewConversation(acc, "first question")
	resolve(e, acc.OwnerToken, first)
	// A new conversation starts once the agent writes first after resolving.
	second := str(e.Must(http.StatusCreated, "POST", "/api/v1/visitors/"+v.ID+"/conversations", acc.OwnerToken, map[string]string{"text": "Can I help?", "client_id": "start-1"}).Map(t), "id")
	if second == first {
		t.Fatal("starting a chat after resolving reused the resolved conversation")
	}
	var hist struct {
		Items      []map[string]any
		NextCursor string `json:"next_cursor"`
	}
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID+"/conversations", acc.OwnerToken, nil).JSON(t, &hist)
	if len(hist.Items) != 2 || str(hist.Items[0], "id") != second || str(hist.Items[1], "id") != first {
		t.Fatalf("history = %v, want the new then the resolved conversation", hist.Items)
	}
	if str(hist.Items[1], "status") != "resolved" || hist.Items[1]["last_message"] == nil {
		t.Errorf("resolved conversation in history = %v, want status and last message", hist.Items[1])
	}
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID+"/conversations?limit=1", acc.OwnerToken, nil).JSON(t, &hist)
	if len(hist.Items) != 1 || hist.NextCursor == "" {
		t.Fatalf("limit=1 = %d items, cursor %q", len(hist.Items), hist.NextCursor)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID+"/conversations?limit=1&cursor="+hist.NextCursor, acc.OwnerToken, nil).JSON(t, &hist)
	if len(hist.Items) != 1 || str(hist.Items[0], "id") != first || hist.NextCursor != "" {
		t.Errorf("second page = %v, want the first conversation and the end", hist.Items)
	}
	other := e.NewAccount()
	wantError(t, e.Do("GET", "/api/v1/contacts/"+v.ContactID+"/conversations", other.OwnerToken, nil), http.StatusNotFound, "not_found")
}

func TestNewSessionWithOtherBrowserUpdatesTheCard(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	token, _, _ := visit(t, e, acc.WidgetKey, "", chromeOnWindows, "https://shop.example/", "")
	ws := e.AgentStream(acc.ID, acc.OwnerToken)
	visit(t, e, acc.WidgetKey, token, chromeOnWindows, "https://shop.example/a", "")
	firefox := "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	visit(t, e, acc.WidgetKey, token, firefox, "https://shop.example/b", "")
	f := apitest.Until(t, ws, func(f apitest.Frame) bool { return f.Type == "contact.updated" })
	if len(f) != 1 {
		t.Errorf("frames before contact.updated = %d; the same browser's page view must not update the card", len(f)-1)
	}
	var c card
	if err := json.Unmarshal(f[len(f)-1].Data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Browser.Name != "Firefox" || c.Browser.Version != "133" || c.OS.Name != "Linux" {
		t.Errorf("contact.updated = %+v, want Firefox 133 on Linux", c)
	}
}

func TestOnlineVisitorsAndStartingAChat(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	agentWS := e.AgentStream(acc.ID, acc.OwnerToken)
	token, vid, contactID := visit(t, e, acc.WidgetKey, "", chromeOnWindows, "https://shop.example/shoes", "https://www.google.com/")
	v := apitest.Visitor{Token: token, ID: vid, ContactID: contactID}

	var list struct {
		Items []map[string]any
		Total int
	}
	e.Must(http.StatusOK, "GET", "/api/v1/visitors/online", acc.OwnerToken, nil).JSON(t, &list)
	if len(list.Items) != 0 || list.Total != 0 {
		t.Fatalf("online before any chat box connected = %v", list.Items)
	}
	vws := e.VisitorStream(acc.ID, v)
	online := func(match func(map[string]any) bool) map[string]any {
		t.Helper()
		for {
			f, err := apitest.Read(agentWS, 5*time.Second)
			if err != nil {
				t.Fatalf("waiting for visitor.online: %v", err)
			}
			if f.Type == "visitor.online" {
				if o := f.Object(t); match(o) {
					return o
				}
			}
		}
	}
	o := online(func(o map[string]any) bool { return str(o, "visitor_id") == vid })
	page, _ := o["page"].(map[string]any)
	if str(o, "contact_id") != contactID || str(page, "url") != "https://shop.example/shoes" || o["pages"] != float64(1) || o["chatting"] != false || str(o, "referrer") != "https://www.google.com/" {
		t.Errorf("visitor.online = %v", o)
	}
	e.Must(http.StatusOK, "GET", "/api/v1/visitors/online", acc.OwnerToken, nil).JSON(t, &list)
	if len(list.Items) != 1 || str(list.Items[0], "visitor_id") != vid || list.Total != 1 {
		t.Fatalf("online = %v, want the visitor", list.Items)
	}
	if err := apitest.Write(vws, map[string]string{"type": "page.view", "url": "https://shop.example/cart", "title": "Cart"}); err != nil {
		t.Fatal(err)
	}
	o = online(func(o map[string]any) bool {
		return str(o["page"].(map[string]any), "url") == "https://shop.example/cart"
	})
	if o["pages"] != float64(2) {
		t.Errorf("pages after a page view = %v, want 2", o["pages"])
	}
	other := e.NewAccount()
	e.Must(http.StatusOK, "GET", "/api/v1/visitors/online", other.OwnerToken, nil).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("another account sees %d online visitors", len(list.Items))
	}

	t.Run("an agent starts a chat the visitor sees", func(t *testing.T) {
		r := e.Must(http.StatusCreated, "POST", "/api/v1/visitors/"+vid+"/conversations", acc.OwnerToken, map[string]string{"text": "Need help with sizes?", "client_id": "proactive-1"}).Map(t)
		conv := str(r, "id")
		if str(r, "status") != "open" || str(r, "assignee_id") != acc.OwnerID || str(r, "visitor_id") != vid {
			t.Errorf("started conversation = %v, want open, assigned to the starter, the visitor's", r)
		}
		f := apitest.Until(t, vws, func(f apitest.Frame) bool { return f.Type == "message.created" })
		if m := f[len(f)-1].Object(t); str(m, "text") != "Need help with sizes?" || str(m, "conversation_id") != conv {
			t.Errorf("the visitor got %v", m)
		}
		again := e.Must(http.StatusOK, "POST", "/api/v1/visitors/"+vid+"/conversations", acc.OwnerToken, map[string]string{"text": "Need help with sizes?", "client_id": "proactive-1"}).Map(t)
		if str(again, "id") != conv || len(e.MessagesOf(acc.OwnerToken, conv)) != 1 {
			t.Errorf("a repeated client_id stored another message or another conversation")
		}
		next := e.Must(http.StatusOK, "POST", "/api/v1/visitors/"+vid+"/conversations", acc.OwnerToken, map[string]string{"text": "We have all sizes", "client_id": "proactive-2"}).Map(t)
		if str(next, "id") != conv {
			t.Errorf("a second start went to %v, want the open conversation %s", next["id"], conv)
		}
		reply := e.VisitorSays(v, "Yes, 42 please")
		if str(reply, "conversation_id") != conv {
			t.Errorf("the visitor's answer went to %v, want %s", reply["conversation_id"], conv)
		}
		e.Must(http.StatusOK, "GET", "/api/v1/visitors/online", acc.OwnerToken, nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0]["chatting"] != true || str(list.Items[0], "conversation_id") != conv {
			t.Errorf("online after the chat started = %v, want chatting in %s", list.Items, conv)
		}
		wantError(t, e.Do("POST", "/api/v1/visitors/"+vid+"/conversations", other.OwnerToken, map[string]string{"text": "hi"}), http.StatusNotFound, "not_found")
		wantError(t, e.Do("POST", "/api/v1/visitors/"+vid+"/conversations", acc.OwnerToken, map[string]string{"text": ""}), http.StatusUnprocessableEntity, "invalid")
	})
	t.Run("closing the chat box tells the agents the visitor left", func(t *testing.T) {
		vws.CloseNow()
		for {
			f, err := apitest.Read(agentWS, 5*time.Second)
			if err != nil {
				t.Fatalf("waiting for visitor.offline: %v", err)
			}
			if f.Type == "visitor.offline" {
				if str(f.Object(t), "visitor_id") != vid {
					t.Errorf("visitor.offline = %s", f.Data)
				}
				break
			}
		}
		e.Must(http.StatusOK, "GET", "/api/v1/visitors/online", acc.OwnerToken, nil).JSON(t, &list)
		if len(list.Items) != 0 {
			t.Errorf("online after leaving = %v", list.Items)
		}
	})
}
