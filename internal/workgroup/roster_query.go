package workgroup

import "github.com/libp2p/go-libp2p/core/peer"

// MemberCount returns the number of valid members of wg.
func (r *Roster) MemberCount(wg string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if w, ok := r.wgs[wg]; ok {
		return len(w.members)
	}
	return 0
}

// current returns the certificate in force for p in wg.
func (r *Roster) current(wg string, p peer.ID) (*Cert, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return nil, false
	}
	c, ok := w.members[p]
	return c, ok
}
