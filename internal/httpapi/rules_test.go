package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apitest"
)

func TestResolve(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	admin := env.NewAgent(acc, "admin", "Adam Admin")
	assignee := env.NewAgent(acc, "agent", "Alice Assignee")
	other := env.NewAgent(acc, "agent", "Bob Bystander")

	cases := []struct {
		name     string
		actor    apitest.Person
		assigned bool // to assignee
		allowed  bool
	}{
		{"the owner resolves an unassigned conversation", owner, false, true},
		{"the owner resolves a conversation assigned to an agent", owner, true, true},
		{"an admin resolves an unassigned conversation", admin, false, true},
		{"an admin resolves a conversation assigned to an agent", admin, true, true},
		{"the assignee resolves its conversation", assignee, true, true},
		{"an agent may not resolve an unassigned conversation", other, false, false},
		{"an agent who is not the assignee may not resolve the conversation", other, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := env.For(t)
			_, conv := e.NewConversation(acc, "Where is my parcel?")
			var wantAssignee any
			if tc.assigned {
				assign(e, owner.Token, conv, assignee.ID)
				wantAssignee = assignee.ID
			}
			before := e.ConversationOf(owner.Token, conv)
			msgs := e.MessagesOf(owner.Token, conv)
			ws := e.AgentStream(acc.ID, owner.Token)

			r := e.Do("POST", "/api/v1/conversations/"+conv+"/resolve", tc.actor.Token, nil)
			if !tc.allowed {
				wantError(t, r, http.StatusForbidden, "forbidden")
				wantUnchanged(t, e, ws, owner.Token, conv, before, msgs)
				return
			}
			if r.Status != http.StatusOK {
				t.Fatalf("resolve = %d %s, want 200", r.Status, r.Body)
			}
			c := r.Map(t)
			if str(c, "id") != conv || str(c, "status") != "resolved" || str(c, "resolved_by") != tc.actor.ID || !recent(str(c, "resolved_at")) || c["assignee_id"] != wantAssignee {
				t.Errorf("resolved conversation = %v, want id %s status resolved, resolved_by %s, resolved_at set, assignee_id %v", c, conv, tc.actor.ID, wantAssignee)
			}
			if got := e.ConversationOf(owner.Token, conv); str(got, "status") != "resolved" || str(got, "resolved_by") != tc.actor.ID || got["assignee_id"] != wantAssignee {
				t.Errorf("GET after resolve = %v, want status resolved, resolved_by %s, assignee_id %v", got, tc.actor.ID, wantAssignee)
			}
			u := wantOneEvent(t, e, ws, owner.Token, conv, msgs, tc.actor.Name)
			if str(u, "status") != "resolved" {
				t.Errorf("conversation.updated status = %q, want resolved", str(u, "status"))
			}

			// Resolving again is a no-op.
			resolved := e.ConversationOf(owner.Token, conv)
			msgs = e.MessagesOf(owner.Token, conv)
			again := e.Do("POST", "/api/v1/conversations/"+conv+"/resolve", tc.actor.Token, nil)
			if again.Status != http.StatusOK {
				t.Fatalf("resolve of a resolved conversation = %d %s, want 200", again.Status, again.Body)
			}
			if c := again.Map(t); str(c, "status") != "resolved" || c["resolved_at"] != resolved["resolved_at"] || c["resolved_by"] != resolved["resolved_by"] {
				t.Errorf("second resolve = %v, want it as resolved before: %v", c, resolved)
			}
			wantUnchanged(t, e, ws, owner.Token, conv, resolved, msgs)
		})
	}
}

