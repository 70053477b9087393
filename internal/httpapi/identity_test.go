package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/parley-chat/parley/internal/apitest"
)

// userHash is what a shop's server computes for its user.
func userHash(secret, userID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

func TestIdentitySettings(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	agent := e.NewAgent(acc, "agent", "Andy Agent")
	first := e.Must(http.StatusOK, "GET", "/api/v1/identity", acc.OwnerToken, nil).Map(t)
	if len(str(first, "secret")) < 20 || first["verify"] != false {
		t.Fatalf("identity = %v, want a secret and verification off", first)
	}
	if again := e.Must(http.StatusOK, "GET", "/api/v1/identity", acc.OwnerToken, nil).Map(t); str(again, "secret") != str(first, "secret") {
		t.Errorf("the secret changed between two reads")
	}
	on := e.Must(http.StatusOK, "PATCH", "/api/v1/identity", acc.OwnerToken, map[string]any{"verify": true}).Map(t)
	if on["verify"] != true || str(on, "secret") != str(first, "secret") {
		t.Errorf("after PATCH verify = %v", on)
	}
	wantError(t, e.Do("PATCH", "/api/v1/identity", acc.OwnerToken, map[string]any{}), http.StatusUnprocessableEntity, "invalid")
	rotated := e.Must(http.StatusOK, "POST", "/api/v1/identity/secret", acc.OwnerToken, nil).Map(t)
	if str(rotated, "secret") == str(first, "secret") || rotated["verify"] != true {
		t.Errorf("rotate = %v, want a new secret and verification kept", rotated)
	}
	for _, r := range []apitest.Response{
		e.Do("GET", "/api/v1/identity", agent.Token, nil),
		e.Do("PATCH", "/api/v1/identity", agent.Token, map[string]any{"verify": false}),
		e.Do("POST", "/api/v1/identity/secret", agent.Token, nil),
	} {
		wantError(t, r, http.StatusForbidden, "forbidden")
	}
	other := e.NewAccount()
	if s := str(e.Must(http.StatusOK, "GET", "/api/v1/identity", other.OwnerToken, nil).Map(t), "secret"); s == str(rotated, "secret") || s == str(first, "secret") {
		t.Errorf("two accounts share an identity secret")
	}
}

func TestIdentifyWithUserHash(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	secret := str(env.Must(http.StatusOK, "PATCH", "/api/v1/identity", acc.OwnerToken, map[string]any{"verify": true}).Map(t), "secret")

	contactOf := func(e *apitest.Env, v apitest.Visitor) map[string]any {
		return e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, nil).Map(t)
	}
	refused := []struct {
		name string
		body map[string]any
	}{
		{"a missing hash", map[string]any{"user_id": "u-1", "name": "Mallory"}},
		{"a wrong hash", map[string]any{"user_id": "u-1", "user_hash": userHash("guess", "u-1"), "name": "Mallory"}},
		{"another user's hash replayed", map[string]any{"user_id": "u-1", "user_hash": userHash(secret, "u-2"), "name": "Mallory"}},
		{"a hash made with the other account's secret", map[string]any{"user_id": "u-1", "user_hash": userHash("ids_other", "u-1"), "name": "Mallory"}},
	}
	for _, tc := range refused {
		t.Run(tc.name+" is refused and changes nothing", func(t *testing.T) {
			e := env.For(t)
			v := e.NewVisitor(acc)
			wantError(t, e.Do("POST", "/widget/v1/identify", v.Token, tc.body), http.StatusForbidden, "forbidden")
			if c := contactOf(e, v); str(c, "name") != "" || str(c, "external_id") != "" {
				t.Errorf("after the refusal contact = %v, want unchanged", c)
			}
		})
	}
	t.Run("a good hash identifies, in either case of hex", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		e.Must(http.StatusOK, "POST", "/widget/v1/identify", v.Token, map[string]any{"user_id": "u-good", "user_hash": userHash(secret, "u-good"), "name": "Gina"})
		if c := contactOf(e, v); str(c, "external_id") != "u-good" || str(c, "name") != "Gina" {
			t.Errorf("contact = %v, want identified as u-good named Gina", c)
		}
		w := e.NewVisitor(acc)
		upper := []byte(userHash(secret, "u-upper"))
		for i, b := range upper {
			if b >= 'a' && b <= 'f' {
				upper[i] = b - 32
			}
		}
		e.Must(http.StatusOK, "POST", "/widget/v1/identify", w.Token, map[string]any{"user_id": "u-upper", "user_hash": string(upper)})
	})
	t.Run("a number user id is signed as written", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		e.Must(http.StatusOK, "POST", "/widget/v1/identify", v.Token, map[string]any{"user_id": 1042, "user_hash": userHash(secret, "1042")})
		if c := contactOf(e, v); str(c, "external_id") != "1042" {
			t.Errorf("external_id = %q, want 1042", c["external_id"])
		}
	})
	t.Run("identify without a user id still works with verification on", func(t *testing.T) {
		e := env.For(t)
		v := e.NewVisitor(acc)
		e.Must(http.StatusOK, "POST", "/widget/v1/identify", v.Token, map[string]any{"email": "anon@example.com"})
	})
	t.Run("a hash without a user id is 422", func(t *testing.T) {
		e := env.For(t)
		wantError(t, e.Do("POST", "/widget/v1/identify", e.NewVisitor(acc).Token, map[string]any{"user_hash": "abc"}), http.StatusUnprocessableEntity, "invalid")
	})
	t.Run("after rotating the secret the old hash is refused", func(t *testing.T) {
		e := env.For(t)
		acc2 := e.NewAccount()
		s2 := str(e.Must(http.StatusOK, "PATCH", "/api/v1/identity", acc2.OwnerToken, map[string]any{"verify": true}).Map(t), "secret")
		old := userHash(s2, "u-rot")
		e.Must(http.StatusOK, "POST", "/api/v1/identity/secret", acc2.OwnerToken, nil)
		wantError(t, e.Do("POST", "/widget/v1/identify", e.NewVisitor(acc2).Token, map[string]any{"user_id": "u-rot", "user_hash": old}), http.StatusForbidden, "forbidden")
	})
}

