// Package contact keeps the people behind conversations — one contact per
// visitor for now — and their editable details (the visitor card).
package contact

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/geo"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/mask"
)

// Limits of the editable fields, in characters.
const (
	maxName      = 200
	maxNote      = 10000
	maxVariables = 50
	maxVarKey    = 100
	maxVarValue  = 1000
)

// Contact is a person the account talks to.
type Contact struct {
	ID        string            `json:"id"`
	AccountID string            `json:"account_id"`
	Name      string            `json:"name"`
	Email     string            `json:"email"`
	Phone     string            `json:"phone"`
	Note      string            `json:"note"`
	Variables map[string]string `json:"variables"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	// Location, Browser, OS and Device describe the contact's most
	// recently seen visitor; empty fields are unknown.
	Location geo.Location `json:"location"`
	Browser  Software     `json:"browser"`
	OS       Software     `json:"os"`
	// Device is desktop, mobile, tablet, bot or "".
	Device string `json:"device"`
	// ExternalID is the shop's own id of this customer, from
	// parley('identify', {user_id}) or the customers API; "" when unknown.
	ExternalID string `json:"external_id"`
	// Visits counts the visits of all the contact's visitors; Referrer is
	// where the latest one came from ("" = direct).
	Visits     int64      `json:"visits"`
	Referrer   string     `json:"referrer"`
	LastSeenAt *time.Time `json:"last_seen_at"`
	// Shop is what the shop sent about its customer, or nil.
	Shop *Shop `json:"shop"`
}

// Software is a browser or an operating system with its version.
type Software struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Public is the part of a contact the visitor may see about themselves.
type Public struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Public returns what the visitor may see.
func (c Contact) Public() Public {
	return Public{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone}
}

// Service is the contact store.
type Service struct {
	db  *database.DB
	hub *event.Hub
	// Conversations moves conversations when two contacts turn out to be
	// one person (IdentifyUser); set by the server's wiring.
	Conversations ConversationMover
}

// NewService returns the contact service.
func NewService(db *database.DB, hub *event.Hub) *Service { return &Service{db: db, hub: hub} }

// selectContact reads a contact with what its most recently seen visitor
// tells (backed by the visitors_contact_seen index); complete it with a
// WHERE on c.
const selectContact = `SELECT c.id, c.account_id, c.name, c.email, c.phone, c.note, c.variables, c.created_at, c.updated_at,
	COALESCE(v.city, ''), COALESCE(v.region, ''), COALESCE(v.country, ''), COALESCE(v.country_code, ''),
	COALESCE(v.browser, ''), COALESCE(v.browser_version, ''), COALESCE(v.os, ''), COALESCE(v.os_version, ''), COALESCE(v.device, ''),
	c.external_id, c.shop, COALESCE(v.referrer, ''), v.last_seen_at,
	(SELECT COALESCE(SUM(sv.visits), 0) FROM visitors sv WHERE sv.contact_id = c.id)
	FROM contacts c LEFT JOIN visitors v ON v.id = (SELECT lv.id FROM visitors lv WHERE lv.contact_id = c.id ORDER BY lv.last_seen_at DESC, lv.id DESC LIMIT 1) `

func scan(row interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	var vars, shop string
	var created, updated int64
	var seen sql.NullInt64
	err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.Email, &c.Phone, &c.Note, &vars, &created, &updated,
		&c.Location.City, &c.Location.Region, &c.Location.Country, &c.Location.CountryCode,
		&c.Browser.Name, &c.Browser.Version, &c.OS.Name, &c.OS.Version, &c.Device,
		&c.ExternalID, &shop, &c.Referrer, &seen, &c.Visits)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFound("contact")
	}
	if err != nil {
		return c, err
	}
	c.Variables = map[string]string{}
	json.Unmarshal([]byte(vars), &c.Variables)
	if shop != "" {
		c.Shop = &Shop{}
		if json.Unmarshal([]byte(shop), c.Shop) != nil {
			c.Shop = nil
		}
	}
	c.CreatedAt = time.UnixMicro(created).UTC()
	c.UpdatedAt = time.UnixMicro(updated).UTC()
	if seen.Valid {
		t := time.UnixMicro(seen.Int64).UTC()
		c.LastSeenAt = &t
	}
	return c, nil
}

// Insert adds an empty contact inside tx and returns its id.
func Insert(ctx context.Context, tx *database.Tx, accountID string) (string, error) {
	cid := id.New()
	now := time.Now().UnixMicro()
	_, err := tx.Exec(ctx, `INSERT INTO contacts (id, account_id, created_at, updated_at) VALUES (?, ?, ?, ?)`, cid, accountID, now, now)
	if err != nil {
		return "", fmt.Errorf("insert contact: %w", err)
	}
	return cid, nil
}

// Contact returns one contact of the account.
func (s *Service) Contact(ctx context.Context, accountID, contactID string) (Contact, error) {
	return scan(s.db.QueryRow(ctx, selectContact+`WHERE c.id = ? AND c.account_id = ?`, contactID, accountID))
}

// Patch is a partial update; nil fields stay, empty strings clear.
type Patch struct {
	Name      *string           `json:"name"`
	Email     *string           `json:"email"`
	Phone     *string           `json:"phone"`
	Note      *string           `json:"note"`
	Variables map[string]string `json:"variables"`
}

// ValidEmail checks an address without a display name ("" clears).
func ValidEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", apperr.Invalid("email", "email must be a plain address like ann@example.com")
	}
	// Masked, the address would be another one; refused, the number is
	// never kept.
	if mask.Cards(s) != s {
		return "", apperr.Invalid("email", "email must not hold a payment card number")
	}
	return s, nil
}

// ValidPhone checks an optional + and 6–15 digits with spaces, dashes and
// parentheses allowed ("" clears) — the API's promise. A number written
// with + whose country code's numbering plan allows it is normalised to
// E.164 ("+36 30 123 4567" → "+36301234567"), so the same number typed two
// ways is the same text; anything else the API allows (no +, so no known
// country; a plan the library does not know) stays as typed.
func ValidPhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ', r == '-', r == '(', r == ')':
		default:
			return "", apperr.Invalid("phone", "phone may hold only digits, spaces, dashes, parentheses and a leading +")
		}
	}
	if digits < 6 || digits > 15 {
		return "", apperr.Invalid("phone", "phone must have 6 to 15 digits")
	}
	if digits >= 13 && mask.Cards(onlyDigits(s)) != onlyDigits(s) {
		return "", apperr.Invalid("phone", "that is a payment card number, not a phone number")
	}
	if s[0] == '+' {
		if n, err := phonenumbers.Parse(s, ""); err == nil && phonenumbers.IsPossibleNumber(n) {
			return phonenumbers.Format(n, phonenumbers.E164), nil
		}
	}
	return s, nil
}

// onlyDigits keeps the digits of s.
func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func validText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", apperr.Invalid(field, "%s must be valid UTF-8 text without NUL characters", field)
	}
	if utf8.RuneCountInString(s) > max {
		return "", apperr.Invalid(field, "%s must be at most %d characters", field, max)
	}
	return mask.Cards(s), nil
}

// validate checks and normalises every field of p; nothing is written when
// any field is bad.
func (p *Patch) validate() error {
	for _, f := range []struct {
		name  string
		field **string
		check func(string) (string, error)
	}{
		{"name", &p.Name, func(v string) (string, error) { return validText("name", v, maxName) }},
		{"email", &p.Email, ValidEmail},
		{"phone", &p.Phone, ValidPhone},
		{"note", &p.Note, func(v string) (string, error) { return validText("note", v, maxNote) }},
	} {
		if *f.field == nil {
			continue
		}
		v, err := f.check(**f.field)
		if err != nil {
			return err
		}
		*f.field = &v
	}
	if p.Variables == nil {
		return nil
	}
	if len(p.Variables) > maxVariables {
		return apperr.Invalid("variables", "at most %d variables", maxVariables)
	}
	clean := make(map[string]string, len(p.Variables))
	for k, v := range p.Variables {
		k = strings.TrimSpace(k)
		if k == "" || utf8.RuneCountInString(k) > maxVarKey {
			return apperr.Invalid("variables", "variable names must be 1 to %d characters", maxVarKey)
		}
		if !utf8.ValidString(k+v) || strings.ContainsRune(k+v, 0) {
			return apperr.Invalid("variables", "variables must be valid UTF-8 text without NUL characters")
		}
		if utf8.RuneCountInString(v) > maxVarValue {
			return apperr.Invalid("variables", "variable %q must be at most %d characters", k, maxVarValue)
		}
		clean[mask.Cards(k)] = mask.Cards(v)
	}
	p.Variables = clean
	return nil
}

// Update validates p and changes the contact, telling every agent.
func (s *Service) Update(ctx context.Context, accountID, contactID string, p Patch) (Contact, error) {
	if err := p.validate(); err != nil {
		// Another account's contact is a 404 whatever the body.
		if _, cerr := s.Contact(ctx, accountID, contactID); cerr != nil {
			return Contact{}, cerr
		}
		return Contact{}, err
	}
	var c Contact
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		var err error
		c, err = s.UpdateTx(ctx, tx, accountID, contactID, p, false)
		return err
	})
	return c, err
}

// UpdateTx applies an already validated patch inside tx and appends the
// contact.updated event. Variables are merged into the existing ones. With
// nothing to change it writes nothing, unless changed says the caller
// already changed the contact in tx (then the event still goes out).
func (s *Service) UpdateTx(ctx context.Context, tx *database.Tx, accountID, contactID string, p Patch, changed bool) (Contact, error) {
	c, err := scan(tx.QueryRow(ctx, selectContact+`WHERE c.id = ? AND c.account_id = ?`, contactID, accountID))
	if err != nil {
		return c, err
	}
	before := c
	if p.Name != nil {
		c.Name = *p.Name
	}
	if p.Email != nil {
		c.Email = *p.Email
	}
	if p.Phone != nil {
		c.Phone = *p.Phone
	}
	if p.Note != nil {
		c.Note = *p.Note
	}
	varsChanged := false
	if len(p.Variables) > 0 {
		merged := make(map[string]string, len(c.Variables)+len(p.Variables))
		for k, v := range c.Variables {
			merged[k] = v
		}
		for k, v := range p.Variables {
			if merged[k] != v {
				varsChanged = true
			}
			merged[k] = v
		}
		if len(merged) > maxVariables {
			return Contact{}, apperr.Invalid("variables", "at most %d variables", maxVariables)
		}
		c.Variables = merged
	}
	if !changed && c.Name == before.Name && c.Email == before.Email && c.Phone == before.Phone && c.Note == before.Note && !varsChanged {
		return c, nil // nothing changed: no write, no event
	}
	c.UpdatedAt = time.UnixMicro(time.Now().UnixMicro()).UTC()
	vars, _ := json.Marshal(c.Variables)
	if _, err := tx.Exec(ctx, `UPDATE contacts SET name = ?, email = ?, phone = ?, note = ?, variables = ?, updated_at = ? WHERE id = ?`,
		c.Name, c.Email, c.Phone, c.Note, string(vars), c.UpdatedAt.UnixMicro(), c.ID); err != nil {
		return Contact{}, fmt.Errorf("update contact: %w", err)
	}
	if _, err := event.Append(ctx, tx, s.hub, accountID, event.ContactUpdated, "", c); err != nil {
		return Contact{}, err
	}
	return c, nil
}

// Identify applies what a visitor says about themselves (chat box forms or
// the site's JavaScript API).
func (s *Service) Identify(ctx context.Context, accountID, contactID string, p Patch) (Contact, error) {
	p.Note = nil // the note is the agents' own
	return s.Update(ctx, accountID, contactID, p)
}
