package contact

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/mask"
)

// Shop is what a shop tells about its customer: shown on the visitor card
// as "Shopping information".
type Shop struct {
	CustomerSince *time.Time     `json:"customer_since"`
	OrdersCount   *int64         `json:"orders_count"`
	TotalSpent    *json.Number   `json:"total_spent"`
	Currency      string         `json:"currency"`
	LastOrders    []Order        `json:"last_orders"`
	Attributes    map[string]any `json:"attributes"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

// Order is one of the customer's latest orders.
type Order struct {
	Number   string       `json:"number"`
	Date     *time.Time   `json:"date"`
	Total    *json.Number `json:"total"`
	Currency string       `json:"currency"`
	Status   string       `json:"status"`
	URL      string       `json:"url"`
}

// Limits of the shop data.
const (
	maxOrders     = 20
	maxAttributes = 50
	maxShort      = 100
)

// Customer is the body of PUT /api/v1/customers/{external_id}. Every field
// is raw so that a wrong type is a 422 naming the field, like any other bad
// value, rather than a bare decoding error.
type Customer struct {
	Email         json.RawMessage `json:"email"`
	Name          json.RawMessage `json:"name"`
	Phone         json.RawMessage `json:"phone"`
	CustomerSince json.RawMessage `json:"customer_since"`
	OrdersCount   json.RawMessage `json:"orders_count"`
	TotalSpent    json.RawMessage `json:"total_spent"`
	Currency      json.RawMessage `json:"currency"`
	LastOrders    json.RawMessage `json:"last_orders"`
	Attributes    json.RawMessage `json:"attributes"`
}

var (
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
	amountRe   = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,4})?$`)
)

// isNull reports whether a raw field is absent or null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func rawString(field string, raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", apperr.Invalid(field, "%s must be a string", field)
	}
	return s, nil
}

// shortText is a bounded, masked one-line text.
func shortText(field string, raw json.RawMessage, max int) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	s, err := rawString(field, raw)
	if err != nil {
		return "", err
	}
	return validText(field, s, max)
}

// date accepts RFC 3339 or a plain date (2024-03-01).
func date(field string, raw json.RawMessage) (*time.Time, error) {
	if isNull(raw) {
		return nil, nil
	}
	s, err := rawString(field, raw)
	if err != nil {
		return nil, err
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1900 && t.Year() <= 9999 {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, apperr.Invalid(field, "%s must be a date like 2024-03-01 or 2024-03-01T12:00:00Z", field)
}

// amount accepts a JSON number or a numeric string with at most four
// decimals and keeps it exactly as written (no float rounding).
func amount(field string, raw json.RawMessage) (*json.Number, error) {
	if isNull(raw) {
		return nil, nil
	}
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		var err error
		if s, err = rawString(field, raw); err != nil {
			return nil, err
		}
	}
	if !amountRe.MatchString(s) {
		return nil, apperr.Invalid(field, "%s must be a number like 249.90", field)
	}
	if mask.Cards(s) != s {
		return nil, apperr.Invalid(field, "%s is a payment card number, not an amount", field)
	}
	n := json.Number(s)
	return &n, nil
}

func currency(field string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	s, err := rawString(field, raw)
	if err != nil {
		return "", err
	}
	s = strings.ToUpper(strings.TrimSpace(s))
	if s != "" && !currencyRe.MatchString(s) {
		return "", apperr.Invalid(field, "%s must be an ISO 4217 code like EUR", field)
	}
	return s, nil
}

func link(field string, raw json.RawMessage) (string, error) {
	s, err := shortText(field, raw, maxURL)
	if err != nil || s == "" {
		return s, err
	}
	u, perr := url.Parse(s)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", apperr.Invalid(field, "%s must be an http or https link", field)
	}
	return s, nil
}

