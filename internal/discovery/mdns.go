package discovery

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/miekg/dns"
	ma "github.com/multiformats/go-multiaddr"
)

// mDNS timing (see doc.go, "LAN").
const (
	// mdnsMaxQueryEvery caps the browse interval (1 s doubling).
	mdnsMaxQueryEvery = 5 * time.Minute
	// mdnsAnswerGap is the least time between two multicast answers of
	// this node on one IP family (RFC 6762 6).
	mdnsAnswerGap = time.Second
	// mdnsKnownWait is how long a truncated query waits for the rest of
	// its known answers (RFC 6762 7.2: 400-500 ms).
	mdnsKnownWait = 450 * time.Millisecond
	// mdnsMaxCache and mdnsMaxPending bound what strangers on the LAN
	// can make this node hold.
	mdnsMaxCache   = 4096
	mdnsMaxPending = 64
)

// lanMDNS announces this node on the LAN and finds the others (mDNS,
// RFC 6762, with DNS-SD names as libp2p's mDNS uses them, so it talks
// with nodes that run libp2p's). One socket per IP family both answers
// and browses; a query carries the instances this node knows (known-
// answer suppression), so a node that knows everyone on the LAN makes
// no one answer; answers are rate-limited; packets that do not name the
// service are dropped unparsed.
type lanMDNS struct {
	h     host.Host
	names mdnsNames
	found func(peer.AddrInfo)
	log   *slog.Logger
	conns []*mdnsConn

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	requery chan struct{}

	mu       sync.Mutex
	cache    map[string]*mdnsCached // by instance name, lower case
	lastSent map[int]time.Time      // by IP family: last multicast answer
	pending  map[string]*mdnsPending
	selfTXT  string

	stats mdnsStats
}

type mdnsCached struct {
	expires time.Time
	ttl     uint32
	txt     string // the TXT strings joined by NUL
}

// mdnsPending is a truncated query waiting for its known answers.
type mdnsPending struct {
	q       mdnsQuestions
	query   *dns.Msg
	conn    *mdnsConn
	ifIndex int
}

// mdnsStats count this node's mDNS work (tests).
type mdnsStats struct {
	queries, answers atomic.Int64
}

// startMDNS opens the sockets and starts announcing, answering and
// browsing service (e.g. "_peerhood._udp"); found gets every instance
// heard for the first time or with new addresses.
func startMDNS(h host.Host, service string, found func(peer.AddrInfo), log *slog.Logger) (*lanMDNS, error) {
	ifaces := multicastInterfaces()
	var conns []*mdnsConn
	var errs []error
	for _, listen := range []func([]net.Interface) (*mdnsConn, error){listenMDNS4, listenMDNS6} {
		c, err := listen(ifaces)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		conns = append(conns, c)
	}
	if len(conns) == 0 {
		return nil, errors.Join(errs...)
	}
	m := &lanMDNS{
		h: h, names: newMDNSNames(service, randomName()), found: found, log: log, conns: conns,
		requery: make(chan struct{}, 1),
		cache:   map[string]*mdnsCached{}, lastSent: map[int]time.Time{}, pending: map[string]*mdnsPending{},
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	sub, err := h.EventBus().Subscribe(new(event.EvtLocalAddressesUpdated))
	if err != nil {
		m.closeConns()
		return nil, err
	}
	for _, c := range conns {
		m.wg.Add(1)
		go m.readLoop(c)
	}
	m.wg.Add(2)
	go m.queryLoop()
	go m.announceLoop(sub)
	return m, nil
}

// randomName is this node's instance label: 32 random letters and
// digits (as libp2p's mDNS: nothing that names the node).
func randomName() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 32)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// Close says goodbye (TTL 0) and stops.
func (m *lanMDNS) Close() error {
	m.cancel()
	m.send(m.announcement(0), 0)
	m.closeConns()
	m.wg.Wait()
	return nil
}

func (m *lanMDNS) closeConns() {
	for _, c := range m.conns {
		_ = c.close()
	}
}

// self is what this node announces now: libp2p's TXT strings for its
// interface listen addresses, its first IPv4 and IPv6 address.
func (m *lanMDNS) self() mdnsSelf {
	var s mdnsSelf
	addrs, err := m.h.Network().InterfaceListenAddresses()
	if err != nil {
		return s
	}
	p2p := ma.StringCast("/p2p/" + m.h.ID().String())
	for _, a := range addrs {
		if first, _ := ma.SplitFirst(a); first != nil {
			switch ip := net.ParseIP(first.Value()); {
			case first.Protocol().Code == ma.P_IP4 && s.v4 == nil:
				s.v4 = ip
			case first.Protocol().Code == ma.P_IP6 && s.v6 == nil:
				s.v6 = ip
			}
		}
		if mdnsSuitable(a) {
			s.txt = append(s.txt, dnsaddrPrefix+a.Encapsulate(p2p).String())
		}
	}
	return s
}

