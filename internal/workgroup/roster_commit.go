package workgroup

import (
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// MergeDurable is Merge for a roster kept in step with storage: the new
// items are handed to persist while the roster is still locked, and they
// become visible (members, revocations, Digest) only once persist has
// succeeded. Should persist fail, the roster is left as it was and the
// error returned. So nothing the roster reports is missing from storage,
// and a reload restores exactly the in-memory roster.
//
// If mustHold is not empty, the merge is also undone (and an error
// returned) unless that peer is a valid member afterwards.
//
// persist runs with the roster locked: it must not call the roster.
func (r *Roster) MergeDurable(wg string, b Bundle, mustHold peer.ID, persist func(added Bundle) error) (added Bundle, refused int, err error) {
	added, refused, err = r.mergeDurable(wg, b, mustHold, persist)
	if err == nil && added.Len() > 0 {
		r.notify()
	}
	return added, refused, err
}

func (r *Roster) mergeDurable(wg string, b Bundle, mustHold peer.ID, persist func(Bundle) error) (Bundle, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Bundle{}, b.Len(), fmt.Errorf("merge roster: unknown workgroup %s", wg)
	}
	now := r.now()
	added, ch, refused := w.accept(b, now)
	if added.Len() == 0 {
		if mustHold != "" {
			if _, ok := w.members[mustHold]; !ok {
				return Bundle{}, refused, fmt.Errorf("merge roster: %s holds no valid certificate", mustHold)
			}
		}
		return Bundle{}, refused, nil
	}
	w.rebuild(now)
	if mustHold != "" {
		if _, ok := w.members[mustHold]; !ok {
			w.undo(ch, now)
			return Bundle{}, refused, fmt.Errorf("merge roster: %s holds no valid certificate", mustHold)
		}
	}
	if err := persist(added); err != nil {
		w.undo(ch, now)
		return Bundle{}, refused, err
	}
	return added, refused, nil
}

// undo removes the items just added by accept, puts back the name items
// they made the roster drop, and recomputes the members and the name in
// force.
func (w *wgState) undo(ch accepted, now time.Time) {
	for _, c := range ch.certs {
		delete(w.certs, c.Hash)
		cs := slices.DeleteFunc(w.byPeer[c.PeerID], func(o *Cert) bool { return o == c })
		if len(cs) == 0 {
			delete(w.byPeer, c.PeerID)
		} else {
			w.byPeer[c.PeerID] = cs
		}
	}
	for _, rv := range ch.revs {
		delete(w.revs, rv.Hash)
	}
	for _, n := range ch.names {
		delete(w.names, n.Hash)
	}
	for _, n := range ch.dropped {
		w.names[n.Hash] = n
	}
	w.rebuild(now)
}
