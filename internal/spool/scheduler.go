package spool

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// loop looks for due jobs and receipts every Tick (or when woken) and
// hands each recipient to a worker.
func (s *Service) loop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	sem := make(chan struct{}, s.cfg.Workers)
	var lastRevokeCheck time.Time
	for {
		select {
		case <-ctx.Done():
			// Wait for workers to finish (those that left the pool
			// stalled too).
			for i := 0; i < cap(sem); i++ {
				sem <- struct{}{}
			}
			for i := 0; i < cap(s.spare); i++ {
				s.spare <- struct{}{}
			}
			return
		case <-s.wake:
		case now := <-t.C:
			if s.tickScan(now) { // a tick looks at all due work, unless none can be due yet
				s.mu.Lock()
				s.wakeAll = true
				s.mu.Unlock()
			}
		}
		if time.Since(lastRevokeCheck) > 10*s.cfg.Tick {
			lastRevokeCheck = time.Now()
			s.failRevoked(ctx)
			s.dropRevokedHeld(ctx)
			if hp := s.chatHook.Load(); hp != nil && s.chatRetry.Swap(false) {
				s.retakeChats(ctx, *hp)
			}
		}
		peers, err := s.wokenPeers(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("look for due jobs", "err", err)
			}
			continue
		}
		for _, p := range peers {
			s.mu.Lock()
			busy := s.sending[p] || time.Now().Before(s.unreachable[p])
			if !busy {
				s.sending[p] = true
			}
			s.mu.Unlock()
			if busy {
				s.hookAt(p, atBusy)
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				s.mu.Lock()
				delete(s.sending, p)
				s.mu.Unlock()
				continue
			}
			ws := newWorkSlot(sem, s.spare, s.stallWait())
			go func(p peer.ID) {
				defer func() {
					s.workerDone(ctx, p) // kick.go
					ws.release()
				}()
				s.work(ws.context(ctx), p)
			}(p)
		}
	}
}

// wokenPeers is who to work for now: the recipients of new jobs when
// only those woke the loop (wakeFor), else every peer with due work.
func (s *Service) wokenPeers(ctx context.Context) ([]peer.ID, error) {
	s.mu.Lock()
	all := s.wakeAll
	ps := make([]peer.ID, 0, len(s.wakePeers))
	for p := range s.wakePeers {
		ps = append(ps, p)
	}
	clear(s.wakePeers)
	s.wakeAll = false
	s.mu.Unlock()
	if all {
		return s.duePeers(ctx)
	}
	return ps, nil
}

