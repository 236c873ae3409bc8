package discovery

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/miekg/dns"

	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
)

// mdnsPeer is one mDNS node of a test: a real host and its lanMDNS.
type mdnsPeer struct {
	id peer.ID
	m  *lanMDNS
	mu sync.Mutex
	// found records every peer reported, with its addresses.
	found map[peer.ID][]string
}

func (p *mdnsPeer) sawPeer(ai peer.AddrInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range ai.Addrs {
		p.found[ai.ID] = append(p.found[ai.ID], a.String())
	}
}

func (p *mdnsPeer) saw(id peer.ID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.found[id]) > 0
}

// testService is a service name of this test run only: other nodes
// and tests on the machine's LAN are not heard.
func testService() string { return fmt.Sprintf("_pht%08x._udp", rand.Uint32()) }

// startMDNSPeer starts a host on 127.0.0.1 and its mDNS; the test is
// skipped where no interface carries multicast.
func startMDNSPeer(t *testing.T, service string) *mdnsPeer {
	t.Helper()
	h := p2ptest.New(t, p2ptest.Key(t))
	p := &mdnsPeer{id: h.ID(), found: map[peer.ID][]string{}}
	m, err := startMDNS(h.Host, service, p.sawPeer, slog.New(slog.DiscardHandler))
	if errors.Is(err, errNoMulticast) {
		t.Skipf("no multicast here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	p.m = m
	return p
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("after %v: %s", d, what)
		}
	}
}

// A node that starts on the LAN is found by one already there (its
// announcement) and finds it (its query), with the addresses it listens
// on.
func TestMDNSFindsNewNode(t *testing.T) {
	svc := testService()
	a := startMDNSPeer(t, svc)
	time.Sleep(1500 * time.Millisecond) // a has browsed (alone) and announced
	b := startMDNSPeer(t, svc)
	waitFor(t, "a and b find each other", 10*time.Second, func() bool { return a.saw(b.id) && b.saw(a.id) })
	a.mu.Lock()
	got := a.found[b.id]
	a.mu.Unlock()
	want := b.m.self().txt
	if len(want) == 0 || len(got) == 0 {
		t.Fatalf("b announces %v, a saw %v", want, got)
	}
}

// Once every node knows every other, a query makes nobody answer
// (known-answer suppression); a node that knows nobody is answered.
func TestMDNSKnownAnswersSilence(t *testing.T) {
	svc := testService()
	const n = 5
	var ps []*mdnsPeer
	for range n {
		ps = append(ps, startMDNSPeer(t, svc))
	}
	knowsAll := func() bool {
		for _, p := range ps {
			for _, o := range ps {
				if o != p && !p.saw(o.id) {
					return false
				}
			}
		}
		return true
	}
	waitFor(t, "everyone finds everyone", 15*time.Second, knowsAll)
	answers := func() (s int64) {
		for _, p := range ps {
			s += p.m.stats.answers.Load()
		}
		return s
	}
	// Queries sent before a node knew everyone may still be in flight
	// (slow under -race): let them be answered first.
	time.Sleep(time.Second)
	before := answers()
	for _, p := range ps {
		p.m.noRateLimit()
	}
	for _, p := range ps {
		p.m.query()
	}
	time.Sleep(mdnsKnownWait + 500*time.Millisecond)
	if after := answers(); after != before {
		t.Fatalf("%d answers to queries from nodes that know everyone", after-before)
	}
	late := startMDNSPeer(t, svc)
	waitFor(t, "a late node finds the others", 10*time.Second, func() bool {
		for _, p := range ps {
			if !late.saw(p.id) {
				return false
			}
		}
		return true
	})
	if answers() == before {
		t.Fatal("nobody answered a node that knew no one")
	}
}

// A query whose known answers fill several packets (TC, RFC 6762 7.2)
// is judged on all of them: the node listed in a later packet stays
// silent; not listed, it answers.
func TestMDNSTruncatedKnownAnswers(t *testing.T) {
	svc := testService()
	x := startMDNSPeer(t, svc)
	names := x.m.names
	var known []dns.RR
	for i := range 60 {
		known = append(known, &dns.PTR{
			Hdr: dns.RR_Header{Name: names.service, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: mdnsTTL},
			Ptr: fmt.Sprintf("%032d.%s", i, names.service),
		})
	}
	xPTR, _ := names.records(mdnsSelf{}, mdnsTTL, false)
	for _, tc := range []struct {
		name   string
		known  []dns.RR
		answer bool
	}{
		{"listed last", append(known, xPTR), false},
		{"not listed", known, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkts, err := names.queryPackets(tc.known)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkts) < 3 {
				t.Fatalf("%d packets for %d known answers", len(pkts), len(tc.known))
			}
			x.m.noRateLimit()
			before := x.m.stats.answers.Load()
			src := &net.UDPAddr{IP: net.IPv4(192, 0, 2, byte(1+rand.IntN(200))), Port: 5353}
			for _, b := range pkts {
				x.m.handle(b, x.m.conns[0], 0, src)
			}
			time.Sleep(mdnsKnownWait + 300*time.Millisecond)
			if got := x.m.stats.answers.Load() > before; got != tc.answer {
				t.Fatalf("answered %v, want %v", got, tc.answer)
			}
		})
	}
}

