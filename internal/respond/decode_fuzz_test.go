package respond

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apperr"
)

// body is a request body with the kinds of fields Parley's endpoints
// read: strings, numbers, flags, optional values, lists and free maps.
type body struct {
	Text      string         `json:"text"`
	ClientID  string         `json:"client_id"`
	Limit     int            `json:"limit"`
	Seq       int64          `json:"seq"`
	Total     float64        `json:"total"`
	On        bool           `json:"on"`
	Name      *string        `json:"name"`
	AgentID   *string        `json:"agent_id"`
	Active    *bool          `json:"active"`
	Pages     []string       `json:"pages"`
	Variables map[string]any `json:"variables"`
	Page      *struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	} `json:"page"`
}

func decodeRequest(data []byte, ctype string) (body, error) {
	r := httptest.NewRequest("POST", "/", bytes.NewReader(data))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	var v body
	err := Decode(r, &v)
	return v, err
}

// decodeSeeds are bodies near the edges: valid ones, trailing data of every
// kind, wrong types, odd white space and encodings. Kept in testdata/fuzz
// too (go test -fuzz adds what it finds there).
var decodeSeeds = []string{
	`{"text":"hello","client_id":"c-1"}`,
	`{"text":"hello","client_id":"c-1"}}`,
	`{"text":"hello"}]`,
	`{"text":"hello"} {"text":"again"}`,
	`{"text":"hello"} x`,
	`{"text":"hello"}` + "\n\t \r\n",
	`{"limit":"ten"}`,
	`{"limit":1e3}`,
	`{"limit":99999999999999999999}`,
	`{"seq":-9223372036854775808,"total":1.5e308}`,
	`{"name":null,"agent_id":"a","active":false}`,
	`{"pages":["/a","/b"],"variables":{"plan":"pro","n":3,"nested":{"x":[1,null,true]}}}`,
	`{"page":{"url":"https://shop.example/?q=<script>","title":"\u202eevil"}}`,
	"{\"text\":\"bad \xff UTF-8\"}",
	`{"text":"lone \ud800 surrogate"}`,
	`{"TEXT":"case","Client_Id":"x"}`,
	`{"text":"a","text":"b"}`,
	`null`,
	`[]`,
	`"just a string"`,
	`42`,
	``,
	`   `,
	`{`,
	`{"text":"x",}`,
	"\xef\xbb\xbf{\"text\":\"BOM\"}",
	`{"text":"x"}` + "\x00",
	`{"text":"x"}` + "\u00a0",
	strings.Repeat("[", 500) + strings.Repeat("]", 500),
}

// A JSON body through Decode: valid JSON of the target struct decodes to
// exactly what encoding/json reads from it and survives a round trip;
// anything with data after the value is refused; only JSON media types are
// read; every refusal is a 400, 413 or 415, never a server fault.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		for _, ct := range []string{"application/json", "text/plain", "application/vnd.api+json; charset=utf-8"} {
			f.Add([]byte(s), ct, "}")
		}
	}
	f.Add([]byte(`{"text":"x"}`), "", " ")
	f.Add([]byte(`{"text":"x"}`), "application/json;;", "1")
	f.Add([]byte(`{"text":"x"}`), "APPLICATION/JSON", "\t")
	f.Add([]byte(`{"text":"x"}`), "application/+json", "")
	f.Fuzz(func(t *testing.T, data []byte, ctype, suffix string) {
		got, err := decodeRequest(data, ctype)
		blank := len(bytes.Trim(data, " \t\r\n")) == 0
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || (e.Kind != apperr.KindBadRequest && e.Kind != apperr.KindTooLarge && e.Kind != apperr.KindUnsupportedMediaType) {
				t.Fatalf("Decode(%q as %q) = %v, want a 400, 413 or 415 refusal", data, ctype, err)
			}
		}
		if blank {
			if err != nil || !reflect.DeepEqual(got, body{}) {
				t.Fatalf("Decode of a blank body = %+v, %v; want {} and no error", got, err)
			}
			return
		}
		isJSON := IsJSONType(ctype)
		if mt, _, perr := mime.ParseMediaType(ctype); isJSON && (perr != nil || !strings.HasPrefix(mt, "application/") ||
			(mt != "application/json" && !strings.HasSuffix(mt, "+json"))) {
			t.Fatalf("IsJSONType(%q) = true for media type %q (%v)", ctype, mt, perr)
		}
		if !isJSON {
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindUnsupportedMediaType {
				t.Fatalf("Decode(%q as %q) = %v, want 415: only JSON is read", data, ctype, err)
			}
			return
		}
		// encoding/json's Unmarshal reads exactly one value and refuses
		// trailing data: Decode must agree with it.
		var want body
		wantErr := json.Unmarshal(data, &want)
		switch {
		case len(data) > MaxBody:
			if err == nil {
				t.Fatalf("Decode accepted a %d-byte body", len(data))
			}
			return
		case wantErr == nil && err != nil:
			t.Fatalf("Decode(%q) = %v, but it is one valid JSON value of the struct", data, err)
		case wantErr != nil && err == nil:
			t.Fatalf("Decode(%q) = %+v, but json.Unmarshal refuses it: %v", data, got, wantErr)
		case err != nil:
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %+v, json.Unmarshal gives %+v", data, got, want)
		}
		// Round trip: what was decoded encodes and decodes to itself.
		enc, merr := json.Marshal(got)
		if merr != nil {
			t.Fatalf("encode %+v: %v", got, merr)
		}
		again, err := decodeRequest(enc, "application/json")
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("Decode(encode(%+v)) = %+v, %v; want the same", got, again, err)
		}
		// Anything but white space after the value is refused.
		if strings.Trim(suffix, " \t\r\n") != "" && len(data)+len(suffix) <= MaxBody {
			_, err := decodeRequest(append(bytes.Clone(data), suffix...), ctype)
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindBadRequest {
				t.Fatalf("Decode(%q + %q) = %v, want 400: data after the JSON value", data, suffix, err)
			}
		}
	})
}

// Bodies over the limit are 413 whatever they hold.
func TestDecodeTooLarge(t *testing.T) {
	big := append([]byte(`{"text":"`), bytes.Repeat([]byte("a"), MaxBody)...)
	big = append(big, `"}`...)
	_, err := decodeRequest(big, "application/json")
	if status, d := Classify(err); status != http.StatusRequestEntityTooLarge || d.Code != "too_large" {
		t.Errorf("Decode of %d bytes = %d %s, want 413 too_large", len(big), status, d.Code)
	}
}