func (s *Service) duePeers(ctx context.Context) ([]peer.ID, error) {
	gen := s.scanGen()
	now := nowMs()
	rows, err := s.db.QueryContext(ctx, `SELECT recipient FROM spool_outbox WHERE state IN (?,?) AND next_try<=?
		UNION SELECT to_peer FROM spool_receipts_out WHERE next_try<=?`, StateQueued, StateDeposited, now, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []peer.ID
	for rows.Next() {
		var ps string
		if err := rows.Scan(&ps); err != nil {
			return nil, err
		}
		if p, err := peer.Decode(ps); err == nil {
			out = append(out, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		s.setHorizon(ctx, gen, now)
	}
	return out, nil
}

// failRevoked turns jobs whose recipient is no longer a member into
// visible failures.
func (s *Service) failRevoked(ctx context.Context) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, workgroup, recipient, recipient_name FROM spool_outbox WHERE state IN (?,?)`, StateQueued, StateDeposited)
	if err != nil {
		return
	}
	type gone struct{ id, name, wg string }
	var fail []gone
	for rows.Next() {
		var id, wg, rc, name string
		if rows.Scan(&id, &wg, &rc, &name) != nil {
			continue
		}
		p, err := peer.Decode(rc)
		if err != nil {
			continue
		}
		if _, ok := s.dir.Member(wg, p); !ok || !s.inWorkgroup(wg) {
			fail = append(fail, gone{id, name, wg})
		}
	}
	rows.Close()
	for _, g := range fail {
		why := fmt.Sprintf("recipient %s is no longer a member of workgroup %s (revoked)", g.name, g.wg)
		if !s.inWorkgroup(g.wg) {
			why = fmt.Sprintf("this node was removed from workgroup %s", g.wg)
		}
		s.log.Warn("job failed: "+why, "job", g.id, "to", g.name)
		_ = s.setJobState(ctx, g.id, StateFailed, "", why)
	}
}

// work delivers what is due for p: directly if p is reachable, else
// through a mailbox.
func (s *Service) work(ctx context.Context, p peer.ID) {
	for ctx.Err() == nil {
		jobs, err := s.jobsFor(ctx, p, deliverBatchSize)
		if err != nil {
			return
		}
		receipts := s.receiptsFor(ctx, p)
		if len(jobs) == 0 && len(receipts) == 0 {
			return
		}
		var live []dueJob
		for _, j := range jobs {
			if !s.inWorkgroup(j.wg) {
				_ = s.setJobState(ctx, j.id, StateFailed, "", "this node was removed from the workgroup")
				continue
			}
			if _, ok := s.dir.Member(j.wg, p); !ok {
				_ = s.setJobState(ctx, j.id, StateFailed, "", "recipient is no longer a member of the workgroup (revoked)")
				continue
			}
			live = append(live, j)
		}
		jobs = live
		if s.receiptsToMailbox(ctx, p, receipts) { // receiptroute.go
			receipts = nil
			if len(jobs) == 0 {
				return // more due work makes the loop look again (workerDone)
			}
		}
		var reason string
		if err := s.connect(ctx, p); err == nil {
			var left []dueJob
			if len(jobs) > 0 {
				left, err = s.deliverDirect(ctx, p, jobs)
			}
			if err == nil {
				if s.sendReceiptsDirect(ctx, p, receipts) == nil {
					s.served(p)
					continue
				}
			}
			jobs = left
			reason = fmt.Sprintf("delivery to %s: %v", p, err)
			s.servedFailed(p) // connected, but it did not take them
		} else {
			reason = fmt.Sprintf("recipient unreachable: %v", err)
		}
		if s.failedAttempt(ctx, p, jobs, receipts, reason) {
			continue // p connected meanwhile: again, now
		}
		return
	}
}

type dueReceipt struct {
	id       string
	receipt  []byte
	attempts int
}

func (s *Service) receiptsFor(ctx context.Context, p peer.ID) []dueReceipt {
	rows, err := s.db.QueryContext(ctx, `SELECT id, receipt, attempts FROM spool_receipts_out WHERE to_peer=? AND next_try<=? LIMIT 500`, p.String(), nowMs())
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []dueReceipt
	for rows.Next() {
		var r dueReceipt
		if rows.Scan(&r.id, &r.receipt, &r.attempts) == nil {
			out = append(out, r)
		}
	}
	return out
}

func (s *Service) sendReceiptsDirect(ctx context.Context, p peer.ID, rs []dueReceipt) error {
	if len(rs) == 0 {
		return nil
	}
	st, err := s.h.NewStream(network.WithAllowLimitedConn(ctx, "deliver"), p, p2p.ProtoDeliver)
	if err != nil {
		return err
	}
	ss := s.sendStream(ctx, st)
	defer ss.Close()
	r := wire.NewReader(ss, maxControlFrame)
	bw := bufio.NewWriter(ss)
	for _, rc := range rs {
		if err := wire.WriteFrame(bw, &deliverReq{Op: opReceipt, Receipt: rc.receipt}); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	for i := range rs {
		var rep deliverReply
		if err := ss.readFrame(r, &rep); err != nil {
			s.receiptsSent(ctx, p, rs[:i])
			return err
		}
	}
	s.receiptsSent(ctx, p, rs) // refused receipts are not retried either
	return nil
}

// mailboxes lists mailbox members that can hold things for p (in a
// workgroup p is in), connected ones first; never self or p.
func (s *Service) mailboxes(p peer.ID, wg string) []workgroup.Member {
	var out []workgroup.Member
	seen := map[peer.ID]bool{}
	wgs := []string{wg}
	if wg == "" {
		wgs = nil
		for _, m := range s.dir.Memberships(p) {
			wgs = append(wgs, m.Workgroup)
		}
	}
	for _, w := range wgs {
		for _, m := range s.dir.Members(w) {
			if m.HasRole(workgroup.RoleMailbox) && m.PeerID != s.self && m.PeerID != p && !seen[m.PeerID] {
				seen[m.PeerID] = true
				out = append(out, m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return s.h.Network().Connectedness(out[i].PeerID) == network.Connected &&
			s.h.Network().Connectedness(out[j].PeerID) != network.Connected
	})
	return out
}

func (s *Service) viaMailbox(ctx context.Context, p peer.ID, jobs []dueJob, receipts []dueReceipt, reason string) {
	byWG := map[string][]dueJob{}
	var held []dueJob
	for _, j := range jobs {
		if j.state == StateDeposited {
			held = append(held, j) // already with a mailbox; try direct again later
			continue
		}
		byWG[j.wg] = append(byWG[j.wg], j)
	}
	s.attemptsFailed(ctx, held, reason)
	for wg, js := range byWG {
		why := reason + "; no mailbox member"
		for _, mb := range s.mailboxes(p, wg) {
			if len(js) == 0 {
				break
			}
			if err := s.connect(ctx, mb.PeerID); err != nil {
				why = fmt.Sprintf("%s; mailbox %s unreachable", reason, mb.Name)
				continue
			}
			left, err := s.depositJobs(ctx, mb.PeerID, mb.Name, js)
			js = left
			if err != nil {
				why = fmt.Sprintf("%s; %v", reason, err)
			}
		}
		s.attemptsFailed(ctx, js, why)
	}
	if len(receipts) == 0 {
		return
	}
	blobs := make([][]byte, len(receipts))
	for i, rc := range receipts {
		blobs[i] = rc.receipt
	}
	for _, mb := range s.mailboxes(p, "") {
		if s.connect(ctx, mb.PeerID) != nil {
			continue
		}
		if err := s.depositReceipts(ctx, mb.PeerID, blobs); err == nil {
			s.receiptsSent(ctx, p, receipts)
			return
		}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, rc := range receipts {
			next := time.Now().Add(backoff(s.cfg.RetryBase, s.cfg.RetryCap, rc.attempts+1)).UnixMilli()
			if _, err := tx.ExecContext(ctx, `UPDATE spool_receipts_out SET attempts=attempts+1, next_try=? WHERE id=? AND to_peer=?`, next, rc.id, p.String()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("reschedule receipts", "err", err)
	}
}

// receiptsSent forgets receipts that reached their addressee or a mailbox.
func (s *Service) receiptsSent(ctx context.Context, p peer.ID, rs []dueReceipt) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, rc := range rs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM spool_receipts_out WHERE id=? AND to_peer=?`, rc.id, p.String()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("forget sent receipts", "err", err)
	}
}

// connect makes sure there is a connection to p, dialing the addresses
// the peerstore or the spool's own record knows.
func (s *Service) connect(ctx context.Context, p peer.ID) error {
	if s.h.Network().Connectedness(p) == network.Connected {
		return nil
	}
	if len(s.h.Peerstore().Addrs(p)) == 0 {
		var js string
		if err := s.db.QueryRowContext(ctx, `SELECT addrs FROM spool_peer_addrs WHERE peer=?`, p.String()).Scan(&js); err == nil {
			var as []string
			_ = json.Unmarshal([]byte(js), &as)
			for _, a := range as {
				if m, err := ma.NewMultiaddr(a); err == nil {
					s.h.Peerstore().AddAddr(p, m, peerstore.TempAddrTTL)
				}
			}
		}
	}
	if len(s.h.Peerstore().Addrs(p)) == 0 {
		return errors.New("no known address")
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	return s.dial(ctx, p) // kick.go: ends when p connects by any way
}

// onConnected makes work for a newly connected member due now (peerUp;
// unless it is waiting out a backoff after failing to serve, and this
// node dialled it: a connection it opened itself is no news of the
// peer), and remembers its addresses.
func (s *Service) onConnected(ctx context.Context, p peer.ID, inbound bool) {
	if !s.peerUp(ctx, p, inbound) {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(2 * time.Second): // let identify fill in the listen addresses
	}
	s.rememberAddrs(ctx, p)
}

// fetchLoop asks mailbox members for what waits for this node, every
// FetchInterval, whenever a mailbox connects, and when a mailbox notifies
// (mailnotify.go; at most once a notifyGap per mailbox). Each fetch runs
// on its mailbox's own goroutine (startFetch, mailbox_fetch.go), so a
// slow or stalled mailbox holds up no other.
func (s *Service) fetchLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.FetchInterval)
	defer t.Stop()
	hint := time.NewTimer(time.Hour) // a mailbox's notify waiting out notifyGap (mailnotify.go)
	hint.Stop()
	defer hint.Stop()
	s.fetchAll()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-s.fetchNow:
			s.startFetch(p)
		case <-t.C:
			s.fetchAll()
		case <-s.hintWake:
		case <-hint.C:
		}
		if wait := s.fetchHinted(); wait > 0 {
			hint.Reset(wait)
		}
	}
}

