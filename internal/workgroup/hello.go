package workgroup

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// HelloAsk opens /peerhood/hello/1: the asking node (which does not know
// the other peer, possibly a stranger) names the workgroups it is in
// without revealing their IDs: a fresh random Nonce and, per workgroup,
// helloTag(nonce, ID). The other peer, if a member, computes the tags of
// its own workgroups and matches them. Workgroups (IDs in clear) is what
// older nodes sent; it is still answered, never sent.
type HelloAsk struct {
	Workgroups []string `cbor:"1,keyasint,omitempty"`
	Nonce      []byte   `cbor:"2,keyasint,omitempty"`
	Tags       [][]byte `cbor:"3,keyasint,omitempty"`
}

// helloTagSize is the length of a hello tag and of its nonce.
const helloTagSize = 16

// helloTag blinds a workgroup ID for a HelloAsk: the first 16 bytes of
// HMAC-SHA256 keyed with the nonce over "peerhood hello v1\x00" || ID.
func helloTag(nonce []byte, wg string) []byte {
	m := hmac.New(sha256.New, nonce)
	m.Write([]byte("peerhood hello v1\x00" + wg))
	return m.Sum(nil)[:helloTagSize]
}

// decodeHelloAsk parses a hello ask from the network and checks its
// bounds.
func decodeHelloAsk(b []byte) (HelloAsk, error) {
	var a HelloAsk
	if len(b) > maxHelloAsk {
		return a, fmt.Errorf("hello ask of %d bytes exceeds %d", len(b), maxHelloAsk)
	}
	if err := wire.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("hello ask: %w", err)
	}
	if len(a.Workgroups) > maxHelloWGs || len(a.Tags) > maxHelloWGs {
		return a, fmt.Errorf("hello ask: %d workgroups and %d tags, at most %d", len(a.Workgroups), len(a.Tags), maxHelloWGs)
	}
	if len(a.Tags) > 0 && len(a.Nonce) != helloTagSize {
		return a, fmt.Errorf("hello ask: nonce of %d bytes, want %d", len(a.Nonce), helloTagSize)
	}
	for _, t := range a.Tags {
		if len(t) != helloTagSize {
			return a, fmt.Errorf("hello ask: tag of %d bytes, want %d", len(t), helloTagSize)
		}
	}
	return a, nil
}

// asks reports whether the ask names workgroup wg.
func (a HelloAsk) asks(wg string) bool {
	if slices.Contains(a.Workgroups, wg) {
		return true
	}
	if len(a.Tags) == 0 {
		return false
	}
	t := helloTag(a.Nonce, wg)
	return slices.ContainsFunc(a.Tags, func(x []byte) bool { return hmac.Equal(x, t) })
}

// HelloChain is a peer's certificate in force in one workgroup with the
// admin certificates that issued it, up to the root.
type HelloChain struct {
	Workgroup string `cbor:"1,keyasint"`
	Items     Bundle `cbor:"2,keyasint"`
}

// HelloReply answers a HelloAsk: a chain per workgroup both are in.
type HelloReply struct {
	Error  *wire.Error  `cbor:"1,keyasint,omitempty"`
	Chains []HelloChain `cbor:"2,keyasint,omitempty"`
}

// Limits of the hello protocol.
const (
	maxHelloAsk     = 4 << 10  // bytes of a HelloAsk frame
	maxHelloReply   = 64 << 10 // bytes of a HelloReply frame
	maxHelloWGs     = 16       // workgroups in an ask or chains in a reply
	maxHelloCerts   = MaxChainDepth + 1
	helloTimeout    = 5 * time.Second // one hello exchange, answering side
	helloWorkgroups = maxHelloWGs
)

// decodeHelloReply parses a hello reply from the network and checks its
// bounds (the items themselves are verified when merged).
func decodeHelloReply(b []byte) (HelloReply, error) {
	var r HelloReply
	if len(b) > maxHelloReply {
		return r, fmt.Errorf("hello reply of %d bytes exceeds %d", len(b), maxHelloReply)
	}
	if err := wire.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("hello reply: %w", err)
	}
	if len(r.Chains) > maxHelloWGs {
		return r, fmt.Errorf("hello reply: %d chains, at most %d", len(r.Chains), maxHelloWGs)
	}
	for _, c := range r.Chains {
		if c.Workgroup == "" {
			return r, fmt.Errorf("hello reply: a chain names no workgroup")
		}
		if len(c.Items.Certs) == 0 || len(c.Items.Certs) > maxHelloCerts || len(c.Items.Revs) > 0 {
			return r, fmt.Errorf("hello reply: a chain of %d certificates and %d revocations; want 1 to %d certificates only",
				len(c.Items.Certs), len(c.Items.Revs), maxHelloCerts)
		}
	}
	return r, nil
}

