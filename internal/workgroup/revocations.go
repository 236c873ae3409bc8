package workgroup

import (
	"bytes"
	"cmp"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Which revocations count: a replay in time order.
//
// Every node must reach the same members from the same items, whatever
// order they arrived in (a sync bundle is even built in map order). A
// revocation signed by an admin who is later revoked is the hard case:
// "A revokes M at t, the root revokes A at t+10" used to leave M revoked
// on nodes that took A's revocation of M first and a member on nodes
// that took A's own revocation first (A no longer an admin: refused),
// for good.
//
// So the roster stores every revocation whose issuer is the root or
// holds an admin certificate whose chain of signatures reaches the root
// at the revocation's time, revoked since or not (heldAdmin: a property
// of the items held, which only grows, so every node stores the same
// ones), and decides which of them are in force by replaying them in
// time order (then by hash): one counts when its issuer is the root or
// is an admin at its time given the revocations that counted before it.
// A revokes M at t counts (A was an admin then); a revocation A signs
// after its own revocation does not. revoked and revTime hold the result,
// recomputed from the items at every rebuild.
//
// As for certificates (inforce.go), this trusts the issuer's clock: the
// key of a revoked admin could still sign a revocation dated before its
// own revocation. That can only take rights away, and every node decides
// it the same way.

// heldAdmin reports whether p holds an admin certificate valid at at
// whose chain of signatures reaches the root, whatever was revoked.
func (w *wgState) heldAdmin(p peer.ID, at time.Time) bool {
	never := func(peer.ID) bool { return false }
	return w.holdsAdmin(p, func(c *Cert) bool { return w.chainHolds(c, at, 0, never) })
}

// revokedAt is when a revocation takes effect for the checks of its
// issuer: its own time, or now for one dated ahead.
func revokedAt(rv *Revocation, now time.Time) time.Time {
	at := time.Unix(rv.Time, 0)
	if at.After(now) {
		return now
	}
	return at
}

// storableRevocation reports whether rv may be stored: issued by the
// root or by a peer that held an admin certificate at its time.
func (w *wgState) storableRevocation(rv *Revocation, now time.Time) bool {
	return rv.IssuerID == "" || w.heldAdmin(rv.IssuerID, revokedAt(rv, now))
}

// replayRevocations recomputes revoked, revTime and revFirst from the
// stored revocations (see above).
func (w *wgState) replayRevocations(now time.Time) {
	all := make([]*Revocation, 0, len(w.revs))
	for _, rv := range w.revs {
		all = append(all, rv)
	}
	slices.SortFunc(all, func(a, b *Revocation) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), bytes.Compare(a.Hash[:], b.Hash[:]))
	})
	w.revoked, w.revTime, w.revFirst = map[peer.ID]bool{}, map[peer.ID]int64{}, map[peer.ID]*Revocation{}
	for _, rv := range all {
		if w.revoked[rv.PeerID] {
			continue // the earliest that counts is kept
		}
		if rv.IssuerID != "" && !w.adminAt(rv.IssuerID, revokedAt(rv, now)) {
			continue
		}
		w.revoked[rv.PeerID], w.revTime[rv.PeerID], w.revFirst[rv.PeerID] = true, rv.Time, rv
	}
}

// adminAt reports whether p was an admin at at: it holds an admin
// certificate valid then whose chain holds, counting only the
// revocations in force dated at or before at.
func (w *wgState) adminAt(p peer.ID, at time.Time) bool {
	gone := func(q peer.ID) bool { t, ok := w.revTime[q]; return ok && t <= at.Unix() }
	return w.holdsAdmin(p, func(c *Cert) bool { return w.chainHolds(c, at, 0, gone) })
}
