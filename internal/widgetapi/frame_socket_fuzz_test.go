package widgetapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/apitest"
	"github.com/parley-chat/parley/internal/mask"
	"github.com/parley-chat/parley/internal/stream"
	"github.com/parley-chat/parley/internal/widgetapi"
)

// FuzzVisitorSocket sends fuzzed frames over a real visitor socket. After
// each one the same socket sends a valid message.send, which must be
// acknowledged: the server stays up and the socket stays usable. Every frame
// the server sends back is valid JSON; an invalid frame gets exactly the one
// error frame the handler promises and stores nothing; a frame over 64 KiB
// closes the socket with "message too big" (1009).
//
//	go test -run=NONE -fuzz=FuzzVisitorSocket -fuzztime=60s ./internal/widgetapi/
func FuzzVisitorSocket(f *testing.F) {
	for _, s := range widgetapi.SeedFrames() {
		f.Add(s)
	}
	// One server per fuzz process; the limits must not refuse the flood.
	e := apitest.New(f, apitest.Options{VisitorMessagesPerMinute: 1 << 30, VisitorBurst: 1 << 30})
	acc := e.NewAccount()
	d := &socketDriver{e: e, acc: acc, visitor: e.NewVisitor(acc), acked: make(map[string]message)}
	nonce := make([]byte, 8)
	rand.Read(nonce)
	d.syncPrefix = "sync-" + hex.EncodeToString(nonce) + "-"
	if err := d.dial(); err != nil {
		f.Fatalf("dial visitor socket: %v", err)
	}
	f.Cleanup(func() {
		if d.ws != nil {
			d.ws.CloseNow()
		}
	})
	// The first message starts the visitor's conversation.
	first, err := d.sync()
	if err != nil {
		f.Fatalf("first message: %v", err)
	}
	d.conversationID, d.lastSeq = first.ConversationID, first.Seq

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > stream.MaxFrame {
			d.oversized(t, data)
			return
		}
		d.frame(t, data)
	})
}

type message struct {
	ID             string  `json:"id"`
	ConversationID string  `json:"conversation_id"`
	Seq            int64   `json:"seq"`
	Kind           string  `json:"kind"`
	SenderType     string  `json:"sender_type"`
	SenderID       *string `json:"sender_id"`
	Text           string  `json:"text"`
	ClientID       *string `json:"client_id"`
}