func TestAssign(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	admin := env.NewAgent(acc, "admin", "Adam Admin")
	alice := env.NewAgent(acc, "agent", "Alice Agent")
	bob := env.NewAgent(acc, "agent", "Bob Agent")
	stranger := env.NewAccount() // another account
	people := map[string]apitest.Person{owner.ID: owner, admin.ID: admin, alice.ID: alice, bob.ID: bob}

	cases := []struct {
		name   string
		actor  apitest.Person
		from   string // assignee before ("" none)
		to     string // agent_id sent ("" null)
		status int
		code   string
	}{
		{"the owner assigns an unassigned conversation to an agent", owner, "", alice.ID, http.StatusOK, ""},
		{"an admin assigns an unassigned conversation to an agent", admin, "", bob.ID, http.StatusOK, ""},
		{"an admin assigns an unassigned conversation to itself", admin, "", admin.ID, http.StatusOK, ""},
		{"an admin reassigns a conversation to another agent", admin, alice.ID, bob.ID, http.StatusOK, ""},
		{"the owner reassigns a conversation to another agent", owner, bob.ID, alice.ID, http.StatusOK, ""},
		{"an admin unassigns a conversation", admin, alice.ID, "", http.StatusOK, ""},
		{"the owner unassigns a conversation", owner, bob.ID, "", http.StatusOK, ""},
		{"an agent takes an unassigned conversation for itself", alice, "", alice.ID, http.StatusOK, ""},
		{"an agent may not assign an unassigned conversation to another agent", alice, "", bob.ID, http.StatusForbidden, "forbidden"},
		{"an agent may not take a conversation assigned to another agent", alice, bob.ID, alice.ID, http.StatusForbidden, "forbidden"},
		{"an agent may not hand its conversation to another agent", alice, alice.ID, bob.ID, http.StatusForbidden, "forbidden"},
		{"an agent may not reassign another agent's conversation", alice, bob.ID, admin.ID, http.StatusForbidden, "forbidden"},
		{"an agent may not unassign its own conversation", alice, alice.ID, "", http.StatusForbidden, "forbidden"},
		{"an agent may not unassign another agent's conversation", alice, bob.ID, "", http.StatusForbidden, "forbidden"},
		{"an admin may not assign another account's agent", admin, "", stranger.OwnerID, http.StatusNotFound, "not_found"},
		{"the owner may not assign another account's agent", owner, alice.ID, stranger.OwnerID, http.StatusNotFound, "not_found"},
		{"an agent may not assign another account's agent", alice, "", stranger.OwnerID, http.StatusNotFound, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := env.For(t)
			_, conv := e.NewConversation(acc, "Can someone help me?")
			if tc.from != "" {
				assign(e, owner.Token, conv, tc.from)
			}
			before := e.ConversationOf(owner.Token, conv)
			msgs := e.MessagesOf(owner.Token, conv)
			ws := e.AgentStream(acc.ID, owner.Token)

			var agentID any
			if tc.to != "" {
				agentID = tc.to
			}
			r := e.Do("POST", "/api/v1/conversations/"+conv+"/assign", tc.actor.Token, map[string]any{"agent_id": agentID})
			if tc.status != http.StatusOK {
				wantError(t, r, tc.status, tc.code)
				wantUnchanged(t, e, ws, owner.Token, conv, before, msgs)
				return
			}
			if r.Status != http.StatusOK {
				t.Fatalf("assign = %d %s, want 200", r.Status, r.Body)
			}
			if c := r.Map(t); c["assignee_id"] != agentID || str(c, "status") != "open" {
				t.Errorf("assign answered %v, want assignee_id %v and status open", c, agentID)
			}
			if c := e.ConversationOf(owner.Token, conv); c["assignee_id"] != agentID {
				t.Errorf("GET after assign: assignee_id = %v, want %v", c["assignee_id"], agentID)
			}
			u := wantOneEvent(t, e, ws, owner.Token, conv, msgs, tc.actor.Name)
			if u["assignee_id"] != agentID {
				t.Errorf("conversation.updated assignee_id = %v, want %v", u["assignee_id"], agentID)
			}
			// The new assignee finds it under Mine; nobody finds it under
			// Unassigned any more (or again, after unassigning).
			if tc.to != "" {
				if mine := listIDs(e, people[tc.to].Token, "view=mine"); !slices.Contains(mine, conv) {
					t.Errorf("view=mine of the assignee = %v, want it to hold %s", mine, conv)
				}
			}
			if un := listIDs(e, owner.Token, "view=unassigned"); slices.Contains(un, conv) != (tc.to == "") {
				t.Errorf("view=unassigned = %v, holding %s = %v, want %v", un, conv, !(tc.to == ""), tc.to == "")
			}
		})
	}
}

