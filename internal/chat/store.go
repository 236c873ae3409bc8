package chat

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// storeResult is what storing a message did.
type storeResult int

const (
	failed    storeResult = iota // not stored: the database failed
	stored                       // new, stored in order
	duplicate                    // already stored (or held)
	held                         // its predecessor is missing: held
	forked                       // another message holds its place in the author's chain
)

// maxHeldPerLog bounds the messages held per log; maxHeldPerAuthor
// those of one author in a log (heldcap.go).
const (
	maxHeldPerLog    = 20000
	maxHeldPerAuthor = 4096
)

// has reports whether id is stored or held.
func (s *Service) has(ctx context.Context, id string) bool {
	var n int
	_ = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM chat_messages WHERE `+idPrefixWhere+`) + (SELECT count(*) FROM chat_held WHERE id=?)`,
		append(idPrefixArgs(id), id)...).Scan(&n)
	return n > 0
}

// insert stores ms in one transaction: each message if its predecessor
// is stored, else it is held; then the held messages it unblocks. It
// returns what became of each message and the messages newly stored, in
// the order they were stored.
func (s *Service) insert(ctx context.Context, ms ...*msg) ([]storeResult, []*msg, error) {
	return s.insertSays(ctx, ms, nil)
}

// insertSays is insert that also stores this member's own messages says
// (ownsay.go) in the same transaction, after ms, and answers them once
// it has committed (or failed).
func (s *Service) insertSays(ctx context.Context, ms []*msg, says []*sayReq) ([]storeResult, []*msg, error) {
	// The transaction's statements run without cancellation: for a
	// context that can end, database/sql watches each transaction and
	// the SQLite driver each statement with a goroutine of its own (a
	// goroutine started, parked and woken per message stored). A store
	// takes milliseconds; a batch begun at stop is better stored than
	// dropped.
	if err := ctx.Err(); err != nil && len(says) == 0 {
		return nil, nil, fmt.Errorf("chat: store messages: %w", err)
	}
	ctx = context.WithoutCancel(ctx)
	lk := s.storeMu.take(holdStore)
	defer s.storeMu.give(lk)
	res := make([]storeResult, len(ms))
	var out []*msg
	q, err := s.storeTx(ctx, func(q *txq) error {
		out = out[:0]
		for i, m := range ms {
			r, err := insertTx(ctx, q, m, m.isDM())
			if err != nil {
				return err
			}
			res[i] = r
			if r != stored {
				continue
			}
			out = append(out, m)
			if !q.heldOf(m, m.logName()) {
				continue // nothing of its author held: nothing to release
			}
			more, err := releaseHeld(ctx, q, m)
			if err != nil {
				return err
			}
			out = append(out, more...)
		}
		for _, r := range says {
			if err := s.sayTx(ctx, q, r); err != nil {
				return err
			}
		}
		return q.flush(ctx)
	})
	if err != nil {
		answerSays(says, fmt.Errorf("chat: send: %w", err))
		return nil, nil, fmt.Errorf("chat: store messages: %w", err)
	}
	if s.heldRows >= 0 {
		s.heldRows += q.heldDelta
	}
	s.commitHeld(q)
	s.commitTips(q)
	queued := len(out)
	for _, r := range says {
		if r.m != nil {
			queued++ // stored (one too long to sign failed alone)
		}
	}
	answerSays(says, nil) // committed, tips moved: still under storeMu, so in order
	s.fts.noteStored(queued, time.Now())
	return res, out, nil
}

// insertTx stores or holds m in tx. A direct message is never held: the
// spool delivers each exactly once, in any order. In a room or the
// directory the author's tip decides (tips.go); else (a direct message, or
// a seq at or below the tip) the author's chain is
// read once (its entries at seq-1 and seq: chat_chain and the unindexed tail, chain.go): the one
// at seq makes m a duplicate (same ID) or a fork; m is stored when the one
// at seq-1 is its predecessor, held when there is none. chat_held is read
// only when m is to be held (a message whose predecessor is stored is
// never held: storing a message releases its held successor in the same
// transaction) or when something is held (tx.held).
func insertTx(ctx context.Context, tx *txq, m *msg, noHold bool) (storeResult, error) {
	log := m.logName()
	if !noHold { // a room or the directory: the author's tip decides (tips.go)
		r, decided, err := chainCheck(ctx, tx, m, log)
		switch {
		case err != nil:
			return 0, err
		case decided && r == held:
			return holdTx(ctx, tx, m, m.ID(), log, m.authorID())
		case decided && r == forked:
			return forked, nil
		case decided:
			return insertNew(ctx, tx, m)
		}
	}
	id, author := m.ID(), m.authorID()
	if err := tx.flush(ctx); err != nil { // the chain read sees this batch's rows
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, id FROM chat_messages WHERE `+chainRows(`seq IN (?, ?)`),
		chainArgs(m.Workgroup, log, author, int64(m.Seq)-1, int64(m.Seq))...)
	if err != nil {
		return 0, err
	}
	var prev, same string
	for rows.Next() {
		var seq int64
		var got string
		if err := rows.Scan(&seq, &got); err != nil {
			rows.Close()
			return 0, err
		}
		if uint64(seq) == m.Seq {
			same = got
		} else {
			prev = got
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	switch {
	case same == id:
		return duplicate, nil
	case same != "":
		return forked, nil
	case m.Seq > 1 && prev == "" && !noHold:
		return holdTx(ctx, tx, m, id, log, author)
	case m.Seq > 1 && prev != "" && prev != hex.EncodeToString(m.Prev) && !noHold:
		return forked, nil
	}
	return insertNew(ctx, tx, m)
}

// insertNew inserts m unless it is held already (a copy that came while
// its predecessor was missing).
func insertNew(ctx context.Context, tx *txq, m *msg) (storeResult, error) {
	id := m.ID()
	if tx.heldOf(m, m.logName()) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chat_held WHERE id=?`, id).Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return duplicate, nil
		}
	}
	tx.queueRow(m)
	return stored, nil
}

// insertRow inserts m into chat_messages now (Say's own message; the
// writer queues its rows: txq.queueRow). Its place in the chain was
// checked by the caller under storeMu.
func insertRow(ctx context.Context, tx *txq, m *msg) error {
	_, err := tx.ExecContext(ctx, insertRowsSQL(1),
		m.ID(), m.Workgroup, m.logName(), m.authorID(), m.Seq, int64(m.HLC), m.Kind, m.Text, m.raw, time.Now().UnixMilli())
	if err == nil {
		tx.stored(m)
	}
	return err
}

// holdTx holds m until its predecessor is stored (duplicate: held
// already, or the log's held queue is full and history sync fetches it
// again later).
func holdTx(ctx context.Context, tx *txq, m *msg, id, log, author string) (storeResult, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chat_held WHERE id=?`, id).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return duplicate, nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chat_held WHERE workgroup=? AND log=?`, m.Workgroup, log).Scan(&n); err != nil {
		return 0, err
	}
	if n >= maxHeldPerLog {
		return duplicate, nil
	}
	if r, err := tx.heldRoom(ctx, m, log, author); err != nil || r != held {
		return r, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO chat_held(id, workgroup, log, author, seq, raw, received) VALUES(?,?,?,?,?,?,?)`,
		id, m.Workgroup, log, author, m.Seq, m.raw, time.Now().UnixMilli())
	if err != nil {
		return 0, err
	}
	tx.heldMoved(heldKey{m.Workgroup, log, author}, 1)
	return held, nil
}

