package load

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestHistogramQuantilesAreWithinTwoPercent(t *testing.T) {
	var h Hist
	for i := 1; i <= 100000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	s := h.Snapshot()
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.95, 95 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		got := s.Quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.02 {
			t.Errorf("Quantile(%v) = %v, want %v (at most 2%% above)", tc.q, got, tc.want)
		}
	}
	if s.Count != 100000 || s.Max() != 100*time.Millisecond {
		t.Errorf("count %d max %v, want 100000 and 100ms", s.Count, s.Max())
	}
}

func TestBucketsCoverEveryValueInOrder(t *testing.T) {
	prev := -1
	for _, us := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1 << 40, 1 << 46} {
		b := bucketOf(us)
		if b < prev || b >= numBuckets {
			t.Errorf("bucketOf(%d) = %d, after %d (of %d)", us, b, prev, numBuckets)
		}
		if us < 1<<46 && bucketHigh(b) < us {
			t.Errorf("bucketHigh(bucketOf(%d)) = %d, below the value", us, bucketHigh(b))
		}
		prev = b
	}
}

func TestSnapshotsAddAndSubtract(t *testing.T) {
	var a, b Hist
	for i := range 1000 {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	first := a.Snapshot()
	for i := range 500 {
		a.Record(time.Duration(i) * time.Microsecond)
		b.Record(time.Duration(i) * time.Microsecond)
	}
	diff := a.Snapshot().Sub(first)
	if diff.Count != 500 || diff.Quantile(0.5) != b.Snapshot().Quantile(0.5) {
		t.Errorf("difference has %d values, median %v; want 500 and %v", diff.Count, diff.Quantile(0.5), b.Snapshot().Quantile(0.5))
	}
	sum := first.Add(b.Snapshot())
	if sum.Count != 1500 || sum.Quantile(1) != a.Snapshot().Quantile(1) {
		t.Errorf("sum has %d values, max %v", sum.Count, sum.Quantile(1))
	}
	if got := (HistSnap{}).Quantile(0.99); got != 0 {
		t.Errorf("empty Quantile = %v, want 0", got)
	}
}

func TestParseFrameReadsServerFrames(t *testing.T) {
	b := []byte(`{"type":"message.created","seq":42,"data":{"id":"m1","conversation_id":"c1","seq":42,"kind":"text","sender_type":"visitor","sender_id":"v1","sender_name":"","text":"say \"client_id\":\"x\" {[","client_id":"v7.3","created_at":"2026-11-24T10:00:00Z"}}`)
	f, err := parseFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(f.Type) != "message.created" || f.Seq != 42 {
		t.Fatalf("frame = %s seq %d", f.Type, f.Seq)
	}
	m, err := parseMessage(f.Data)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.ID) != "m1" || string(m.ConversationID) != "c1" || string(m.SenderType) != "visitor" || string(m.ClientID) != "v7.3" || m.Seq != 42 {
		t.Errorf("message = %+v", m)
	}
	kind, n, ok := parseClientID(m.ClientID)
	if !ok || kind != 'v' || n[0] != 7 || n[1] != 3 {
		t.Errorf("parseClientID(%s) = %c %v %v", m.ClientID, kind, n, ok)
	}

	ack, err := parseFrame([]byte(` { "type" : "ack" , "client_id":"r1.2.1700000000000000000", "data": {"client_id": null} } `))
	if err != nil || string(ack.Type) != "ack" || string(ack.ClientID) != "r1.2.1700000000000000000" {
		t.Errorf("ack = %+v, %v", ack, err)
	}
	if _, n, ok := parseClientID(ack.ClientID); !ok || n[2] != 1700000000000000000 {
		t.Errorf("reply client_id parsed as %v %v", n, ok)
	}
	if code := errorCode([]byte(`{"type":"error","client_id":"v1.1","error":{"code":"rate_limited","message":"slow"}}`)); code != "rate_limited" {
		t.Errorf("errorCode = %q", code)
	}
	for _, bad := range []string{``, `[]`, `{"type":}`, `{"type":"a"`, `{"type":"a",}`, `{"seq":x1}`, `{"a":"b\"}`} {
		if _, err := parseFrame([]byte(bad)); err == nil {
			t.Errorf("parseFrame(%q) = nil error", bad)
		}
	}
	for _, id := range []string{"", "v", "v1.", "v.1", "v1.2.3.4", "v1x", "019ab3f2c4d1-", "019ab3f2c4d1-v1x"} {
		if _, _, ok := parseClientID([]byte(id)); ok {
			t.Errorf("parseClientID(%q) ok", id)
		}
	}

	// The tool's client_ids begin with the time, as the widget's do, in
	// fixed width, so they sort as they were made.
	t0 := time.UnixMilli(1_764_000_000_000)
	id := appendClientIDTime(nil, t0)
	if string(id) != "019ab697e800-" {
		t.Errorf("appendClientIDTime(%v) = %q", t0, id)
	}
	prev := ""
	for _, d := range []time.Duration{0, time.Millisecond, time.Second, 400 * 24 * time.Hour} {
		s := string(appendClientIDTime(nil, t0.Add(d)))
		if s <= prev {
			t.Errorf("client_id time %q does not sort after %q", s, prev)
		}
		prev = s
	}
	if kind, n, ok := parseClientID(append(id, "v7.3"...)); !ok || kind != 'v' || n[0] != 7 || n[1] != 3 {
		t.Errorf("parseClientID(%sv7.3) = %c %v %v", id, kind, n, ok)
	}
}

