package cli

import (
	"context"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

// newMarker is the line the chat view prints before the first message
// that was unread when it opened.
const newMarker = "--- new ---"

// Bounds of the history the chat view prints first: the last viewMin
// messages, or as many as it takes to show every unread one (and a few
// before it), at most viewMax.
const (
	viewMin     = 30
	viewContext = 5
	viewMax     = 500
)

// viewLines renders the history the chat view opens with, the new
// marker before the first message that was unread.
func viewLines(ms []apitypes.ChatMessage) []string {
	shown := renderShown(ms, false)
	out := make([]string, 0, len(shown)+1)
	marked := false
	for _, s := range shown {
		if s.unread && !marked {
			out = append(out, newMarker)
			marked = true
		}
		out = append(out, s.line)
	}
	return out
}

// viewLimit is how many messages the chat view loads: enough to reach
// the first unread one.
func viewLimit(ctx context.Context, c *client.Client, wg string, ct chatTarget) int {
	us, err := c.Unread(ctx, wg)
	if err != nil {
		return viewMin
	}
	for _, u := range us {
		if (ct.room != "" && u.Room == ct.room) || (ct.room == "" && u.Peer == ct.member) {
			return min(max(viewMin, u.Count+viewContext), viewMax)
		}
	}
	return viewMin
}

// markViewed marks the room or conversation read once a message was
// shown.
func markViewed(ctx context.Context, c *client.Client, wg string, ct chatTarget) {
	_, _ = c.MarkRead(ctx, apitypes.ChatReadRequest{Workgroup: wg, Room: ct.room, Member: ct.member})
}
