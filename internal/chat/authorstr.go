package chat

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// authorText caches authors' peer IDs as text (base58): newMsg writes
// each message's author as text once (the store and the events use it),
// and base58 of a 38-byte ID is a big-number conversion of a few
// microseconds and two allocations, per message received, for the few
// authors a room has. The text is a pure function of the ID's bytes, so
// caching an author whose message is refused later trusts nothing; the
// cache is emptied when it reaches maxAuthorText, so such authors cannot
// grow it.
var authorText textCache

const maxAuthorText = 4096

type textCache struct {
	mu sync.Mutex
	m  map[string]authorEntry // by the ID's bytes
}

// authorEntry is a cached author: its peer ID (one string shared by
// every message of the author) and that ID as text.
type authorEntry struct {
	id   peer.ID
	text string
}

// authorOf returns the peer ID of an author's bytes and its text, from
// the cache when it is there (then without converting the bytes: one
// allocation less per message received).
func authorOf(b []byte) (peer.ID, string) {
	return authorText.of(b)
}

func (c *textCache) get(p peer.ID) string {
	_, s := c.of([]byte(p))
	return s
}

func (c *textCache) of(b []byte) (peer.ID, string) {
	c.mu.Lock()
	e, ok := c.m[string(b)]
	c.mu.Unlock()
	if ok {
		return e.id, e.text
	}
	e.id = peer.ID(b)
	e.text = e.id.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxAuthorText {
		c.m = make(map[string]authorEntry)
	}
	c.m[string(e.id)] = e
	return e.id, e.text
}

func (c *textCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