// Nodes of an older peerhood (libp2p's mDNS over zeroconf) and this one
// find each other both ways.
func TestMDNSTalksWithLibp2pMDNS(t *testing.T) {
	svc := testService()
	ours := startMDNSPeer(t, svc)
	oldHost := p2ptest.New(t, p2ptest.Key(t))
	old := &mdnsPeer{id: oldHost.ID(), found: map[peer.ID][]string{}}
	om := mdns.NewMdnsService(oldHost.Host, svc, notifeeFunc(old.sawPeer))
	if err := om.Start(); err != nil {
		t.Skipf("libp2p mDNS: %v", err)
	}
	t.Cleanup(func() { _ = om.Close() })
	waitFor(t, "the old and the new node find each other", 15*time.Second, func() bool {
		return ours.saw(old.id) && old.saw(ours.id)
	})
}

type notifeeFunc func(peer.AddrInfo)

func (f notifeeFunc) HandlePeerFound(ai peer.AddrInfo) { f(ai) }

// Packets that do not name the service are not parsed; those that do
// are. (handle's answer, not a count: the node's own announcements and
// queries loop back to its sockets and are parsed meanwhile.)
func TestMDNSSkipsOtherServices(t *testing.T) {
	x := startMDNSPeer(t, testService())
	for _, tc := range []struct {
		question string
		parsed   bool
	}{
		{"_ipp._tcp.local.", false},
		{x.m.names.service, true},
	} {
		q := new(dns.Msg)
		q.SetQuestion(tc.question, dns.TypePTR)
		b, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if got := x.m.handle(b, x.m.conns[0], 0, &net.UDPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 5353}); got != tc.parsed {
			t.Fatalf("a query for %s: parsed %v, want %v", tc.question, got, tc.parsed)
		}
	}
}

// noRateLimit forgets when m last answered, so its next answer is not
// held back by mdnsAnswerGap.
func (m *lanMDNS) noRateLimit() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.lastSent)
}

// FuzzMDNSPacket feeds packets to what reads mDNS from the network: the
// DNS decoder, the response and query readers, the TXT address parser.
func FuzzMDNSPacket(f *testing.F) {
	names := newMDNSNames(MDNSService, "0123456789abcdefghijklmnopqrstuv")
	self := mdnsSelf{txt: []string{dnsaddrPrefix + "/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"}, v4: net.IPv4(192, 0, 2, 1)}
	ptr, rest := names.records(self, mdnsTTL, true)
	announce := new(dns.Msg)
	announce.Response = true
	announce.Answer = append([]dns.RR{ptr}, rest...)
	for _, m := range []*dns.Msg{announce, names.response(mdnsQuestions{browse: true}, self, new(dns.Msg), false)} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	pkts, err := names.queryPackets([]dns.RR{ptr})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pkts[0])
	other := newMDNSNames(MDNSService, "vutsrqponmlkjihgfedcba9876543210")
	// other's own announce, as it hears it back (multicast loops).
	ownPTR, ownRest := other.records(self, mdnsTTL, true)
	own := new(dns.Msg)
	own.Response = true
	own.Answer = append([]dns.RR{ownPTR}, ownRest...)
	ownPkt, err := own.Pack()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ownPkt)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		var m dns.Msg
		if m.Unpack(pkt) != nil {
			return
		}
		seen := map[string]bool{}
		for _, h := range other.parseResponse(&m) {
			// One entry per instance (names compare case-insensitively),
			// never this node's own, each from a PTR or TXT that came.
			if h.instance != strings.ToLower(h.instance) || seen[h.instance] || strings.EqualFold(h.instance, other.instance) {
				t.Fatalf("heard instance %q (own %q, seen %v)", h.instance, other.instance, seen)
			}
			seen[h.instance] = true
			if (!h.hasPTR && !h.hasTXT) || (!h.hasTXT && len(h.txt) > 0) {
				t.Fatalf("heard %+v", h)
			}
			// Every peer found carries an address, and a node never finds itself.
			found := foundPeers(h.txt, "")
			for _, ai := range found {
				if len(ai.Addrs) == 0 {
					t.Fatalf("peer %s found with no address in %q", ai.ID, h.txt)
				}
				for _, again := range foundPeers(h.txt, ai.ID) {
					if again.ID == ai.ID {
						t.Fatalf("found itself (%s) in %q", ai.ID, h.txt)
					}
				}
			}
		}
		// A node asked nothing of another's instance; what it is asked it
		// is asked by name.
		q := other.askedOf(&m)
		if q.lookup && !slices.ContainsFunc(m.Question, func(x dns.Question) bool { return strings.EqualFold(x.Name, other.instance) }) {
			t.Fatalf("lookup of %s read from questions %v", other.instance, m.Question)
		}
		if q.browse && !slices.ContainsFunc(m.Question, func(x dns.Question) bool { return strings.EqualFold(x.Name, other.service) }) {
			t.Fatalf("browse of %s read from questions %v", other.service, m.Question)
		}
	})
}
