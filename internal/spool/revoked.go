package spool

import (
	"context"
	"database/sql"

	"github.com/libp2p/go-libp2p/core/peer"
)

// dropRevokedHeld deletes what this node holds as a mailbox for members
// who were revoked since: messages for a recipient no longer in the
// message's workgroup, and receipts for a peer in no workgroup at all.
// Nobody could fetch them (the mailbox protocol serves members only), and
// the senders' own roster turns their jobs into visible failures.
func (s *Service) dropRevokedHeld(ctx context.Context) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT recipient FROM spool_mailbox`)
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
	type held struct{ item, id, hash string }
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
		rs, err := s.db.QueryContext(ctx, `SELECT item, id, hash, blob FROM spool_mailbox WHERE recipient=?`, rc)
		if err != nil {
			continue
		}
		for rs.Next() {
			var h held
			var blob []byte
			if rs.Scan(&h.item, &h.id, &h.hash, &blob) != nil {
				continue
			}
			switch h.item {
			case itemReceipt:
				if len(ms) > 0 {
					continue
				}
			default:
				if env, err := DecodeEnvelope(blob); err == nil && in[env.Workgroup] {
					continue
				}
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
			if _, err := tx.ExecContext(ctx, `DELETE FROM spool_mailbox WHERE recipient=? AND item=? AND id=?`, who[i], h.item, h.id); err != nil {
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
		s.log.Info("mailbox: dropped item of a revoked member", "item", h.item, "id", h.id, "for", who[i])
		s.releaseCiphertext(ctx, h.hash)
	}
}