func TestReopen(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	alice := env.NewAgent(acc, "agent", "Alice Agent")
	bob := env.NewAgent(acc, "agent", "Bob Agent")

	t.Run("any agent reopens a resolved conversation, which keeps its assignee", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "Thanks, bye")
		assign(e, owner.Token, conv, alice.ID)
		resolve(e, alice.Token, conv)
		msgs := e.MessagesOf(owner.Token, conv)
		ws := e.AgentStream(acc.ID, owner.Token)

		r := e.Do("POST", "/api/v1/conversations/"+conv+"/reopen", bob.Token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("reopen = %d %s, want 200", r.Status, r.Body)
		}
		c := r.Map(t)
		if str(c, "id") != conv || str(c, "status") != "open" || c["resolved_at"] != nil || str(c, "assignee_id") != alice.ID {
			t.Errorf("reopened conversation = %v, want id %s status open, resolved_at null, assignee_id %s", c, conv, alice.ID)
		}
		if got := e.ConversationOf(owner.Token, conv); str(got, "status") != "open" || got["resolved_at"] != nil || str(got, "assignee_id") != alice.ID {
			t.Errorf("GET after reopen = %v, want status open, resolved_at null, assignee_id %s", got, alice.ID)
		}
		u := wantOneEvent(t, e, ws, owner.Token, conv, msgs, bob.Name)
		if str(u, "status") != "open" {
			t.Errorf("conversation.updated status = %q, want open", str(u, "status"))
		}
	})

	t.Run("reopening an open conversation changes nothing", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "Hello")
		before := e.ConversationOf(owner.Token, conv)
		msgs := e.MessagesOf(owner.Token, conv)
		ws := e.AgentStream(acc.ID, owner.Token)
		r := e.Do("POST", "/api/v1/conversations/"+conv+"/reopen", bob.Token, nil)
		if r.Status != http.StatusOK || str(r.Map(t), "status") != "open" {
			t.Fatalf("reopen of an open conversation = %d %s, want 200 with status open", r.Status, r.Body)
		}
		wantUnchanged(t, e, ws, owner.Token, conv, before, msgs)
	})
}

func TestAutomaticReopen(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	alice := env.NewAgent(acc, "agent", "Alice Agent")

	for _, over := range []string{"HTTP", "the visitor socket"} {
		t.Run("a visitor writing over "+over+" into a resolved conversation reopens it", func(t *testing.T) {
			e := env.For(t)
			v, conv := e.NewConversation(acc, "My order is late")
			assign(e, owner.Token, conv, alice.ID)
			resolve(e, alice.Token, conv)
			msgs := e.MessagesOf(owner.Token, conv)
			ws := e.AgentStream(acc.ID, owner.Token)

			var m map[string]any
			if over == "HTTP" {
				m = e.VisitorSays(v, "It is still not here")
			} else {
				vws := e.VisitorStream(acc.ID, v)
				m = sendWS(t, vws, newClientID(), "It is still not here")
			}
			if str(m, "conversation_id") != conv {
				t.Fatalf("visitor message went into %s, want the resolved conversation %s", str(m, "conversation_id"), conv)
			}

			frames := apitest.Until(t, ws, func(f apitest.Frame) bool { return f.Type == "conversation.updated" })
			sawText := false
			for _, f := range frames[:len(frames)-1] {
				if d := f.Object(t); f.Type == "message.created" && str(d, "id") == str(m, "id") {
					sawText = true
					if str(d, "text") != "It is still not here" || str(d, "sender_type") != "visitor" {
						t.Errorf("message.created = %v, want the visitor's text", d)
					}
				}
			}
			if !sawText {
				t.Errorf("frames before conversation.updated = %v, want the visitor's message.created among them", frames)
			}
			u := frames[len(frames)-1].Object(t)
			if str(u, "id") != conv || str(u, "status") != "open" || str(u, "assignee_id") != alice.ID {
				t.Errorf("conversation.updated = %v, want %s open and still assigned to %s", u, conv, alice.ID)
			}

			c := e.ConversationOf(owner.Token, conv)
			if str(c, "status") != "open" || c["resolved_at"] != nil || str(c, "assignee_id") != alice.ID {
				t.Errorf("conversation after the visitor wrote = %v, want status open, resolved_at null, assignee_id %s", c, alice.ID)
			}
			added := newMessages(msgs, e.MessagesOf(owner.Token, conv))
			events := 0
			for _, a := range added {
				if str(a, "kind") == "event" {
					events++
					if !strings.Contains(strings.ToLower(str(a, "text")), "visitor") {
						t.Errorf("event message %q, want it to say the visitor reopened the conversation", str(a, "text"))
					}
				}
			}
			if len(added) != 2 || events != 1 {
				t.Errorf("messages added = %v, want the visitor's text and one event message", added)
			}
		})
	}
}

