package dnssd

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

func testResponder() *Responder {
	r := &Responder{entries: map[string]Entry{}}
	for _, e := range []Entry{
		{Instance: "lab on alpha (peerhood)", Service: "_ipp._tcp", Subtypes: []string{"_print"}, Port: 40001, Text: []string{"txtvers=1", "rp=ipp/print"}},
		{Instance: "wiki.v2 on bravo", Service: "_http._tcp", Port: 40002},
	} {
		r.entries[e.key()] = e
	}
	return r
}

func query(t testing.TB, name string, typ uint16, qu bool) []byte {
	m := new(dns.Msg)
	m.SetQuestion(name, typ)
	m.Id = 0
	if qu {
		m.Question[0].Qclass |= 1 << 15
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The responder answers browsing (PTR of the service and its subtype),
// resolving (SRV, TXT of an instance whose name needs escapes) and the
// host's A record, by multicast, or by unicast for QU and legacy
// queries; it stays silent for names it does not own and for responses.
func TestRespond(t *testing.T) {
	r := testResponder()
	mdnsPeer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	legacy := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
		qu    bool
		from  *net.UDPAddr
		want  []uint16 // answer types
		to    net.Addr
	}{
		{"browse ipp", "_ipp._tcp.local.", dns.TypePTR, false, mdnsPeer, []uint16{dns.TypePTR}, groupAddr},
		{"browse subtype", "_print._sub._ipp._tcp.local.", dns.TypePTR, false, mdnsPeer, []uint16{dns.TypePTR}, groupAddr},
		{"service types", "_services._dns-sd._udp.local.", dns.TypePTR, false, mdnsPeer, []uint16{dns.TypePTR, dns.TypePTR}, groupAddr},
		{"resolve escaped", `lab\ on\ alpha\ \(peerhood\)._ipp._tcp.local.`, dns.TypeANY, false, mdnsPeer, []uint16{dns.TypeSRV, dns.TypeTXT}, groupAddr},
		{"resolve dotted", `wiki\.v2\ on\ bravo._http._tcp.local.`, dns.TypeSRV, true, mdnsPeer, []uint16{dns.TypeSRV}, mdnsPeer},
		{"host", HostName, dns.TypeA, false, legacy, []uint16{dns.TypeA}, legacy},
		{"other name", "_ssh._tcp.local.", dns.TypePTR, false, mdnsPeer, nil, nil},
		{"other type", "_ipp._tcp.local.", dns.TypeAAAA, false, mdnsPeer, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, to := r.respond(query(t, tc.qname, tc.qtype, tc.qu), tc.from)
			if tc.want == nil {
				if m != nil {
					t.Fatalf("answered %v", m)
				}
				return
			}
			if m == nil {
				t.Fatal("no answer")
			}
			var got []uint16
			for _, rr := range m.Answer {
				got = append(got, rr.Header().Rrtype)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("answer types %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("answer types %v, want %v", got, tc.want)
				}
			}
			if to.String() != tc.to.String() {
				t.Fatalf("sent to %v, want %v", to, tc.to)
			}
			if _, err := m.Pack(); err != nil {
				t.Fatal(err)
			}
		})
	}
	// A response (another responder's announcement) is not answered.
	m := new(dns.Msg)
	m.SetQuestion("_ipp._tcp.local.", dns.TypePTR)
	m.Response = true
	b, _ := m.Pack()
	if resp, _ := r.respond(b, mdnsPeer); resp != nil {
		t.Fatal("answered a response")
	}
}

// FuzzRespond feeds arbitrary packets to the responder: it never panics
// and whatever it answers packs.
func FuzzRespond(f *testing.F) {
	f.Add(query(f, "_ipp._tcp.local.", dns.TypePTR, false))
	f.Add(query(f, HostName, dns.TypeANY, true))
	f.Add([]byte{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1})
	r := testResponder()
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, _ := r.respond(b, from); m != nil {
			if _, err := m.Pack(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