// releaseHeld stores the held successors of m, in chain order.
func releaseHeld(ctx context.Context, tx *txq, m *msg) ([]*msg, error) {
	var out []*msg
	log, author, seq := m.logName(), m.authorID(), m.Seq
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, raw FROM chat_held WHERE workgroup=? AND log=? AND author=? AND seq=?`, m.Workgroup, log, author, seq+1)
		if err != nil {
			return out, err
		}
		var cands [][2]any
		for rows.Next() {
			var id string
			var raw []byte
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return out, err
			}
			cands = append(cands, [2]any{id, raw})
		}
		rows.Close()
		var next *msg
		for _, c := range cands {
			if _, err := tx.ExecContext(ctx, `DELETE FROM chat_held WHERE id=?`, c[0]); err != nil {
				return out, err
			}
			tx.heldMoved(heldKey{m.Workgroup, log, author}, -1)
			hm, _, err := parse(c[1].([]byte)) // verified before it was held
			if err != nil || next != nil {
				continue
			}
			if r, err := insertTx(ctx, tx, hm, false); err != nil {
				return out, err
			} else if r == stored {
				next = hm
			}
		}
		if next == nil {
			return out, nil
		}
		out = append(out, next)
		seq++
	}
}

// countHeld sets heldRows from chat_held (at start, and now and then: it
// is an upper bound, as something else may delete held rows).
func (s *Service) countHeld(ctx context.Context) {
	defer s.storeMu.give(s.storeMu.take(holdOther))
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_held`).Scan(&n); err != nil {
		s.heldRows, s.heldBy = -1, nil
		return
	}
	s.heldRows = n
	s.heldBy = s.loadHeld(ctx)
}

