package dnssd

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

const servicesName = "_services._dns-sd._udp.local."

// canon is a name as a query spells it once decoded (escapes as
// miekg/dns writes them), lower-cased; "" when it is not a valid name.
func canon(name string) string {
	buf := make([]byte, 512)
	off, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return ""
	}
	s, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return ""
	}
	return strings.ToLower(s)
}

func hdr(name string, typ uint16, ttl uint32, unique bool) dns.RR_Header {
	class := uint16(dns.ClassINET)
	if unique {
		class |= 1 << 15 // cache flush: this responder owns the record
	}
	return dns.RR_Header{Name: name, Rrtype: typ, Class: class, Ttl: ttl}
}

// records returns an entry's records: PTRs (shared) and SRV, TXT, A
// (unique).
func records(e Entry, ttl uint32) (ptr, sub []dns.RR, srv, txt, a dns.RR) {
	svc := e.Service + ".local."
	inst := instanceName(e)
	ptr = []dns.RR{&dns.PTR{Hdr: hdr(svc, dns.TypePTR, ttl, false), Ptr: inst}}
	for _, s := range e.Subtypes {
		sub = append(sub, &dns.PTR{Hdr: hdr(s+"._sub."+svc, dns.TypePTR, ttl, false), Ptr: inst})
	}
	srv = &dns.SRV{Hdr: hdr(inst, dns.TypeSRV, ttl, true), Port: uint16(e.Port), Target: HostName}
	text := e.Text
	if len(text) == 0 {
		text = []string{""}
	}
	txt = &dns.TXT{Hdr: hdr(inst, dns.TypeTXT, ttl, true), Txt: text}
	a = &dns.A{Hdr: hdr(HostName, dns.TypeA, ttl, true), A: net.IPv4(127, 0, 0, 1)}
	return ptr, sub, srv, txt, a
}

// announcement is an unsolicited response with every record of e (ttl
// 0: a goodbye).
func (r *Responder) announcement(e Entry, ttl uint32) *dns.Msg {
	ptr, sub, srv, txt, a := records(e, ttl)
	m := new(dns.Msg)
	m.Response, m.Authoritative = true, true
	m.Answer = append(append(ptr, sub...), srv, txt)
	if ttl > 0 {
		m.Answer = append(m.Answer, a)
	}
	return m
}

// respond builds the answer to one query packet from the loopback, and
// where to send it; nil when there is nothing to say.
func (r *Responder) respond(pkt []byte, from net.Addr) (*dns.Msg, net.Addr) {
	var q dns.Msg
	if err := q.Unpack(pkt); err != nil || q.Response || q.Opcode != dns.OpcodeQuery || len(q.Question) == 0 {
		return nil, nil
	}
	r.mu.Lock()
	entries := make([]Entry, 0, len(r.entries))
	for _, e := range r.entries {
		entries = append(entries, e)
	}
	r.mu.Unlock()
	m := new(dns.Msg)
	m.Response, m.Authoritative = true, true
	unicast := false
	for _, qq := range q.Question {
		if qq.Qclass&(1<<15) != 0 {
			unicast = true
		}
		answer(m, qq, entries)
	}
	if len(m.Answer) == 0 {
		return nil, nil
	}
	to := net.Addr(groupAddr)
	if ua, ok := from.(*net.UDPAddr); ok && ua.Port != 5353 { // legacy unicast query
		m.Id, m.Question = q.Id, q.Question
		for _, rr := range append(m.Answer, m.Extra...) {
			rr.Header().Class &^= 1 << 15
		}
		return m, from
	} else if unicast && ok {
		to = from
	}
	return m, to
}

// answer adds to m the records answering question q, with the records
// a browser needs next as additional records.
func answer(m *dns.Msg, q dns.Question, entries []Entry) {
	name := canon(q.Name)
	want := func(t uint16) bool { return q.Qtype == t || q.Qtype == dns.TypeANY }
	for _, e := range entries {
		ptr, sub, srv, txt, a := records(e, ttl)
		svc := canon(e.Service + ".local.")
		switch {
		case name == servicesName && want(dns.TypePTR):
			m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr(servicesName, dns.TypePTR, ttl, false), Ptr: e.Service + ".local."})
		case name == svc && want(dns.TypePTR):
			m.Answer = append(m.Answer, ptr...)
			m.Extra = append(m.Extra, srv, txt, a)
		case name == canon(instanceName(e)):
			if want(dns.TypeSRV) {
				m.Answer = append(m.Answer, srv)
				m.Extra = append(m.Extra, a)
			}
			if want(dns.TypeTXT) {
				m.Answer = append(m.Answer, txt)
			}
		default:
			for i, s := range e.Subtypes {
				if name == canon(s+"._sub."+e.Service+".local.") && want(dns.TypePTR) {
					m.Answer = append(m.Answer, sub[i])
					m.Extra = append(m.Extra, srv, txt, a)
				}
			}
		}
	}
	if name == canon(HostName) && want(dns.TypeA) && len(entries) > 0 {
		m.Answer = append(m.Answer, &dns.A{Hdr: hdr(HostName, dns.TypeA, ttl, true), A: net.IPv4(127, 0, 0, 1)})
	}
}
