package dnssd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
)

// HostName is the name the responder gives 127.0.0.1.
const HostName = "peerhood-loopback.local."

// ttl of every record (goodbyes use 0).
const ttl = 120

// ErrNoLoopbackMulticast: no loopback interface is up with multicast.
var ErrNoLoopbackMulticast = errors.New("the loopback interface carries no multicast (Linux: ip link set lo multicast on)")

var (
	group     = net.IPv4(224, 0, 0, 251)
	groupAddr = &net.UDPAddr{IP: group, Port: 5353}
)

// Entry is one service instance to advertise.
type Entry struct {
	Instance string   // e.g. "lab on alpha (peerhood)"
	Service  string   // e.g. "_ipp._tcp"
	Subtypes []string // e.g. "_print"
	Port     int
	Text     []string // key=value, each at most 255 bytes
}

// key identifies an entry.
func (e Entry) key() string { return canon(instanceName(e)) }

func instanceName(e Entry) string {
	inst := strings.NewReplacer(`\`, `\\`, `.`, `\.`).Replace(e.Instance)
	return inst + "." + e.Service + ".local."
}

// Responder answers DNS-SD queries on the loopback for its entries.
type Responder struct {
	conn *ipv4.PacketConn
	lo   net.Interface
	src  net.IP // the loopback's IPv4 address
	log  *slog.Logger

	mu      sync.Mutex
	entries map[string]Entry
	closed  bool
	wg      sync.WaitGroup
}

// Loopback returns the loopback interface if it is up and carries
// multicast.
func Loopback() (net.Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return net.Interface{}, fmt.Errorf("list interfaces: %w", err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 && i.Flags&net.FlagUp != 0 && i.Flags&net.FlagMulticast != 0 {
			return i, nil
		}
	}
	return net.Interface{}, ErrNoLoopbackMulticast
}

// Start listens on port 5353 (shared with avahi or mDNSResponder) and
// answers on the loopback only.
func Start(log *slog.Logger) (*Responder, error) {
	if log == nil {
		log = slog.Default()
	}
	lo, err := Loopback()
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = reuse(fd) })
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:5353")
	if err != nil {
		return nil, fmt.Errorf("dns-sd: listen on udp 5353: %w", err)
	}
	p := ipv4.NewPacketConn(pc)
	if err := setup(p, &lo); err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("dns-sd on %s: %w", lo.Name, err)
	}
	r := &Responder{conn: p, lo: lo, src: net.IPv4(127, 0, 0, 1), log: log, entries: map[string]Entry{}}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

func setup(p *ipv4.PacketConn, lo *net.Interface) error {
	if err := p.JoinGroup(lo, &net.UDPAddr{IP: group}); err != nil {
		return err
	}
	if err := p.SetControlMessage(ipv4.FlagInterface, true); err != nil {
		return err
	}
	if err := p.SetMulticastInterface(lo); err != nil {
		return err
	}
	if err := p.SetMulticastLoopback(true); err != nil {
		return err
	}
	return p.SetMulticastTTL(255)
}

// Add advertises e (replacing an entry of the same instance and
// service) and announces it.
func (r *Responder) Add(e Entry) error {
	if e.Instance == "" || !strings.HasPrefix(e.Service, "_") || e.Port <= 0 || e.Port > 65535 {
		return fmt.Errorf("dns-sd entry %q %q port %d: incomplete", e.Instance, e.Service, e.Port)
	}
	for _, t := range e.Text {
		if len(t) > 255 {
			return fmt.Errorf("dns-sd entry %q: TXT string over 255 bytes", e.Instance)
		}
	}
	if canon(instanceName(e)) == "" {
		return fmt.Errorf("dns-sd entry %q: not a valid name", e.Instance)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return errors.New("dns-sd responder closed")
	}
	r.entries[e.key()] = e
	r.wg.Add(1)
	r.mu.Unlock()
	go func() { // announce twice, a second apart (RFC 6762 8.3)
		defer r.wg.Done()
		r.send(r.announcement(e, ttl), groupAddr)
		time.Sleep(time.Second)
		r.mu.Lock()
		_, still := r.entries[e.key()]
		r.mu.Unlock()
		if still {
			r.send(r.announcement(e, ttl), groupAddr)
		}
	}()
	return nil
}

// Remove stops advertising e (by instance and service) and says goodbye.
func (r *Responder) Remove(e Entry) {
	r.mu.Lock()
	old, ok := r.entries[e.key()]
	delete(r.entries, e.key())
	r.mu.Unlock()
	if ok {
		r.send(r.announcement(old, 0), groupAddr)
	}
}

// Close says goodbye for every entry and stops answering.
func (r *Responder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	all := make([]Entry, 0, len(r.entries))
	for _, e := range r.entries {
		all = append(all, e)
	}
	r.entries = map[string]Entry{}
	r.mu.Unlock()
	for _, e := range all {
		r.send(r.announcement(e, 0), groupAddr)
	}
	err := r.conn.Close()
	r.wg.Wait()
	return err
}

// serve reads queries until the connection closes; a packet that did
// not arrive on the loopback is dropped unread.
func (r *Responder) serve() {
	defer r.wg.Done()
	buf := make([]byte, 9000)
	for {
		n, cm, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // do not spin on a failing socket
			continue
		}
		if cm == nil || cm.IfIndex != r.lo.Index {
			continue
		}
		resp, to := r.respond(buf[:n], from)
		if resp != nil {
			r.send(resp, to)
		}
	}
}

func (r *Responder) send(m *dns.Msg, to net.Addr) {
	b, err := m.Pack()
	if err != nil {
		r.log.Debug("dns-sd: pack", "err", err)
		return
	}
	// The source must be the loopback's address: sent from a socket
	// bound to 0.0.0.0 with only the interface set, Linux gives a
	// multicast on lo the source 0.0.0.0, which avahi drops.
	cm := &ipv4.ControlMessage{IfIndex: r.lo.Index, Src: r.src}
	if _, err := r.conn.WriteTo(b, cm, to); err != nil {
		r.log.Debug("dns-sd: send", "to", to, "err", err)
	}
}
