package workgroup

import (
	"fmt"
	"sort"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Removal tells that this node was removed from a workgroup whose roster
// it still holds: by whom and when. A removed node stops using the
// workgroup (Workgroups and Self leave it out, so no service fetches,
// announces presence or dials for it) and shows the removal in `status`,
// `workgroup ls` and, once, in its log.
type Removal struct {
	Workgroup Info
	By        string  // the remover's member name ("" if unknown)
	ByPeer    peer.ID // "" when the workgroup's root key signed it
	At        time.Time
}

// String is the sentence users read: "removed from office by alice at
// 2026-11-30 07:20 UTC".
func (r Removal) String() string {
	by := r.By
	if by == "" {
		by = "an admin"
	}
	return fmt.Sprintf("removed from %s by %s at %s", r.Workgroup.Name, by, r.At.UTC().Format("2006-01-02 15:04 UTC"))
}

// Removals lists the workgroups this node was removed from, by name.
func (r *Roster) Removals() []Removal {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Removal
	for id, w := range r.wgs {
		if rm, ok := w.removal(id, r.self); ok {
			out = append(out, rm)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Workgroup.Name < out[j].Workgroup.Name })
	return out
}

// Removal returns how this node was removed from wg, if it was.
func (r *Roster) Removal(wg string) (Removal, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return Removal{}, false
	}
	return w.removal(wg, r.self)
}

// removal finds the revocation of self in force in w. r.mu is held.
func (w *wgState) removal(id string, self peer.ID) (Removal, bool) {
	if !w.revoked[self] {
		return Removal{}, false
	}
	first := w.revFirst[self]
	rm := Removal{Workgroup: Info{ID: id, Name: w.root.Name}}
	if first == nil {
		return rm, true
	}
	rm.At, rm.ByPeer = time.Unix(first.Time, 0), first.IssuerID
	rm.By = w.nameOf(first.IssuerID)
	return rm, true
}

// nameOf is the member name a peer held in w (valid or not); for "" (the
// root key) the name of the first member the root certified as admin,
// the workgroup's creator.
func (w *wgState) nameOf(p peer.ID) string {
	var best *Cert
	if p == "" {
		for _, cs := range w.byPeer {
			for _, c := range cs {
				if c.IssuerID == "" && c.HasRole(RoleAdmin) && (best == nil || c.NotBefore < best.NotBefore) {
					best = c
				}
			}
		}
	} else {
		for _, c := range w.byPeer[p] {
			if best == nil || newer(c, best) {
				best = c
			}
		}
	}
	if best == nil {
		return ""
	}
	return best.Name
}

// logRemoval logs, once, that this node was removed from wg, when added
// (a merge just stored) holds this node's revocation.
func (s *Service) logRemoval(wg string, added Bundle) {
	root, _ := s.roster.Root(wg)
	for _, raw := range added.Revs {
		if rv, err := ParseRevocation(raw, root.Pub); err == nil && rv.PeerID == s.self {
			if rm, ok := s.roster.Removal(wg); ok {
				s.log.Warn("this node was "+rm.String()+"; it no longer uses the workgroup", "workgroup", wg)
			}
			return
		}
	}
}
