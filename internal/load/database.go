package load

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, for seeding
)

// DatabaseReport is the database scenario's part of the report.
type DatabaseReport struct {
	Conversations int64      `json:"conversations"`
	Messages      int64      `json:"messages"`
	Open          int64      `json:"open"`
	Unassigned    int64      `json:"unassigned"`
	Mine          int64      `json:"mine"`
	SeedSeconds   float64    `json:"seed_seconds,omitempty"`
	Reused        bool       `json:"reused_seed,omitempty"`
	FileBytes     int64      `json:"file_bytes,omitempty"`
	Endpoints     []Endpoint `json:"endpoints"`
}

// Endpoint is one measured request of the database scenario.
type Endpoint struct {
	Name    string  `json:"name"`
	Path    string  `json:"path"`
	Latency Summary `json:"latency_ms"`
	Errors  int64   `json:"errors"`
}

// seedMarker, kept in the data directory, lets later runs reuse a seeded
// database (seeding 10 million messages takes minutes): it holds the
// sizes and the throwaway loopback credentials of the seed's people.
type seedMarker struct {
	Conversations   int         `json:"conversations"`
	MessagesPerConv int         `json:"messages_per_conversation"`
	OpenShare       float64     `json:"open_share"`
	UnassignedShare float64     `json:"unassigned_share"`
	Agents          int         `json:"agents"`
	OwnerEmail      string      `json:"owner_email"`
	OwnerPassword   string      `json:"owner_password"`
	AgentLogins     [][2]string `json:"agent_logins"`
	Open            int64       `json:"open"`
	Unassigned      int64       `json:"unassigned"`
	Mine            int64       `json:"mine"` // of the first agent
	Seconds         float64     `json:"seconds"`
}

const seedMarkerName = "load-seed.json"

func (m seedMarker) matches(cfg Config) bool {
	return m.Conversations == cfg.Conversations && m.MessagesPerConv == cfg.MessagesPerConv &&
		m.OpenShare == cfg.OpenShare && m.UnassignedShare == cfg.UnassignedShare && m.Agents == cfg.Agents
}

// database seeds one account with many conversations (written straight
// into the SQLite file while the server is stopped) and measures the list
// and count requests an agent's dashboard makes, through the API.
func (r *run) database(ctx context.Context) error {
	cfg := r.cfg
	cfg.Accounts = 1
	rep := &DatabaseReport{}
	r.rep.Database = rep
	var me Agent
	var marker seedMarker
	switch {
	case !cfg.Seed:
		accs, err := prepareAccounts(ctx, r.srv, r.api, cfg, r.runID)
		if err != nil {
			return err
		}
		if err := addAgents(ctx, r.api, accs, 1, r.runID); err != nil {
			return err
		}
		me = accs[0].Agents[0]
	case !r.srv.own:
		return errors.New("seeding needs a server the tool starts (it writes the SQLite file); against --url pass --seed=false")
	default:
		path := filepath.Join(r.srv.dataDir, seedMarkerName)
		b, err := os.ReadFile(path)
		reuse := err == nil && json.Unmarshal(b, &marker) == nil && marker.matches(cfg)
		if err == nil && !reuse {
			return fmt.Errorf("%s holds a different seed; use a fresh --data directory", r.srv.dataDir)
		}
		if reuse {
			r.logf("reusing the seeded database in %s", r.srv.dataDir)
			rep.Reused, rep.SeedSeconds = true, marker.Seconds
			token, id, err := r.api.login(ctx, marker.AgentLogins[0][0], marker.AgentLogins[0][1])
			if err != nil {
				return fmt.Errorf("sign in as the seed's agent: %w", err)
			}
			me = Agent{ID: id, Token: token}
		} else {
			if me, marker, err = r.seed(ctx, cfg); err != nil {
				return err
			}
			rep.SeedSeconds = marker.Seconds
			b, _ := json.MarshalIndent(marker, "", " ")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				return err
			}
		}
		rep.Conversations = int64(cfg.Conversations)
		rep.Messages = int64(cfg.Conversations) * int64(cfg.MessagesPerConv)
		rep.Open, rep.Unassigned, rep.Mine = marker.Open, marker.Unassigned, marker.Mine
		if st, err := os.Stat(filepath.Join(r.srv.dataDir, "parley.db")); err == nil {
			rep.FileBytes = st.Size()
		}
	}
	r.srv.pid = max(r.srv.pid, r.cfg.ServerPID)
	r.rep.Server.PID = r.srv.pid
	return r.measureLists(ctx, me, rep)
}

