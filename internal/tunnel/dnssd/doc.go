// Package dnssd is a DNS-SD responder (multicast DNS, RFC 6762/6763) on
// the loopback interface only: it makes services this node forwards on
// 127.0.0.1 (a member's printer as _ipp._tcp, a web app as _http._tcp)
// visible to this machine's own browsers (avahi, ippfind, print
// dialogs), and to nothing beyond it.
//
// # Why not zeroconf
//
// github.com/libp2p/zeroconf/v2 (in the module graph through libp2p's
// mDNS) binds 0.0.0.0:5353 and answers a query on whatever interface it
// came from: with IP_MULTICAST_ALL (Linux's default) its socket also
// receives queries from interfaces other programs joined, so it would
// announce a 127.0.0.1 printer to the whole LAN. This responder joins
// 224.0.0.251 on the loopback only, drops every packet whose arrival
// interface is not the loopback (IP_PKTINFO), and sends only on the
// loopback. It uses github.com/miekg/dns (zeroconf's own DNS codec)
// for the messages.
//
// # Where it works
//
// The loopback must carry multicast: macOS's lo0 does; Linux's lo does
// after `ip link set lo multicast on` (avahi 0.8 then treats lo as an
// mDNS interface). Start returns ErrNoLoopbackMulticast otherwise and
// the caller falls back on a CUPS queue (printers) or on nothing.
//
// # What it answers
//
// For each Entry (instance I of service S, port P, TXT T, subtypes U):
// PTR _services._dns-sd._udp.local -> S.local; PTR S.local -> I.S.local;
// PTR U._sub.S.local -> I.S.local; SRV I.S.local -> HostName:P; TXT
// I.S.local -> T; A HostName -> 127.0.0.1. Answers go by multicast on the
// loopback, or by unicast to the asker for a QU question or a legacy
// query (source port not 5353). Entries are announced when added (twice,
// one second apart) and said goodbye to (TTL 0) when removed or at
// Close. Probing and conflict resolution are not done: the host name is
// peerhood's own and instance names carry the member's name.
package dnssd
