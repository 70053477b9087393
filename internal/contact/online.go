package contact

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/geo"
)

// OnlineVisitor is a visitor on the site now, as the "Visitors" page lists
// them.
type OnlineVisitor struct {
	VisitorID string `json:"visitor_id"`
	ContactID string `json:"contact_id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Page      struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	} `json:"page"`
	// Since is when the current visit started; Pages counts its pages.
	Since    time.Time    `json:"since"`
	Pages    int64        `json:"pages"`
	Referrer string       `json:"referrer"`
	Location geo.Location `json:"location"`
	Browser  Software     `json:"browser"`
	OS       Software     `json:"os"`
	Device   string       `json:"device"`
	// Chatting is true while the visitor has an open conversation.
	Chatting       bool    `json:"chatting"`
	ConversationID *string `json:"conversation_id"`
}

// MaxOnline bounds the list; the rest are counted, not listed.
const MaxOnline = 500

// Online describes the given visitors of the account (those with a chat box
// open), newest visit first.
func (s *Service) Online(ctx context.Context, accountID string, visitorIDs []string) ([]OnlineVisitor, error) {
	out := []OnlineVisitor{}
	for len(visitorIDs) > 0 {
		chunk := visitorIDs[:min(len(visitorIDs), 200)]
		visitorIDs = visitorIDs[len(chunk):]
		args := []any{accountID}
		for _, v := range chunk {
			args = append(args, v)
		}
		rows, err := s.db.Query(ctx, `SELECT v.id, v.contact_id, c.name, c.email, v.visit_started_at, v.created_at, v.visit_pages, v.referrer,
			v.city, v.region, v.country, v.country_code, v.browser, v.browser_version, v.os, v.os_version, v.device,
			COALESCE((SELECT p.url FROM page_views p WHERE p.visitor_id = v.id ORDER BY p.created_at DESC, p.id DESC LIMIT 1), ''),
			COALESCE((SELECT p.title FROM page_views p WHERE p.visitor_id = v.id ORDER BY p.created_at DESC, p.id DESC LIMIT 1), ''),
			(SELECT cv.id FROM conversations cv WHERE cv.visitor_id = v.id AND cv.status = 'open' ORDER BY cv.created_at DESC, cv.id DESC LIMIT 1)
			FROM visitors v JOIN contacts c ON c.id = v.contact_id
			WHERE v.account_id = ? AND v.id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var o OnlineVisitor
			var since, created int64
			var conv sql.NullString
			if err := rows.Scan(&o.VisitorID, &o.ContactID, &o.Name, &o.Email, &since, &created, &o.Pages, &o.Referrer,
				&o.Location.City, &o.Location.Region, &o.Location.Country, &o.Location.CountryCode,
				&o.Browser.Name, &o.Browser.Version, &o.OS.Name, &o.OS.Version, &o.Device, &o.Page.URL, &o.Page.Title, &conv); err != nil {
				rows.Close()
				return nil, err
			}
			if since == 0 {
				since = created
			}
			o.Since = time.UnixMicro(since).UTC()
			if conv.Valid {
				o.Chatting, o.ConversationID = true, &conv.String
			}
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// Newest visit first; ties by id so the order is stable.
	slices.SortFunc(out, func(a, b OnlineVisitor) int {
		if c := b.Since.Compare(a.Since); c != 0 {
			return c
		}
		return strings.Compare(b.VisitorID, a.VisitorID)
	})
	return out, nil
}

// VisitorOf returns one visitor of the account.
func (s *Service) VisitorOf(ctx context.Context, accountID, visitorID string) (Visitor, error) {
	var v Visitor
	err := s.db.QueryRow(ctx, `SELECT id, account_id, contact_id FROM visitors WHERE id = ? AND account_id = ?`, visitorID, accountID).Scan(&v.ID, &v.AccountID, &v.ContactID)
	if errors.Is(err, sql.ErrNoRows) {
		return v, apperr.NotFound("visitor")
	}
	return v, err
}
