package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/id"
	"github.com/parley-chat/parley/internal/testdb"
)

// newService opens a fresh database with two accounts and a log that
// writes JSON lines into buf.
func newService(t *testing.T) (*Service, *bytes.Buffer, [2]string) {
	t.Helper()
	return newServiceOn(t, testdb.Open(t))
}

// newServiceOn is newService on the database db.
func newServiceOn(t *testing.T, db *database.DB) (*Service, *bytes.Buffer, [2]string) {
	t.Helper()
	var buf bytes.Buffer
	s := NewService(db, slog.New(slog.NewJSONHandler(&buf, nil)))
	var accounts [2]string
	for i := range accounts {
		accounts[i] = id.New()
		err := db.Write(context.Background(), func(tx *database.Tx) error {
			_, err := tx.Exec(context.Background(), `INSERT INTO accounts (id, name, widget_key, last_seq, created_at) VALUES (?, ?, ?, 0, ?)`,
				accounts[i], fmt.Sprintf("Shop %d", i), id.Key(), time.Now().UnixMicro())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s, &buf, accounts
}

// Every page query — any filter, with or without a cursor — walks an
// index of the log in order: no table scan and no sort, however long the
// log grows. The plan is read from SQLite's planner on every run, the
// PostgreSQL one included (its plans depend on table statistics, not on
// the query alone); the query is the same portable text on both.
func TestListQueryWalksAnIndex(t *testing.T) {
	s, _, accounts := newServiceOn(t, testdb.Target{DataDir: t.TempDir()}.Open(t))
	ctx := context.Background()
	// A log of some size, so the planner has statistics-free but real rows.
	for i := range 300 {
		acc := accounts[i%2]
		if err := s.Record(ctx, Entry{AccountID: acc, Actor: Actor{Type: ActorAgent, ID: fmt.Sprint("agent-", i%7)}, Action: fmt.Sprint("test.action", i%5)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.List(ctx, accounts[0], Filter{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		f     Filter
		index string
	}{
		{"the whole log", Filter{}, "audit_events_account"},
		{"the whole log after a cursor", Filter{Cursor: page.NextCursor}, "audit_events_account"},
		{"one action", Filter{Action: "test.action1"}, "audit_events_action"},
		{"one action after a cursor", Filter{Action: "test.action1", Cursor: page.NextCursor}, "audit_events_action"},
		{"one actor", Filter{ActorID: "agent-3"}, "audit_events_actor"},
		{"one actor after a cursor", Filter{ActorID: "agent-3", Cursor: page.NextCursor}, "audit_events_actor"},
		{"one action of one actor", Filter{Action: "test.action1", ActorID: "agent-3"}, "audit_events_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := s.Plan(ctx, accounts[0], tc.f)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			t.Logf("plan: %s", text)
			if !strings.Contains(text, "USING INDEX "+tc.index) && !strings.Contains(text, "USING COVERING INDEX "+tc.index) {
				t.Errorf("plan %q does not use index %s*", text, tc.index)
			}
			if tc.f.Cursor != "" && !strings.Contains(text, "(created_at,id)<(?,?)") {
				t.Errorf("plan %q reads from the top, want a seek to the cursor", text)
			}
			if strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN audit_events\n") || text == "SCAN audit_events" {
				t.Errorf("plan %q sorts or scans the table", text)
			}
		})
	}
}

// Recording stores one row and writes one structured log line, with the
// texts made safe: control characters gone, card numbers masked, the
// User-Agent trimmed.
func TestRecordStoresAndLogsOneCleanEvent(t *testing.T) {
	s, buf, accounts := newService(t)
	ctx := context.Background()
	ua := "Mozilla/5.0 " + strings.Repeat("x", 400)
	err := s.Record(ctx, Entry{
		AccountID: accounts[0],
		Actor:     Actor{Type: ActorAgent, ID: "a1", Name: "Ann\nFake line 4111 1111 1111 1111", Email: "ann@example.com"},
		Action:    ActionRoleChanged,
		Target:    Target{Type: TargetAgent, ID: "a2", Label: "Bob 4111-1111-1111-1111"},
		Origin:    Origin{IP: "203.0.113.9", UserAgent: ua},
		Details:   map[string]any{"from": "agent", "to": "admin", "note": "card 4111111111111111", "list": []string{"4111111111111111"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.List(ctx, accounts[0], Filter{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("List = %+v, %v; want one event", page, err)
	}
	ev := page.Items[0]
	if ev.Actor.Name != "Ann Fake line **** **** **** 1111" {
		t.Errorf("actor name = %q, want one line with the card masked", ev.Actor.Name)
	}
	if ev.Target.Label != "Bob ****-****-****-1111" {
		t.Errorf("target label = %q, want the card masked", ev.Target.Label)
	}
	if n := len([]rune(ev.UserAgent)); n != maxUserAgent || !strings.HasPrefix(ev.UserAgent, "Mozilla/5.0 ") {
		t.Errorf("user agent kept %d characters, want the first %d", n, maxUserAgent)
	}
	if strings.Contains(string(ev.Details), "4111111111111111") || !strings.Contains(string(ev.Details), `"to":"admin"`) {
		t.Errorf("details = %s, want the facts with cards masked", ev.Details)
	}

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("log has %d lines %q, want 1", len(lines), lines)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"msg": "audit", "audit_id": ev.ID, "account_id": accounts[0], "action": ActionRoleChanged,
		"actor_type": "agent", "actor_id": "a1", "target_type": "agent", "target_id": "a2", "ip": "203.0.113.9"} {
		if line[k] != want {
			t.Errorf("log line %s = %v, want %v", k, line[k], want)
		}
	}
	if strings.Contains(lines[0], "4111111111111111") || strings.Contains(lines[0], "4111 1111 1111 1111") {
		t.Errorf("log line %s holds a card number", lines[0])
	}
	if d, _ := line["details"].(map[string]any); d["to"] != "admin" {
		t.Errorf("log line details = %v, want the event's", line["details"])
	}

	// Other accounts see nothing of it.
	if other, _ := s.List(ctx, accounts[1], Filter{}); len(other.Items) != 0 {
		t.Errorf("account B's log = %+v, want empty", other.Items)
	}
}

// An event written inside a change's transaction is kept exactly when the
// change is, and logged only once committed.
func TestWriteFollowsItsTransaction(t *testing.T) {
	s, buf, accounts := newService(t)
	ctx := context.Background()
	refused := errors.New("refused")
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		if err := s.Write(ctx, tx, Entry{AccountID: accounts[0], Actor: Actor{Type: ActorSystem}, Action: "test.rolled_back"}); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("Write = %v, want the change's error", err)
	}
	if page, _ := s.List(ctx, accounts[0], Filter{}); len(page.Items) != 0 || buf.Len() != 0 {
		t.Fatalf("a rolled-back change left %+v and log %q, want nothing", page.Items, buf.String())
	}
}

// A failed sign-in of an unknown email is a log line and no row.
func TestLogOnlyStoresNothing(t *testing.T) {
	s, buf, accounts := newService(t)
	s.LogOnly(context.Background(), Entry{Actor: Actor{Type: ActorAnonymous}, Action: ActionLoginFailed, Origin: Origin{IP: "198.51.100.7"},
		Details: map[string]any{"email": "who@example.com"}})
	if !strings.Contains(buf.String(), `"msg":"audit"`) || !strings.Contains(buf.String(), `"action":"auth.login_failed"`) || !strings.Contains(buf.String(), "198.51.100.7") {
		t.Errorf("log = %q, want one audit line of the failed sign-in", buf.String())
	}
	var n int
	if err := s.db.QueryRow(context.Background(), `SELECT count(*) FROM audit_events`).Scan(&n); err != nil || n != 0 {
		t.Errorf("audit_events has %d rows (%v), want 0", n, err)
	}
	_ = accounts
}

// Prune deletes what is older than the retention and keeps the rest.
func TestPruneKeepsTheRetention(t *testing.T) {
	s, _, accounts := newService(t)
	ctx := context.Background()
	old := time.Now().Add(-400 * 24 * time.Hour).UnixMicro()
	kept := time.Now().Add(-300 * 24 * time.Hour).UnixMicro()
	err := s.db.Write(ctx, func(tx *database.Tx) error {
		for _, at := range []int64{old, kept} {
			if _, err := tx.Exec(ctx, `INSERT INTO audit_events (id, account_id, created_at, actor_type, action) VALUES (?, ?, ?, 'system', 'test.old')`, id.New(), accounts[0], at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, 365*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 deleted", n, err)
	}
	page, _ := s.List(ctx, accounts[0], Filter{})
	if len(page.Items) != 1 || page.Items[0].CreatedAt.UnixMicro() != kept {
		t.Fatalf("after the prune the log is %+v, want the 300-day-old event", page.Items)
	}
}
