package chat

import "context"

// Held rows per author chain, in memory. While anything is held, every
// message stored looked for held successors (one query) and whether it
// was held already (another): at 20 members under load, with a few
// messages held for a moment, those two queries per message were ~8% of
// a receiving member's CPU. The service now counts chat_held's rows per
// (workgroup, log, author) under storeMu, so a message whose author has
// nothing held in its log runs neither.
//
// Only this file's callers write chat_held (holdTx inserts, releaseHeld
// deletes, both in the store's transaction under storeMu), so the counts
// are exact: a transaction stages its changes (txq.heldStaged) and they
// join Service.heldBy only once it has committed. countHeld reads them
// from SQLite at start and every SyncInterval; when it cannot, heldBy is
// nil (unknown) and every message looks, as before.

// heldKey names an author's chain in a log, the author as stored (text).
type heldKey struct{ wg, log, author string }

// heldOf reports whether chat_held may hold a message of m's author in
// log: its count in this transaction, or chat_held's whole count when
// the per-author counts are unknown.
func (q *txq) heldOf(m *msg, log string) bool {
	if q.heldBy == nil {
		return q.held()
	}
	k := heldKey{m.Workgroup, log, m.authorID()}
	return q.heldBy[k]+q.heldStaged[k] > 0
}

// heldMoved notes n rows of k added to chat_held (n < 0: removed).
func (q *txq) heldMoved(k heldKey, n int) {
	q.heldDelta += n
	if q.heldStaged == nil {
		q.heldStaged = map[heldKey]int{}
	}
	q.heldStaged[k] += n
}

// commitHeld adds a committed transaction's held rows to the service's
// counts (under storeMu).
func (s *Service) commitHeld(q *txq) {
	if s.heldBy == nil {
		return
	}
	for k, n := range q.heldStaged {
		if c := s.heldBy[k] + n; c > 0 {
			s.heldBy[k] = c
		} else {
			delete(s.heldBy, k)
		}
	}
}

// loadHeld reads chat_held's rows per author chain (storeMu held); nil
// when it cannot.
func (s *Service) loadHeld(ctx context.Context) map[heldKey]int {
	rows, err := s.db.QueryContext(ctx, `SELECT workgroup, log, author, count(*) FROM chat_held GROUP BY workgroup, log, author`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	by := map[heldKey]int{}
	for rows.Next() {
		var k heldKey
		var n int
		if err := rows.Scan(&k.wg, &k.log, &k.author, &n); err != nil {
			return nil
		}
		by[k] = n
	}
	if rows.Err() != nil {
		return nil
	}
	return by
}
