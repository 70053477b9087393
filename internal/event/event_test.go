package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/database"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/testdb"
)

func newAccount(t *testing.T, db *database.DB, id string) {
	t.Helper()
	err := db.Write(context.Background(), func(tx *database.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO accounts (id, name, widget_key, created_at) VALUES (?, 'A', ?, 0)`, id, "k-"+id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Seqs are per account, contiguous, strictly increasing in publish (commit)
// order, and the log replays exactly what was published.
func TestAppendGivesContiguousSeqsInCommitOrder(t *testing.T) {
	db := testdb.Open(t)
	hub := event.NewHub()
	newAccount(t, db, "a")
	newAccount(t, db, "b")
	sub := hub.SubscribeAgent("a")
	defer sub.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := "a"
			if i%4 == 0 {
				acc = "b"
			}
			err := db.Write(ctx, func(tx *database.Tx) error {
				if i%10 == 5 {
					// A refused write after taking seqs must not leave a gap.
					if _, err := event.Append(ctx, tx, hub, acc, "test.event", "", map[string]int{"i": i}); err != nil {
						return err
					}
					return errors.New("refused")
				}
				_, err := event.Append(ctx, tx, hub, acc, "test.event", "", map[string]int{"i": i})
				return err
			})
			if (err != nil) != (i%10 == 5) {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	want := 0
	for i := 0; i < 200; i++ {
		if i%4 != 0 && i%10 != 5 {
			want++
		}
	}
	for n := 1; n <= want; n++ {
		e := <-sub.C
		if e.Seq != int64(n) {
			t.Fatalf("published event %d has seq %d, want %d", n, e.Seq, n)
		}
	}
	log := event.NewLog(db)
	oldest, latest, err := log.Bounds(ctx, "a")
	if err != nil || oldest != 1 || latest != int64(want) {
		t.Fatalf("Bounds = %d, %d, %v; want 1, %d", oldest, latest, err, want)
	}
	evs, _, err := log.AgentEvents(ctx, "a", 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != want-10 || evs[0].Seq != 11 {
		t.Fatalf("AgentEvents after 10 = %d events from %d, want %d from 11", len(evs), evs[0].Seq, want-10)
	}
}

// A client resuming from a seq the log no longer holds is told to reset.
func TestFollowerResetsWhenEventsAreGone(t *testing.T) {
	db := testdb.Open(t)
	hub := event.NewHub()
	newAccount(t, db, "a")
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		err := db.Write(ctx, func(tx *database.Tx) error {
			_, err := event.Append(ctx, tx, hub, "a", "test.event", "", i)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM events WHERE seq <= 2`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	log := event.NewLog(db)
	for _, tc := range []struct {
		after int64
		reset bool
		sent  int
	}{{0, true, 0}, {1, true, 0}, {2, false, 3}, {4, false, 1}, {5, false, 0}, {6, true, 0}, {-1, false, 0}} {
		t.Run(fmt.Sprintf("after_seq %d", tc.after), func(t *testing.T) {
			f := event.Follow(log, hub, "a", "")
			defer f.Close()
			sent := 0
			err := f.Start(ctx, tc.after, func([]byte) error { sent++; return nil })
			if errors.Is(err, event.ErrReset) != tc.reset || (!tc.reset && err != nil) {
				t.Fatalf("Start = %v, want reset %v", err, tc.reset)
			}
			if sent != tc.sent {
				t.Errorf("sent %d events, want %d", sent, tc.sent)
			}
		})
	}
}

// A visitor stream that falls far behind (its subscription drops events)
// still delivers every event once, in order, even when the next live event
// is handled before the lag signal — visitor streams cannot see gaps.
func TestLaggingVisitorStreamDeliversEverything(t *testing.T) {
	db := testdb.Open(t)
	hub := event.NewHub()
	newAccount(t, db, "a")
	ctx := context.Background()
	log := event.NewLog(db)
	// Every event here is v1's: the visitor's replay is the agents' log.
	log.Visitors = agentLogAs{log}
	f := event.Follow(log, hub, "a", "v1")
	defer f.Close()
	if err := f.Begin(ctx, -1); err != nil {
		t.Fatal(err)
	}
	const total = 1500 // well past the subscription's buffer
	for i := 0; i < total; i += 100 {
		err := db.Write(ctx, func(tx *database.Tx) error {
			for j := 0; j < 100; j++ {
				if _, err := event.Append(ctx, tx, hub, "a", "test.event", "v1", i+j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	send := func(b []byte) error {
		var fr struct{ Seq int64 }
		if err := json.Unmarshal(b, &fr); err != nil {
			return err
		}
		got = append(got, fr.Seq)
		return nil
	}
	// Handle only what is buffered, never the lag signal directly.
	for len(f.Sub.C) > 0 {
		if err := f.Handle(ctx, <-f.Sub.C, send); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != total {
		t.Fatalf("delivered %d events, want %d", len(got), total)
	}
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("event %d has seq %d, want %d", i, s, i+1)
		}
	}
}

// Pruning removes exactly the events older than the retention, per account,
// and a stream resuming before them is reset.
func TestPruneDropsOnlyOldEvents(t *testing.T) {
	db := testdb.Open(t)
	hub := event.NewHub()
	ctx := context.Background()
	for _, acc := range []string{"a", "b"} {
		newAccount(t, db, acc)
		for i := 0; i < 12; i++ {
			err := db.Write(ctx, func(tx *database.Tx) error {
				_, err := event.Append(ctx, tx, hub, acc, "test.event", "", i)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// Age the first 7 events of "a" and the first 3 of "b" by ten days.
	err := db.Write(ctx, func(tx *database.Tx) error {
		old := time.Now().Add(-10 * 24 * time.Hour).UnixMicro()
		if _, err := tx.Exec(ctx, `UPDATE events SET created_at = ? WHERE account_id = 'a' AND seq <= 7`, old); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE events SET created_at = ? WHERE account_id = 'b' AND seq <= 3`, old)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	log := event.NewLog(db)
	n, err := log.Prune(ctx, 8*24*time.Hour)
	if err != nil || n != 10 {
		t.Fatalf("Prune = %d, %v; want 10 deleted", n, err)
	}
	for acc, wantOldest := range map[string]int64{"a": 8, "b": 4} {
		oldest, latest, err := log.Bounds(ctx, acc)
		if err != nil || oldest != wantOldest || latest != 12 {
			t.Errorf("Bounds(%s) = %d, %d, %v; want %d, 12", acc, oldest, latest, err, wantOldest)
		}
	}
	f := event.Follow(log, hub, "a", "")
	defer f.Close()
	if err := f.Begin(ctx, 3); !errors.Is(err, event.ErrReset) {
		t.Errorf("Begin(3) after pruning = %v, want ErrReset", err)
	}
}

// agentLogAs replays a visitor's stream as the whole agents' log, for tests
// where every event is that visitor's.
type agentLogAs struct{ log *event.Log }

func (s agentLogAs) VisitorEvents(ctx context.Context, accountID, visitorID string, after int64, limit int) ([]*event.Event, bool, error) {
	evs, full, err := s.log.AgentEvents(ctx, accountID, after, limit)
	for _, e := range evs {
		e.VisitorID, e.VisitorFrame = visitorID, e.AgentFrame
	}
	return evs, full, err
}

// The events one transaction appends are stored in rows of up to 16, for
// agents and visitors alike (a visitor's replay does not read the log), and
// agents get them back one by one, from any seq, in order, none twice.
func TestGroupedEventsReplayOneByOne(t *testing.T) {
	db := testdb.Open(t)
	hub := event.NewHub()
	newAccount(t, db, "a")
	newAccount(t, db, "b")
	ctx := context.Background()
	// One write: 45 events of "a" for various audiences (rows of 16, 16
	// and 13), with one of "b" between them that starts no new row.
	audiences := []string{"v1", "v1", "", "v1"}
	for i := 0; i < 40; i++ {
		audiences = append(audiences, "v2")
	}
	audiences = append(audiences, "v1")
	err := db.Write(ctx, func(tx *database.Tx) error {
		for i, v := range audiences {
			if _, err := event.Append(ctx, tx, hub, "a", "test.event", v, map[string]int{"i": i + 1}); err != nil {
				return err
			}
			if i == 20 {
				if _, err := event.Append(ctx, tx, hub, "b", "test.event", "", map[string]int{"i": 1}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows, visitorRows int
	if err := db.QueryRow(ctx, `SELECT count(*), count(visitor_id) FROM events WHERE account_id = 'a'`).Scan(&rows, &visitorRows); err != nil {
		t.Fatal(err)
	}
	if rows != 3 || visitorRows != 0 {
		t.Errorf("%d events stored in %d rows (%d for visitors), want 3 rows (16, 16, 13), none for visitors", len(audiences), rows, visitorRows)
	}
	log := event.NewLog(db)
	check := func(evs []*event.Event, after int64, want []int64) {
		t.Helper()
		var got []int64
		for _, e := range evs {
			var f struct {
				Type string
				Seq  int64
				Data struct{ I int64 }
			}
			if err := json.Unmarshal(e.AgentFrame, &f); err != nil {
				t.Fatalf("after %d: frame %q: %v", after, e.AgentFrame, err)
			}
			if f.Seq != e.Seq || f.Data.I != e.Seq || f.Type != "test.event" || e.Type != "test.event" {
				t.Fatalf("after %d: event %d (%s) carries frame %s", after, e.Seq, e.Type, e.AgentFrame)
			}
			got = append(got, e.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after %d: got seqs %v, want %v", after, got, want)
		}
	}
	n := int64(len(audiences))
	for after := int64(0); after <= n; after++ {
		var want []int64
		for seq := after + 1; seq <= n; seq++ {
			want = append(want, seq)
		}
		evs, _, err := log.AgentEvents(ctx, "a", after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		check(evs, after, want)
	}
	// Paging through the log one row at a time misses nothing.
	var got []int64
	for after, full := int64(0), true; full; {
		var evs []*event.Event
		var err error
		evs, full, err = log.AgentEvents(ctx, "a", after, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = append(got, e.Seq)
			after = e.Seq
		}
	}
	if int64(len(got)) != n || got[0] != 1 || got[len(got)-1] != n {
		t.Errorf("paging one row at a time: %d events (%v), want %d", len(got), got, n)
	}
	// Pruning counts events, not rows.
	err = db.Write(ctx, func(tx *database.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE events SET created_at = 0`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if pruned, err := log.Prune(ctx, time.Hour); err != nil || pruned != n+1 {
		t.Errorf("Prune = %d, %v; want %d", pruned, err, n+1)
	}
}

// Two processes writing one database hand out one sequence of seqs: each
// reads the latest under the write lock, whoever wrote it, and the seq
// never goes back, not even when pruning empties the log.
func TestSeqsContinueAcrossProcessesAndPruning(t *testing.T) {
	ctx := context.Background()
	tg := testdb.New(t)
	one, two := tg.Open(t), tg.Open(t)
	newAccount(t, one, "a")
	appendOne := func(db *database.DB) int64 {
		t.Helper()
		var seq int64
		err := db.Write(ctx, func(tx *database.Tx) error {
			var err error
			seq, err = event.Append(ctx, tx, nil, "a", "test.event", "", 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	var got []int64
	for i := 0; i < 6; i++ {
		db := one
		if i%3 != 0 {
			db = two
		}
		got = append(got, appendOne(db))
	}
	if fmt.Sprint(got) != "[1 2 3 4 5 6]" {
		t.Errorf("seqs from two processes: %v, want 1…6", got)
	}
	if n, err := event.NewLog(one).Prune(ctx, -time.Hour); err != nil || n != 6 {
		t.Fatalf("Prune = %d, %v; want 6", n, err)
	}
	for _, db := range []*database.DB{two, one} {
		if _, latest, err := event.NewLog(db).Bounds(ctx, "a"); err != nil || latest != 6 {
			t.Errorf("latest seq after pruning = %d, %v; want 6", latest, err)
		}
	}
	if seq := appendOne(two); seq != 7 {
		t.Errorf("first seq after the log was pruned empty = %d, want 7", seq)
	}
}
