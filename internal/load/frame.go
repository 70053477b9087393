package load

import (
	"bytes"
	"errors"
	"strconv"
)

// The load clients read tens of thousands of frames a second on the same
// cores as the server, so they pick the few fields they need out of the raw
// JSON instead of decoding whole frames.

var errBadJSON = errors.New("frame is not a JSON object")

// frame is what a client needs of a stream frame. Its byte slices point
// into the frame read.
type frame struct {
	Type     []byte
	Seq      int64
	ClientID []byte // of an ack or error frame
	Data     []byte // raw JSON
}

// message is what a client needs of a Message.
type message struct {
	ID             []byte
	ConversationID []byte
	Seq            int64
	SenderType     []byte
	ClientID       []byte // nil when null
}

func parseFrame(b []byte) (frame, error) {
	var f frame
	err := eachField(b, func(key, val []byte) error {
		switch string(key) {
		case "type":
			f.Type = unquote(val)
		case "seq":
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil {
				return err
			}
			f.Seq = n
		case "client_id":
			f.ClientID = unquote(val)
		case "data":
			f.Data = val
		}
		return nil
	})
	return f, err
}

func parseMessage(b []byte) (message, error) {
	var m message
	err := eachField(b, func(key, val []byte) error {
		switch string(key) {
		case "id":
			m.ID = unquote(val)
		case "conversation_id":
			m.ConversationID = unquote(val)
		case "seq":
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil {
				return err
			}
			m.Seq = n
		case "sender_type":
			m.SenderType = unquote(val)
		case "client_id":
			m.ClientID = unquote(val)
		}
		return nil
	})
	return m, err
}

// unquote returns the contents of a JSON string without escapes, or nil
// for anything else (null, or a string with escapes, which the load
// tool's own identifiers never have).
func unquote(v []byte) []byte {
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return nil
	}
	return v[1 : len(v)-1]
}

// eachField calls fn with each key (raw, as written) and raw value of the
// JSON object b, at its top level only.
func eachField(b []byte, fn func(key, val []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errBadJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errBadJSON
		}
		end, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return errBadJSON
		}
		i = skipSpace(b, i+1)
		end, err = skipValue(b, i)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:end]); err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return errBadJSON
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errBadJSON
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i].
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errBadJSON
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errBadJSON
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
		j++
	}
	if j == i {
		return 0, errBadJSON
	}
	return j, nil
}
