package widgetapi

import (
	"context"
	"encoding/json"

	"github.com/parley-chat/parley/internal/contact"
	"github.com/parley-chat/parley/internal/event"
)

// arrived tells the account's agents what a visitor on the site is doing
// now (the "Visitors" page): on connecting, on every page and after
// identifying. The visitor is re-read because identify may have moved it
// onto another contact.
func (a *API) arrived(ctx context.Context, v contact.Visitor) {
	if !a.Hub.HasAgents(v.AccountID) {
		return // nobody to tell: spare the query
	}
	vs, err := a.Contacts.Online(ctx, v.AccountID, []string{v.ID})
	if err != nil || len(vs) == 0 {
		if err != nil {
			a.rare.warn("visitor_online_failed", "visitor_id", v.ID, "err", err)
		}
		return
	}
	b, _ := json.Marshal(vs[0])
	a.Hub.Publish(&event.Event{AccountID: v.AccountID, AgentFrame: event.Frame("visitor.online", 0, b)})
}

// left tells the agents the visitor's last chat box closed.
func (a *API) left(v contact.Visitor) {
	if !a.Hub.HasAgents(v.AccountID) {
		return
	}
	b, _ := json.Marshal(map[string]string{"visitor_id": v.ID})
	a.Hub.Publish(&event.Event{AccountID: v.AccountID, AgentFrame: event.Frame("visitor.offline", 0, b)})
}
