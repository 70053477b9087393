package widgetapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// The socket fuzz test (package widgetapi_test, which may import apitest)
// judges the server's answers with the same decoding the handler uses.
var (
	ParseFrame  = parseFrame
	SeedFrames  = seedFrames
	MaxTextRune = 10000
)

// seedFrames are frames near the edges of what the chat box may send: the
// valid kinds, wrong types, nulls, nested junk, invalid UTF-8, huge texts and
// frames around the 64 KiB limit of a socket frame. The small ones are also
// kept in testdata/fuzz.
func seedFrames() [][]byte {
	seeds := []string{
		`{"type":"message.send","client_id":"seed-1","text":"Hello, is the blue one in stock?"}`,
		`{"type":"message.send","client_id":"seed-1","text":"the same client_id again, other text"}`,
		`{"type":"message.send","client_id":"seed-1","text":""}`,
		`{"type":"message.send","text":"no client_id"}`,
		`{"type":"message.send","client_id":"","text":"empty client_id"}`,
		`{"type":"message.send","client_id":"seed-empty","text":""}`,
		`{"type":"message.send","client_id":"seed-blank","text":" \t\n "}`,
		`{"type":"message.send","client_id":"seed-card","text":"my card is 4111 1111 1111 1111, exp 12/29"}`,
		`{"type":"message.send","client_id":123,"text":"client_id is a number"}`,
		`{"type":"message.send","client_id":"seed-arr","text":["text","is","an","array"]}`,
		`{"type":"message.send","client_id":null,"text":null}`,
		`{"type":"message.send","client_id":"seed-nul","text":"a NUL\u0000in the text"}`,
		`{"type":"message.send","client_id":"seed-nul-id\u0000","text":"a NUL in the client_id"}`,
		`{"type":"message.send","client_id":"seed-surrogate","text":"lone surrogate \ud800 here"}`,
		"{\"type\":\"message.send\",\"client_id\":\"seed-bad-utf8\xff\",\"text\":\"invalid \xff\xfe UTF-8 \xc3\x28\"}",
		"{\"type\":\"message.send\",\"client_id\":\"seed-utf8\",\"text\":\"ok \u00e9\u20ac\U0001F600 \u202e rtl\"}",
		`{"type":"message.send","client_id":"` + strings.Repeat("x", 101) + `","text":"client_id too long"}`,
		`{"type":"message.send","client_id":"` + strings.Repeat("y", 100) + `","text":"client_id at the limit"}`,
		`{"type":"message.send","client_id":"seed-dup-keys","text":"first","text":"second wins"}`,
		`{"TYPE":"message.send","Client_ID":"seed-case","TEXT":"keys in another case"}`,
		`{"type":"typing","type":"message.send","client_id":"seed-type-twice","text":"type given twice"}`,
		`{"type":"message.send","client_id":"seed-html","text":"<script>alert(1)</script> & \"quotes\""}`,
		`{"type":"typing","on":true}`,
		`{"type":"typing","on":"yes"}`,
		`{"type":"typing","on":null}`,
		`{"type":"page.view","url":"https://shop.example/checkout?card=4111111111111111","title":"Checkout","referrer":"https://search.example/"}`,
		`{"type":"page.view","url":42}`,
		`{"type":"unknown","client_id":"seed-unknown"}`,
		`{"type":""}`,
		`{"type":null}`,
		`{"type":{"type":{"type":[1,2,{"a":null}]}}}`,
		`{"type":"message.send","client_id":"seed-nested","text":"x","extra":{"a":[{"b":[null,true,1e309]}]}}`,
		`{}`,
		`null`,
		`[]`,
		`[{"type":"message.send","client_id":"seed-in-array","text":"x"}]`,
		`"message.send"`,
		`1`,
		`-0.0e+0`,
		`true`,
		``,
		` `,
		`{`,
		`{"type":"message.send","client_id":"seed-trailing","text":"x"} {}`,
		`{"type":"message.send","client_id":"seed-trailing-comma","text":"x",}`,
		"\xef\xbb\xbf{\"type\":\"typing\",\"on\":true}",
		"\x00\x01\x02",
		`{"type":"message.send","client_id":"seed-escape","text":"\u0041\n\t\\\/\b\f\r"}`,
		`{"type":"message.send","client_id":"seed-bad-escape","text":"\x"}`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		`{"a":` + strings.Repeat(`{"a":`, 2000) + `null` + strings.Repeat("}", 2001),
	}
	out := make([][]byte, 0, len(seeds)+8)
	for _, s := range seeds {
		out = append(out, []byte(s))
	}
	send := func(clientID, text string) []byte {
		b, _ := json.Marshal(map[string]string{"type": "message.send", "client_id": clientID, "text": text})
		return b
	}
	out = append(out,
		send("seed-10000", strings.Repeat("a", MaxTextRune)),
		send("seed-10001", strings.Repeat("a", MaxTextRune+1)),
		send("seed-10000-euro", strings.Repeat("€", MaxTextRune)),
		send("seed-10001-euro", strings.Repeat("€", MaxTextRune+1)),
		padFrame(send("seed-64k", "exactly 64 KiB"), 64<<10),
		padFrame(send("seed-64k+1", "one byte over 64 KiB"), 64<<10+1),
		padFrame(send("seed-1m", "a megabyte"), 1<<20),
	)
	return out
}