func TestViewsAndCounts(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	owner := acc.Owner()
	alice := e.NewAgent(acc, "agent", "Alice Agent")
	bob := e.NewAgent(acc, "agent", "Bob Agent")

	// Six conversations; visitors write in a known order at the end so the
	// order by last_message_at is known.
	v1, c1 := e.NewConversation(acc, "one")
	v2, c2 := e.NewConversation(acc, "two")
	v3, c3 := e.NewConversation(acc, "three")
	v4, c4 := e.NewConversation(acc, "four")
	_, c5 := e.NewConversation(acc, "five")
	_, c6 := e.NewConversation(acc, "six")
	assign(e, owner.Token, c2, alice.ID)
	assign(e, owner.Token, c3, bob.ID)
	assign(e, owner.Token, c5, alice.ID)
	resolve(e, alice.Token, c5)
	resolve(e, owner.Token, c6)
	e.VisitorSays(v2, "two again")
	e.VisitorSays(v3, "three again")
	e.VisitorSays(v4, "four again")
	e.VisitorSays(v1, "one again")

	open := []string{c1, c4, c3, c2}
	resolved := []string{c6, c5}
	cases := []struct {
		who   apitest.Person
		query string
		want  []string
	}{
		{owner, "", open},
		{owner, "status=open&view=all", open},
		{owner, "view=unassigned", []string{c1, c4}},
		{owner, "view=mine", []string{}},
		{owner, "view=others", []string{c3, c2}},
		{alice, "view=mine", []string{c2}},
		{alice, "view=others", []string{c3}},
		{alice, "view=unassigned", []string{c1, c4}},
		{bob, "status=open&view=mine", []string{c3}},
		{bob, "view=others", []string{c2}},
		{bob, "view=all", open},
		{owner, "status=resolved", resolved},
		{alice, "status=resolved&view=mine", resolved},
		{bob, "status=resolved&view=unassigned", resolved},
		{owner, "status=resolved&view=others", resolved},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s lists %q newest first", tc.who.Name, tc.query), func(t *testing.T) {
			e := e.For(t)
			var page struct {
				Items      []map[string]any `json:"items"`
				NextCursor string           `json:"next_cursor"`
			}
			e.Must(http.StatusOK, "GET", "/api/v1/conversations?"+tc.query, tc.who.Token, nil).JSON(t, &page)
			got := []string{}
			for i, c := range page.Items {
				got = append(got, str(c, "id"))
				if i > 0 && at(t, c, "last_message_at").After(at(t, page.Items[i-1], "last_message_at")) {
					t.Errorf("item %d last_message_at %s is newer than item %d's %s", i, str(c, "last_message_at"), i-1, str(page.Items[i-1], "last_message_at"))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
			if page.NextCursor != "" {
				t.Errorf("next_cursor = %q, want empty on the only page", page.NextCursor)
			}
		})
	}

	type counts struct {
		Open struct {
			All, Unassigned, Mine, Others int
		} `json:"open"`
		Resolved int `json:"resolved"`
	}
	countCases := []struct {
		who                                     apitest.Person
		all, unassigned, mine, others, resolved int
	}{
		{owner, 4, 2, 0, 2, 2},
		{alice, 4, 2, 1, 1, 2},
		{bob, 4, 2, 1, 1, 2},
	}
	for _, tc := range countCases {
		t.Run(fmt.Sprintf("%s counts the views", tc.who.Name), func(t *testing.T) {
			var got counts
			e.For(t).Must(http.StatusOK, "GET", "/api/v1/conversations/counts", tc.who.Token, nil).JSON(t, &got)
			if got.Open.All != tc.all || got.Open.Unassigned != tc.unassigned || got.Open.Mine != tc.mine || got.Open.Others != tc.others || got.Resolved != tc.resolved {
				t.Errorf("counts = %+v, want open all %d unassigned %d mine %d others %d, resolved %d", got, tc.all, tc.unassigned, tc.mine, tc.others, tc.resolved)
			}
		})
	}

	t.Run("an unknown status or view is a bad request", func(t *testing.T) {
		e := e.For(t)
		wantError(t, e.Do("GET", "/api/v1/conversations?status=closed", owner.Token, nil), http.StatusBadRequest, "bad_request")
		wantError(t, e.Do("GET", "/api/v1/conversations?view=everything", owner.Token, nil), http.StatusBadRequest, "bad_request")
	})
}