// FuzzParseFrame: the scanner never panics, and on any object that
// encoding/json accepts it finds the same keys with the same raw values.
func FuzzParseFrame(f *testing.F) {
	f.Add([]byte(`{"type":"ack","client_id":"v1.2","data":{"id":"x","seq":3}}`))
	f.Add([]byte(`{"type":"message.created","seq":5,"data":{"text":"\\\"}{","client_id":null}}`))
	f.Add([]byte(`{"type":"presence","data":[1,{"a":[]}], "on" : true }`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fr, err := parseFrame(b); err == nil {
			parseMessage(fr.Data)
		}
		var std map[string]json.RawMessage
		if !utf8.Valid(b) || json.Unmarshal(b, &std) != nil || std == nil {
			return
		}
		got := map[string][]byte{}
		if err := eachField(b, func(k, v []byte) error {
			got[string(k)] = v
			return nil
		}); err != nil {
			t.Fatalf("eachField(%q) = %v, encoding/json accepts it", b, err)
		}
		for k, v := range got {
			if strings.Contains(k, `\`) {
				return // keys are compared as written; the server escapes none
			}
			if !bytes.Equal(bytes.TrimSpace(std[k]), v) {
				t.Fatalf("eachField(%q)[%q] = %q, want %q", b, k, v, std[k])
			}
		}
		if len(got) != len(std) {
			t.Fatalf("eachField(%q) found %d keys, encoding/json %d", b, len(got), len(std))
		}
	})
}

func BenchmarkParseFrame(b *testing.B) {
	frame := []byte(`{"type":"message.created","seq":123456,"data":{"id":"019ab7c4-5e1a-7c3e-9a41-3f2d6b8e1c07","conversation_id":"019ab7c4-4f00-7a10-8d2e-0b1c2d3e4f50","seq":123456,"kind":"text","sender_type":"visitor","sender_id":"019ab7c4-4f00-7a10-8d2e-0b1c2d3e4f51","sender_name":"","text":"Hello, is the blue one in stock?","client_id":"v1234.56","created_at":"2026-11-24T10:00:00.123456Z"}}`)
	b.ReportAllocs()
	for b.Loop() {
		f, _ := parseFrame(frame)
		m, _ := parseMessage(f.Data)
		parseClientID(m.ClientID)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.0.0.5:1", "http://localhost:8080", "http://[::1]:8080"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("checkLoopback(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://0.0.0.0:8080", "https://example.com", "127.0.0.1:8080", "ftp://127.0.0.1"} {
		if err := checkLoopback(u); err == nil {
			t.Errorf("checkLoopback(%q) = nil, want a refusal", u)
		}
	}
	if got := normalizeURL("http://localhost:8080/"); got != "http://127.0.0.1:8080" {
		t.Errorf("normalizeURL = %q", got)
	}
}

func TestValidateBoundsEveryRun(t *testing.T) {
	c := DefaultConfig("idle")
	c.Visitors = MaxConnections + 1
	if c.Validate() == nil {
		t.Error("more sockets than MaxConnections accepted")
	}
	c = DefaultConfig("chat")
	c.MaxDuration = 2 * MaxRunTime
	if c.Validate() == nil {
		t.Error("--max-duration above MaxRunTime accepted")
	}
	c = DefaultConfig("chat")
	c.Duration = c.MaxDuration + time.Second
	if c.Validate() == nil {
		t.Error("a chat longer than --max-duration accepted")
	}
	for _, s := range Scenarios {
		if err := DefaultConfig(s).Validate(); err != nil {
			t.Errorf("defaults of %s: %v", s, err)
		}
	}
}

func TestPlanSpreadsSocketsOverProcesses(t *testing.T) {
	accs := []*Account{{Index: 0}, {Index: 1}, {Index: 2}}
	c := DefaultConfig("storm")
	c.Accounts, c.Visitors = 3, 100
	specs, err := plan(c, accs, "http://127.0.0.1:1", 120)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 3 {
		t.Fatalf("%d processes for 300 sockets at 120 each, want 3", len(specs))
	}
	seen := map[int]bool{}
	for _, sp := range specs {
		n := 0
		for _, g := range sp.Groups {
			n += g.Visitors
			for i := range g.Visitors {
				v := g.FirstVisitor + i
				if seen[v] || v/c.Visitors != g.Account.Index {
					t.Errorf("visitor %d twice or in the wrong account (%d)", v, g.Account.Index)
				}
				seen[v] = true
			}
		}
		if n > 120 {
			t.Errorf("process %d holds %d sockets, more than 120", sp.Part, n)
		}
	}
	if len(seen) != 300 {
		t.Errorf("%d visitors planned, want 300", len(seen))
	}

	c = DefaultConfig("chat")
	c.Accounts, c.Visitors, c.Agents = 3, 100, 2
	if _, err := plan(c, accs, "http://127.0.0.1:1", 50); err == nil {
		t.Error("a chat account split over processes was planned")
	}
}

func TestParseMetricsSumsLabelledSamples(t *testing.T) {
	text := `# HELP parley_websockets_open Open WebSocket connections by kind.
parley_websockets_open{kind="agent"} 2
parley_websockets_open{kind="visitor"} 19000
process_resident_memory_bytes 3.2e+08
process_cpu_seconds_total 12.5
go_goroutines 38012
`
	m, err := parseMetrics(strings.NewReader(text), "parley_websockets_open", "process_resident_memory_bytes", "process_cpu_seconds_total")
	if err != nil {
		t.Fatal(err)
	}
	if m["parley_websockets_open"] != 19002 || m["process_resident_memory_bytes"] != 3.2e8 || m["process_cpu_seconds_total"] != 12.5 {
		t.Errorf("parsed %v", m)
	}
	if _, ok := m["go_goroutines"]; ok {
		t.Error("a metric not asked for was returned")
	}
}

func TestPlotWritesValidSVG(t *testing.T) {
	r := Report{Scenario: "chat", Config: DefaultConfig("chat"), Started: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}
	for i := range 10 {
		r.Timeline = append(r.Timeline, Tick{T: float64(i + 1), Phase: []string{"connect", "run"}[min(i, 1)], Sent: 100, Acked: 100,
			AckP50: 1.5, AckP99: 4 + float64(i), AgP99: 6, RSS: 100 << 20, CPU: 0.5, Open: 24, WriterBusy: 0.4, WritesPerTx: 3})
	}
	db := Report{Scenario: "database", Started: r.Started, Database: &DatabaseReport{Conversations: 10, Messages: 100,
		Endpoints: []Endpoint{{Name: "open, all <&>", Latency: Summary{P50: 1, P99: 3}}, {Name: "counts", Latency: Summary{P50: 20, P99: 70}}}}}
	for _, rep := range []*Report{&r, &db} {
		var b bytes.Buffer
		if err := writeSVG(&b, rep); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&b)
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s plot is not well-formed XML: %v", rep.Scenario, err)
			}
		}
	}
	// A panel is drawn only for figures the report has: the chat's
	// writer, not the database scenario's.
	for _, c := range []struct {
		rep  *Report
		want bool
	}{{&r, true}, {&db, false}} {
		var b bytes.Buffer
		writeSVG(&b, c.rep)
		if got := strings.Contains(b.String(), "database writer busy"); got != c.want {
			t.Errorf("%s plot has the writer panel: %v, want %v", c.rep.Scenario, got, c.want)
		}
	}
}
