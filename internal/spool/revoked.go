package spool

import (
	"context"
	"database/sql"

	"github.com/libp2p/go-libp2p/core/peer"
)

// dropRevokedHeld deletes what this node holds as a mailbox for members
// who were revoked since: messages for a recipient no longer in the
// message's workgroup, and receipts whose signer and addressee no longer
// share a workgroup (one of them was revoked from it). Nobody could fetch them (the mailbox protocol serves members
// only) or they answer a message whose job the roster has failed: the
// senders' own roster turns their jobs into visible failures.
func (s *Service) dropRevokedHeld(ctx context.Context) {
	s.dropUnsharedReceipts(ctx)
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT recipient FROM spool_mailbox WHERE item=?`, itemMessage)
	if err != nil {
		return
	}
	var recipients []string
	for rows.Next() {
		var r string
		if rows.Scan(&r) == nil {
			recipients = append(recipients, r)
		}
	}
	rows.Close()
	nwg := len(s.dir.Workgroups())
	type held struct{ id, sender, hash string }
	var drop []held
	var who []string
	for _, rc := range recipients {
		p, err := peer.Decode(rc)
		if err != nil {
			continue
		}
		ms := s.dir.Memberships(p)
		if len(ms) >= nwg {
			continue // a member of every workgroup this node knows
		}
		in := map[string]bool{}
		for _, m := range ms {
			in[m.Workgroup] = true
		}
		rs, err := s.db.QueryContext(ctx, `SELECT id, sender, hash, blob FROM spool_mailbox WHERE recipient=? AND item=?`, rc, itemMessage)
		if err != nil {
			continue
		}
		for rs.Next() {
			var h held
			var blob []byte
			if rs.Scan(&h.id, &h.sender, &h.hash, &blob) != nil {
				continue
			}
			if env, err := DecodeEnvelope(blob); err == nil && in[env.Workgroup] {
				continue
			}
			drop = append(drop, h)
			who = append(who, rc)
		}
		rs.Close()
	}
	if len(drop) == 0 {
		return
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for i, h := range drop {
			if _, err := tx.ExecContext(ctx, `DELETE FROM spool_mailbox WHERE recipient=? AND item=? AND id=? AND sender=?`, who[i], itemMessage, h.id, h.sender); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("mailbox: drop items of revoked members", "err", err)
		return
	}
	for i, h := range drop {
		s.log.Info("mailbox: dropped message of a revoked member", "id", h.id, "from", h.sender, "for", who[i])
		s.releaseCiphertext(ctx, h.hash)
	}
}

// dropUnsharedReceipts deletes the receipts held for an addressee that
// shares no workgroup with their signer any more: the receipt answers a
// message between them, whose job the roster has failed. (Losing the
// mailbox role drops nothing, as for messages.)
func (s *Service) dropUnsharedReceipts(ctx context.Context) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT recipient, sender FROM spool_mailbox WHERE item=?`, itemReceipt)
	if err != nil {
		return
	}
	type pair struct{ to, from string }
	var drop []pair
	for rows.Next() {
		var p pair
		if rows.Scan(&p.to, &p.from) != nil {
			continue
		}
		to, err1 := peer.Decode(p.to)
		from, err2 := peer.Decode(p.from)
		if err1 == nil && err2 == nil && s.shareWorkgroup(from, to) {
			continue
		}
		drop = append(drop, p)
	}
	rows.Close()
	for _, p := range drop {
		res, err := s.db.ExecContext(ctx, `DELETE FROM spool_mailbox WHERE recipient=? AND item=? AND sender=?`, p.to, itemReceipt, p.from)
		if err != nil {
			s.log.Warn("mailbox: drop receipts of a revoked member", "err", err)
			return
		}
		if n, _ := res.RowsAffected(); n > 0 {
			s.log.Info("mailbox: dropped receipts of a revoked member", "receipts", n, "from", p.from, "for", p.to)
		}
	}
}

// shareWorkgroup reports whether a and b are members of one workgroup.
func (s *Service) shareWorkgroup(a, b peer.ID) bool {
	for _, m := range s.dir.Memberships(b) {
		if _, ok := s.dir.Member(m.Workgroup, a); ok {
			return true
		}
	}
	return false
}
