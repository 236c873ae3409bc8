package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// Forward is a listener on this node's loopback that carries each TCP
// connection to a member's service.
type Forward struct {
	Local     string    `json:"local"` // 127.0.0.1:PORT
	Member    string    `json:"member"`
	Service   string    `json:"service"`
	Workgroup string    `json:"workgroup"`      // workgroup ID
	Kind      string    `json:"kind,omitempty"` // the service's kind, as its node said ("": not known yet)
	Persist   bool      `json:"persist,omitempty"`
	DNSSD     bool      `json:"dnssd,omitempty"` // advertised on this machine (_http._tcp, _ipp._tcp)
	Listening bool      `json:"listening"`
	LastError string    `json:"last_error,omitempty"` // the last connection's failure
	Created   time.Time `json:"created"`
	Stats     Stats     `json:"stats"`
}

// forward is a running Forward. Its fields but stats are guarded by the
// service's mu.
type forward struct {
	info  Forward
	path  string       // the service's path (printers), from the probe
	ad    *adEntry     // its local DNS-SD advertisement, if any
	ln    net.Listener // nil when it could not listen
	open  map[io.Closer]struct{}
	stats counters
}

// stop closes the listener and every open connection (s.mu held).
func (f *forward) stop() {
	if f.ln != nil {
		_ = f.ln.Close()
	}
	for c := range f.open {
		_ = c.Close()
	}
}

// ForwardRequest asks for a forward to Member's Service.
type ForwardRequest struct {
	Workgroup string // name or ID; "" for the only one
	Member    string
	Service   string
	Local     string // host:port, :port or port on the loopback; "" for a free port
	Persist   bool
	// check, when set, vets the service the probe found (printer add
	// wants a printer) before the forward listens.
	check func(ServiceInfo) error
	// storeLater: a Persist forward the caller stores itself, with more
	// in the same transaction (printer add: the forward and the printer).
	storeLater bool
}

// LocalAddr checks a forward's local address: a loopback IP (127.0.0.1
// when none is given) and a port (0: a free one).
func LocalAddr(s string) (string, error) {
	if s == "" {
		return "127.0.0.1:0", nil
	}
	if _, err := strconv.Atoi(s); err == nil {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("local address %q: want [127.0.0.1:]PORT: %w", s, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("local address %q: bad port", s)
	}
	if host == "" || strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return "", fmt.Errorf("local address %q: a forward listens on the loopback only (127.0.0.1)", s)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// AddForward checks the service with a probe (the member is reachable,
// lets this node use the service, and its target answers), then listens
// and, with Persist, stores the forward.
func (s *Service) AddForward(ctx context.Context, req ForwardRequest) (Forward, error) {
	local, err := LocalAddr(req.Local)
	if err != nil {
		return Forward{}, err
	}
	info, err := workgroup.ResolveFor(s.dir, req.Workgroup, req.Member)
	if err != nil {
		return Forward{}, err
	}
	m, ok := s.dir.ByName(info.ID, req.Member)
	if !ok {
		return Forward{}, fmt.Errorf("%w: no member %q in workgroup %s", ErrNoMember, req.Member, info.Name)
	}
	if m.PeerID == s.host.ID() {
		return Forward{}, fmt.Errorf("%w: %s is this node: connect to the service's target directly", ErrNoMember, m.Name)
	}
	pctx, cancel := context.WithTimeout(ctx, 3*s.opts.DialTimeout)
	probe, err := Dial(pctx, s.host, m.PeerID, m.Name, Request{Service: req.Service, Workgroup: info.ID, Probe: true})
	cancel()
	if err != nil {
		return Forward{}, err
	}
	var si ServiceInfo
	if len(probe.list) == 1 {
		si = probe.list[0]
	}
	if req.check != nil {
		if err := req.check(si); err != nil {
			return Forward{}, err
		}
	}
	ln, err := net.Listen("tcp", local)
	if err != nil {
		return Forward{}, fmt.Errorf("listen on %s: %w", local, err)
	}
	f := &forward{ln: ln, open: map[io.Closer]struct{}{}, info: Forward{
		Local: ln.Addr().String(), Member: m.Name, Service: lower(req.Service), Workgroup: info.ID, Kind: si.Kind,
		Persist: req.Persist, Listening: true, Created: time.Now().UTC().Truncate(time.Second),
	}}
	f.path = si.Path
	if req.Persist && !req.storeLater {
		sf := storedForward{Local: f.info.Local, Workgroup: info.ID, Member: m.Name, Service: f.info.Service, Kind: si.Kind, Created: f.info.Created}
		if err := s.configs.addForward(ctx, sf); err != nil {
			_ = ln.Close()
			return Forward{}, err
		}
	}
	if !s.run(f) {
		return Forward{}, errors.New("the node is stopping")
	}
	s.advertiseHTTP(f)
	return s.snapshot(f), nil
}

// ErrNoMember reports a forward to a member that is not one.
var ErrNoMember = errors.New("no such member")

// run adds f to the forwards and starts its accept loop.
func (s *Service) run(f *forward) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		f.stop()
		return false
	}
	if old := s.forwards[f.info.Local]; old != nil {
		old.stop()
	}
	s.forwards[f.info.Local] = f
	if f.ln != nil {
		s.wg.Add(1)
		go s.accept(f)
	}
	return true
}

