package database_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/testdb"
)

// Upgrading a database written before visitor streams replayed from the
// conversations (migration 8) marks every visitor's conversation as updated
// at its account's latest seq, so a visitor resuming from before the
// upgrade is sent the conversation's state; it drops the log's visitor
// index. Conversations without a visitor (email) are not replayed to anyone.
func TestUpgradeMarksVisitorConversationsForReplay(t *testing.T) {
	ctx := context.Background()
	tg := testdb.New(t)
	db := tg.Open(t)
	execAll(t, db,
		`INSERT INTO accounts (id, name, widget_key, created_at, last_seq) VALUES ('a1', 'A', 'k1', 0, 42), ('a2', 'B', 'k2', 0, 7)`,
		`INSERT INTO contacts (id, account_id, created_at, updated_at) VALUES ('c1', 'a1', 0, 0), ('c2', 'a2', 0, 0)`,
		`INSERT INTO visitors (id, account_id, contact_id, token_hash, created_at, last_seen_at) VALUES ('v1', 'a1', 'c1', 'h1', 0, 0), ('v2', 'a2', 'c2', 'h2', 0, 0)`,
		`INSERT INTO conversations (id, account_id, visitor_id, contact_id, channel, status, created_at, updated_at, last_message_at) VALUES
				('chat1', 'a1', 'v1', 'c1', 'chat', 'open', 0, 0, 0),
				('mail1', 'a1', NULL, 'c1', 'email', 'open', 0, 0, 0),
				('chat2', 'a2', 'v2', 'c2', 'chat', 'resolved', 0, 0, 0)`,
		// Back to the schema before migration 8.
		`ALTER TABLE conversations DROP COLUMN event_seq`,
		`CREATE INDEX events_visitor ON events (visitor_id, seq) WHERE visitor_id IS NOT NULL`,
		`DELETE FROM schema_migrations WHERE version = 8`,
	)
	db.Close()

	db = tg.Open(t) // the upgrade
	for conv, want := range map[string]int64{"chat1": 42, "mail1": 0, "chat2": 7} {
		var got int64
		if err := db.QueryRow(ctx, `SELECT event_seq FROM conversations WHERE id = ?`, conv).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: event_seq %d after the upgrade, want %d", conv, got, want)
		}
	}
	var indexes int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_visitor'`
	if db.Dialect() == database.Postgres {
		q = `SELECT count(*) FROM pg_indexes WHERE indexname = 'events_visitor' AND schemaname = current_schema()`
	}
	if err := db.QueryRow(ctx, q).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 0 {
		t.Error("the log's visitor index is still there after the upgrade")
	}
}

// Upgrading past migration 9 keys the client_id index by client_id first
// (time-ordered client_ids then go to one place in it), with the same
// meaning as before: a client_id is unique per sender, not across senders,
// and a lookup by sender and client_id still uses the index.
func TestUpgradeKeysClientIDsByIDFirst(t *testing.T) {
	ctx := context.Background()
	tg := testdb.New(t)
	db := tg.Open(t)
	insert := func(db *database.DB, id, sender, clientID string) error {
		return db.Write(ctx, func(tx *database.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO messages (id, account_id, conversation_id, seq, kind, sender_type, sender_id, text, client_id, created_at)
				VALUES (?, 'a1', 'chat1', 1, 'text', 'visitor', ?, 'hi', ?, 0)`, id, sender, clientID)
			return err
		})
	}
	execAll(t, db,
		`INSERT INTO accounts (id, name, widget_key, created_at) VALUES ('a1', 'A', 'k1', 0)`,
		`INSERT INTO contacts (id, account_id, created_at, updated_at) VALUES ('c1', 'a1', 0, 0)`,
		`INSERT INTO conversations (id, account_id, contact_id, channel, status, created_at, updated_at, last_message_at) VALUES ('chat1', 'a1', 'c1', 'chat', 'open', 0, 0, 0)`,
		// Back to the schema before migration 9.
		`DROP INDEX messages_client_id`,
		`CREATE UNIQUE INDEX messages_client_id ON messages (sender_id, client_id) WHERE client_id IS NOT NULL`,
		`DELETE FROM schema_migrations WHERE version = 9`,
	)
	if err := insert(db, "m1", "v1", "0193-a"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = tg.Open(t) // the upgrade
	var def string
	q := `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'messages_client_id'`
	if db.Dialect() == database.Postgres {
		q = `SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_client_id' AND schemaname = current_schema()`
	}
	if err := db.QueryRow(ctx, q).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "(client_id, sender_id)") {
		t.Errorf("client_id index after the upgrade: %s; want it keyed by (client_id, sender_id)", def)
	}
	if err := insert(db, "m2", "v1", "0193-a"); err == nil {
		t.Error("a second message with the same sender and client_id was stored after the upgrade")
	}
	if err := insert(db, "m3", "v2", "0193-a"); err != nil {
		t.Errorf("another sender's message with the same client_id: %v; want it stored", err)
	}
	if err := insert(db, "m4", "v1", "0193-b"); err != nil {
		t.Errorf("the sender's next client_id: %v; want it stored", err)
	}
	var id string
	if err := db.QueryRow(ctx, `SELECT id FROM messages WHERE sender_id = ? AND client_id = ?`, "v1", "0193-a").Scan(&id); err != nil || id != "m1" {
		t.Errorf("lookup by sender and client_id: %q, %v; want m1", id, err)
	}
	if db.Dialect() == database.SQLite {
		rows, err := db.Query(ctx, `EXPLAIN QUERY PLAN SELECT id FROM messages WHERE sender_id = ? AND client_id = ?`, "v1", "0193-a")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var a, b, c int
			var detail string
			if err := rows.Scan(&a, &b, &c, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX messages_client_id (client_id=? AND sender_id=?)") {
			t.Errorf("lookup by sender and client_id: plan %q; want it to search the client_id index", p)
		}
	}
}

// execAll runs statements in one write transaction, failing the test on an
// error.
func execAll(t *testing.T, db *database.DB, statements ...string) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *database.Tx) error {
		for _, q := range statements {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
