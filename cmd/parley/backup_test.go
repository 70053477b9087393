package main

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testdb"
)

// parleyCmd runs a parley command to its end and returns its output.
func parleyCmd(t *testing.T, tg testdb.Target, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(parleyBinary(t), args...)
	cmd.Env = parleyEnv(tg)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestBackupWhileServingRestoresEveryAcknowledgedMessage runs the real
// binary on SQLite with visitors sending without pause, backs the database
// up in the middle, restores the copy into a fresh data directory and
// serves it: every message acknowledged before the backup began is there,
// and the copy passes SQLite's integrity check. Restore refuses a running
// server's directory, a directory that holds a database (unless --force),
// and files that are not Parley databases.
func TestBackupWhileServingRestoresEveryAcknowledgedMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tg := testdb.Target{DataDir: t.TempDir()} // backup is SQLite's, whatever the suite runs on
	srv := startServer(t, tg)
	c := newAPI(t, srv.URL)
	owner := c.login(t, ownerEmail, ownerPassword)
	var acc struct {
		WidgetKey string `json:"widget_key"`
	}
	c.must(t, http.StatusOK, "GET", "/api/v1/account", owner, nil, &acc)
	visitors := make([]*crashVisitor, 4)
	for i := range visitors {
		var s struct {
			VisitorToken string `json:"visitor_token"`
			VisitorID    string `json:"visitor_id"`
		}
		c.must(t, http.StatusOK, "POST", "/widget/v1/session", "", map[string]string{"widget_key": acc.WidgetKey}, &s)
		visitors[i] = &crashVisitor{i: i, token: s.VisitorToken, id: s.VisitorID, sent: map[string]string{}, acked: map[string]message{}}
	}
	acks := make(chan struct{}, 1<<16)
	var wg sync.WaitGroup
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http")
	for _, v := range visitors {
		wg.Go(func() {
			if err := v.run(ctx, wsURL, acks, make(chan error, 1)); err != nil {
				v.fail("visitor socket: %v", err)
			}
		})
	}
	waitAcks := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-acks:
			case <-time.After(time.Minute):
				t.Fatal("no acknowledgement within a minute")
			}
		}
	}
	waitAcks(300)

	// What was acknowledged before the backup began must be in it.
	before := map[string]message{}
	inFlight := 0
	for _, v := range visitors {
		v.mu.Lock()
		for id, m := range v.acked {
			before[id] = m
		}
		inFlight += len(v.sent) - len(v.acked)
		v.mu.Unlock()
	}
	backup := filepath.Join(t.TempDir(), "parley-backup.db")
	start := time.Now()
	out, err := parleyCmd(t, tg, "backup", "--data", tg.DataDir, "--out", backup)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("parley backup: %v\n%s", err, out)
	}
	ackedDuring := -len(before)
	for _, v := range visitors {
		v.mu.Lock()
		ackedDuring += len(v.acked)
		v.mu.Unlock()
	}
	t.Logf("backed up with %d messages acknowledged and %d in flight, in %v; %d more acknowledged meanwhile", len(before), inFlight, took, ackedDuring)
	if ackedDuring == 0 {
		t.Error("no message was acknowledged while the backup ran: it held up the server's writes")
	}
	if inFlight == 0 {
		t.Fatal("no message was in flight when the backup began; the test proves nothing")
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the backup file is %v (%v), want mode 0600: it holds every conversation", info.Mode(), err)
	}
	waitAcks(100) // the server went on writing
	if out, err := parleyCmd(t, tg, "backup", "--data", tg.DataDir, "--out", backup); err == nil || !strings.Contains(out, "already exists") {
		t.Errorf("a second backup onto the same file = %v, %s; want a refusal", err, out)
	}

	// Restore refuses the directory of the running server.
	if out, err := parleyCmd(t, tg, "restore", "--from", backup, "--data", tg.DataDir, "--force"); err == nil || !strings.Contains(out, "in use") {
		t.Errorf("restore into the serving data directory = %v, %s; want a refusal", err, out)
	}
	srv.Kill()
	wg.Wait()
	for _, v := range visitors {
		for _, e := range v.errs {
			t.Errorf("visitor %d: %s", v.i, e)
		}
	}

	// Files that are not Parley databases are refused.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("not a database at all"), 0o600)
	other := filepath.Join(t.TempDir(), "other.db")
	if db, err := sql.Open("sqlite", other); err == nil {
		db.Exec(`CREATE TABLE notes (body TEXT)`)
		db.Close()
	}
	fresh := t.TempDir()
	for file, want := range map[string]string{junk: "not an SQLite database", other: "not a Parley database"} {
		if out, err := parleyCmd(t, tg, "restore", "--from", file, "--data", fresh); err == nil || !strings.Contains(out, want) {
			t.Errorf("restore --from %s = %v, %s; want %q", filepath.Base(file), err, out, want)
		}
	}

	// Into a fresh directory; again only with --force.
	if out, err := parleyCmd(t, tg, "restore", "--from", backup, "--data", fresh); err != nil {
		t.Fatalf("parley restore: %v\n%s", err, out)
	}
	if out, err := parleyCmd(t, tg, "restore", "--from", backup, "--data", fresh); err == nil || !strings.Contains(out, "--force") {
		t.Errorf("restore over a database without --force = %v, %s; want a refusal naming --force", err, out)
	}
	if out, err := parleyCmd(t, tg, "restore", "--from", backup, "--data", fresh, "--force"); err != nil {
		t.Fatalf("parley restore --force: %v\n%s", err, out)
	}
	if kept, _ := filepath.Glob(filepath.Join(fresh, "parley.db.replaced-*")); len(kept) != 1 {
		t.Errorf("after restore --force the replaced database is kept as %v, want one file", kept)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(fresh, "parley.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check of the restored database = %q, %v; want ok", check, err)
	}
	db.Close()

	restored := startServer(t, testdb.Target{DataDir: fresh})
	rc := newAPI(t, restored.URL)
	stored := byClientID(allMessages(t, rc, rc.login(t, ownerEmail, ownerPassword)))
	for id, m := range before {
		got := stored[id]
		if len(got) != 1 || got[0].ID != m.ID || got[0].Text != m.Text {
			t.Errorf("message %s (acknowledged before the backup as %s) is restored as %+v, want it once", id, m.ID, got)
		}
	}
	t.Logf("restored %d messages; %d acknowledged before the backup", len(stored), len(before))
}

// TestBackupOnPostgresPointsToPgDump: with a PostgreSQL URL, backup and
// restore refuse and give the pg_dump and pg_restore commands.
func TestBackupOnPostgresPointsToPgDump(t *testing.T) {
	tg := testdb.Target{URL: "postgres://parley@db.example/parley"}
	for _, args := range [][]string{
		{"backup", "--out", "nightly.dump"},
		{"restore", "--from", "nightly.dump"},
	} {
		out, err := parleyCmd(t, tg, args...)
		if err == nil {
			t.Errorf("parley %s on PostgreSQL succeeded, want a refusal", args[0])
		}
		for _, want := range []string{`pg_dump --format=custom --file=nightly.dump "$PARLEY_DATABASE_URL"`, `pg_restore --no-owner --dbname="$PARLEY_DATABASE_URL" nightly.dump`} {
			if !strings.Contains(out, want) {
				t.Errorf("parley %s on PostgreSQL says %q, want it to give %s", args[0], out, want)
			}
		}
	}
}
