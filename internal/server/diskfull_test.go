package server_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/server"
)

// pageCaps holds, per SQLite data directory, the max_page_count every new
// connection to its database gets: SQLite then answers SQLITE_FULL exactly
// as on a full disk. A pragma holds per connection, so the hook is the only
// way to reach the connections the server opens by itself.
var pageCaps sync.Map // data dir -> int

func init() {
	sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, dsn string) error {
		var pages any
		pageCaps.Range(func(dir, n any) bool {
			if strings.Contains(dsn, dir.(string)+string(filepath.Separator)) {
				pages = n
				return false
			}
			return true
		})
		if pages == nil {
			return nil
		}
		_, err := conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA max_page_count = %d", pages.(int)), nil)
		return err
	})
}

// fullStore is a data directory whose storage the test can fill and free.
type fullStore struct {
	dir  string
	mode string
	fill func(t *testing.T)
	free func(t *testing.T)
}

// newFullStore mounts a small tmpfs for the database when it may (root,
// mounting allowed): a disk that really fills up. Elsewhere (or with
// PARLEY_TEST_NO_TMPFS set) it caps the database with max_page_count, which
// fails writes with the same SQLITE_FULL.
func newFullStore(t *testing.T) fullStore {
	dir := t.TempDir()
	if os.Getenv("PARLEY_TEST_NO_TMPFS") != "" {
		// Runs the fallback where a tmpfs could be mounted.
	} else if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir).Run(); err == nil {
		t.Cleanup(func() {
			if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
				t.Logf("umount %s: %v %s", dir, err, out)
			}
		})
		filler := filepath.Join(dir, "filler")
		return fullStore{dir: dir, mode: "a 24 MiB tmpfs filled by a file",
			fill: func(t *testing.T) {
				f, err := os.Create(filler)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				for _, size := range []int{1 << 20, 4 << 10, 512} {
					buf := make([]byte, size)
					for {
						if _, err := f.Write(buf); err != nil {
							if !errors.Is(err, syscall.ENOSPC) {
								t.Fatalf("fill the disk: %v", err)
							}
							break
						}
					}
				}
			},
			free: func(t *testing.T) {
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
			}}
	}
	t.Logf("no tmpfs mounted (not permitted here, or PARLEY_TEST_NO_TMPFS is set): the database is capped with PRAGMA max_page_count instead")
	pageCaps.Store(dir, 6000) // 24 MiB of 4 KiB pages
	t.Cleanup(func() { pageCaps.Delete(dir) })
	var conn *sql.DB
	return fullStore{dir: dir, mode: "SQLite max_page_count filled by a table",
		fill: func(t *testing.T) {
			var err error
			conn, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "parley.db")+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			if _, err := conn.Exec(`CREATE TABLE filler (b BLOB)`); err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{1 << 20, 4 << 10, 100} {
				for {
					if _, err := conn.Exec(`INSERT INTO filler (b) VALUES (zeroblob(?))`, size); err != nil {
						if !strings.Contains(err.Error(), "full") {
							t.Fatalf("fill the database: %v", err)
						}
						break
					}
				}
			}
		},
		free: func(t *testing.T) {
			if _, err := conn.Exec(`DROP TABLE filler`); err != nil {
				t.Fatal(err)
			}
		}}
}

