package ircgw

import (
	"context"
	"slices"
	"strings"
)

// Conversations implements Backend.
func (nd *MemoryNode) Conversations(_ context.Context, wg string, q ConversationQuery) ([]Conversation, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	last := map[Conversation]Conversation{} // by (Room, Peer) folded
	for _, mm := range n.msgs {
		m := mm.view(nd.name)
		if m.Workgroup != wg || (q.Direct && m.Room != "") || m.Time.Before(q.Since) || (!q.Before.IsZero() && !m.Time.Before(q.Before)) {
			continue
		}
		if m.Room == "" && !strings.EqualFold(m.Author, nd.name) && !strings.EqualFold(mm.to, nd.name) {
			continue // a direct message between two others
		}
		k := Conversation{Room: strings.ToLower(m.Room), Peer: strings.ToLower(m.Peer)}
		if c, ok := last[k]; !ok || m.Time.After(c.Last) {
			last[k] = Conversation{Room: m.Room, Peer: m.Peer, Last: m.Time}
		}
	}
	out := make([]Conversation, 0, len(last))
	for _, c := range last {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Conversation) int { return a.Last.Compare(b.Last) })
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if len(out) > limit {
		if q.Oldest {
			out = out[:limit]
		} else {
			out = out[len(out)-limit:]
		}
	}
	return out, nil
}
