package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/geo"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/mask"
	"github.com/parley-chat/parley/internal/useragent"
)

// Visitor is a browser that opened the chat box, known by its token.
type Visitor struct {
	ID        string
	AccountID string
	ContactID string
}

// Page is a page view the chat box reports.
type Page struct {
	URL      string `json:"url"`
	Title    string `json:"title"`
	Referrer string `json:"referrer"`
}

// Limits of page view fields, in characters.
const (
	maxURL   = 2048
	maxTitle = 500
)

// clean bounds and masks a page view; an empty URL means no page view.
func (p Page) clean() Page {
	return Page{URL: truncate(mask.Cards(strings.TrimSpace(p.URL)), maxURL), Title: truncate(mask.Cards(strings.TrimSpace(p.Title)), maxTitle),
		Referrer: truncate(mask.Cards(strings.TrimSpace(p.Referrer)), maxURL)}
}

// truncate cuts s to at most n code points and drops what cannot be stored
// (invalid UTF-8, NUL); a page title is not worth refusing a session for.
func truncate(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// Client is what a session request tells about the visitor's browser.
type Client struct {
	IP        string
	UserAgent string
	// Location and Agent are derived from IP and UserAgent by the caller.
	Location geo.Location
	Agent    useragent.Info
}

// Session finds the visitor a token belongs to in the account, or starts a
// new visitor (with a new contact and token) when the token is empty or
// unknown. It records the address and User-Agent and the page, if any.
func (s *Service) Session(ctx context.Context, accountID, token, ip, userAgent string, page *Page) (Visitor, string, error) {
	return s.ClientSession(ctx, accountID, token, Client{IP: ip, UserAgent: userAgent}, page)
}

// ClientSession is Session that also records where the visitor is and what
// they browse with, shown on the visitor card.
func (s *Service) ClientSession(ctx context.Context, accountID, token string, c Client, page *Page) (Visitor, string, error) {
	ua := truncate(c.UserAgent, 1000)
	// Derived values come from outside data (a database, header parsing):
	// bound them like any other text.
	f := []any{c.IP, ua,
		truncate(c.Location.CountryCode, 10), truncate(c.Location.Country, 100), truncate(c.Location.Region, 100), truncate(c.Location.City, 100),
		truncate(c.Agent.Browser, 100), truncate(c.Agent.BrowserVersion, 50), truncate(c.Agent.OS, 100), truncate(c.Agent.OSVersion, 50), truncate(c.Agent.Device, 20)}
	var v Visitor
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		now := time.Now().UnixMicro()
		found := false
		if token != "" {
			err := tx.QueryRow(ctx, `SELECT id, account_id, contact_id FROM visitors WHERE token_hash = ? AND account_id = ?`, id.Hash(token), accountID).Scan(&v.ID, &v.AccountID, &v.ContactID)
			switch {
			case err == nil:
				found = true
				if _, err := tx.Exec(ctx, `UPDATE visitors SET ip = ?, user_agent = ?, country_code = ?, country = ?, region = ?, city = ?,
					browser = ?, browser_version = ?, os = ?, os_version = ?, device = ?, last_seen_at = ? WHERE id = ?`, append(f, now, v.ID)...); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if !found {
			token = id.Secret()
			contactID, err := Insert(ctx, tx, accountID)
			if err != nil {
				return err
			}
			v = Visitor{ID: id.New(), AccountID: accountID, ContactID: contactID}
			args := append([]any{v.ID, accountID, contactID, id.Hash(token)}, f...)
			if _, err := tx.Exec(ctx, `INSERT INTO visitors (id, account_id, contact_id, token_hash, ip, user_agent, country_code, country, region, city,
				browser, browser_version, os, os_version, device, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				append(args, now, now)...); err != nil {
				return fmt.Errorf("insert visitor: %w", err)
			}
		}
		if page != nil {
			return insertPageView(ctx, tx, v, *page)
		}
		return nil
	})
	return v, token, err
}

func insertPageView(ctx context.Context, tx *database.Tx, v Visitor, p Page) error {
	p = p.clean()
	if p.URL == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO page_views (id, account_id, visitor_id, url, title, referrer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id.New(), v.AccountID, v.ID, p.URL, p.Title, p.Referrer, time.Now().UnixMicro())
	return err
}

// VisitorByToken returns the visitor a visitor token belongs to.
func (s *Service) VisitorByToken(ctx context.Context, token string) (Visitor, error) {
	var v Visitor
	if token == "" || len(token) > 200 {
		return v, apperr.Unauthorized("missing or unknown visitor token")
	}
	err := s.db.QueryRow(ctx, `SELECT id, account_id, contact_id FROM visitors WHERE token_hash = ?`, id.Hash(token)).Scan(&v.ID, &v.AccountID, &v.ContactID)
	if errors.Is(err, sql.ErrNoRows) {
		return v, apperr.Unauthorized("missing or unknown visitor token")
	}
	return v, err
}

// PageView records a page the visitor opened.
func (s *Service) PageView(ctx context.Context, v Visitor, p Page) error {
	return s.db.Write(ctx, func(tx *database.Tx) error { return insertPageView(ctx, tx, v, p) })
}

// PageView is a page a contact's visitor opened.
type PageView struct {
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Referrer  string    `json:"referrer"`
	VisitorID string    `json:"visitor_id"`
	CreatedAt time.Time `json:"created_at"`
}

// PageViews returns the latest pages a contact's visitors opened, newest
// first, at most limit.
func (s *Service) PageViews(ctx context.Context, accountID, contactID string, limit int) ([]PageView, error) {
	if _, err := s.Contact(ctx, accountID, contactID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 100
	}
	rows, err := s.db.Query(ctx, `SELECT p.url, p.title, p.referrer, p.visitor_id, p.created_at FROM page_views p JOIN visitors v ON v.id = p.visitor_id
		WHERE v.contact_id = ? AND p.account_id = ? ORDER BY p.created_at DESC, p.id DESC LIMIT ?`, contactID, accountID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PageView{}
	for rows.Next() {
		var p PageView
		var at int64
		if err := rows.Scan(&p.URL, &p.Title, &p.Referrer, &p.VisitorID, &at); err != nil {
			return nil, err
		}
		p.CreatedAt = time.UnixMicro(at).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
