package chat

import (
	"context"
	"math"
	"sync"
)

// Held messages per author chain are bounded (maxHeldPerAuthor). A
// member may sign messages with seqs far ahead of its chain (gaps that
// never fill): each is held until its predecessor comes, forever, and
// the log's whole held queue (maxHeldPerLog) would be full of one
// member's messages, leaving none for the others' (out-of-order gossip
// is common under load). When an author's chain holds maxHeldPerAuthor
// messages already, a new one is held only when its seq is below the
// highest held, which is dropped for it: the held set keeps the messages
// nearest the chain's tip, those released first. What is dropped (or
// not held) is not lost: history sync asks for it again once the chain
// reached it (the peers' heads show it). An honest author needs far
// fewer held at once (a few seconds of its messages while a predecessor
// comes by history: 500 msg/s for the whole room is 2,500 in 5 s).

// heldRoom decides whether m, an author's message whose predecessor is
// missing, may be held: held (there is room, made if need be by dropping
// the author's highest held message) or duplicate (dropped: the author's
// chain holds its cap already, all below m).
func (tx *txq) heldRoom(ctx context.Context, m *msg, log, author string) (storeResult, error) {
	if tx.heldBy != nil && tx.heldBy[heldKey{m.Workgroup, log, author}]+tx.heldStaged[heldKey{m.Workgroup, log, author}] < tx.heldCap {
		return held, nil // counted in memory, exact: no query
	}
	var n int
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(seq), 0) FROM chat_held WHERE workgroup=? AND log=? AND author=?`,
		m.Workgroup, log, author).Scan(&n, &top); err != nil {
		return 0, err
	}
	if n < tx.heldCap {
		return held, nil
	}
	if clampSeq(m.Seq) >= top {
		return duplicate, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM chat_held WHERE id IN (SELECT id FROM chat_held WHERE workgroup=? AND log=? AND author=? AND seq=? LIMIT 1)`,
		m.Workgroup, log, author, top)
	if err != nil {
		return 0, err
	}
	if k, _ := res.RowsAffected(); k > 0 {
		tx.heldMoved(heldKey{m.Workgroup, log, author}, -1)
	}
	return held, nil
}

// clampSeq is seq as SQLite's integer (int64): a range asked up to
// 2^64-1 means "all", not -1.
func clampSeq(seq uint64) int64 {
	return int64(min(seq, math.MaxInt64))
}

// heldCaps holds each Service's cap when a test set one (kept beside the
// Service, whose struct other work edits).
var heldCaps sync.Map // *Service -> int

// heldCap is the bound on the messages held per author chain.
func (s *Service) heldCap() int {
	if c, ok := heldCaps.Load(s); ok {
		return c.(int)
	}
	return maxHeldPerAuthor
}
