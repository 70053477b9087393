package contact

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/database"
)

// ConversationMover moves conversations from one contact to another inside
// a write, telling the agents (conversation.updated). The conversation
// service implements it; contacts cannot import it.
type ConversationMover interface {
	MoveContact(ctx context.Context, tx *database.Tx, accountID, fromContactID, toContactID string) error
}

// IdentifyUser applies parley('identify', {user_id, …}) for a visitor the
// site vouches for (the caller has checked the hash). A person is one
// contact however many browsers they use: when another contact already has
// this user id, the visitor moves onto it — taking its anonymous contact's
// conversations, details and other browsers with it. A visitor whose
// contact belongs to another user (a shared computer) moves alone, leaving
// that user's history where it is. It returns the contact and the visitor
// as they are now.
func (s *Service) IdentifyUser(ctx context.Context, v Visitor, userID string, p Patch) (Contact, Visitor, error) {
	userID, err := ValidExternalID(userID)
	if err != nil {
		return Contact{}, v, err
	}
	p.Note = nil
	if err := p.validate(); err != nil {
		return Contact{}, v, err
	}
	var c Contact
	err = s.db.Write(ctx, func(tx *database.Tx) error {
		var own string
		if err := tx.QueryRow(ctx, `SELECT contact_id FROM visitors WHERE id = ?`, v.ID).Scan(&v.ContactID); err != nil {
			return fmt.Errorf("read visitor: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT external_id FROM contacts WHERE id = ?`, v.ContactID).Scan(&own); err != nil {
			return fmt.Errorf("read contact: %w", err)
		}
		var target string
		err := tx.QueryRow(ctx, `SELECT id FROM contacts WHERE account_id = ? AND external_id = ?`, v.AccountID, userID).Scan(&target)
		switch {
		case errors.Is(err, sql.ErrNoRows) && own == "":
			// The first time this person is identified: their contact
			// becomes theirs.
			target = v.ContactID
			if _, err := tx.Exec(ctx, `UPDATE contacts SET external_id = ? WHERE id = ?`, userID, target); err != nil {
				return fmt.Errorf("set external id: %w", err)
			}
		case errors.Is(err, sql.ErrNoRows):
			// Another user on this browser: a new contact for this one.
			if target, err = Insert(ctx, tx, v.AccountID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE contacts SET external_id = ? WHERE id = ?`, userID, target); err != nil {
				return fmt.Errorf("set external id: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE visitors SET contact_id = ? WHERE id = ?`, target, v.ID); err != nil {
				return fmt.Errorf("move visitor: %w", err)
			}
		case err != nil:
			return err
		case target == v.ContactID:
		case own == "":
			if err := s.merge(ctx, tx, v.AccountID, v.ContactID, target); err != nil {
				return err
			}
		default:
			if _, err := tx.Exec(ctx, `UPDATE visitors SET contact_id = ? WHERE id = ?`, target, v.ID); err != nil {
				return fmt.Errorf("move visitor: %w", err)
			}
		}
		changed := target != v.ContactID || own != userID
		v.ContactID = target
		c, err = s.UpdateTx(ctx, tx, v.AccountID, target, p, changed)
		return err
	})
	return c, v, err
}

// merge folds the anonymous contact from into into: its browsers and
// conversations move, details into lacks are kept, and from is deleted.
func (s *Service) merge(ctx context.Context, tx *database.Tx, accountID, from, into string) error {
	src, err := scan(tx.QueryRow(ctx, selectContact+`WHERE c.id = ? AND c.account_id = ?`, from, accountID))
	if err != nil {
		return err
	}
	dst, err := scan(tx.QueryRow(ctx, selectContact+`WHERE c.id = ? AND c.account_id = ?`, into, accountID))
	if err != nil {
		return err
	}
	if s.Conversations != nil {
		if err := s.Conversations.MoveContact(ctx, tx, accountID, from, into); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE visitors SET contact_id = ? WHERE contact_id = ?`, into, from); err != nil {
		return fmt.Errorf("move visitors: %w", err)
	}
	keep := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	keep(&dst.Name, src.Name)
	keep(&dst.Email, src.Email)
	keep(&dst.Phone, src.Phone)
	keep(&dst.Note, src.Note)
	for k, v := range src.Variables {
		if _, ok := dst.Variables[k]; !ok && len(dst.Variables) < maxVariables {
			dst.Variables[k] = v
		}
	}
	vars, _ := json.Marshal(dst.Variables)
	if _, err := tx.Exec(ctx, `UPDATE contacts SET name = ?, email = ?, phone = ?, note = ?, variables = ?, updated_at = ? WHERE id = ?`,
		dst.Name, dst.Email, dst.Phone, dst.Note, string(vars), time.Now().UnixMicro(), into); err != nil {
		return fmt.Errorf("merge contact: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE id = ?`, from); err != nil {
		return fmt.Errorf("delete merged contact: %w", err)
	}
	return nil
}