type serverFrame struct {
	Type     string          `json:"type"`
	Seq      int64           `json:"seq"`
	ClientID string          `json:"client_id"`
	Data     json.RawMessage `json:"data"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// socketDriver keeps one visitor socket open across fuzz inputs.
type socketDriver struct {
	e              *apitest.Env
	acc            apitest.Account
	visitor        apitest.Visitor
	ws             *websocket.Conn
	syncPrefix     string
	syncN          int
	conversationID string
	// lastSeq is the seq of the last message stored in the conversation.
	lastSeq int64
	// acked are the fuzzed messages stored so far, by client_id.
	acked map[string]message
}

func (d *socketDriver) dial() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(d.e.URL, "http") + "/widget/v1/stream?token=" + d.visitor.Token
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return err
	}
	ws.SetReadLimit(4 << 20)
	d.ws = ws
	return nil
}

func (d *socketDriver) write(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.ws.Write(ctx, websocket.MessageText, data)
}

// read reads one frame and checks that it is a JSON object with a type that
// a visitor may receive, about the visitor's own conversation.
func (d *socketDriver) read() (serverFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	typ, b, err := d.ws.Read(ctx)
	if err != nil {
		return serverFrame{}, err
	}
	if typ != websocket.MessageText || !json.Valid(b) {
		return serverFrame{}, fmt.Errorf("server sent a frame that is not JSON text (type %v): %q", typ, b)
	}
	var fr serverFrame
	if err := json.Unmarshal(b, &fr); err != nil {
		return serverFrame{}, fmt.Errorf("server frame %s: %v", b, err)
	}
	switch fr.Type {
	case "ack":
	case "error":
		if fr.Error == nil || fr.Error.Code == "" {
			return fr, fmt.Errorf("error frame without error.code: %s", b)
		}
	case "message.created":
		var m message
		if err := json.Unmarshal(fr.Data, &m); err != nil {
			return fr, fmt.Errorf("message.created data: %v: %s", err, b)
		}
		if m.Kind == "note" || (d.conversationID != "" && m.ConversationID != d.conversationID) || m.Seq != fr.Seq {
			return fr, fmt.Errorf("visitor got a message.created that is not theirs to see: %s", b)
		}
	case "conversation.updated":
		var c struct {
			ID          string   `json:"id"`
			LastMessage *message `json:"last_message"`
		}
		if err := json.Unmarshal(fr.Data, &c); err != nil {
			return fr, fmt.Errorf("conversation.updated data: %v: %s", err, b)
		}
		if d.conversationID != "" && c.ID != d.conversationID {
			return fr, fmt.Errorf("visitor got another conversation: %s", b)
		}
		if m := c.LastMessage; m != nil && (m.Kind == "note" || m.ConversationID != c.ID) {
			return fr, fmt.Errorf("conversation.updated shows the visitor a message it must not see: %s", b)
		}
	default:
		return fr, fmt.Errorf("unexpected frame type %q for a visitor: %s", fr.Type, b)
	}
	return fr, nil
}

// sync sends a valid message and reads until its ack. It returns the stored
// message and the replies (acks and errors) to other frames read meanwhile.
func (d *socketDriver) syncReplies() (message, []serverFrame, error) {
	d.syncN++
	id := fmt.Sprintf("%s%d", d.syncPrefix, d.syncN)
	b, _ := json.Marshal(map[string]string{"type": "message.send", "client_id": id, "text": fmt.Sprintf("still there? %d", d.syncN)})
	if err := d.write(b); err != nil {
		return message{}, nil, fmt.Errorf("send %s: %w", id, err)
	}
	var replies []serverFrame
	for {
		fr, err := d.read()
		if err != nil {
			return message{}, replies, fmt.Errorf("waiting for the ack of %s: %w", id, err)
		}
		if fr.Type != "ack" && fr.Type != "error" {
			continue
		}
		if fr.ClientID != id {
			replies = append(replies, fr)
			continue
		}
		if fr.Type == "error" {
			return message{}, replies, fmt.Errorf("valid message %s refused: %s %s", id, fr.Error.Code, fr.Error.Message)
		}
		var m message
		if err := json.Unmarshal(fr.Data, &m); err != nil {
			return message{}, replies, fmt.Errorf("ack data: %v", err)
		}
		if m.ClientID == nil || *m.ClientID != id || m.Seq <= d.lastSeq {
			return m, replies, fmt.Errorf("ack of %s carries %+v, want a new message with that client_id", id, m)
		}
		return m, replies, nil
	}
}

func (d *socketDriver) sync() (message, error) {
	m, replies, err := d.syncReplies()
	if err == nil && len(replies) > 0 {
		err = fmt.Errorf("unexpected replies before the ack: %+v", replies)
	}
	return m, err
}

// stored lists the conversation's messages after seq (agent view).
func (d *socketDriver) stored(after int64) ([]message, error) {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/conversations/%s/messages?after_seq=%d&limit=200", d.e.URL, d.conversationID, after), nil)
	req.Header.Set("Authorization", "Bearer "+d.acc.OwnerToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list messages: %d %s", res.StatusCode, b)
	}
	var page struct {
		Items []message `json:"items"`
	}
	err = json.Unmarshal(b, &page)
	return page.Items, err
}

// checkStored checks that exactly want (in order) was stored after the
// previous sync message.
func (d *socketDriver) checkStored(t *testing.T, what string, after int64, want ...message) {
	t.Helper()
	got, err := d.stored(after)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	list := func(ms []message) string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%d:%s:%.40q", m.Seq, m.ID, m.Text))
		}
		return strings.Join(out, ", ")
	}
	if g, w := list(got), list(want); g != w {
		t.Fatalf("%s: messages stored after seq %d = [%s], want [%s]", what, after, g, w)
	}
}

// frame sends one fuzzed frame of at most 64 KiB and checks the answer.
func (d *socketDriver) frame(t *testing.T, data []byte) {
	if err := d.write(data); err != nil {
		t.Fatalf("send fuzzed frame: %v", err)
	}
	after := d.lastSeq
	syncMsg, replies, err := d.syncReplies()
	if err != nil {
		t.Fatalf("after the frame %q: %v", clip(data), err)
	}
	d.lastSeq = syncMsg.Seq
	f, parseErr := widgetapi.ParseFrame(data)
	reply := func() serverFrame {
		t.Helper()
		if len(replies) != 1 {
			t.Fatalf("frame %q got %d replies %+v, want exactly one", clip(data), len(replies), replies)
		}
		return replies[0]
	}
	wantError := func(clientID string, codes ...string) {
		t.Helper()
		r := reply()
		if r.Type != "error" || r.ClientID != clientID {
			t.Fatalf("frame %q got %s for client_id %q, want an error frame for client_id %q", clip(data), r.Type, r.ClientID, clientID)
		}
		for _, c := range codes {
			if r.Error.Code == c {
				return
			}
		}
		t.Fatalf("frame %q got error %s (%s), want one of %v", clip(data), r.Error.Code, r.Error.Message, codes)
	}
	switch {
	case parseErr != nil:
		wantError("", "bad_request")
	case f.Type == "message.send" && f.ClientID == "":
		wantError("", "invalid")
	case f.Type == "message.send":
		d.messageSend(t, data, f.ClientID, f.Text, reply(), after, syncMsg)
		return
	case f.Type == "typing" || f.Type == "page.view":
		if len(replies) != 0 {
			t.Fatalf("frame %q got replies %+v, want none", clip(data), replies)
		}
	default:
		wantError(f.ClientID, "bad_request")
	}
	d.checkStored(t, "after an invalid frame", after, syncMsg)
}

// messageSend checks the answer to a message.send with a client_id.
func (d *socketDriver) messageSend(t *testing.T, data []byte, clientID, text string, r serverFrame, after int64, syncMsg message) {
	t.Helper()
	if r.ClientID != clientID {
		t.Fatalf("frame %q: reply is for client_id %q, want %q", clip(data), r.ClientID, clientID)
	}
	if first, ok := d.acked[clientID]; ok {
		// The same client_id again, whatever the text: the first
		// message, and nothing stored.
		var m message
		if r.Type != "ack" || json.Unmarshal(r.Data, &m) != nil || m.ID != first.ID || m.Text != first.Text {
			t.Fatalf("client_id %q again got %s %s, want the ack of the first message %+v", clientID, r.Type, r.Data, first)
		}
		d.checkStored(t, "after a repeated client_id", after, syncMsg)
		return
	}
	// The rules of a message: client_id at most 100 bytes, text 1 to
	// 10,000 code points, not blank, and neither with NUL (which
	// PostgreSQL cannot store).
	valid := len(clientID) <= 100 && utf8.RuneCountInString(text) <= widgetapi.MaxTextRune && strings.TrimSpace(text) != "" &&
		!strings.ContainsRune(text, 0) && !strings.ContainsRune(clientID, 0)
	if r.Type == "error" {
		if valid {
			t.Fatalf("frame %q: a valid message was refused: %s (%s)", clip(data), r.Error.Code, r.Error.Message)
		}
		if r.Error.Code != "invalid" && r.Error.Code != "too_large" {
			t.Fatalf("frame %q: refused with %s (%s), want invalid or too_large", clip(data), r.Error.Code, r.Error.Message)
		}
		d.checkStored(t, "after a refused message", after, syncMsg)
		return
	}
	if !valid {
		t.Fatalf("frame %q: an invalid message was acknowledged: %s", clip(data), r.Data)
	}
	var m message
	if err := json.Unmarshal(r.Data, &m); err != nil {
		t.Fatalf("ack data %s: %v", r.Data, err)
	}
	if m.ClientID == nil || *m.ClientID != clientID || m.ConversationID != d.conversationID || m.Kind != "text" || m.SenderType != "visitor" {
		t.Fatalf("frame %q: ack carries %+v", clip(data), m)
	}
	d.acked[clientID] = m
	if want := mask.Cards(text); m.Text != want {
		t.Fatalf("frame %q: stored text %q, want %q", clip(data), m.Text, want)
	}
	d.checkStored(t, "after a new message", after, m, syncMsg)
}

// oversized sends a frame over 64 KiB: the server must close the socket
// with 1009 (message too big), stay up, store nothing, and accept a new
// socket.
func (d *socketDriver) oversized(t *testing.T, data []byte) {
	d.write(data) // the server may close before it has read it all
	for {
		_, err := d.read()
		if err == nil {
			continue // events of earlier messages still on their way
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("frame of %d bytes: socket ended with %v, want a close frame", len(data), err)
		}
		if ce.Code != websocket.StatusMessageTooBig {
			t.Fatalf("frame of %d bytes: closed with %d %q, want %d (message too big)", len(data), ce.Code, ce.Reason, websocket.StatusMessageTooBig)
		}
		break
	}
	d.ws.CloseNow()
	res, err := http.Get(d.e.URL + "/healthz")
	if err != nil {
		t.Fatalf("server down after a frame of %d bytes: %v", len(data), err)
	}
	res.Body.Close()
	if err := d.dial(); err != nil {
		t.Fatalf("reconnect after a frame of %d bytes: %v", len(data), err)
	}
	after := d.lastSeq
	m, err := d.sync()
	if err != nil {
		t.Fatalf("new socket after a frame of %d bytes: %v", len(data), err)
	}
	d.lastSeq = m.Seq
	d.checkStored(t, "after an oversized frame", after, m)
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + fmt.Sprintf("…(%d bytes)", len(b))
	}
	return string(b)
}
