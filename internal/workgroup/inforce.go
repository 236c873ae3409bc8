package workgroup

import (
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Revoking an admin never gives rights back (issue 16, item 8).
//
// A member's certificate in force is its newest chain-valid one. When an
// admin is revoked, the certificates it issued become void (as a CA's
// revocation would), so an older certificate of the same member, issued
// by another admin, may take over: without more, `alice: member group
// add bob ops`, `dave: member group rm bob ops`, `alice: member remove
// dave` put bob back in ops. So the newest state is kept explicitly:
//
//   - a certificate issued by an admin before that admin's revocation
//     (its not-before at or before the revocation's time) is still
//     accepted into the roster and stored (not as a membership: its
//     chain is void), so every node holds the same items whatever order
//     they arrived in;
//   - the groups of the certificate in force are capped by every newer
//     certificate of the same peer already in its window, valid or void
//     (a void one counts only if issued before its issuer's revocation):
//     the member keeps only the groups all of them grant. So revoking an
//     admin can take rights away, never give them back; an admin restores
//     them by reissuing (SetGroups dates its certificate after every
//     certificate of the member).
//
// Roles are not capped (no command changes them; capping them would let
// one void certificate demote an admin and void everything it issued).

// issuedBeforeRevocation reports whether c, whose issuer is revoked, was
// issued before that revocation by a peer that was then an admin.
func (w *wgState) issuedBeforeRevocation(c *Cert, now time.Time) bool {
	t, revoked := w.revTime[c.IssuerID]
	if !revoked || c.NotBefore > t {
		return false
	}
	for _, ic := range w.byPeer[c.IssuerID] {
		if ic.HasRole(RoleAdmin) && ic.Hash != c.Hash && w.chainOKExcept(ic, now, 0, c.IssuerID) {
			return true
		}
	}
	return false
}

// inForce returns best, the newest chain-valid certificate of its peer,
// with its groups capped by the peer's newer certificates (see above).
func (w *wgState) inForce(best *Cert, now time.Time) *Cert {
	var out *Cert
	for _, c := range w.byPeer[best.PeerID] {
		if c == best || !newer(c, best) || c.NotBefore > now.Unix() {
			continue
		}
		if c.IssuerID != "" && w.revoked[c.IssuerID] && !w.issuedBeforeRevocation(c, now) {
			continue
		}
		if out == nil {
			cp := *best
			out = &cp
		}
		out.Groups = slices.DeleteFunc(slices.Clone(out.Groups), func(g string) bool { return !slices.Contains(c.Groups, g) })
	}
	if out == nil {
		return best
	}
	return out
}

// latestNotBefore returns the latest not-before of p's certificates in
// wg (valid or not): a reissue must be dated after it to be in force.
func (r *Roster) latestNotBefore(wg string, p peer.ID) int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return 0
	}
	var t int64
	for _, c := range w.byPeer[p] {
		t = max(t, c.NotBefore)
	}
	return t
}