// announcement is this node's records as an unsolicited response (ttl
// 0: goodbye).
func (m *lanMDNS) announcement(ttl uint32) *dns.Msg {
	r := new(dns.Msg)
	r.Response, r.Authoritative, r.Compress = true, true, true
	ptr, rest := m.names.records(m.self(), ttl, true)
	r.Answer = append([]dns.RR{ptr}, rest...)
	return r
}

// send multicasts r on every family, out of ifIndex (0: every
// interface).
func (m *lanMDNS) send(r *dns.Msg, ifIndex int) {
	b, err := r.Pack()
	if err != nil {
		m.log.Debug("mdns: pack", "err", err)
		return
	}
	for _, c := range m.conns {
		_ = c.multicast(b, ifIndex)
	}
}

// announceLoop announces this node twice, a second apart (RFC 6762
// 8.3), and again (with a new browse) whenever its addresses change.
func (m *lanMDNS) announceLoop(sub event.Subscription) {
	defer m.wg.Done()
	defer sub.Close()
	again := time.NewTimer(time.Duration(20+rand.IntN(100)) * time.Millisecond)
	defer again.Stop()
	left := 2
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-sub.Out():
			txt := strings.Join(m.self().txt, "\x00")
			m.mu.Lock()
			changed := txt != m.selfTXT
			m.mu.Unlock()
			if changed {
				left = 2
				again.Reset(0)
				select {
				case m.requery <- struct{}{}:
				default:
				}
			}
		case <-again.C:
			r := m.announcement(mdnsTTL)
			m.mu.Lock()
			m.selfTXT = strings.Join(m.self().txt, "\x00")
			m.mu.Unlock()
			m.send(r, 0)
			if left--; left > 0 {
				again.Reset(time.Second)
			}
		}
	}
}

// queryLoop browses: at start, then 1 s later, doubling up to
// mdnsMaxQueryEvery; from the start again when this node's addresses
// change.
func (m *lanMDNS) queryLoop() {
	defer m.wg.Done()
	t := time.NewTimer(time.Duration(20+rand.IntN(100)) * time.Millisecond)
	defer t.Stop()
	every := time.Second
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.requery:
			every = time.Second
			t.Reset(time.Duration(20+rand.IntN(100)) * time.Millisecond)
			continue
		case <-t.C:
		}
		m.query()
		t.Reset(every)
		every = min(2*every, mdnsMaxQueryEvery)
	}
}

// query sends one browse query with this node's known answers: itself
// and every instance heard with more than half its TTL left.
func (m *lanMDNS) query() {
	now := time.Now()
	ptr, _ := m.names.records(mdnsSelf{}, mdnsTTL, false)
	known := []dns.RR{ptr}
	m.mu.Lock()
	for inst, e := range m.cache {
		left := e.expires.Sub(now)
		if left <= 0 {
			delete(m.cache, inst)
			continue
		}
		if left >= time.Duration(e.ttl)*time.Second/2 {
			known = append(known, &dns.PTR{
				Hdr: dns.RR_Header{Name: m.names.service, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: uint32(left / time.Second)},
				Ptr: inst,
			})
		}
	}
	m.mu.Unlock()
	pkts, err := m.names.queryPackets(known)
	if err != nil {
		m.log.Debug("mdns: query", "err", err)
		return
	}
	m.stats.queries.Add(1)
	for _, c := range m.conns {
		for _, b := range pkts {
			_ = c.multicast(b, 0)
		}
	}
}

// readLoop handles the packets of one socket until it closes.
func (m *lanMDNS) readLoop(c *mdnsConn) {
	defer m.wg.Done()
	buf := make([]byte, 9000) // RFC 6762 17: the largest mDNS packet
	for {
		n, ifIndex, src, err := c.read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || m.ctx.Err() != nil {
				return
			}
			time.Sleep(10 * time.Millisecond) // a lasting error must not spin
			continue
		}
		m.handle(buf[:n], c, ifIndex, src)
	}
}

