package spool

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
)

// rememberAddrs records p's addresses as the peerstore knows them (sorted)
// for connect, unless the record holds them already: a node meeting the
// members of its workgroup again (every restart, every reconnection)
// mostly finds the same addresses. What the records hold is kept in
// memory (addrsKnown, read from SQLite once, at the first call), so a
// reconnection costs no query and a new member one write, as before
// (with 20 members the upsert on every connection was 7% of a node's CPU
// in the seconds after they all connected). Nothing reads the updated
// column (it is when the record last changed).
func (s *Service) rememberAddrs(ctx context.Context, p peer.ID) {
	var as []string
	for _, a := range s.h.Peerstore().Addrs(p) {
		as = append(as, a.String())
	}
	if len(as) == 0 {
		return
	}
	slices.Sort(as)
	b, _ := json.Marshal(as)
	js := string(b)
	s.addrsMu.Lock()
	if s.addrsKnown == nil {
		s.addrsKnown = s.loadAddrs(ctx)
	}
	same := s.addrsKnown[p] == js
	s.addrsMu.Unlock()
	if same {
		return
	}
	s.addrWrites.Add(1)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO spool_peer_addrs(peer, addrs, updated) VALUES(?,?,?)
		ON CONFLICT(peer) DO UPDATE SET addrs=excluded.addrs, updated=excluded.updated`, p.String(), js, nowMs()); err != nil {
		return
	}
	s.addrsMu.Lock()
	s.addrsKnown[p] = js
	s.addrsMu.Unlock()
}

// loadAddrs reads every address record (empty on error: then each is
// written again once).
func (s *Service) loadAddrs(ctx context.Context) map[peer.ID]string {
	out := map[peer.ID]string{}
	rows, err := s.db.QueryContext(ctx, `SELECT peer, addrs FROM spool_peer_addrs`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var ps, js string
		if rows.Scan(&ps, &js) != nil {
			continue
		}
		if p, err := peer.Decode(ps); err == nil {
			out[p] = js
		}
	}
	return out
}