func TestSameUserOnTwoDevicesIsOneContact(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	phone, phoneConv := e.NewConversation(acc, "Hi from my phone")
	e.IdentifyUser(acc, phone, "cust-7", map[string]any{"name": "Kim"})

	laptop, laptopConv := e.NewConversation(acc, "Hi from my laptop")
	e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+laptop.ContactID, acc.OwnerToken, map[string]any{"note": "asked about returns"})
	ws := e.AgentStream(acc.ID, acc.OwnerToken)
	c := e.IdentifyUser(acc, laptop, "cust-7", map[string]any{"email": "kim@example.com"})
	if str(c, "id") != phone.ContactID {
		t.Fatalf("the laptop's identify answered contact %v, want the phone's %s", c["id"], phone.ContactID)
	}
	card := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+phone.ContactID, acc.OwnerToken, nil).Map(t)
	if str(card, "name") != "Kim" || str(card, "email") != "kim@example.com" || str(card, "note") != "asked about returns" {
		t.Errorf("merged contact = %v, want Kim, kim@example.com and the laptop contact's note", card)
	}
	for _, conv := range []string{phoneConv, laptopConv} {
		if got := str(e.ConversationOf(acc.OwnerToken, conv), "contact_id"); got != phone.ContactID {
			t.Errorf("conversation %s belongs to %s, want the one contact %s", conv, got, phone.ContactID)
		}
	}
	var hist struct{ Items []map[string]any }
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+phone.ContactID+"/conversations", acc.OwnerToken, nil).JSON(t, &hist)
	if len(hist.Items) != 2 || str(hist.Items[0], "id") != laptopConv || str(hist.Items[1], "id") != phoneConv {
		t.Errorf("conversation history = %d items, want the laptop's then the phone's", len(hist.Items))
	}
	wantError(t, e.Do("GET", "/api/v1/contacts/"+laptop.ContactID, acc.OwnerToken, nil), http.StatusNotFound, "not_found")
	frames := apitest.Until(t, ws, func(f apitest.Frame) bool {
		return f.Type == "contact.updated" && str(f.Object(t), "id") == phone.ContactID
	})
	moved := false
	for _, f := range frames {
		if f.Type == "conversation.updated" && str(f.Object(t), "id") == laptopConv && str(f.Object(t), "contact_id") == phone.ContactID {
			moved = true
		}
	}
	if !moved {
		t.Errorf("no conversation.updated told the agents the laptop conversation moved")
	}
	// The laptop keeps chatting in its own conversation, now on the one contact.
	m := e.VisitorSays(laptop, "still me")
	if str(m, "conversation_id") != laptopConv {
		t.Errorf("the laptop's next message went to %v, want its conversation %s", m["conversation_id"], laptopConv)
	}

	t.Run("another user on the same browser gets their own contact", func(t *testing.T) {
		e := e.For(t)
		e.IdentifyUser(acc, laptop, "cust-8", map[string]any{"name": "Lee"})
		kim := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+phone.ContactID, acc.OwnerToken, nil).Map(t)
		if str(kim, "name") != "Kim" || str(kim, "external_id") != "cust-7" {
			t.Errorf("Kim's contact changed to %v", kim)
		}
		if got := str(e.ConversationOf(acc.OwnerToken, laptopConv), "contact_id"); got != phone.ContactID {
			t.Errorf("Kim's conversation moved to %s with the browser", got)
		}
	})
}