// mailboxPeers lists the mailbox members of this node's workgroups (not
// this node).
func (s *Service) mailboxPeers() []peer.ID {
	var mbs []peer.ID
	seen := map[peer.ID]bool{}
	for _, w := range s.dir.Workgroups() {
		for _, m := range s.dir.Members(w.ID) {
			if m.HasRole(workgroup.RoleMailbox) && m.PeerID != s.self && !seen[m.PeerID] {
				seen[m.PeerID] = true
				mbs = append(mbs, m.PeerID)
			}
		}
	}
	return mbs
}

// fetchAll starts a fetch from every mailbox member.
func (s *Service) fetchAll() {
	for _, mb := range s.mailboxPeers() {
		s.startFetch(mb)
	}
}

// FetchNow fetches from every mailbox member at once, each on its own
// goroutine, and returns when all are done (for tests and the API):
// asked for, it does not wait out backoffs (retry.go).
func (s *Service) FetchNow(ctx context.Context) {
	s.mu.Lock()
	for _, r := range s.retry {
		r.until = time.Time{}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, mb := range s.mailboxPeers() {
		wg.Go(func() { s.fetchOne(ctx, mb) })
	}
	wg.Wait()
}

// fetchOne fetches from mailbox mb unless mb is waiting out a backoff
// (retry.go) after failed fetches.
func (s *Service) fetchOne(ctx context.Context, mb peer.ID) {
	if ctx.Err() != nil || s.heldOff(mb) || s.connect(ctx, mb) != nil {
		return
	}
	err := s.fetchFrom(ctx, mb)
	s.fetches.Add(1)
	if err != nil {
		if ctx.Err() == nil {
			d := s.servedFailed(mb)
			s.log.Info("fetch from mailbox", "mailbox", mb, "err", err, "retry_in", d.Round(time.Millisecond))
		}
		return
	}
	s.served(mb)
	s.Wake() // receipts to send
}
