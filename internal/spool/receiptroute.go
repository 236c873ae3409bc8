package spool

import (
	"context"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Receipts go back the way their messages came (records/
// 2026-12-01-s16-receipts.md). The receipts this node queues
// (spool_receipts_out) are for messages it fetched from a mailbox: their
// senders could not reach it, or were offline, when they sent. A worker
// used to dial such a sender before anything else and deposit the
// receipts with a mailbox only once the dial failed; a sender offline,
// or behind a NAT that drops what comes, makes that dial hang until
// DialTimeout (5 s), and a sender back meanwhile, connected to the
// mailbox and fetching from it on connecting, found nothing there: the
// NAT lab's returning sender saw its jobs delivered 4.9 to 5.6 s after
// its start. Now a worker with receipts for a sender that is not
// connected (not even by a relay) deposits them at once with a mailbox
// it is connected to, without dialling anyone: the sender gets them when
// it connects to that mailbox (its fetch on connecting) or at once if it
// is connected to it (the mailbox's notify, mailnotify.go). Only when no
// connected mailbox takes them does the worker go the old way: direct
// (dialling), then any mailbox, then the backoff. A sender connected to
// this node gets them directly, as before; one that connects to this
// node after they went to a mailbox sends its small deposited jobs again
// (dueNow) and this node answers with the receipt it kept, so its jobs
// turn delivered either way. A receipt is a signed statement the sender
// applies once (a delivered job ignores another): it reaching the sender
// twice, directly and from the mailbox, changes nothing. Nothing is sent
// when no receipt is due.

// connectedNow reports whether p is connected to this node, directly or
// by a relay (a limited connection carries deliver and mailbox streams).
func (s *Service) connectedNow(p peer.ID) bool {
	c := s.h.Network().Connectedness(p)
	return c == network.Connected || c == network.Limited
}

// receiptsToMailbox deposits receipts for p, which is not connected,
// with the first mailbox this node is connected to that takes them, and
// forgets them; it reports whether one took them. It dials no one.
func (s *Service) receiptsToMailbox(ctx context.Context, p peer.ID, receipts []dueReceipt) bool {
	if len(receipts) == 0 || s.connectedNow(p) {
		return false
	}
	var blobs [][]byte
	for _, mb := range s.mailboxes(p, "") {
		if !s.connectedNow(mb.PeerID) || s.heldOff(mb.PeerID) {
			continue
		}
		if blobs == nil {
			blobs = make([][]byte, len(receipts))
			for i, rc := range receipts {
				blobs[i] = rc.receipt
			}
		}
		err := s.depositReceipts(network.WithNoDial(ctx, "receipts to a connected mailbox"), mb.PeerID, blobs)
		if err == nil {
			s.receiptsSent(ctx, p, receipts)
			s.log.Debug("receipts deposited with a connected mailbox", "to", p, "mailbox", mb.Name, "receipts", len(receipts))
			return true
		}
		s.log.Debug("deposit receipts with a connected mailbox", "to", p, "mailbox", mb.Name, "err", err)
	}
	return false
}