// snapshot is f's Forward now (s.mu held).
func (f *forward) snapshot() Forward {
	out := f.info
	out.DNSSD = f.ad != nil && f.ad.on
	out.Stats = f.stats.snapshot()
	return out
}

func (s *Service) snapshot(f *forward) Forward {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f.snapshot()
}

// accept runs f's accept loop until its listener closes.
func (s *Service) accept(f *forward) {
	defer s.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("forward stopped accepting", "local", f.info.Local, "err", err)
			}
			return
		}
		if !s.trackIn(f, c) {
			return
		}
		go s.forwardConn(f, c.(*net.TCPConn))
	}
}

// trackIn is track for a forward's connection: it is closed when the
// forward is removed or the service closes.
func (s *Service) trackIn(f *forward, c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.forwards[f.info.Local] != f {
		_ = c.Close()
		return false
	}
	f.open[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Service) untrackIn(f *forward, cs ...io.Closer) {
	s.mu.Lock()
	for _, c := range cs {
		delete(f.open, c)
	}
	s.mu.Unlock()
}

// forwardConn carries one local connection over a new tunnel stream.
func (s *Service) forwardConn(f *forward, c *net.TCPConn) {
	defer s.wg.Done()
	defer s.untrackIn(f, c)
	f.stats.total.Add(1)
	conn, err := s.dialForward(f)
	if err != nil {
		s.forwardFailed(f, err)
		tcpEnd{c}.Abort()
		return
	}
	s.mu.Lock()
	f.open[conn.st] = struct{}{}
	if s.closed || s.forwards[f.info.Local] != f {
		_ = conn.st.Reset() // removed while the tunnel opened
	}
	s.mu.Unlock()
	defer s.untrackIn(f, conn.st)
	f.stats.active.Add(1)
	defer f.stats.active.Add(-1)
	in, out, err := pipe(tcpEnd{c}, conn, s.opts.IdleTimeout)
	f.stats.in.Add(in)
	f.stats.out.Add(out)
	if why := conn.refusal(); why != nil {
		s.forwardFailed(f, why)
	} else if err != nil {
		s.log.Debug("forwarded connection ended with an error", "local", f.info.Local, "err", err)
	}
}

// forwardFailed counts a connection the forward could not carry and
// keeps why for forward ls.
func (s *Service) forwardFailed(f *forward, err error) {
	f.stats.refused.Add(1)
	s.mu.Lock()
	f.info.LastError = err.Error()
	s.mu.Unlock()
	s.log.Warn("forward could not open a tunnel", "local", f.info.Local, "to", f.info.Member+":"+f.info.Service, "err", err)
}

// dialForward opens the tunnel of one forwarded connection, without
// waiting for the offering node's answer (earlyConn).
func (s *Service) dialForward(f *forward) (*earlyConn, error) {
	m, ok := s.dir.ByName(f.info.Workgroup, f.info.Member)
	if !ok {
		return nil, fmt.Errorf("%w: %s is no longer a member", ErrNoMember, f.info.Member)
	}
	ctx, cancel := context.WithTimeout(s.ctx, 3*s.opts.DialTimeout)
	defer cancel()
	req := Request{Service: f.info.Service, Workgroup: f.info.Workgroup}
	if noEarlyData { // benchmarks compare
		c, err := Dial(ctx, s.host, m.PeerID, m.Name, req)
		if err != nil {
			return nil, err
		}
		return &earlyConn{streamEnd: c.streamEnd, replied: true}, nil
	}
	return dialEarly(ctx, s.host, m.PeerID, m.Name, req, 3*s.opts.DialTimeout)
}

// noEarlyData makes forwards wait for the reply before the first byte
// (BenchmarkSetup compares both).
var noEarlyData = false

// Forwards lists the running and persisted forwards, by local address.
func (s *Service) Forwards() []Forward {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Forward, 0, len(s.forwards))
	for _, f := range s.forwards {
		out = append(out, f.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Local < out[j].Local })
	return out
}