// handle takes one packet: a response tells of instances, a query may
// ask for this node. A packet that does not hold the service's label as
// nodes send it (lower case) is not parsed (every mDNS program of the LAN
// sends to this socket). It reports whether pkt was parsed (tests: a
// count would also take this node's own packets, which multicast loops
// back to its sockets).
func (m *lanMDNS) handle(pkt []byte, c *mdnsConn, ifIndex int, src net.Addr) (parsed bool) {
	if !bytes.Contains(pkt, m.names.label) {
		return false
	}
	var msg dns.Msg
	if err := msg.Unpack(pkt); err != nil {
		return false
	}
	if msg.Response {
		m.heard(&msg)
		return true
	}
	if msg.Opcode != dns.OpcodeQuery || len(msg.Ns) > 0 { // a probe (RFC 6762 8.1)
		return true
	}
	m.asked(&msg, c, ifIndex, src)
	return true
}

// heard caches the instances a response names and reports the new ones
// (or those whose addresses changed) to found.
func (m *lanMDNS) heard(msg *dns.Msg) {
	now := time.Now()
	var news [][]string
	m.mu.Lock()
	for _, h := range m.names.parseResponse(msg) {
		old := m.cache[h.instance]
		switch {
		case h.ttl() == 0:
			delete(m.cache, h.instance)
		case !h.hasTXT:
			if old != nil {
				old.expires, old.ttl = now.Add(time.Duration(h.ttl())*time.Second), h.ttl()
			}
		case old == nil && len(m.cache) >= mdnsMaxCache:
		default:
			txt := strings.Join(h.txt, "\x00")
			if old == nil || old.txt != txt || now.After(old.expires) {
				news = append(news, h.txt)
			}
			m.cache[h.instance] = &mdnsCached{expires: now.Add(time.Duration(h.ttl()) * time.Second), ttl: h.ttl(), txt: txt}
		}
	}
	m.mu.Unlock()
	for _, txt := range news {
		for _, ai := range foundPeers(txt, m.h.ID()) {
			m.found(ai)
		}
	}
}

// asked answers a query for this node; a truncated one first waits
// mdnsKnownWait for the packets with the rest of its known answers
// (from the same source address).
func (m *lanMDNS) asked(msg *dns.Msg, c *mdnsConn, ifIndex int, src net.Addr) {
	q := m.names.askedOf(msg)
	key := src.String()
	m.mu.Lock()
	if p := m.pending[key]; p != nil && len(msg.Question) == 0 {
		p.q.known = p.q.known || q.known
		m.mu.Unlock()
		return
	}
	if msg.Truncated && (q.browse || q.lookup) {
		if _, dup := m.pending[key]; !dup && len(m.pending) < mdnsMaxPending {
			m.pending[key] = &mdnsPending{q: q, query: msg, conn: c, ifIndex: ifIndex}
			time.AfterFunc(mdnsKnownWait, func() { m.finishPending(key, src) })
		}
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	m.answer(q, msg, c, ifIndex, src)
}

func (m *lanMDNS) finishPending(key string, src net.Addr) {
	m.mu.Lock()
	p := m.pending[key]
	delete(m.pending, key)
	m.mu.Unlock()
	if p != nil && m.ctx.Err() == nil {
		m.answer(p.q, p.query, p.conn, p.ifIndex, src)
	}
}

// answer sends this node's records for q: by unicast to a legacy
// querier (source port not 5353), else by multicast, at most once per
// mdnsAnswerGap per IP family; nothing when the query already knows
// this node and asks nothing else.
func (m *lanMDNS) answer(q mdnsQuestions, msg *dns.Msg, c *mdnsConn, ifIndex int, src net.Addr) {
	if q.known {
		q.browse = false
	}
	if !q.browse && !q.lookup {
		return
	}
	legacy := false
	if u, ok := src.(*net.UDPAddr); ok && u.Port != 5353 {
		legacy = true
	}
	b, err := m.names.response(q, m.self(), msg, legacy).Pack()
	if err != nil {
		return
	}
	if legacy {
		if c.write(b, ifIndex, src) == nil {
			m.stats.answers.Add(1)
		}
		return
	}
	now := time.Now()
	m.mu.Lock()
	if now.Sub(m.lastSent[c.family]) < mdnsAnswerGap {
		m.mu.Unlock()
		return
	}
	m.lastSent[c.family] = now
	m.mu.Unlock()
	if c.multicast(b, ifIndex) == nil {
		m.stats.answers.Add(1)
	}
}