// padFrame pads a JSON object with spaces before its closing brace to n
// bytes: still a valid frame, only bigger.
func padFrame(b []byte, n int) []byte {
	out := make([]byte, 0, n)
	out = append(out, b[:len(b)-1]...)
	out = append(out, bytes.Repeat([]byte(" "), n-len(b))...)
	return append(out, '}')
}

// frameFields are the fields of clientFrame by JSON key.
var frameFields = map[string]func(f clientFrame) any{
	"type":      func(f clientFrame) any { return f.Type },
	"client_id": func(f clientFrame) any { return f.ClientID },
	"text":      func(f clientFrame) any { return f.Text },
	"on":        func(f clientFrame) any { return f.On },
	"url":       func(f clientFrame) any { return f.URL },
	"title":     func(f clientFrame) any { return f.Title },
	"referrer":  func(f clientFrame) any { return f.Referrer },
}

func FuzzParseFrame(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseFrame(data)
		again, err2 := parseFrame(data)
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatalf("parseFrame(%q) is not deterministic: %+v, %v then %+v, %v", data, got, err, again, err2)
		}
		if err != nil {
			return // the handler answers bad_request and ignores the frame
		}
		if !json.Valid(data) {
			t.Fatalf("parseFrame(%q) accepted JSON that is not valid", data)
		}
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if trimmed[0] != '{' && !bytes.HasPrefix(trimmed, []byte("null")) {
			t.Fatalf("parseFrame(%q) accepted a frame that is neither an object nor null: %+v", data, got)
		}
		if trimmed[0] == 'n' && got != (clientFrame{}) {
			t.Fatalf("parseFrame(null) = %+v, want the zero frame", got)
		}
		for _, s := range []string{got.Type, got.ClientID, got.Text, got.URL, got.Title, got.Referrer} {
			if !utf8.ValidString(s) {
				t.Fatalf("parseFrame(%q) gave a field that is not valid UTF-8: %q", data, s)
			}
		}
		// What the handler reads must be what the frame says: compare
		// each field with a generic decoding when the key appears once
		// (JSON keys match fields case-insensitively) with a plain value.
		if trimmed[0] == '{' {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatalf("frame %q parsed as a struct but not as an object: %v", data, err)
			}
			for key, field := range frameFields {
				var matches []json.RawMessage
				for k, v := range raw {
					if strings.EqualFold(k, key) {
						matches = append(matches, v)
					}
				}
				if len(matches) != 1 || bytes.Equal(matches[0], []byte("null")) {
					continue
				}
				var want any
				if err := json.Unmarshal(matches[0], &want); err != nil {
					t.Fatalf("value %s of %q does not decode: %v", matches[0], key, err)
				}
				if g := field(got); g != want {
					t.Fatalf("parseFrame(%q).%s = %#v, want %#v", data, key, g, want)
				}
			}
		}
		// Encoding the parsed frame and parsing it again changes nothing.
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("encode %+v: %v", got, err)
		}
		if round, err := parseFrame(b); err != nil || round != got {
			t.Fatalf("parseFrame(encode(%+v)) = %+v, %v; want the same frame", got, round, err)
		}
	})
}
