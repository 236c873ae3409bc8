package workgroup

import (
	"net/netip"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Probation: an unknown inbound peer (a member that joined while this
// node was away, or a stranger) is let in for a moment to present its
// certificate over hello. Strangers must not be able to fill the places
// and lock real members out:
//
//   - a place lasts probation (3 s) and the hello this node asks is
//     bounded by probationHello (2 s): a peer that does not answer with
//     a valid certificate in time is dropped;
//   - at most maxProbationPerIP peers from one address (IPv4, or IPv6
//     /64) and maxProbationPerSubnet from one subnet (IPv4 /24, IPv6
//     /48) hold places at once, maxProbation in all;
//   - when a bound is reached, the oldest peer on probation within it is
//     evicted (its connection closed unless something else admits it),
//     so a newcomer always gets a place and the flood only churns the
//     attacker's own peers; how fast one address can connect at all is
//     bounded by the host's connection rate limiter (internal/p2p);
//   - a peer whose hello failed is kept out for probationCooldown.
const (
	probation             = 3 * time.Second
	probationHello        = 2 * time.Second
	maxProbation          = 32
	maxProbationPerIP     = 4
	maxProbationPerSubnet = 8
	probationCooldown     = time.Minute
)

// probationList holds the peers on probation.
type probationList struct {
	mu    sync.Mutex
	peers map[peer.ID]*probationer
}

type probationer struct {
	at     time.Time // admitted
	ip     string    // address key ("" unknown)
	subnet string    // subnet key ("" unknown)
	asked  bool      // its hello is under way or done
	failed bool      // it presented no valid certificate
}

func newProbationList() *probationList {
	return &probationList{peers: map[peer.ID]*probationer{}}
}

// addrKeys returns the address and subnet keys of a remote address
// (IPv4 /32 and /24, IPv6 /64 and /48), "" when it has no IP.
func addrKeys(remote ma.Multiaddr) (ip, subnet string) {
	if remote == nil {
		return "", ""
	}
	nip, err := manet.ToIP(remote)
	if err != nil {
		return "", ""
	}
	a, ok := netip.AddrFromSlice(nip)
	if !ok {
		return "", ""
	}
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32).String(), netip.PrefixFrom(a, 24).Masked().String()
	}
	return netip.PrefixFrom(a, 64).Masked().String(), netip.PrefixFrom(a, 48).Masked().String()
}

// active reports whether e holds a place at now.
func (e *probationer) active(now time.Time) bool {
	return !e.failed && now.Sub(e.at) < probation
}

// onProbation reports whether p holds a place now (without admitting it).
func (l *probationList) onProbation(p peer.ID, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.peers[p]
	return ok && e.active(now)
}

// admit gives p a place on probation unless it holds one (true) or its
// hello failed within the cooldown (false). To make room it evicts the
// oldest peers on probation from p's address, p's subnet, or at all; it
// returns them, for the caller to disconnect.
func (l *probationList) admit(p peer.ID, remote ma.Multiaddr, now time.Time) (ok bool, evicted []peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for q, e := range l.peers {
		if now.Sub(e.at) >= probation+probationCooldown || (!e.failed && now.Sub(e.at) >= probation) {
			delete(l.peers, q)
		}
	}
	if e, ok := l.peers[p]; ok {
		return e.active(now), nil
	}
	ip, subnet := addrKeys(remote)
	bounds := []struct {
		limit int
		in    func(*probationer) bool
	}{
		{maxProbationPerIP, func(e *probationer) bool { return ip != "" && e.ip == ip }},
		{maxProbationPerSubnet, func(e *probationer) bool { return subnet != "" && e.subnet == subnet }},
		{maxProbation, func(*probationer) bool { return true }},
	}
	for _, b := range bounds {
		for {
			var oldest peer.ID
			n := 0
			for q, e := range l.peers {
				if !e.active(now) || !b.in(e) {
					continue
				}
				n++
				if oldest == "" || e.at.Before(l.peers[oldest].at) {
					oldest = q
				}
			}
			if n < b.limit {
				break
			}
			delete(l.peers, oldest)
			evicted = append(evicted, oldest)
		}
	}
	l.peers[p] = &probationer{at: now, ip: ip, subnet: subnet}
	return true, evicted
}

// ask reports whether this node should ask p for its certificates now:
// p is on probation and not asked yet.
func (l *probationList) ask(p peer.ID, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.peers[p]
	if !ok || e.asked || !e.active(now) {
		return false
	}
	e.asked = true
	return true
}

// end takes p off probation: admitted (a member now), or failed.
func (l *probationList) end(p peer.ID, admitted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if admitted {
		delete(l.peers, p)
	} else if e, ok := l.peers[p]; ok {
		e.failed = true
	}
}
