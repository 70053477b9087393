package cursor

import (
	"math"
	"net/http"
	"testing"

	"github.com/parley-chat/parley/internal/respond"
)

// Every cursor the server makes reads back as what it was made from.
func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(1741944013589793), "01956a3b-7c1e-7d2f-8a9b-0c1d2e3f4a5b")
	f.Add(int64(0), "x")
	f.Add(int64(-1), "a:b:c")
	f.Add(int64(math.MinInt64), "\x00\xff")
	f.Add(int64(math.MaxInt64), "ünïcödé ✓")
	f.Fuzz(func(t *testing.T, at int64, id string) {
		gotAt, gotID, err := Decode(Encode(at, id))
		if id == "" {
			// Items always have an id: a cursor without one is no cursor.
			if err == nil {
				t.Fatalf("Decode(Encode(%d, \"\")) accepted a cursor without an id", at)
			}
			return
		}
		if err != nil || gotAt != at || gotID != id {
			t.Fatalf("Decode(Encode(%d, %q)) = %d, %q, %v", at, id, gotAt, gotID, err)
		}
	})
}

// Whatever a client passes as a cursor, Decode never panics; it either
// refuses it as a 400 bad_request or reads a cursor that Encode writes back
// into one that reads the same.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "MTc0MTk0NDAxMzU4OTc5Mzp4", "MTc0MTk0NDAxMzU4OTc5Mzp4=", "not base64!", "Og", "MTp", "LTE6YQ",
		"OTk5OTk5OTk5OTk5OTk5OTk5OTk6eA", "KzE6eA", "MTp4Cg", "////", "MTc0MTk0NDAxMzU4OTc5Mzp4\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, id, err := Decode(s)
		if err != nil {
			if status, d := respond.Classify(err); status != http.StatusBadRequest || d.Code != "bad_request" {
				t.Fatalf("Decode(%q) error = %d %s, want 400 bad_request", s, status, d.Code)
			}
			if at != 0 || id != "" {
				t.Fatalf("Decode(%q) refused it but returned %d, %q", s, at, id)
			}
			return
		}
		if id == "" {
			t.Fatalf("Decode(%q) = %d with an empty id", s, at)
		}
		at2, id2, err := Decode(Encode(at, id))
		if err != nil || at2 != at || id2 != id {
			t.Fatalf("Decode(Encode(Decode(%q))) = %d, %q, %v; want %d, %q", s, at2, id2, err, at, id)
		}
	})
}