// When the disk is full, writes are refused with 503 storage_full (HTTP and
// WebSocket), /readyz says so, the condition is logged once rather than per
// request, nothing acknowledged is lost, and everything works again once
// space is freed.
func TestDiskFull(t *testing.T) {
	store := newFullStore(t)
	t.Logf("storage: %s", store.mode)
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	ctx := context.Background()
	db, err := database.Open(ctx, database.Opts{DataDir: store.dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Opts{DB: db, Logger: log, VisitorMessagesPerMinute: 100000, VisitorBurst: 100000})
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(func() {
		hs.Close()
		db.Close()
	})
	e := &apitest.Env{T: t, URL: hs.URL, Server: srv, HTTP: hs}
	acc := e.NewAccount()
	v := e.NewVisitor(acc)
	conv := e.VisitorSays(v, "hello before the disk fills")["conversation_id"].(string)
	e.Must(http.StatusOK, "GET", "/readyz", "", nil)

	store.fill(t)

	// Visitors and agents keep writing (big messages, to reach the end of
	// the space quickly) until plenty of writes have been refused.
	text := strings.Repeat("Lorem ipsum dolor sit amet. ", 320)
	var (
		mu       sync.Mutex
		acked    = map[string]bool{} // client_id -> stored
		refused  []string
		nRefused atomic.Int64
		nSent    atomic.Int64
	)
	send := func(id string) apitest.Response {
		if strings.HasPrefix(id, "v") {
			return e.Do("POST", "/widget/v1/messages", v.Token, map[string]string{"text": text, "client_id": id})
		}
		return e.Do("POST", "/api/v1/conversations/"+conv+"/messages", acc.OwnerToken, map[string]string{"text": text, "client_id": id})
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := 0; nRefused.Load() < 150 && nSent.Add(1) < 5000; i++ {
				id := fmt.Sprintf("%c%d-%d", "va"[w%2], w, i)
				r := send(id)
				mu.Lock()
				switch {
				case r.Status == http.StatusCreated:
					acked[id] = true
				case r.Status == http.StatusServiceUnavailable && r.ErrorCode() == "storage_full":
					refused = append(refused, id)
					nRefused.Add(1)
				default:
					mu.Unlock()
					t.Errorf("send %s while the disk is full = %d %s, want 201 or 503 storage_full", id, r.Status, r.Body)
					return
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("while full: %d messages stored, %d refused", len(acked), len(refused))
	if len(refused) < 150 {
		t.Fatalf("only %d of %d writes were refused: the storage never filled up", len(refused), nSent.Load())
	}
	r := e.Do("POST", "/widget/v1/messages", v.Token, map[string]string{"text": text, "client_id": "v-last"})
	if d := r.Map(t)["error"].(map[string]any); r.Status != http.StatusServiceUnavailable || d["code"] != "storage_full" ||
		d["message"] != "the server's storage is full; try again later" {
		t.Fatalf("send while full = %d %s, want 503 storage_full with its message", r.Status, r.Body)
	}
	refused = append(refused, "v-last")

	// The chat box's socket gets an error frame with the same code.
	ws, _, err := e.Dial("/widget/v1/stream?token="+v.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Write(ws, map[string]string{"type": "message.send", "client_id": "v-socket", "text": text})
	f := apitest.Until(t, ws, func(f apitest.Frame) bool { return f.ClientID == "v-socket" })
	if last := f[len(f)-1]; last.Type != "error" || last.Error == nil || last.Error.Code != "storage_full" {
		t.Fatalf("socket send while full answered %+v, want an error frame with storage_full", last)
	}

	// Page views are writes too; a refused one is not logged per frame.
	for i := range 20 {
		apitest.Write(ws, map[string]string{"type": "page.view", "url": fmt.Sprintf("https://shop.example/p%d?%s", i, text[:2000]), "title": text[:2000]})
	}
	apitest.Write(ws, map[string]string{"type": "message.send", "client_id": "v-socket", "text": text})
	apitest.Until(t, ws, func(f apitest.Frame) bool { return f.ClientID == "v-socket" })

	r = e.Do("GET", "/readyz", "", nil)
	if m := r.Map(t); r.Status != http.StatusServiceUnavailable || m["status"] != "not ready" || m["reason"] != "storage full" {
		t.Fatalf("GET /readyz while full = %d %s, want 503 not ready / storage full\n%s", r.Status, r.Body, logs.String())
	}
	out := logs.String()
	if n := strings.Count(out, `"msg":"storage_full"`); n != 1 {
		t.Errorf("the log holds %d storage_full lines for %d refused writes, want exactly 1:\n%.3000s", n, len(refused), out)
	}
	if n := strings.Count(out, `"level":"ERROR"`); n != 1 {
		t.Errorf("the log holds %d ERROR lines, want only the one storage_full line:\n%.3000s", n, out)
	}

	store.free(t)

	// Readiness comes back by itself (a small probe write), before any
	// client writes again.
	deadline := time.Now().Add(20 * time.Second)
	for e.Do("GET", "/readyz", "", nil).Status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("GET /readyz still answers %s 20 s after space was freed", e.Do("GET", "/readyz", "", nil).Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every refused write goes through when sent again.
	for _, id := range refused {
		if r := send(id); r.Status != http.StatusCreated {
			t.Fatalf("resend %s after space was freed = %d %s, want 201", id, r.Status, r.Body)
		}
		acked[id] = true
	}
	apitest.Write(ws, map[string]string{"type": "message.send", "client_id": "v-socket", "text": text})
	f = apitest.Until(t, ws, func(f apitest.Frame) bool { return f.ClientID == "v-socket" })
	if last := f[len(f)-1]; last.Type != "ack" {
		t.Fatalf("socket send after space was freed answered %+v, want an ack", last)
	}
	acked["v-socket"] = true

	// Nothing acknowledged was lost, nothing was stored twice.
	seen := map[string]int{}
	var after int64
	for {
		var page struct {
			Items []map[string]any `json:"items"`
		}
		e.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/conversations/%s/messages?limit=200&after_seq=%d", conv, after), acc.OwnerToken, nil).JSON(t, &page)
		if len(page.Items) == 0 {
			break
		}
		for _, m := range page.Items {
			if id, ok := m["client_id"].(string); ok {
				seen[id]++
			}
			after = seq(m)
		}
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged message %s is stored %d times, want once", id, seen[id])
		}
	}
	if n := strings.Count(logs.String(), `"level":"ERROR"`); n != 1 {
		t.Errorf("after recovery the log holds %d ERROR lines, want 1", n)
	}
}

// seq returns m["seq"] as an integer.
func seq(m map[string]any) int64 {
	f, _ := m["seq"].(float64)
	return int64(f)
}
