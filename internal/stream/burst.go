package stream

import (
	"net"
	"sync"
	"time"
)

// maxBurst bounds the bytes a burst gathers before they are sent anyway.
const maxBurst = 64 << 10

// burstWriter sits under a socket's WebSocket writer. While a burst is held
// (the drain goroutine writing the events that arrived together, a replay)
// the frames' bytes are gathered and leave in one system call when the
// burst ends, instead of one or two per frame: a committed batch of
// messages reaches an agent in one write. Bytes written by others meanwhile
// (an ack, a ping) join the burst in order. Outside bursts it writes
// through. The buffer is taken from a pool only for a burst, so an idle
// socket holds none.
type burstWriter struct {
	conn    net.Conn
	mu      sync.Mutex
	held    int
	buf     *[]byte
	timeout time.Duration // for a gathered burst to leave; 0: WriteTimeout
}

var burstBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (b *burstWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held > 0 {
		if b.buf == nil {
			b.buf = burstBufs.Get().(*[]byte)
		}
		if len(*b.buf)+len(p) <= maxBurst {
			*b.buf = append(*b.buf, p...)
			return len(p), nil
		}
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
	}
	// The WebSocket writer bounds this write with its context (closing the
	// connection when it ends).
	return b.conn.Write(p)
}

// setTimeout sets the time a gathered burst may take to leave.
func (b *burstWriter) setTimeout(d time.Duration) {
	b.mu.Lock()
	b.timeout = d
	b.mu.Unlock()
}

// hold starts a burst.
func (b *burstWriter) hold() {
	b.mu.Lock()
	b.held++
	b.mu.Unlock()
}

// release ends a burst and sends what it gathered, within the timeout.
func (b *burstWriter) release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held--
	if b.held > 0 {
		return nil
	}
	return b.flushLocked()
}

func (b *burstWriter) flushLocked() error {
	if b.buf == nil {
		return nil
	}
	var err error
	if len(*b.buf) > 0 {
		timeout := b.timeout
		if timeout <= 0 {
			timeout = WriteTimeout
		}
		b.conn.SetWriteDeadline(time.Now().Add(timeout))
		_, err = b.conn.Write(*b.buf)
		b.conn.SetWriteDeadline(time.Time{})
	}
	if cap(*b.buf) <= maxBurst {
		*b.buf = (*b.buf)[:0]
		burstBufs.Put(b.buf)
	}
	b.buf = nil
	return err
}