// shop validates the shopping part of a customer body; nothing is stored
// when any field is bad.
func (c Customer) shop() (*Shop, error) {
	var sh Shop
	var err error
	if sh.CustomerSince, err = date("customer_since", c.CustomerSince); err != nil {
		return nil, err
	}
	if !isNull(c.OrdersCount) {
		var n int64
		if json.Unmarshal(c.OrdersCount, &n) != nil || n < 0 || n > 1e9 {
			return nil, apperr.Invalid("orders_count", "orders_count must be a whole number from 0")
		}
		sh.OrdersCount = &n
	}
	if sh.TotalSpent, err = amount("total_spent", c.TotalSpent); err != nil {
		return nil, err
	}
	if sh.Currency, err = currency("currency", c.Currency); err != nil {
		return nil, err
	}
	sh.LastOrders = []Order{}
	if !isNull(c.LastOrders) {
		var orders []map[string]json.RawMessage
		if json.Unmarshal(c.LastOrders, &orders) != nil {
			return nil, apperr.Invalid("last_orders", "last_orders must be a list of orders")
		}
		if len(orders) > maxOrders {
			return nil, apperr.Invalid("last_orders", "last_orders may hold at most %d orders", maxOrders)
		}
		for i, o := range orders {
			f := func(name string) string { return fmt.Sprintf("last_orders[%d].%s", i, name) }
			var out Order
			for _, step := range []func() error{
				func() (err error) { out.Number, err = shortText(f("number"), o["number"], maxShort); return },
				func() (err error) { out.Date, err = date(f("date"), o["date"]); return },
				func() (err error) { out.Total, err = amount(f("total"), o["total"]); return },
				func() (err error) { out.Currency, err = currency(f("currency"), o["currency"]); return },
				func() (err error) { out.Status, err = shortText(f("status"), o["status"], maxShort); return },
				func() (err error) { out.URL, err = link(f("url"), o["url"]); return },
			} {
				if err := step(); err != nil {
					return nil, err
				}
			}
			if out.Currency == "" {
				out.Currency = sh.Currency
			}
			sh.LastOrders = append(sh.LastOrders, out)
		}
	}
	sh.Attributes = map[string]any{}
	if !isNull(c.Attributes) {
		var attrs map[string]any
		if json.Unmarshal(c.Attributes, &attrs) != nil {
			return nil, apperr.Invalid("attributes", "attributes must be an object")
		}
		if len(attrs) > maxAttributes {
			return nil, apperr.Invalid("attributes", "at most %d attributes", maxAttributes)
		}
		for k, v := range attrs {
			key := strings.TrimSpace(k)
			if key == "" || utf8.RuneCountInString(key) > maxVarKey || !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
				return nil, apperr.Invalid("attributes", "attribute names must be 1 to %d characters", maxVarKey)
			}
			switch val := v.(type) {
			case string:
				s, err := validText("attributes", val, maxVarValue)
				if err != nil {
					return nil, apperr.Invalid("attributes", "attribute %q must be text of at most %d characters", key, maxVarValue)
				}
				v = s
			case float64:
				// A number is kept as a number unless it is a card
				// number, which is kept masked, as text.
				if s := strconv.FormatFloat(val, 'f', -1, 64); mask.Cards(s) != s {
					v = mask.Cards(s)
				}
			case bool:
			default:
				return nil, apperr.Invalid("attributes", "attribute %q must be a string, number or boolean", key)
			}
			sh.Attributes[mask.Cards(key)] = v
		}
	}
	sh.UpdatedAt = time.UnixMicro(time.Now().UnixMicro()).UTC()
	return &sh, nil
}

// details validates the contact part of a customer body: empty values are
// left out (the shop's back end may not know them).
func (c Customer) details() (Patch, error) {
	var p Patch
	for _, f := range []struct {
		name  string
		raw   json.RawMessage
		field **string
		check func(string) (string, error)
	}{
		{"name", c.Name, &p.Name, func(v string) (string, error) { return validText("name", v, maxName) }},
		{"email", c.Email, &p.Email, ValidEmail},
		{"phone", c.Phone, &p.Phone, ValidPhone},
	} {
		if isNull(f.raw) {
			continue
		}
		s, err := rawString(f.name, f.raw)
		if err != nil {
			return p, err
		}
		v, err := f.check(s)
		if err != nil {
			return p, err
		}
		if v != "" {
			*f.field = &v
		}
	}
	return p, nil
}

// ValidExternalID checks a shop's user id: 1–200 characters of text.
func ValidExternalID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > 200 || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", apperr.Invalid("external_id", "the external id must be 1 to 200 characters")
	}
	return s, nil
}

// PutCustomer stores what the shop's back end sends about its customer
// externalID: it finds the contact identified with that id, or makes one
// (created reports which), replaces its shopping data and fills in name,
// email and phone when given. It never matches a contact by email: an
// anonymous visitor can type anyone's address, and must not receive a real
// customer's shop data on their card — the signed user id is the only link.
func (s *Service) PutCustomer(ctx context.Context, accountID, externalID string, body Customer) (c Contact, created bool, err error) {
	externalID, err = ValidExternalID(externalID)
	if err != nil {
		return Contact{}, false, err
	}
	p, err := body.details()
	if err != nil {
		return Contact{}, false, err
	}
	sh, err := body.shop()
	if err != nil {
		return Contact{}, false, err
	}
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		var contactID string
		err := tx.QueryRow(ctx, `SELECT id FROM contacts WHERE account_id = ? AND external_id = ?`, accountID, externalID).Scan(&contactID)
		if errors.Is(err, sql.ErrNoRows) {
			// Known to the shop before the site: their first signed
			// identify joins this contact.
			created = true
			contactID, err = Insert(ctx, tx, accountID)
		}
		if err != nil {
			return err
		}
		b, _ := json.Marshal(sh)
		if _, err := tx.Exec(ctx, `UPDATE contacts SET external_id = ?, shop = ? WHERE id = ?`, externalID, string(b), contactID); err != nil {
			return fmt.Errorf("store shop data: %w", err)
		}
		c, err = s.UpdateTx(ctx, tx, accountID, contactID, p, true)
		return err
	})
	return c, created, err
}
