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
	"github.com/parley-chat/parley/internal/cursor"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
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
// they browse with, shown on the visitor card. When that changes for a known
// visitor (another network, an updated browser), or a new visit starts, the
// agents get contact.updated.
func (s *Service) ClientSession(ctx context.Context, accountID, token string, c Client, page *Page) (Visitor, string, error) {
	ua := truncate(mask.Cards(c.UserAgent), 1000)
	// Derived values come from outside data (a database, header parsing):
	// bound them like any other text.
	seen := [9]string{truncate(c.Location.CountryCode, 10), truncate(c.Location.Country, 100), truncate(c.Location.Region, 100), truncate(c.Location.City, 100),
		truncate(c.Agent.Browser, 100), truncate(c.Agent.BrowserVersion, 50), truncate(c.Agent.OS, 100), truncate(c.Agent.OSVersion, 50), truncate(c.Agent.Device, 20)}
	f := []any{c.IP, ua}
	for _, v := range seen {
		f = append(f, v)
	}
	var v Visitor
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		now := time.Now().UnixMicro()
		found, changed := false, false
		if token != "" {
			var before [9]string
			err := tx.QueryRow(ctx, `SELECT id, account_id, contact_id, country_code, country, region, city, browser, browser_version, os, os_version, device
				FROM visitors WHERE token_hash = ? AND account_id = ?`, id.Hash(token), accountID).Scan(&v.ID, &v.AccountID, &v.ContactID,
				&before[0], &before[1], &before[2], &before[3], &before[4], &before[5], &before[6], &before[7], &before[8])
			switch {
			case err == nil:
				found, changed = true, before != seen
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
			newVisit, err := insertPageView(ctx, tx, v, *page)
			if err != nil {
				return err
			}
			changed = changed || (found && newVisit)
		}
		if changed {
			return s.touched(ctx, tx, v)
		}
		return nil
	})
	return v, token, err
}

// visitGap is the pause after which a page view starts a new visit.
const visitGap = 30 * time.Minute

// insertPageView records a page view, starting a new visit when the
// visitor's last page view is older than visitGap; it reports whether it did.
func insertPageView(ctx context.Context, tx *database.Tx, v Visitor, p Page) (bool, error) {
	p = p.clean()
	if p.URL == "" {
		return false, nil
	}
	now := time.Now().UnixMicro()
	var visitID string
	var lastView int64
	if err := tx.QueryRow(ctx, `SELECT visit_id, last_view_at FROM visitors WHERE id = ?`, v.ID).Scan(&visitID, &lastView); err != nil {
		return false, fmt.Errorf("read visit: %w", err)
	}
	newVisit := visitID == "" || now-lastView > visitGap.Microseconds()
	var err error
	if newVisit {
		visitID = id.New()
		_, err = tx.Exec(ctx, `UPDATE visitors SET visit_id = ?, visit_started_at = ?, visits = visits + 1, visit_pages = 1, referrer = ?, last_view_at = ?, last_seen_at = ? WHERE id = ?`,
			visitID, now, p.Referrer, now, now, v.ID)
	} else {
		_, err = tx.Exec(ctx, `UPDATE visitors SET visit_pages = visit_pages + 1, last_view_at = ?, last_seen_at = ? WHERE id = ?`, now, now, v.ID)
	}
	if err != nil {
		return false, fmt.Errorf("update visit: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO page_views (id, account_id, visitor_id, url, title, referrer, visit_id, visit_start, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id.New(), v.AccountID, v.ID, p.URL, p.Title, p.Referrer, visitID, newVisit, now)
	return newVisit, err
}

// touched tells every agent the contact's card changed in tx.
func (s *Service) touched(ctx context.Context, tx *database.Tx, v Visitor) error {
	c, err := scan(tx.QueryRow(ctx, selectContact+`WHERE c.id = ? AND c.account_id = ?`, v.ContactID, v.AccountID))
	if err != nil {
		return err
	}
	_, err = event.Append(ctx, tx, s.hub, v.AccountID, event.ContactUpdated, "", c)
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

// PageView records a page the visitor opened; a page view that starts a
// new visit updates the card (visit count, referrer) for every agent.
func (s *Service) PageView(ctx context.Context, v Visitor, p Page) error {
	return s.db.Write(ctx, func(tx *database.Tx) error {
		newVisit, err := insertPageView(ctx, tx, v, p)
		if err != nil || !newVisit {
			return err
		}
		return s.touched(ctx, tx, v)
	})
}

// PageView is a page a contact's visitor opened.
type PageView struct {
	URL       string `json:"url"`
	Title     string `json:"title"`
	Referrer  string `json:"referrer"`
	VisitorID string `json:"visitor_id"`
	// VisitID groups the page views of one visit; VisitStart marks its
	// first page, whose referrer is where the visit came from.
	VisitID    string    `json:"visit_id"`
	VisitStart bool      `json:"visit_start"`
	CreatedAt  time.Time `json:"created_at"`
}

// PageViews is a page of a contact's browsing history.
type PageViews struct {
	Items      []PageView `json:"items"`
	NextCursor string     `json:"next_cursor"`
	// Visits is the contact's visit count.
	Visits int64 `json:"visits"`
}

// PageViews returns the pages a contact's visitors opened, newest first,
// limit at a time (the list conventions: default 50, at most 200), after
// cursor.
func (s *Service) PageViews(ctx context.Context, accountID, contactID string, limit int, after string) (PageViews, error) {
	out := PageViews{Items: []PageView{}}
	c, err := s.Contact(ctx, accountID, contactID)
	if err != nil {
		return out, err
	}
	out.Visits = c.Visits
	limit = cursor.ClampLimit(limit)
	where, args := `v.contact_id = ? AND p.account_id = ?`, []any{contactID, accountID}
	if after != "" {
		at, pid, err := cursor.Decode(after)
		if err != nil {
			return out, err
		}
		where, args = where+` AND (p.created_at < ? OR (p.created_at = ? AND p.id < ?))`, append(args, at, at, pid)
	}
	rows, err := s.db.Query(ctx, `SELECT p.id, p.url, p.title, p.referrer, p.visitor_id, p.visit_id, p.visit_start, p.created_at
		FROM page_views p JOIN visitors v ON v.id = p.visitor_id
		WHERE `+where+` ORDER BY p.created_at DESC, p.id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	var lastID string // the id of the last item kept, for the cursor
	for rows.Next() {
		var p PageView
		var pid string
		var at int64
		if err := rows.Scan(&pid, &p.URL, &p.Title, &p.Referrer, &p.VisitorID, &p.VisitID, &p.VisitStart, &at); err != nil {
			return out, err
		}
		if len(out.Items) == limit {
			out.NextCursor = cursor.Encode(out.Items[limit-1].CreatedAt.UnixMicro(), lastID)
			break
		}
		p.CreatedAt = time.UnixMicro(at).UTC()
		out.Items = append(out.Items, p)
		lastID = pid
	}
	return out, rows.Err()
}
