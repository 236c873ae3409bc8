package chat

import (
	"context"
	"fmt"
)

// A member's own room and directory messages are stored by the writer
// (topics.go), in its next transaction, together with the messages it
// received: a transaction of its own cost a Say about as much as a
// batch of ten received messages (BEGIN IMMEDIATE, the WAL frames and
// locks of its commit, database/sql's bookkeeping), and Says are a
// twentieth of what a member stores at 20 members.
//
// What a Say guarantees stays: the writer reads the author's tip under
// the store lock, signs the next message on it and queues its row in the
// batch; it answers the Say only after the commit (and the tips'
// update), so a Say that returns nil is stored, with the next seq and
// the right prev. Says the writer takes are stored in the order it took
// them, each on the tip the one before it moved. A failed transaction
// fails every Say in it (and the received messages, as before), and a
// failed Say publishes nothing: sendView announces and pushes only what
// was committed.
//
// Latency: a Say ends the writer's window (writepace.go) at once, so
// it waits no longer than it did for the store lock (the writer's
// current transaction at most); the received messages of that window
// are stored sooner. Concurrent Says go in one transaction too.
//
// Direct messages keep their own transaction: their head is read from
// the chain (the spool delivers them in any order, tips.go) and they
// are few.

// sayReq is one own message handed to the writer. The writer sets m or
// err, then closes done.
type sayReq struct {
	b    body // workgroup, author and version set; seq, prev and HLC by the writer
	log  string
	m    *msg
	err  error
	done chan struct{}
}

// storeSay stores this member's message b (a room or directory message)
// through the writer, or in a transaction of its own when the writer
// does not run. ctx is checked before the hand-over only: a Say the
// writer took is stored or fails with the writer's transaction.
func (s *Service) storeSay(ctx context.Context, b body, log string) (*msg, error) {
	if !s.writerUp.Load() || s.sayOwnTx.Load() {
		return s.storeOwn(ctx, b, log)
	}
	r := &sayReq{b: b, log: log, done: make(chan struct{})}
	select {
	case s.says <- r:
	case <-ctx.Done():
		return nil, fmt.Errorf("chat: send: %w", ctx.Err())
	case <-s.ctx.Done(): // stopping: the writer takes no more
		return s.storeOwn(ctx, b, log)
	}
	<-r.done
	return r.m, r.err
}

// sayTx signs and queues r's message in the writer's transaction q,
// after its author's tip (read under the store lock, moved by the Says
// before it in q). A database error fails the transaction; a message
// that cannot be signed (too long) fails only its Say.
func (s *Service) sayTx(ctx context.Context, q *txq, r *sayReq) error {
	seq, prev, err := s.ownHead(ctx, q, r.b.Workgroup, r.log, false)
	if err != nil {
		return err
	}
	b := r.b
	b.Seq, b.Prev, b.HLC = seq+1, prev, s.clk.now()
	m, err := sign(s.cfg.Identity.Key, b)
	if err != nil {
		r.err = err
		return nil
	}
	// seq follows the tip read under storeMu: no chain check needed.
	q.queueRow(m)
	r.m = m
	return nil
}

// answerSays answers the Says of a transaction: err when it failed.
func answerSays(says []*sayReq, err error) {
	for _, r := range says {
		if err != nil {
			r.m, r.err = nil, err
		}
		close(r.done)
	}
}