func TestPaging(t *testing.T) {
	e := apitest.New(t)
	acc := e.NewAccount()
	owner := acc.Owner()

	// 205 open conversations, made through the services to stay fast.
	ctx := context.Background()
	const total = 205
	for i := range total {
		v, _, err := e.Server.Contacts.Session(ctx, acc.ID, "", "192.0.2.1", "test", nil)
		if err != nil {
			t.Fatalf("new visitor: %v", err)
		}
		if _, _, err := e.Server.Conversations.PostVisitorMessage(ctx, v, fmt.Sprintf("hello %d", i), ""); err != nil {
			t.Fatalf("visitor message: %v", err)
		}
	}

	type page struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	for _, limit := range []int{50, 64, 200} {
		t.Run(fmt.Sprintf("pages of %d walk every conversation once, newest first", limit), func(t *testing.T) {
			e := e.For(t)
			seen := map[string]bool{}
			var all []map[string]any
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > total {
					t.Fatalf("still paging after %d pages", pages)
				}
				var p page
				e.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/conversations?limit=%d&cursor=%s", limit, cursor), owner.Token, nil).JSON(t, &p)
				if len(p.Items) > limit {
					t.Fatalf("page has %d items, want at most %d", len(p.Items), limit)
				}
				for _, c := range p.Items {
					if seen[str(c, "id")] {
						t.Errorf("conversation %s came twice", str(c, "id"))
					}
					seen[str(c, "id")] = true
					all = append(all, c)
				}
				if p.NextCursor == "" {
					break
				}
				if len(p.Items) != limit {
					t.Errorf("a page before the last has %d items, want %d", len(p.Items), limit)
				}
				cursor = p.NextCursor
			}
			if len(seen) != total {
				t.Errorf("walked %d conversations, want %d", len(seen), total)
			}
			for i := 1; i < len(all); i++ {
				if at(t, all[i], "last_message_at").After(at(t, all[i-1], "last_message_at")) {
					t.Fatalf("item %d is newer than item %d: %s > %s", i, i-1, str(all[i], "last_message_at"), str(all[i-1], "last_message_at"))
				}
			}
		})
	}

	t.Run("a limit above 200 is clamped to 200", func(t *testing.T) {
		e := e.For(t)
		var p page
		e.Must(http.StatusOK, "GET", "/api/v1/conversations?limit=1000", owner.Token, nil).JSON(t, &p)
		if len(p.Items) != 200 || p.NextCursor == "" {
			t.Fatalf("limit=1000 gave %d items, next_cursor %q; want 200 and a cursor", len(p.Items), p.NextCursor)
		}
		var rest page
		e.Must(http.StatusOK, "GET", "/api/v1/conversations?limit=1000&cursor="+p.NextCursor, owner.Token, nil).JSON(t, &rest)
		if len(rest.Items) != total-200 || rest.NextCursor != "" {
			t.Errorf("second page gave %d items, next_cursor %q; want %d and none", len(rest.Items), rest.NextCursor, total-200)
		}
	})

	t.Run("without a limit a page holds 50", func(t *testing.T) {
		var p page
		e.For(t).Must(http.StatusOK, "GET", "/api/v1/conversations", owner.Token, nil).JSON(t, &p)
		if len(p.Items) != 50 || p.NextCursor == "" {
			t.Errorf("default page has %d items, next_cursor %q; want 50 and a cursor", len(p.Items), p.NextCursor)
		}
	})

	for _, cursor := range []string{"not-a-cursor", "%21%21%21", "MTIzNA", strings.Repeat("A", 40)} {
		t.Run(fmt.Sprintf("the cursor %q is a bad request", cursor), func(t *testing.T) {
			wantError(t, e.For(t).Do("GET", "/api/v1/conversations?cursor="+cursor, owner.Token, nil), http.StatusBadRequest, "bad_request")
		})
	}
}