// seed creates the account's agents through the API, stops the server,
// writes the conversations into its SQLite file, and starts it again.
func (r *run) seed(ctx context.Context, cfg Config) (Agent, seedMarker, error) {
	m := seedMarker{Conversations: cfg.Conversations, MessagesPerConv: cfg.MessagesPerConv, OpenShare: cfg.OpenShare,
		UnassignedShare: cfg.UnassignedShare, Agents: cfg.Agents, OwnerEmail: r.srv.ownerEmail, OwnerPassword: r.srv.ownerPassword}
	accs, err := prepareAccounts(ctx, r.srv, r.api, cfg, r.runID)
	if err != nil {
		return Agent{}, m, err
	}
	if err := addAgents(ctx, r.api, accs, cfg.Agents, r.runID); err != nil {
		return Agent{}, m, err
	}
	acc := accs[0]
	ids := make([]string, len(acc.Agents))
	for i, a := range acc.Agents {
		ids[i] = a.ID
		m.AgentLogins = append(m.AgentLogins, [2]string{a.email, a.password})
	}
	r.logf("seeding %d conversations with %d messages each into %s (server stopped)", cfg.Conversations, cfg.MessagesPerConv, r.srv.dataDir)
	r.srv.stop()
	r.api.close()
	t0 := time.Now()
	counts, err := seedSQLite(ctx, filepath.Join(r.srv.dataDir, "parley.db"), acc.ID, ids, cfg, func(done int) {
		if !r.cfg.Quiet {
			el := time.Since(t0).Seconds()
			fmt.Fprintf(r.stderr, "load: seeded %d of %d conversations (%.0f s, %.0f messages/s)\n", done, cfg.Conversations, el, float64(done*cfg.MessagesPerConv)/el)
		}
	}, true)
	if err != nil {
		return Agent{}, m, fmt.Errorf("seed: %w", err)
	}
	m.Seconds = time.Since(t0).Seconds()
	m.Open, m.Unassigned, m.Mine = counts[0], counts[1], counts[2]
	r.logf("seeded in %.0f s; starting the server again", m.Seconds)
	if err := r.srv.start(ctx); err != nil {
		return Agent{}, m, err
	}
	r.rep.Server.URL = r.srv.base
	r.api = newAPIClient(r.srv.base, 64)
	return acc.Agents[0], m, nil
}

