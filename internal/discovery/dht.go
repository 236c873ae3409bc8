package discovery

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/workgroup"
)

var errNoAddrs = errors.New("no known address")

// DHTPrefix returns the protocol prefix of workgroup wg's private DHT:
// "/peerhood/dht/" + the first 16 characters of the lowercase unpadded
// base32 of SHA-256("peerhood dht v1\x00" || wg). Identify lists every
// protocol a node serves to every peer that connects, strangers
// included; a tag derived one way from the workgroup ID tells them
// nothing of which workgroups the node is in (members compute it).
func DHTPrefix(wg string) protocol.ID {
	sum := sha256.Sum256([]byte("peerhood dht v1\x00" + wg))
	tag := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
	return protocol.ID("/peerhood/dht/" + tag[:16])
}

// membersOnlyHost is the host the DHT of one workgroup is given: every
// stream handler the DHT installs is wrapped so that a stream from a
// peer that is not a member of that workgroup (a stranger on probation,
// a member of another workgroup of this node) is reset before a byte is
// read. So the DHT answers FIND_NODE to members of its workgroup only.
type membersOnlyHost struct {
	host.Host
	member func(peer.ID) bool
}

func (h membersOnlyHost) guard(fn network.StreamHandler) network.StreamHandler {
	return func(s network.Stream) {
		if !h.member(s.Conn().RemotePeer()) {
			_ = s.Reset()
			return
		}
		fn(&cappedStream{Stream: s})
	}
}

// dhtMaxRequest is the largest message a member may send on a stream it
// opened to this node's DHT. kad reads messages of up to 4 MiB
// (network.MessageSizeMax), allocating the whole length as soon as it is
// announced, outside the resource manager: a member announcing 4 MiB on
// each of its DHT streams (libp2p's default, 64 and more per peer) made
// the node allocate 4 MiB each and hold it while it sent nothing more
// (records/2026-12-01-s15-hostile.md). This DHT only finds peers, and
// a FIND_NODE request is a few dozen bytes (the answers, which can be
// larger, come on streams this node opened, not capped).
const dhtMaxRequest = 64 << 10

// errDHTRequestTooLarge ends a DHT stream whose request is over
// dhtMaxRequest.
var errDHTRequestTooLarge = errors.New("discovery: DHT request over 64 KiB")

// cappedStream is an inbound DHT stream as kad sees it: it follows kad's
// framing (uvarint length, then the message) and resets the stream on a
// length over dhtMaxRequest before kad reads the last byte of it (kad
// reads a length a byte at a time), so kad never allocates it.
type cappedStream struct {
	network.Stream
	left uint64 // bytes of the current message still to come
	hdr  []byte // the length read so far
}

func (s *cappedStream) Read(p []byte) (int, error) {
	n, err := s.Stream.Read(p)
	for i := 0; i < n; {
		if s.left > 0 {
			k := min(uint64(n-i), s.left)
			s.left -= k
			i += int(k)
			continue
		}
		b := p[i]
		i++
		s.hdr = append(s.hdr, b)
		if b >= 0x80 && len(s.hdr) < binary.MaxVarintLen64 {
			continue
		}
		l, k := binary.Uvarint(s.hdr)
		s.hdr = s.hdr[:0]
		if k <= 0 || l > dhtMaxRequest {
			_ = s.Stream.Reset()
			return 0, errDHTRequestTooLarge
		}
		s.left = l
	}
	return n, err
}

func (h membersOnlyHost) SetStreamHandler(pid protocol.ID, fn network.StreamHandler) {
	h.Host.SetStreamHandler(pid, h.guard(fn))
}

func (h membersOnlyHost) SetStreamHandlerMatch(pid protocol.ID, m func(protocol.ID) bool, fn network.StreamHandler) {
	h.Host.SetStreamHandlerMatch(pid, m, h.guard(fn))
}

// wgDHT is the Kademlia DHT private to one workgroup: it answers only
// its members (membersOnlyHost), only its members enter the routing
// table, an empty table is filled from members' known
// addresses, and it only finds peers (no values, no providers).
//
// It does not refresh its routing table (no bootstrap, no periodic
// refresh): a refresh looks up a key per bucket, each lookup connects to
// the members along its way, and those connections stay, so in a
// workgroup of a few hundred every member ended up connected to nearly
// every other (about 6,000 sockets among 80 in-process members). The
// table holds the members this node is connected to, which is where a
// lookup starts; lookups run only for a member whose address neither the
// address book nor a presence heartbeat gave.
type wgDHT struct {
	d *dht.IpfsDHT
}

