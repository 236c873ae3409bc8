package discovery

import (
	"net"
	"slices"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/miekg/dns"
	ma "github.com/multiformats/go-multiaddr"
)

// mDNS record TTLs (RFC 6762 10: host records 120 s, others 75 min).
const (
	mdnsTTL     = 4500
	mdnsHostTTL = 120
	// mdnsPacketMax bounds a packet this node builds (a query with its
	// known answers is split over several, RFC 6762 7.2).
	mdnsPacketMax = 1400
	// dnsaddrPrefix starts each TXT string, as libp2p's mDNS does.
	dnsaddrPrefix = "dnsaddr="
)

// mdnsNames are the DNS names of one mDNS service and this node in it.
type mdnsNames struct {
	service  string // "_peerhood._udp.local."
	instance string // "<random>._peerhood._udp.local."
	host     string // "<random>.local."
	label    []byte // the service's first label as on the wire: length byte + "_peerhood"
}

func newMDNSNames(service, name string) mdnsNames {
	first, _, _ := strings.Cut(service, ".")
	return mdnsNames{
		service:  service + ".local.",
		instance: name + "." + service + ".local.",
		host:     name + ".local.",
		label:    append([]byte{byte(len(first))}, first...),
	}
}

// mdnsSelf is what this node announces: TXT strings and its addresses
// for the A/AAAA records.
type mdnsSelf struct {
	txt    []string
	v4, v6 net.IP
}

// records returns this node's PTR, SRV, TXT and address records with ttl
// (0: goodbye); flush sets the cache-flush bit on the unique ones.
func (n mdnsNames) records(self mdnsSelf, ttl uint32, flush bool) (ptr dns.RR, rest []dns.RR) {
	class := uint16(dns.ClassINET)
	if flush {
		class |= 1 << 15
	}
	hostTTL := min(ttl, mdnsHostTTL)
	ptr = &dns.PTR{Hdr: dns.RR_Header{Name: n.service, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttl}, Ptr: n.instance}
	rest = []dns.RR{
		&dns.SRV{Hdr: dns.RR_Header{Name: n.instance, Rrtype: dns.TypeSRV, Class: class, Ttl: ttl}, Port: 4001, Target: n.host},
		&dns.TXT{Hdr: dns.RR_Header{Name: n.instance, Rrtype: dns.TypeTXT, Class: class, Ttl: ttl}, Txt: self.txt},
	}
	if self.v4 != nil {
		rest = append(rest, &dns.A{Hdr: dns.RR_Header{Name: n.host, Rrtype: dns.TypeA, Class: class, Ttl: hostTTL}, A: self.v4})
	}
	if self.v6 != nil {
		rest = append(rest, &dns.AAAA{Hdr: dns.RR_Header{Name: n.host, Rrtype: dns.TypeAAAA, Class: class, Ttl: hostTTL}, AAAA: self.v6})
	}
	return ptr, rest
}

// mdnsHeard is what one response says of one instance.
type mdnsHeard struct {
	instance       string
	txt            []string
	hasPTR, hasTXT bool
	ptrTTL, txtTTL uint32
}

// ttl is the instance's TTL: its PTR's, or its TXT's when no PTR came
// (0: a goodbye).
func (h mdnsHeard) ttl() uint32 {
	if h.hasPTR {
		return h.ptrTTL
	}
	return h.txtTTL
}

// parseResponse collects the instances of the service a response names
// (PTR in any section, SRV/TXT of names under the service), leaving out
// this node's own.
func (n mdnsNames) parseResponse(m *dns.Msg) []mdnsHeard {
	by := map[string]*mdnsHeard{}
	get := func(name string) *mdnsHeard {
		k := strings.ToLower(name)
		if h := by[k]; h != nil {
			return h
		}
		h := &mdnsHeard{instance: k}
		by[k] = h
		return h
	}
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			switch r := rr.(type) {
			case *dns.PTR:
				if strings.EqualFold(r.Hdr.Name, n.service) {
					h := get(r.Ptr)
					h.hasPTR, h.ptrTTL = true, r.Hdr.Ttl
				}
			case *dns.TXT:
				if isUnder(r.Hdr.Name, n.service) {
					h := get(r.Hdr.Name)
					h.txt, h.hasTXT, h.txtTTL = r.Txt, true, r.Hdr.Ttl
				}
			}
		}
	}
	out := make([]mdnsHeard, 0, len(by))
	for k, h := range by {
		if k != strings.ToLower(n.instance) {
			out = append(out, *h)
		}
	}
	return out
}

// isUnder reports whether name is an instance of service (one label or
// more before it).
func isUnder(name, service string) bool {
	return len(name) > len(service)+1 && strings.EqualFold(name[len(name)-len(service):], service) && name[len(name)-len(service)-1] == '.'
}

// mdnsQuestions is what a query asks of this node.
type mdnsQuestions struct {
	browse bool // PTR (or ANY) of the service
	lookup bool // SRV, TXT or ANY of this node's instance
	known  bool // the query's known answers hold this node's PTR with at least half its TTL
}