// handleHello serves /peerhood/hello/1 (wrapped with Guard: only a peer
// this node knows as a member is shown its certificates).
func (s *Service) handleHello(st network.Stream) {
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(helloTimeout))
	remote := st.Conn().RemotePeer()
	raw, err := wire.NewReader(st, maxHelloAsk).ReadFrameBytes()
	var ask HelloAsk
	if err == nil {
		ask, err = decodeHelloAsk(raw)
	}
	if err != nil {
		_ = wire.WriteFrame(st, HelloReply{Error: &wire.Error{Code: wire.CodeBadRequest, Message: "malformed hello"}})
		return
	}
	var reply HelloReply
	for _, m := range s.roster.Memberships(remote) {
		wg := m.Workgroup // only to members of that workgroup
		if !ask.asks(wg) || len(reply.Chains) >= maxHelloWGs {
			continue
		}
		if chain := s.roster.chain(wg, s.self); len(chain) > 0 {
			reply.Chains = append(reply.Chains, HelloChain{Workgroup: wg, Items: Bundle{Certs: chain}})
		}
	}
	_ = wire.WriteFrame(st, reply)
}

// maybeAskHello starts askHello for p if p is on probation and not asked
// yet.
func (s *Service) maybeAskHello(p peer.ID) {
	if !s.probation.ask(p, s.now()) {
		return
	}
	s.bg.Go(func() { s.askHello(p) }) // none once Close began
}

// askHello asks p, an inbound peer this node does not know, for its
// certificates, verifies and stores them; p stays connected only if it is
// then a member. It runs once per probation, counted in s.bg.
func (s *Service) askHello(p peer.ID) {
	if err := s.hello(p); err != nil {
		s.log.Debug("hello", "peer", p, "err", err)
	}
	ok := s.roster.MemberAnywhere(p)
	s.probation.end(p, ok)
	if ok {
		s.log.Info("admitted a member this node had not heard of", "peer", p)
		s.host.Protect(p, protectTag)
		// One of the service's own goroutines (s.wg): Close waits for
		// s.bg, so for this Add, before it waits for s.wg.
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.onConnect(p, false) }()
		return
	}
	if !(gate{s}).AllowPeer(p, true) {
		_ = s.host.Network().ClosePeer(p)
	}
}

func (s *Service) hello(p peer.ID) error {
	ctx, cancel := context.WithTimeout(s.ctx, probationHello)
	defer cancel()
	st, err := s.host.NewStream(network.WithNoDial(ctx, "hello"), p, p2p.ProtoHello)
	if err != nil {
		return fmt.Errorf("hello to %s: %w", p, err)
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(probationHello))
	ask := HelloAsk{Nonce: make([]byte, helloTagSize)}
	if _, err := rand.Read(ask.Nonce); err != nil {
		return fmt.Errorf("hello nonce: %w", err)
	}
	var asked []string
	for _, w := range s.roster.Workgroups() {
		if len(asked) == helloWorkgroups {
			break
		}
		asked = append(asked, w.ID)
		ask.Tags = append(ask.Tags, helloTag(ask.Nonce, w.ID))
	}
	if err := wire.WriteFrame(st, ask); err != nil {
		return fmt.Errorf("hello to %s: %w", p, err)
	}
	_ = st.CloseWrite()
	raw, err := wire.NewReader(st, maxHelloReply).ReadFrameBytes()
	if err != nil {
		return fmt.Errorf("hello reply from %s: %w", p, err)
	}
	reply, err := decodeHelloReply(raw)
	if err != nil {
		return fmt.Errorf("hello reply from %s: %w", p, err)
	}
	if reply.Error != nil {
		return fmt.Errorf("hello reply from %s: %w", p, reply.Error)
	}
	for _, c := range reply.Chains {
		if !slices.Contains(asked, c.Workgroup) {
			continue
		}
		// Only a chain that ends in p's own certificate is taken: a peer
		// cannot slip in certificates of others.
		root, ok := s.roster.Root(c.Workgroup)
		if !ok || !chainOf(root.Pub, c, p) {
			return fmt.Errorf("hello reply from %s: a chain of workgroup %s is not its own", p, c.Workgroup)
		}
		s.merge(ctx, c.Workgroup, c.Items, "hello:"+p.String())
	}
	return nil
}

// chainOf reports whether c's first certificate is p's and each next one
// is the issuer of the one before (signatures checked against rootPub).
func chainOf(rootPub ed25519.PublicKey, c HelloChain, p peer.ID) bool {
	want := []byte(p)
	for i, raw := range c.Items.Certs {
		cert, err := ParseCert(raw, rootPub)
		if err != nil || !bytes.Equal(cert.Peer, want) {
			return false
		}
		if cert.IssuerID == "" {
			return i == len(c.Items.Certs)-1
		}
		want = []byte(cert.IssuerID)
	}
	return len(c.Items.Certs) > 0
}

// chain returns p's certificate in force in wg followed by the admin
// certificates that issued it, up to the root (at most maxHelloCerts).
func (r *Roster) chain(wg string, p peer.ID) [][]byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	w, ok := r.wgs[wg]
	if !ok {
		return nil
	}
	now := r.now()
	c, ok := w.members[p]
	var out [][]byte
	for ok && len(out) < maxHelloCerts {
		out = append(out, c.Raw)
		if c.IssuerID == "" {
			break
		}
		ok = false
		for _, ic := range w.byPeer[c.IssuerID] {
			if ic.HasRole(RoleAdmin) && w.chainOK(ic, now, 0) {
				c, ok = ic, true
				break
			}
		}
	}
	return out
}