// seedSQLite writes conversations, one contact and visitor each, and their
// messages (alternately the visitor's and the assignee's) spread over the
// last year, like a shop that has chatted for a year. Secondary indexes
// are dropped during the load and built again after it, as they were. It
// returns the open, unassigned and first agent's open counts. Alone on the
// file (exclusive) it also writes without a journal, which is fastest.
func seedSQLite(ctx context.Context, path, accountID string, agents []string, cfg Config, progress func(int), exclusive bool) ([3]int64, error) {
	var counts [3]int64
	if _, err := os.Stat(path); err != nil {
		return counts, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(OFF)&_pragma=cache_size(-262144)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return counts, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	pragmas := []string{"PRAGMA synchronous=OFF"}
	if exclusive {
		pragmas = append(pragmas, "PRAGMA journal_mode=OFF")
		defer db.ExecContext(context.Background(), "PRAGMA journal_mode=WAL")
	}
	for _, q := range pragmas {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return counts, fmt.Errorf("%s: %w", q, err)
		}
	}
	tables := []string{"contacts", "visitors", "conversations", "messages"}
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('`+strings.Join(tables, "','")+`') ORDER BY rowid`)
	if err != nil {
		return counts, err
	}
	var indexes [][2]string
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			rows.Close()
			return counts, err
		}
		indexes = append(indexes, [2]string{name, q})
	}
	rows.Close()
	for _, ix := range indexes {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+ix[0]); err != nil {
			return counts, err
		}
	}
	var seq int64
	if err := db.QueryRowContext(ctx, `SELECT last_seq FROM accounts WHERE id = ?`, accountID).Scan(&seq); err != nil {
		return counts, fmt.Errorf("account %s: %w", accountID, err)
	}
	names := make([]string, len(agents))
	for i, a := range agents {
		if err := db.QueryRowContext(ctx, `SELECT name FROM agents WHERE id = ?`, a).Scan(&names[i]); err != nil {
			return counts, err
		}
	}

	ins := newBulk(db)
	rnd := rand.New(rand.NewPCG(1, 2))
	end := time.Now().Add(-time.Hour).UnixMicro()
	span := int64(365 * 24 * time.Hour / time.Microsecond)
	texts := []string{"Hello, is the blue one in stock?", "Yes, we have it in all sizes.", "Do you ship to Austria?",
		"We do, it takes three to five days.", "My order has not arrived yet.", "Let me check that for you.",
		"Can I return the shoes if they do not fit?", "Of course, within 30 days.", "Thanks!", "You're welcome!"}
	const batch = 10000
	for start := 0; start < cfg.Conversations; start += batch {
		if err := ins.begin(ctx); err != nil {
			return counts, err
		}
		for i := start; i < min(start+batch, cfg.Conversations); i++ {
			created := end - span + int64(i)*(span/int64(cfg.Conversations))
			ms := created / 1000
			contact, visitor, conv := uuid7(ms, rnd), uuid7(ms, rnd), uuid7(ms, rnd)
			ins.row("contacts", []string{"id", "account_id", "name", "created_at", "updated_at"},
				contact, accountID, fmt.Sprintf("Visitor %d", i), created, created)
			token := make([]byte, 16)
			for j := range token {
				token[j] = byte(rnd.Uint32())
			}
			ins.row("visitors", []string{"id", "account_id", "contact_id", "token_hash", "created_at", "last_seen_at"},
				visitor, accountID, contact, hex.EncodeToString(token), created, created)
			open := rnd.Float64() < cfg.OpenShare
			ai := i % len(agents)
			var assignee any = agents[ai]
			if open && rnd.Float64() < cfg.UnassignedShare {
				assignee = nil
			}
			var lastID string
			var at int64
			for k := range cfg.MessagesPerConv {
				at = created + int64(k)*int64(time.Minute/time.Microsecond)
				seq++
				lastID = uuid7(at/1000, rnd)
				var sender any = visitor
				senderType, senderName := "visitor", ""
				if k%2 == 1 {
					sender, senderType, senderName = agents[ai], "agent", names[ai]
				}
				ins.row("messages", []string{"id", "account_id", "conversation_id", "seq", "kind", "sender_type", "sender_id", "sender_name", "text", "created_at"},
					lastID, accountID, conv, seq, "text", senderType, sender, senderName, texts[k%len(texts)], at)
			}
			status := "open"
			var resolvedAt, resolvedBy any
			if !open {
				status, resolvedAt, resolvedBy = "resolved", at+int64(5*time.Minute/time.Microsecond), assignee
			} else {
				counts[0]++
				if assignee == nil {
					counts[1]++
				} else if ai == 0 {
					counts[2]++
				}
			}
			ins.row("conversations", []string{"id", "account_id", "visitor_id", "contact_id", "channel", "status", "assignee_id", "last_message_id",
				"created_at", "updated_at", "last_message_at", "resolved_at", "resolved_by"},
				conv, accountID, visitor, contact, "chat", status, assignee, lastID, created, at, at, resolvedAt, resolvedBy)
		}
		if err := ins.commit(ctx); err != nil {
			return counts, err
		}
		if progress != nil && (start/batch)%10 == 9 {
			progress(min(start+batch, cfg.Conversations))
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE accounts SET last_seq = ? WHERE id = ?`, seq, accountID); err != nil {
		return counts, err
	}
	// The server keeps the list's tab counts as counters; written behind
	// its back, they are recounted here.
	for _, q := range []string{`DELETE FROM conversation_counts WHERE account_id = ?`,
		`INSERT INTO conversation_counts (account_id, status, assignee_id, n)
			SELECT account_id, status, COALESCE(assignee_id, ''), count(*) FROM conversations WHERE account_id = ? GROUP BY account_id, status, COALESCE(assignee_id, '')`} {
		if _, err := db.ExecContext(ctx, q, accountID); err != nil {
			return counts, fmt.Errorf("recount: %w", err)
		}
	}
	for _, ix := range indexes {
		if _, err := db.ExecContext(ctx, ix[1]); err != nil {
			return counts, fmt.Errorf("rebuild index %s: %w", ix[0], err)
		}
	}
	if exclusive {
		_, err = db.ExecContext(ctx, "PRAGMA journal_mode=WAL")
	}
	return counts, err
}

