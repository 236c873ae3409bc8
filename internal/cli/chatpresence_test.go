package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// Every chat line shows its author's presence next to the name, as the
// node told it (history) or as the last presence event said (the chat
// view's live lines).
func TestLinesShowPresence(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	tests := []struct {
		name string
		m    apitypes.ChatMessage
		want string
	}{
		{"text", apitypes.ChatMessage{Kind: "text", Author: "alice", Presence: "away", Text: "hi", Time: at}, "<alice (away)> hi"},
		{"notice", apitypes.ChatMessage{Kind: "notice", Author: "bob", Presence: "busy", Text: "n", Time: at}, "-bob (busy)- n"},
		{"alert", apitypes.ChatMessage{Kind: "alert", Author: "bob", Presence: "online", Text: "x", Time: at}, "!bob (online)! x"},
		{"topic", apitypes.ChatMessage{Kind: "topic", Author: "carol", Presence: "offline", Text: "t", Time: at}, "* carol (offline) set the topic: t"},
		{"no presence told", apitypes.ChatMessage{Kind: "text", Author: "alice", Text: "hi", Time: at}, "<alice> hi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := render([]apitypes.ChatMessage{tc.m}, false)[0]; !strings.HasSuffix(got, tc.want) {
				t.Fatalf("line %q, want it to end with %q", got, tc.want)
			}
		})
	}
}

func TestViewEventPresence(t *testing.T) {
	ev := func(kind apitypes.EventKind, v any) apitypes.Event {
		b, _ := json.Marshal(v)
		return apitypes.Event{Kind: kind, Data: b}
	}
	ct := chatTarget{room: "general"}
	pres := map[string]string{"alice": "online"}
	seen := map[string]bool{}
	msg := func(id string) apitypes.Event {
		return ev(apitypes.EventChatMessage, apitypes.ChatMessage{ID: id, Room: "general", Kind: "text", Author: "alice", Text: "hi"})
	}
	if got := viewEvent(msg("1"), ct, pres, seen); !strings.Contains(got, "<alice (online)> hi") {
		t.Fatalf("line %q", got)
	}
	if got := viewEvent(ev(apitypes.EventPresenceChanged, map[string]string{"peer": "P", "name": "alice", "state": "away"}), ct, pres, seen); got != "" {
		t.Fatalf("a presence change printed %q", got)
	}
	if got := viewEvent(msg("2"), ct, pres, seen); !strings.Contains(got, "<alice (away)> hi") {
		t.Fatalf("after away: line %q", got)
	}
	if got := viewEvent(msg("2"), ct, pres, seen); got != "" {
		t.Fatalf("a message shown twice: %q", got)
	}
}

// The inbox line of a copy says which message it belongs to.
func TestItemFor(t *testing.T) {
	tests := []struct {
		f    *apitypes.ItemFor
		want string
	}{
		{nil, ""},
		{&apitypes.ItemFor{Service: "chat", ID: "0123456789abcdef", Where: "#ops", Author: "alice"}, "  (for chat message 0123456789 in #ops from alice)"},
		{&apitypes.ItemFor{Service: "chat", ID: "abc", Where: "@bob"}, "  (for chat message abc in @bob)"},
	}
	for _, tc := range tests {
		if got := itemFor(tc.f); got != tc.want {
			t.Errorf("itemFor(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}
