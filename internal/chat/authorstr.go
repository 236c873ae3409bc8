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
	m  map[peer.ID]string
}

// authorString returns p.String(), from the cache when it is there.
func authorString(p peer.ID) string {
	return authorText.get(p)
}

func (c *textCache) get(p peer.ID) string {
	c.mu.Lock()
	s, ok := c.m[p]
	c.mu.Unlock()
	if ok {
		return s
	}
	s = p.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxAuthorText {
		c.m = make(map[peer.ID]string)
	}
	c.m[p] = s
	return s
}

func (c *textCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
