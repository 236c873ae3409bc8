package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// The chat view opens with a "--- new ---" line before the first message
// that was unread (edits, reactions and deletions fold into the message
// they are about, so the marker goes before a shown message only).
func TestViewLinesMarksFirstUnread(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	msg := func(id, text string, unread bool) apitypes.ChatMessage {
		return apitypes.ChatMessage{ID: id, Kind: "text", Author: "bravo", AuthorID: "B", Text: text, Time: at, Unread: unread}
	}
	react := apitypes.ChatMessage{ID: "r", Kind: "reaction", Target: "1", Author: "carol", Text: "+1", Time: at, Unread: true}
	tests := []struct {
		name string
		ms   []apitypes.ChatMessage
		want []string // texts and markers, in order
	}{
		{"nothing unread", []apitypes.ChatMessage{msg("1", "a", false), msg("2", "b", false)}, []string{"a", "b"}},
		{"from the middle", []apitypes.ChatMessage{msg("1", "a", false), msg("2", "b", true), msg("3", "c", true)}, []string{"a", newMarker, "b", "c"}},
		{"all unread", []apitypes.ChatMessage{msg("1", "a", true), msg("2", "b", true)}, []string{newMarker, "a", "b"}},
		{"an unread reaction only", []apitypes.ChatMessage{msg("1", "a", false), react}, []string{"a"}},
		{"empty", nil, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := []string{}
			for _, l := range viewLines(tc.ms) {
				if l == newMarker {
					got = append(got, l)
					continue
				}
				_, text, _ := strings.Cut(l, "<bravo> ")
				got = append(got, strings.Fields(text)[0])
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("view: %q, want %q", got, tc.want)
			}
		})
	}
}