// heads returns the highest contiguous sequence number stored per author
// in a log.
func (s *Service) heads(ctx context.Context, wg, log string) (map[peer.ID]uint64, error) {
	rows, err := s.db.QueryContext(ctx, headsOfLog, wg, log, wg, log)
	if err != nil {
		return nil, fmt.Errorf("chat: heads: %w", err)
	}
	defer rows.Close()
	out := map[peer.ID]uint64{}
	for rows.Next() {
		var a string
		var seq int64
		if err := rows.Scan(&a, &seq); err != nil {
			return nil, err
		}
		if p, err := peer.Decode(a); err == nil {
			out[p] = uint64(seq)
		}
	}
	return out, rows.Err()
}

// rangeRaw returns the raw messages of author in a log with seq in
// [from, to], in order, at most limit.
func (s *Service) rangeRaw(ctx context.Context, wg, log string, author peer.ID, from, to uint64, limit int) ([][]byte, error) {
	a := author.String()
	rows, err := s.db.QueryContext(ctx, `SELECT raw FROM chat_messages WHERE rowid IN (
			SELECT msg FROM (SELECT msg FROM chat_chain WHERE workgroup=? AND log=? AND author=? AND seq>=? AND seq<=? ORDER BY seq LIMIT ?)
			UNION ALL SELECT rowid FROM chat_messages WHERE `+chainTail+` AND +workgroup=? AND +log=? AND author=? AND seq>=? AND seq<=?)
		ORDER BY seq LIMIT ?`,
		wg, log, a, clampSeq(from), clampSeq(to), limit, wg, log, a, clampSeq(from), clampSeq(to), limit)
	if err != nil {
		return nil, fmt.Errorf("chat: read range: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, rows.Err()
}

// ownHead returns this node's last sequence number and message hash in a
// log (0, nil when it has none): its tip in a room or the directory.
func (s *Service) ownHead(ctx context.Context, tx *txq, wg, log string, dm bool) (uint64, []byte, error) {
	if dm {
		return s.chainHead(ctx, tx, wg, log)
	}
	t, err := tx.tip(ctx, wg, log, s.self)
	if err != nil || t.seq == 0 {
		return 0, nil, err
	}
	h, err := hex.DecodeString(t.id)
	return t.seq, h, err
}

// chainHead returns this node's last sequence number and message hash in
// a log (0, nil when it has none).
func (s *Service) chainHead(ctx context.Context, tx *txq, wg, log string) (uint64, []byte, error) {
	var seq int64
	var id string
	err := tx.QueryRowContext(ctx, lastOfChain, chainArgs(wg, log, s.self.String())...).Scan(&seq, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	h, err := hex.DecodeString(id)
	return uint64(seq), h, err
}

// loadLog returns the stored messages of a log in display order.
func (s *Service) loadLog(ctx context.Context, wg, log string) ([]*msg, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT raw FROM chat_messages WHERE workgroup=? AND log=? ORDER BY hlc, id`, wg, log)
	if err != nil {
		return nil, fmt.Errorf("chat: read log: %w", err)
	}
	defer rows.Close()
	var out []*msg
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		m, err := decode(raw)
		if err != nil {
			continue
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// applyRetention deletes messages of rooms with a retention older than it.
func (s *Service) applyRetention(ctx context.Context) {
	rows, err := s.db.QueryContext(ctx, `SELECT workgroup, name, retention FROM chat_rooms WHERE retention > 0`)
	if err != nil {
		return
	}
	type rr struct {
		wg, name string
		keep     int64
	}
	var rs []rr
	for rows.Next() {
		var r rr
		if rows.Scan(&r.wg, &r.name, &r.keep) == nil {
			rs = append(rs, r)
		}
	}
	rows.Close()
	for _, r := range rs {
		cut := uint64(time.Now().Add(-time.Duration(r.keep)*time.Second).UnixMilli()) << hlcShift
		// Keep each author's last message so its chain continues: the
		// heads read first (a message stored meanwhile only raises them).
		var heads string
		err := s.db.QueryRowContext(ctx, `SELECT json_group_object(author, seq) FROM (`+headsOfLog+`)`, r.wg, r.name, r.wg, r.name).Scan(&heads)
		if err == nil {
			_, err = s.db.ExecContext(ctx, `DELETE FROM chat_messages WHERE workgroup=? AND log=? AND hlc < ?
				AND seq < coalesce((SELECT value FROM json_each(?) WHERE key = chat_messages.author), 0)`,
				r.wg, r.name, int64(cut), heads)
		}
		if err != nil {
			s.log.Warn("chat: retention", "room", r.name, "err", err)
		}
	}
}
