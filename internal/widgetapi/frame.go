package widgetapi

import "encoding/json"

// clientFrame is one frame the chat box sends over its socket: message.send
// (client_id, text), typing (on) or page.view (url, title, referrer).
type clientFrame struct {
	Type     string `json:"type"`
	ClientID string `json:"client_id"`
	Text     string `json:"text"`
	On       bool   `json:"on"`
	URL      string `json:"url"`
	Title    string `json:"title"`
	Referrer string `json:"referrer"`
}

// parseFrame decodes a client frame. It only decodes: the frame handler
// checks the type and the fields. An error means the frame is not JSON of
// the expected shape.
func parseFrame(data []byte) (clientFrame, error) {
	var f clientFrame
	err := json.Unmarshal(data, &f)
	return f, err
}