// bulk collects rows per table and inserts them 100 at a time in one
// transaction.
type bulk struct {
	db    *sql.DB
	tx    *sql.Tx
	rows  map[string][][]any
	cols  map[string][]string
	stmts map[string]*sql.Stmt
	order []string
}

const bulkRows = 100

func newBulk(db *sql.DB) *bulk {
	return &bulk{db: db, rows: map[string][][]any{}, cols: map[string][]string{}, stmts: map[string]*sql.Stmt{}}
}

func (b *bulk) begin(ctx context.Context) error {
	tx, err := b.db.BeginTx(ctx, nil)
	b.tx = tx
	// Statements are prepared on the transaction: its connection is the
	// only one.
	b.stmts = map[string]*sql.Stmt{}
	return err
}

func (b *bulk) row(table string, cols []string, vals ...any) {
	if _, ok := b.cols[table]; !ok {
		b.cols[table] = cols
		b.order = append(b.order, table)
	}
	b.rows[table] = append(b.rows[table], vals)
}

func (b *bulk) insert(ctx context.Context, table string, rows [][]any) error {
	cols := b.cols[table]
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	key := fmt.Sprintf("%s/%d", table, len(rows))
	st := b.stmts[key]
	if st == nil {
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ",") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", len(rows)), ",")
		var err error
		if st, err = b.tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		b.stmts[key] = st
	}
	args := make([]any, 0, len(rows)*len(cols))
	for _, r := range rows {
		args = append(args, r...)
	}
	_, err := st.ExecContext(ctx, args...)
	return err
}

func (b *bulk) commit(ctx context.Context) error {
	for _, t := range b.order {
		rows := b.rows[t]
		for len(rows) >= bulkRows {
			if err := b.insert(ctx, t, rows[:bulkRows]); err != nil {
				b.tx.Rollback()
				return fmt.Errorf("insert into %s: %w", t, err)
			}
			rows = rows[bulkRows:]
		}
		if len(rows) > 0 {
			if err := b.insert(ctx, t, rows); err != nil {
				b.tx.Rollback()
				return fmt.Errorf("insert into %s: %w", t, err)
			}
		}
		b.rows[t] = b.rows[t][:0]
	}
	return b.tx.Commit()
}

// uuid7 makes a UUIDv7 string for a time in milliseconds.
func uuid7(ms int64, rnd *rand.Rand) string {
	var u [16]byte
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	r := rnd.Uint64()
	r2 := rnd.Uint64()
	for i := 6; i < 16; i++ {
		if i < 14 {
			u[i] = byte(r >> (8 * (i - 6)))
		} else {
			u[i] = byte(r2 >> (8 * (i - 14)))
		}
	}
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], u[10:16])
	return string(s[:])
}

