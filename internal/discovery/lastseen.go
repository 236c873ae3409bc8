package discovery

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// lastSeenEvery is how often presence's "last heard online" is written
// to the database (and once more when the node stops).
const lastSeenEvery = time.Minute

type seenKey struct {
	wg string
	p  peer.ID
}

// lastSeen keeps when each member was last heard online, across restarts
// (table discovery_last_seen): presence knows only what it heard since
// the node started.
type lastSeen struct {
	mu    sync.Mutex
	at    map[seenKey]time.Time // as stored
	saved time.Time             // last save
}

// loadLastSeen reads the stored times.
func (s *Service) loadLastSeen(ctx context.Context) error {
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT workgroup, peer_id, seen_at FROM discovery_last_seen`)
	if err != nil {
		return fmt.Errorf("load last seen: %w", err)
	}
	defer rows.Close()
	s.seen.mu.Lock()
	defer s.seen.mu.Unlock()
	s.seen.at = map[seenKey]time.Time{}
	for rows.Next() {
		var wg, id string
		var ms int64
		if err := rows.Scan(&wg, &id, &ms); err != nil {
			return fmt.Errorf("load last seen: %w", err)
		}
		if p, err := peer.Decode(id); err == nil {
			s.seen.at[seenKey{wg, p}] = time.UnixMilli(ms)
		}
	}
	return rows.Err()
}

// storedLastSeen is when p was last heard online in wg as stored (zero:
// never).
func (s *Service) storedLastSeen(wg string, p peer.ID) time.Time {
	s.seen.mu.Lock()
	defer s.seen.mu.Unlock()
	return s.seen.at[seenKey{wg, p}]
}

// saveLastSeen writes presence's newer "last heard online" times; unless
// force, at most once every lastSeenEvery.
func (s *Service) saveLastSeen(ctx context.Context, force bool) {
	if s.cfg.Presence == nil {
		return
	}
	s.seen.mu.Lock()
	if !force && time.Since(s.seen.saved) < lastSeenEvery {
		s.seen.mu.Unlock()
		return
	}
	s.seen.saved = time.Now()
	s.seen.mu.Unlock()
	self := s.cfg.Host.ID()
	newer := map[seenKey]time.Time{}
	for _, w := range s.cfg.Dir.Workgroups() {
		for _, m := range s.cfg.Dir.Members(w.ID) {
			if m.PeerID == self {
				continue
			}
			k := seenKey{w.ID, m.PeerID}
			if t := s.cfg.Presence.Of(w.ID, m.PeerID).LastSeen; !t.IsZero() && t.After(s.storedLastSeen(k.wg, k.p)) {
				newer[k] = t
			}
		}
	}
	if len(newer) == 0 {
		return
	}
	err := s.cfg.DB.Tx(ctx, func(tx *sql.Tx) error {
		for k, t := range newer {
			if _, err := tx.ExecContext(ctx, `INSERT INTO discovery_last_seen(workgroup, peer_id, seen_at) VALUES(?,?,?)
				ON CONFLICT(workgroup, peer_id) DO UPDATE SET seen_at=max(seen_at, excluded.seen_at)`, k.wg, k.p.String(), t.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.cfg.Log.Warn("save last seen", "err", err)
		return
	}
	s.seen.mu.Lock()
	for k, t := range newer {
		s.seen.at[k] = t
	}
	s.seen.mu.Unlock()
}