func (w *wgDHT) close() { _ = w.d.Close() }

func (w *wgDHT) findPeer(ctx context.Context, p peer.ID) (peer.AddrInfo, error) {
	ai, err := w.d.FindPeer(ctx, p)
	if err != nil {
		return ai, fmt.Errorf("find %s in the workgroup DHT: %w", p, err)
	}
	return ai, nil
}

func (s *Service) dht(wg string) *wgDHT {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dhts[wg]
}

// syncDHTs starts the DHT of each workgroup this node entered and stops
// those of workgroups it left. It reports whether every workgroup has its
// DHT (a DHT that failed to start is tried again at the next round).
func (s *Service) syncDHTs(wgs []workgroup.Info) bool {
	all := true
	want := map[string]bool{}
	for _, w := range wgs {
		want[w.ID] = true
	}
	// A DHT starts and stops outside s.mu: both register or remove
	// network notifiees and event subscriptions, which wait for the
	// swarm's and the event bus's locks, while this service's own
	// connection notifications (run under those) take s.mu. Only the
	// loop calls syncDHTs, and Close waits for the loop, so no other
	// change to s.dhts happens meanwhile.
	var stale []*wgDHT
	var add []string
	s.mu.Lock()
	for id, d := range s.dhts {
		if !want[id] {
			stale = append(stale, d)
			delete(s.dhts, id)
		}
	}
	for id := range want {
		if _, ok := s.dhts[id]; !ok {
			add = append(add, id)
		}
	}
	s.mu.Unlock()
	for _, d := range stale {
		d.close()
	}
	for _, id := range add {
		d, err := s.newDHT(id)
		if err != nil {
			s.cfg.Log.Warn("workgroup DHT", "workgroup", id, "err", err)
			all = false
			continue
		}
		s.mu.Lock()
		s.dhts[id] = d
		s.mu.Unlock()
	}
	return all
}

func (s *Service) newDHT(wg string) (*wgDHT, error) {
	member := func(p peer.ID) bool { _, ok := s.cfg.Dir.Member(wg, p); return ok }
	d, err := dht.New(membersOnlyHost{Host: s.cfg.Host.Host, member: member},
		dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix(DHTPrefix(wg)),
		dht.DisableProviders(),
		dht.DisableValues(),
		dht.DisableAutoRefresh(),
		dht.BootstrapPeersFunc(func() []peer.AddrInfo { return s.memberAddrInfos(wg, 16) }),
		dht.RoutingTableFilter(func(_ any, p peer.ID) bool { return member(p) }),
		dht.QueryFilter(func(_ any, ai peer.AddrInfo) bool { return member(ai.ID) }),
	)
	if err != nil {
		return nil, fmt.Errorf("start DHT %s: %w", DHTPrefix(wg), err)
	}
	return &wgDHT{d: d}, nil
}

// memberAddrInfos returns up to n members of wg with known addresses,
// connected ones first.
func (s *Service) memberAddrInfos(wg string, n int) []peer.AddrInfo {
	var c connectedFirst
	for _, m := range s.cfg.Dir.Members(wg) {
		if m.PeerID != s.cfg.Host.ID() {
			c.add(s, m.PeerID)
		}
	}
	return c.take(n)
}

// connectedFirst collects members with known addresses, the ones this
// node is connected to before the others.
type connectedFirst struct{ conn, other []peer.AddrInfo }

// add adds p with its addresses (the peerstore's, else the address
// book's); a member with none is left out.
func (c *connectedFirst) add(s *Service, p peer.ID) {
	h := s.cfg.Host
	addrs := h.Peerstore().Addrs(p)
	if len(addrs) == 0 {
		if book, err := s.book.Addrs(s.ctx, p); err == nil {
			addrs = book
		}
	}
	if len(addrs) == 0 {
		return
	}
	ai := peer.AddrInfo{ID: p, Addrs: addrs}
	if len(h.Network().ConnsToPeer(p)) > 0 {
		c.conn = append(c.conn, ai)
	} else {
		c.other = append(c.other, ai)
	}
}

// take returns up to n of them, connected ones first.
func (c *connectedFirst) take(n int) []peer.AddrInfo {
	out := append(c.conn, c.other...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}