// measureLists times the Open, Unassigned, Mine, Others and Resolved list
// pages, a deep page of the Open list and the counts, one request at a
// time, round-robin.
func (r *run) measureLists(ctx context.Context, me Agent, rep *DatabaseReport) error {
	cfg := r.cfg
	all := []Endpoint{
		{Name: "open, all", Path: "/api/v1/conversations?status=open&view=all"},
		{Name: "open, unassigned", Path: "/api/v1/conversations?status=open&view=unassigned"},
		{Name: "open, mine", Path: "/api/v1/conversations?status=open&view=mine"},
		{Name: "open, others", Path: "/api/v1/conversations?status=open&view=others"},
		{Name: "resolved", Path: "/api/v1/conversations?status=resolved"},
		{Name: "counts", Path: "/api/v1/conversations/counts"},
	}
	var eps []Endpoint
	for _, ep := range all {
		if cfg.Only == "" || strings.Contains(","+cfg.Only+",", ","+ep.Name+",") {
			eps = append(eps, ep)
		}
	}
	// A page deep into the Open list, reached by its cursor (keyset).
	cursor := ""
	for range 20 {
		var page struct {
			NextCursor string `json:"next_cursor"`
		}
		if _, err := r.api.do(ctx, "GET", "/api/v1/conversations?status=open&view=all&cursor="+url.QueryEscape(cursor), me.Token, nil, &page); err != nil {
			return fmt.Errorf("walk the open list: %w", err)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if cursor != "" && (cfg.Only == "" || strings.Contains(","+cfg.Only+",", ",open, all, deep page,")) {
		eps = append(eps, Endpoint{Name: "open, all, deep page", Path: "/api/v1/conversations?status=open&view=all&cursor=" + url.QueryEscape(cursor)})
	}
	var counts struct {
		Open struct {
			All        int64 `json:"all"`
			Unassigned int64 `json:"unassigned"`
			Mine       int64 `json:"mine"`
		} `json:"open"`
		Resolved int64 `json:"resolved"`
	}
	if _, err := r.api.do(ctx, "GET", "/api/v1/conversations/counts", me.Token, nil, &counts); err != nil {
		return err
	}
	r.mark("before_requests", true)
	busy0 := machineBusy()
	self0, _ := readProc(os.Getpid())
	hists := make([]Hist, len(eps))
	errs := make([]int64, len(eps))
	warm := 20
	for i := range warm + cfg.Requests {
		for j, ep := range eps {
			t0 := time.Now()
			_, err := r.api.do(ctx, "GET", ep.Path, me.Token, nil, nil)
			d := time.Since(t0)
			if err != nil {
				errs[j]++
				if ctx.Err() != nil {
					return ctx.Err()
				}
				continue
			}
			if i >= warm {
				hists[j].Record(d)
			}
		}
	}
	r.mark("after_requests", true)
	busy1 := machineBusy()
	self1, _ := readProc(os.Getpid())
	if a, ok := r.rep.mark("before_requests"); ok {
		if b, ok := r.rep.mark("after_requests"); ok && b.T > a.T {
			dt := b.T - a.T
			r.rep.Server.CPUCores = (b.CPUSeconds - a.CPUSeconds) / dt
			r.rep.Server.RSSPeak = max(a.RSS, b.RSS)
			r.rep.Server.ToolCPUCores = (self1.CPUSeconds - self0.CPUSeconds) / dt
			if busy0 > 0 {
				r.rep.Server.OtherCPUCores = max(0, (busy1-busy0)/dt-r.rep.Server.CPUCores-r.rep.Server.ToolCPUCores)
			}
		}
	}
	var total int64
	for j := range eps {
		eps[j].Latency, eps[j].Errors = summarize(hists[j].Snapshot()), errs[j]
		total += errs[j]
		r.rep.Latency[eps[j].Name] = eps[j].Latency
		r.rep.target("p99 "+eps[j].Name, "≤ 5 ms", eps[j].Latency.P99, "ms", eps[j].Latency.P99 <= 5)
	}
	rep.Endpoints = eps
	r.rep.check("every request answered 200", total == 0, "%d failed", total)
	if rep.Conversations > 0 {
		r.rep.check("counts match the seed", counts.Open.All == rep.Open && counts.Open.Unassigned == rep.Unassigned && counts.Open.Mine == rep.Mine &&
			counts.Open.All+counts.Resolved == rep.Conversations,
			"open %d (seeded %d), unassigned %d (%d), mine %d (%d), resolved %d", counts.Open.All, rep.Open, counts.Open.Unassigned, rep.Unassigned,
			counts.Open.Mine, rep.Mine, counts.Resolved)
	}
	return nil
}
