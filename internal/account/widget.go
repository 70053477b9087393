package account

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/apperr"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/mask"
)

// WidgetSettings is the per-account look and behaviour of the chat box.
type WidgetSettings struct {
	// Color is the accent colour, #rrggbb.
	Color string `json:"color"`
	// Position is the corner of the launcher: right or left.
	Position string `json:"position"`
	// Greeting is shown at the top of an empty chat.
	Greeting string `json:"greeting"`
	// OfflineForm offers a form (name, email, message) when no agent is online.
	OfflineForm bool `json:"offline_form"`
	// Prechat asks for name and email before the chat: off, optional or required.
	Prechat string `json:"prechat"`
	// PrivacyURL, when set, is linked from the forms.
	PrivacyURL string `json:"privacy_url"`
	// ConsentRequired asks the visitor to tick a consent box before writing.
	ConsentRequired bool `json:"consent_required"`
}

// DefaultWidgetSettings are what an account starts with.
func DefaultWidgetSettings() WidgetSettings {
	return WidgetSettings{Color: "#16a34a", Position: "right", OfflineForm: true, Prechat: "off"}
}

// WidgetPatch is a partial update of the settings; nil fields stay.
type WidgetPatch struct {
	Color           *string `json:"color"`
	Position        *string `json:"position"`
	Greeting        *string `json:"greeting"`
	OfflineForm     *bool   `json:"offline_form"`
	Prechat         *string `json:"prechat"`
	PrivacyURL      *string `json:"privacy_url"`
	ConsentRequired *bool   `json:"consent_required"`
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// apply validates p and applies it to w.
func (p WidgetPatch) apply(w *WidgetSettings) error {
	if p.Color != nil {
		if !colorRe.MatchString(*p.Color) {
			return apperr.Invalid("color", "color must look like #16a34a")
		}
		w.Color = strings.ToLower(*p.Color)
	}
	if p.Position != nil {
		if *p.Position != "right" && *p.Position != "left" {
			return apperr.Invalid("position", "position must be right or left")
		}
		w.Position = *p.Position
	}
	if p.Greeting != nil {
		g := strings.TrimSpace(*p.Greeting)
		if !utf8.ValidString(g) || strings.ContainsRune(g, 0) || utf8.RuneCountInString(g) > 500 {
			return apperr.Invalid("greeting", "greeting must be text of at most 500 characters")
		}
		w.Greeting = mask.Cards(g)
	}
	if p.OfflineForm != nil {
		w.OfflineForm = *p.OfflineForm
	}
	if p.Prechat != nil {
		switch *p.Prechat {
		case "off", "optional", "required":
			w.Prechat = *p.Prechat
		default:
			return apperr.Invalid("prechat", "prechat must be off, optional or required")
		}
	}
	if p.PrivacyURL != nil {
		u := strings.TrimSpace(*p.PrivacyURL)
		if u != "" {
			parsed, err := url.Parse(u)
			if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" || len(u) > 2048 {
				return apperr.Invalid("privacy_url", "privacy_url must be an http(s) address")
			}
		}
		w.PrivacyURL = mask.Cards(u)
	}
	if p.ConsentRequired != nil {
		w.ConsentRequired = *p.ConsentRequired
	}
	return nil
}

// decodeSettings reads stored settings over the defaults, so settings added
// later get their default on old accounts.
func decodeSettings(raw string) WidgetSettings {
	w := DefaultWidgetSettings()
	json.Unmarshal([]byte(raw), &w)
	return w
}

// Widget returns the chat box settings of an account.
func (s *Service) Widget(ctx context.Context, accountID string) (WidgetSettings, error) {
	var raw string
	err := s.db.QueryRow(ctx, `SELECT widget_settings FROM accounts WHERE id = ?`, accountID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return WidgetSettings{}, apperr.NotFound("account")
	}
	if err != nil {
		return WidgetSettings{}, err
	}
	return decodeSettings(raw), nil
}

// UpdateWidget validates p and changes the chat box settings; nothing
// changes when any field is bad.
func (s *Service) UpdateWidget(ctx context.Context, accountID string, p WidgetPatch) (WidgetSettings, error) {
	var w WidgetSettings
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		var raw string
		if err := tx.QueryRow(ctx, `SELECT widget_settings FROM accounts WHERE id = ?`, accountID).Scan(&raw); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.NotFound("account")
			}
			return err
		}
		w = decodeSettings(raw)
		if err := p.apply(&w); err != nil {
			return err
		}
		b, _ := json.Marshal(w)
		if _, err := tx.Exec(ctx, `UPDATE accounts SET widget_settings = ? WHERE id = ?`, string(b), accountID); err != nil {
			return fmt.Errorf("update widget settings: %w", err)
		}
		return nil
	})
	return w, err
}
