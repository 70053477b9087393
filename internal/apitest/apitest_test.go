package apitest

import (
	"net/http"
	"testing"
	"time"
)

func TestHarnessRunsAConversation(t *testing.T) {
	e := New(t)
	acc := e.NewAccount()
	ws, _, err := e.Dial("/api/v1/stream?after_seq=0", http.Header{"Authorization": {"Bearer " + acc.OwnerToken}})
	if err != nil {
		t.Fatalf("dial agent stream: %v", err)
	}
	v := e.NewVisitor(acc)
	m := e.VisitorSays(v, "hello")
	f, err := Read(ws, 5*time.Second)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if f.Type != "message.created" || f.Seq != int64(m["seq"].(float64)) {
		t.Fatalf("first frame = %s seq %d, want message.created seq %v", f.Type, f.Seq, m["seq"])
	}
}
