package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apitest"
)

func TestLiveAgentStream(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	_, conv := e.NewConversation(acc, "hello")

	// Without after_seq a socket gets live events only, but every event
	// committed once the socket is open is live: a change made right after
	// the dial returns must arrive. Repeated, since a gap is a race.
	t.Run("a socket without after_seq gets a change made right after it opened", func(t *testing.T) {
		missed := 0
		for range 60 {
			ws, _, err := e.Dial("/api/v1/stream", http.Header{"Authorization": {"Bearer " + acc.OwnerToken}})
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			m := postNote(e, acc.OwnerToken, conv, "now")
			for {
				f, err := apitest.Read(ws, 2*time.Second)
				if err != nil {
					missed++
					break
				}
				if f.Type == "message.created" && str(f.Object(t), "id") == str(m, "id") {
					break
				}
			}
			ws.CloseNow()
		}
		if missed > 0 {
			t.Errorf("%d of 60 sockets missed the change made right after they opened, want none", missed)
		}
	})
}