// recent reports whether an RFC 3339 time is within a minute of now.
func recent(s string) bool {
	at, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && isUTCTime(s) && time.Since(at).Abs() < time.Minute
}

func TestConcurrentChanges(t *testing.T) {
	env := apitest.New(t)
	acc := env.NewAccount()
	owner := acc.Owner()
	admin := env.NewAgent(acc, "admin", "Adam Admin")
	alice := env.NewAgent(acc, "agent", "Alice Agent")
	bob := env.NewAgent(acc, "agent", "Bob Agent")

	// atOnce runs the requests concurrently and returns their answers in
	// order.
	atOnce := func(reqs ...func() apitest.Response) []apitest.Response {
		out := make([]apitest.Response, len(reqs))
		var wg sync.WaitGroup
		for i, r := range reqs {
			wg.Go(func() { out[i] = r() })
		}
		wg.Wait()
		return out
	}
	post := func(e *apitest.Env, path, token string, body any) func() apitest.Response {
		return func() apitest.Response { return e.Do("POST", path, token, body) }
	}

	t.Run("of two agents taking a conversation at once exactly one gets it", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "help")
		msgs := e.MessagesOf(owner.Token, conv)
		path := "/api/v1/conversations/" + conv + "/assign"
		rs := atOnce(post(e, path, alice.Token, map[string]string{"agent_id": alice.ID}), post(e, path, bob.Token, map[string]string{"agent_id": bob.ID}))
		winner := ""
		for i, r := range rs {
			switch r.Status {
			case http.StatusOK:
				if winner != "" {
					t.Errorf("both agents got the conversation")
				}
				winner = []string{alice.ID, bob.ID}[i]
			case http.StatusForbidden:
			default:
				t.Errorf("take = %d %s, want 200 or 403", r.Status, r.Body)
			}
		}
		if c := e.ConversationOf(owner.Token, conv); winner == "" || str(c, "assignee_id") != winner {
			t.Errorf("assignee = %v, want the one agent answered 200 (%q)", c["assignee_id"], winner)
		}
		if added := newMessages(msgs, e.MessagesOf(owner.Token, conv)); len(added) != 1 {
			t.Errorf("two takes added %d messages, want one event", len(added))
		}
	})

	t.Run("resolving a conversation twice at once resolves it once", func(t *testing.T) {
		e := env.For(t)
		_, conv := e.NewConversation(acc, "help")
		msgs := e.MessagesOf(owner.Token, conv)
		path := "/api/v1/conversations/" + conv + "/resolve"
		for _, r := range atOnce(post(e, path, owner.Token, nil), post(e, path, admin.Token, nil)) {
			if r.Status != http.StatusOK || str(r.Map(t), "status") != "resolved" {
				t.Errorf("resolve = %d %s, want 200 resolved", r.Status, r.Body)
			}
		}
		if added := newMessages(msgs, e.MessagesOf(owner.Token, conv)); len(added) != 1 {
			t.Errorf("two resolves added %d messages, want one event", len(added))
		}
	})

	// A visitor's messages go into the conversation as agents last left
	// it: a message racing an assign or a resolve never writes back the
	// state from before (the server may remember a visitor's latest chat
	// between writes).
	t.Run("visitor messages racing agents' changes keep every change", func(t *testing.T) {
		e := env.For(t)
		v, conv := e.NewConversation(acc, "hello")
		var reqs []func() apitest.Response
		for i := range 12 {
			reqs = append(reqs, func() apitest.Response {
				return e.Do("POST", "/widget/v1/messages", v.Token, map[string]string{"text": fmt.Sprintf("more %d", i), "client_id": newClientID()})
			})
		}
		var agentOps []apitest.Response
		reqs = append(reqs, func() apitest.Response {
			path := "/api/v1/conversations/" + conv
			agentOps = append(agentOps,
				e.Do("POST", path+"/assign", owner.Token, map[string]string{"agent_id": alice.ID}),
				e.Do("POST", path+"/resolve", alice.Token, nil),
				e.Do("POST", path+"/assign", owner.Token, map[string]string{"agent_id": bob.ID}))
			return apitest.Response{Status: http.StatusOK}
		})
		for i, r := range atOnce(reqs...)[:12] {
			if r.Status != http.StatusCreated {
				t.Errorf("visitor message %d = %d %s, want 201", i, r.Status, r.Body)
			}
		}
		for i, r := range agentOps {
			if r.Status != http.StatusOK {
				t.Fatalf("agent change %d = %d %s, want 200", i, r.Status, r.Body)
			}
		}

		// The visitor's messages after the resolve reopened it, once.
		msgs := e.MessagesOf(owner.Token, conv)
		resolvedAt, reopens, after := int64(-1), 0, 0
		for _, m := range msgs {
			ev, _ := m["event"].(map[string]any)
			switch {
			case ev != nil && str(ev, "action") == "resolved":
				resolvedAt = seq(m)
			case ev != nil && str(ev, "action") == "reopened":
				reopens++
			case resolvedAt >= 0 && str(m, "sender_type") == "visitor":
				after++
			}
		}
		wantStatus, wantReopens := "resolved", 0
		if after > 0 {
			wantStatus, wantReopens = "open", 1
		}
		c := e.ConversationOf(owner.Token, conv)
		if str(c, "assignee_id") != bob.ID || str(c, "status") != wantStatus || reopens != wantReopens {
			t.Errorf("after the race: assignee %v, status %v, %d reopen events; want %s, %s (%d visitor messages after the resolve), %d reopen events",
				c["assignee_id"], c["status"], reopens, bob.ID, wantStatus, after, wantReopens)
		}

		// The next message shows agents the state the others left.
		ws := e.AgentStream(acc.ID, owner.Token)
		e.VisitorSays(v, "last one")
		u := drainUpdate(t, ws, conv)
		got := u[len(u)-1].Object(t)
		if str(got, "assignee_id") != bob.ID || str(got, "status") != "open" || str(got, "contact_id") != str(c, "contact_id") {
			t.Errorf("conversation.updated after the race = %v, want open, assigned to %s, contact %s", got, bob.ID, str(c, "contact_id"))
		}
		var counts struct {
			Open struct{ All, Others int } `json:"open"`
		}
		e.Must(http.StatusOK, "GET", "/api/v1/conversations/counts", owner.Token, nil).JSON(t, &counts)
		if all := listIDs(e, owner.Token, "view=all"); counts.Open.All != len(all) || !slices.Contains(all, conv) {
			t.Errorf("open count %d, open list %v: want the list's length and %s in it", counts.Open.All, all, conv)
		}
	})

	t.Run("the same client_id sent many times at once stores one message", func(t *testing.T) {
		e := env.For(t)
		v, conv := e.NewConversation(acc, "hello")
		msgs := e.MessagesOf(owner.Token, conv)
		cid := newClientID()
		var reqs []func() apitest.Response
		for i := range 8 {
			reqs = append(reqs, func() apitest.Response {
				return e.Do("POST", "/widget/v1/messages", v.Token, map[string]string{"text": fmt.Sprintf("try %d", i), "client_id": cid})
			})
			reqs = append(reqs, post(e, "/api/v1/conversations/"+conv+"/messages", owner.Token, map[string]string{"text": fmt.Sprintf("agent try %d", i), "client_id": cid}))
		}
		ids := map[string]map[string]bool{"visitor": {}, "agent": {}}
		created := map[string]int{}
		for i, r := range atOnce(reqs...) {
			who := []string{"visitor", "agent"}[i%2]
			if r.Status != http.StatusCreated && r.Status != http.StatusOK {
				t.Errorf("%s send = %d %s, want 201 or 200", who, r.Status, r.Body)
				continue
			}
			if r.Status == http.StatusCreated {
				created[who]++
			}
			ids[who][str(r.Map(t), "id")] = true
		}
		for _, who := range []string{"visitor", "agent"} {
			if created[who] != 1 || len(ids[who]) != 1 {
				t.Errorf("%s: %d answers 201 and %d distinct messages, want exactly one of each", who, created[who], len(ids[who]))
			}
		}
		if added := newMessages(msgs, e.MessagesOf(owner.Token, conv)); len(added) != 2 {
			t.Errorf("stored %d messages, want 2 (one per sender)", len(added))
		}
	})
}
