package stream

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// While a burst is held, writes are gathered and leave together, in order,
// when it ends; a burst larger than maxBurst is sent as it grows; outside a
// burst writes go straight through.
func TestBurstWriterGathersWrites(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	b := &burstWriter{conn: server}

	got := make(chan []byte, 16)
	go func() {
		buf := make([]byte, 256<<10)
		for {
			n, err := client.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- bytes.Clone(buf[:n])
		}
	}()
	next := func() []byte {
		t.Helper()
		select {
		case p := <-got:
			return p
		case <-time.After(2 * time.Second):
			t.Fatal("nothing written")
			return nil
		}
	}

	b.hold()
	for _, s := range []string{"one,", "two,", "three"} {
		if _, err := b.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case p := <-got:
		t.Fatalf("%q written while the burst was held", p)
	case <-time.After(50 * time.Millisecond):
	}
	if err := b.release(); err != nil {
		t.Fatal(err)
	}
	if p := next(); string(p) != "one,two,three" {
		t.Fatalf("burst arrived as %q, want %q in one write", p, "one,two,three")
	}
	if b.buf != nil {
		t.Error("the burst's buffer is kept after the burst")
	}

	// Nested holds (the replay inside a held burst) send at the outer end.
	b.hold()
	b.hold()
	b.Write([]byte("a"))
	b.release()
	b.Write([]byte("b"))
	b.release()
	if p := next(); string(p) != "ab" {
		t.Fatalf("nested burst arrived as %q, want %q", p, "ab")
	}

	// Past maxBurst what was gathered goes out before the burst ends.
	b.hold()
	big := bytes.Repeat([]byte("x"), maxBurst-10)
	b.Write(big)
	b.Write([]byte("0123456789abc")) // crosses maxBurst
	var first []byte
	for len(first) < len(big) {
		first = append(first, next()...)
	}
	if !bytes.Equal(first[:len(big)], big) {
		t.Fatal("the first part of an oversized burst is not what was written first")
	}
	b.release()
	rest := first[len(big):]
	for len(rest) < 13 {
		rest = append(rest, next()...)
	}
	if string(rest) != "0123456789abc" {
		t.Fatalf("oversized burst's tail = %q", rest)
	}

	// Outside a burst, a write goes straight through.
	b.Write([]byte("direct"))
	if p := next(); string(p) != "direct" {
		t.Fatalf("write outside a burst arrived as %q", p)
	}

	// A failed write is reported when the burst is sent.
	client.Close()
	b.hold()
	b.Write([]byte("lost"))
	if err := b.release(); err == nil {
		t.Fatal("release on a closed connection reported no error")
	}
}
