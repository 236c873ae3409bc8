package chat

import (
	"context"
	"database/sql"
	"errors"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Chain tips: the store path's chain check without a query per message.
// In a room or directory log each author's chain is stored without gaps
// (a message waits in chat_held until its predecessor is stored), and
// retention keeps each author's last message, so the author's last
// stored message (its tip) decides a new message: seq tip+1 with the
// tip's ID as Prev is stored; seq tip+1 with another Prev is a fork; a
// higher seq is held. Only a seq at or below the tip (a copy or a fork,
// which the gossip validator already drops) reads SQLite. Direct
// conversations are not kept here: the spool delivers them in any
// order, so they are never held and always read their chain.
//
// Service.tips holds the tips of committed transactions, under storeMu;
// a transaction stages the tips it reads or moves (txq.staged) and they
// join Service.tips only once it has committed.

// tipKey names an author's chain in a log.
type tipKey struct {
	wg, log string
	author  peer.ID
}

// tip is an author's last stored message in a log (seq 0: none).
type tip struct {
	seq uint64
	id  string
}

// tip returns the author's tip in a log: staged by this transaction,
// committed, or read from SQLite (and staged).
func (q *txq) tip(ctx context.Context, wg, log string, author peer.ID) (tip, error) {
	k := tipKey{wg, log, author}
	if t, ok := q.staged[k]; ok {
		return t, nil
	}
	if t, ok := q.tips[k]; ok {
		return t, nil
	}
	if err := q.flush(ctx); err != nil { // the read sees this batch's rows
		return tip{}, err
	}
	var seq int64
	var id string
	err := q.QueryRowContext(ctx, lastOfChain, chainArgs(wg, log, author.String())...).Scan(&seq, &id)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if err != nil {
		return tip{}, err
	}
	t := tip{uint64(seq), id}
	q.stage(k, t)
	return t, nil
}

// stage records a tip read or moved by this transaction.
func (q *txq) stage(k tipKey, t tip) {
	if q.staged == nil {
		q.staged = map[tipKey]tip{}
	}
	q.staged[k] = t
}

// stored moves m's author's tip when m (a room or directory message) was
// inserted. A tip this transaction never read stays unknown (read from
// SQLite when next needed).
func (q *txq) stored(m *msg) {
	if m.isDM() {
		return
	}
	k := tipKey{m.Workgroup, m.logName(), m.author()}
	t, ok := q.staged[k]
	if !ok {
		t, ok = q.tips[k]
	}
	if ok && m.Seq > t.seq {
		q.stage(k, tip{m.Seq, m.ID()})
	}
}

// commitTips adds a committed transaction's tips to the service's (under
// storeMu).
func (s *Service) commitTips(q *txq) {
	if len(q.staged) == 0 {
		return
	}
	if s.tips == nil {
		s.tips = map[tipKey]tip{}
	}
	for k, t := range q.staged {
		s.tips[k] = t
	}
}

// chainCheck decides a room or directory message from its author's tip:
// decided false when it needs the chain read (seq at or below the tip).
func chainCheck(ctx context.Context, q *txq, m *msg, log string) (r storeResult, decided bool, err error) {
	t, err := q.tip(ctx, m.Workgroup, log, m.author())
	if err != nil {
		return failed, true, err
	}
	switch {
	case m.Seq > t.seq+1:
		return held, true, nil
	case m.Seq == t.seq+1 && m.Seq > 1 && !hexEqual(t.id, m.Prev):
		return forked, true, nil
	case m.Seq == t.seq+1:
		return stored, true, nil
	}
	return failed, false, nil
}