// askedOf reads a query: which of its questions this node answers, and
// whether its known-answer section already holds this node (RFC 6762 7.1).
func (n mdnsNames) askedOf(m *dns.Msg) mdnsQuestions {
	var q mdnsQuestions
	for _, x := range m.Question {
		switch {
		case strings.EqualFold(x.Name, n.service) && (x.Qtype == dns.TypePTR || x.Qtype == dns.TypeANY):
			q.browse = true
		case strings.EqualFold(x.Name, n.instance) && (x.Qtype == dns.TypeSRV || x.Qtype == dns.TypeTXT || x.Qtype == dns.TypeANY):
			q.lookup = true
		}
	}
	q.known = n.knowsMe(m.Answer)
	return q
}

func (n mdnsNames) knowsMe(known []dns.RR) bool {
	for _, rr := range known {
		if p, ok := rr.(*dns.PTR); ok && strings.EqualFold(p.Hdr.Name, n.service) &&
			strings.EqualFold(p.Ptr, n.instance) && p.Hdr.Ttl >= mdnsTTL/2 {
			return true
		}
	}
	return false
}

// queryPackets builds a browse query carrying known (PTR records this
// node holds with more than half their TTL left), split so that no
// packet exceeds mdnsPacketMax: every packet but the last has the TC
// bit, and only the first carries the question (RFC 6762 7.2).
func (n mdnsNames) queryPackets(known []dns.RR) ([][]byte, error) {
	var out [][]byte
	m := newQuery()
	m.Question = []dns.Question{{Name: n.service, Qtype: dns.TypePTR, Qclass: dns.ClassINET}}
	flush := func(last bool) error {
		m.Truncated = !last
		b, err := m.Pack()
		if err != nil {
			return err
		}
		out = append(out, b)
		m = newQuery()
		return nil
	}
	for _, rr := range known {
		m.Answer = append(m.Answer, rr)
		if m.Len() > mdnsPacketMax && len(m.Answer) > 1 {
			m.Answer = m.Answer[:len(m.Answer)-1]
			if err := flush(false); err != nil {
				return nil, err
			}
			m.Answer = append(m.Answer, rr)
		}
	}
	if err := flush(true); err != nil {
		return nil, err
	}
	return out, nil
}

func newQuery() *dns.Msg {
	m := new(dns.Msg)
	m.Compress = true
	return m
}

// response builds this node's answer: for a browse, its PTR with SRV,
// TXT and addresses as additional records (what libp2p's mDNS browser
// needs); for a lookup, SRV and TXT with the addresses. A legacy query
// (unicast, not from port 5353) gets its ID and question back.
func (n mdnsNames) response(q mdnsQuestions, self mdnsSelf, query *dns.Msg, legacy bool) *dns.Msg {
	r := new(dns.Msg)
	r.Response, r.Authoritative, r.Compress = true, true, true
	ptr, rest := n.records(self, mdnsTTL, false)
	if q.browse {
		r.Answer = append(r.Answer, ptr)
		r.Extra = append(r.Extra, rest...)
	} else {
		r.Answer = append(r.Answer, rest[:2]...)
		r.Extra = append(r.Extra, rest[2:]...)
	}
	if legacy {
		r.Id = query.Id
		r.Question = query.Question
	}
	return r
}

// foundPeers reads libp2p's TXT strings (dnsaddr=<multiaddr>/p2p/<id>)
// into address infos, leaving out self.
func foundPeers(txt []string, self peer.ID) []peer.AddrInfo {
	var addrs []ma.Multiaddr
	for _, s := range txt {
		v, ok := strings.CutPrefix(s, dnsaddrPrefix)
		if !ok {
			continue
		}
		a, err := ma.NewMultiaddr(v)
		if err != nil {
			continue
		}
		addrs = append(addrs, a)
	}
	infos, err := peer.AddrInfosFromP2pAddrs(addrs...)
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(infos, func(ai peer.AddrInfo) bool { return ai.ID == self })
}

// mdnsSuitable reports whether a listen address belongs in the TXT
// record: IP (or .local name) addresses, not relay circuits or browser
// transports (as libp2p's mDNS).
func mdnsSuitable(a ma.Multiaddr) bool {
	first, _ := ma.SplitFirst(a)
	if first == nil {
		return false
	}
	switch first.Protocol().Code {
	case ma.P_IP4, ma.P_IP6:
	case ma.P_DNS, ma.P_DNS4, ma.P_DNS6, ma.P_DNSADDR:
		if !strings.HasSuffix(strings.ToLower(first.Value()), ".local") {
			return false
		}
	default:
		return false
	}
	ok := true
	ma.ForEach(a, func(c ma.Component) bool {
		switch c.Protocol().Code {
		case ma.P_CIRCUIT, ma.P_WEBTRANSPORT, ma.P_WEBRTC, ma.P_WEBRTC_DIRECT, ma.P_P2P_WEBRTC_DIRECT, ma.P_WS, ma.P_WSS:
			ok = false
		}
		return ok
	})
	return ok
}
