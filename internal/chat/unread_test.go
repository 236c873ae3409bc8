package chat_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/testnet"
)

// checkUnreadFlags: the history tells which messages were unread (from
// another member, not yet seen); POST /v1/chat/read marks a room read
// (the chat view calls it for each message it shows), and a history
// asked with mark=1 still answers with the flags as they were. nd holds
// the messages texts of room (from another member), all unread.
func checkUnreadFlags(t *testing.T, nd *testnet.Node, room string, texts []string) {
	t.Helper()
	hist := func(mark bool) []apitypes.ChatMessage {
		var ms []apitypes.ChatMessage
		q := url.Values{"workgroup": {"office"}, "room": {room}}
		if mark {
			q.Set("mark", "1")
		}
		nd.Must(http.MethodGet, "/v1/chat/history?"+q.Encode(), nil, &ms)
		return ms
	}
	unread := func(ms []apitypes.ChatMessage) (n int) {
		for _, m := range ms {
			if m.Unread {
				n++
			}
		}
		return n
	}
	steps := []struct {
		name string
		do   func() []apitypes.ChatMessage
		want int
	}{
		{"at first", func() []apitypes.ChatMessage { return hist(false) }, len(texts)},
		{"marked read by the history: flags as they were", func() []apitypes.ChatMessage { return hist(true) }, len(texts)},
		{"after the history marked them", func() []apitypes.ChatMessage { return hist(false) }, 0},
	}
	for _, st := range steps {
		if got := unread(st.do()); got != st.want {
			t.Fatalf("unread flags %s: %d, want %d", st.name, got, st.want)
		}
	}
	var us []apitypes.ChatUnread
	nd.Must(http.MethodGet, "/v1/chat/unread?workgroup=office", nil, &us)
	if len(us) != 0 {
		t.Fatalf("unread after marking: %+v", us)
	}
}

// checkMarkRead: POST /v1/chat/read marks a room's messages read (nd
// has some unread there).
func checkMarkRead(t *testing.T, nd *testnet.Node, room string) {
	t.Helper()
	var before []apitypes.ChatUnread
	nd.Must(http.MethodGet, "/v1/chat/unread?workgroup=office", nil, &before)
	if !slices.ContainsFunc(before, func(u apitypes.ChatUnread) bool { return u.Room == room && u.Count > 0 }) {
		t.Fatalf("nothing unread in %s to mark: %+v", room, before)
	}
	nd.Must(http.MethodPost, "/v1/chat/read", apitypes.ChatReadRequest{Workgroup: "office", Room: room}, nil)
	var us []apitypes.ChatUnread
	nd.Must(http.MethodGet, "/v1/chat/unread?workgroup=office", nil, &us)
	for _, u := range us {
		if u.Room == room {
			t.Fatalf("%s unread after POST /v1/chat/read: %+v", room, u)
		}
	}
}