// The probe's reproduction: with verification off (the default) a fresh
// anonymous visitor claimed a logged-in customer's user id and got their
// name, email and phone back, could overwrite their email, and its
// messages were filed under their contact.
func TestUnsignedUserIDNeverReachesAnotherContact(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	customer, customerConv := e.NewConversation(acc, "Where is my order?")
	e.IdentifyUser(acc, customer, "1042", map[string]any{"name": "Maria Kovacs", "email": "maria@example.com", "phone": "+36 30 123 4567"})
	before := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+customer.ContactID, acc.OwnerToken, nil).Map(t)

	for _, claim := range []map[string]any{
		{"user_id": 1042},
		{"user_id": "1042", "email": "mallory@example.com"},
		{"user_id": "1042", "name": "Mallory", "phone": "+36 1 555 0000"},
	} {
		mallory := e.NewVisitor(acc)
		got := e.Must(http.StatusOK, "POST", "/widget/v1/identify", mallory.Token, claim).Map(t)
		if str(got, "id") != mallory.ContactID {
			t.Errorf("identify %v answered contact %v, want the visitor's own %s", claim, got["id"], mallory.ContactID)
		}
		for _, field := range []string{"name", "email", "phone"} {
			if v := str(got, field); v != "" && v == str(before, field) {
				t.Errorf("identify %v revealed the customer's %s %q", claim, field, v)
			}
		}
		m := e.VisitorSays(mallory, "hello, it's me, Maria")
		conv := e.ConversationOf(acc.OwnerToken, str(m, "conversation_id"))
		if str(conv, "contact_id") == customer.ContactID || str(m, "conversation_id") == customerConv {
			t.Errorf("the claimant's message was filed under the customer's contact: %v", conv)
		}
		card := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+mallory.ContactID, acc.OwnerToken, nil).Map(t)
		vars, _ := card["variables"].(map[string]any)
		if vars["unverified_user_id"] != "1042" || str(card, "external_id") != "" {
			t.Errorf("claimant's card = variables %v, external_id %q; want the claim kept as unverified_user_id, no external id", vars, card["external_id"])
		}
	}
	after := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+customer.ContactID, acc.OwnerToken, nil).Map(t)
	for _, field := range []string{"name", "email", "phone", "external_id"} {
		if str(after, field) != str(before, field) {
			t.Errorf("the customer's %s changed from %q to %q", field, before[field], after[field])
		}
	}

	t.Run("a wrong hash is refused even with verification off", func(t *testing.T) {
		e := e.For(t)
		v := e.NewVisitor(acc)
		wantError(t, e.Do("POST", "/widget/v1/identify", v.Token, map[string]any{"user_id": "1042", "user_hash": userHash("guess", "1042"), "email": "x@example.com"}), http.StatusForbidden, "forbidden")
		if c := e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+v.ContactID, acc.OwnerToken, nil).Map(t); str(c, "email") != "" {
			t.Errorf("a refused identify changed the contact: %v", c)
		}
	})
	t.Run("a signed user id still joins with verification off", func(t *testing.T) {
		e := e.For(t)
		laptop := e.NewVisitor(acc)
		if got := e.IdentifyUser(acc, laptop, "1042", nil); str(got, "id") != customer.ContactID || str(got, "email") != "maria@example.com" {
			t.Errorf("a signed identify answered %v, want the customer's contact", got)
		}
	})
}