// RemoveForward stops and forgets the forwards matching what: a local
// address, or MEMBER:SERVICE (every forward to it). Open connections
// through them are closed.
func (s *Service) RemoveForward(ctx context.Context, what string) ([]Forward, error) {
	s.mu.Lock()
	var match []*forward
	for local, f := range s.forwards {
		if local == what || strings.EqualFold(f.info.Member+":"+f.info.Service, what) {
			match = append(match, f)
		}
	}
	s.mu.Unlock()
	if len(match) == 0 {
		return nil, fmt.Errorf("%w: no forward %q", ErrNoForward, what)
	}
	out := make([]Forward, 0, len(match))
	for _, f := range match {
		// The stored forward goes first: when its delete fails (a full
		// disk), the forward still runs and is listed, and removing it
		// again works (it used to be stopped and forgotten here but kept
		// in the database, back after a restart).
		if f.info.Persist {
			if err := s.configs.removeForward(ctx, f.info.Local); err != nil {
				return out, err
			}
		}
		if s.drop(f) {
			out = append(out, s.snapshot(f))
		}
	}
	return out, nil
}

// drop stops f and forgets it, unless another call did already; it
// changes nothing stored.
func (s *Service) drop(f *forward) bool {
	s.mu.Lock()
	if s.forwards[f.info.Local] != f {
		s.mu.Unlock()
		return false
	}
	f.stop()
	delete(s.forwards, f.info.Local)
	s.mu.Unlock()
	s.unadvertise(f)
	return true
}

// ErrNoForward reports an unknown forward.
var ErrNoForward = errors.New("no such forward")

// restoreForwards listens again on each persisted forward's address.
func (s *Service) restoreForwards(ctx context.Context) {
	stored, err := s.configs.forwards(ctx)
	if err != nil {
		s.log.Warn("could not read the persisted forwards", "err", err)
		return
	}
	for _, sf := range stored {
		f := &forward{open: map[io.Closer]struct{}{}, info: Forward{
			Local: sf.Local, Member: sf.Member, Service: sf.Service, Workgroup: sf.Workgroup, Kind: sf.Kind, Persist: true, Created: sf.Created,
		}}
		if ln, err := net.Listen("tcp", sf.Local); err != nil {
			f.info.LastError = fmt.Sprintf("listen: %v", err)
			s.log.Warn("could not restore a forward", "local", sf.Local, "to", sf.Member+":"+sf.Service, "err", err)
		} else {
			f.ln, f.info.Listening = ln, true
		}
		if s.run(f) && f.ln != nil {
			s.advertiseHTTP(f)
		}
	}
}
