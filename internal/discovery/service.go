package discovery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"

	"github.com/peerhood/peerhood/internal/bgwork"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// MDNSService is the mDNS service name peerhood nodes announce (not
// libp2p's default, so IPFS nodes on the LAN are not dialled).
const MDNSService = "_peerhood._udp"

// memberTag protects member connections from the connection manager.
const memberTag = "peerhood-member"

// Config configures the discovery service.
type Config struct {
	Host     *p2p.Host
	DB       *store.DB
	Dir      workgroup.Directory
	Presence *presence.Service // optional: browse shows offline for all without it
	Log      *slog.Logger
	// NoMDNS turns LAN discovery off (tests on loopback, where multicast
	// does not run).
	NoMDNS bool
	// NoDHT turns the per-workgroup DHT off.
	NoDHT bool
	// Tick is how often the service looks for members to dial and for new
	// workgroups (default 500 ms).
	Tick time.Duration
	// MaxConns, when above zero, stops dialling members once this node is
	// connected to that many: large workgroups need no full mesh, gossip
	// carries presence and the roster, and the DHT finds a member when a
	// service needs it. Zero: dial every member.
	MaxConns int
	// MaxBackoff caps the wait between dials of an unreachable member
	// (default 2 min).
	MaxBackoff time.Duration
	// Shares lists a member's shares for browse (optional: none listed).
	Shares SharesFunc
	// Services lists a member's TCP services for browse (optional).
	Services ServicesFunc
}

// Service finds members and keeps this node connected to them.
type Service struct {
	cfg  Config
	book *Book
	mdns interface{ Close() error }

	mu      sync.Mutex
	backoff map[peer.ID]*backoff
	dhts    map[string]*wgDHT
	dialing map[peer.ID]bool
	retried time.Time                 // last retryWaiting
	flaps   map[peer.ID]time.Duration // members whose connections end at once (flap.go)

	seen lastSeen // members' last "heard online", kept across restarts (lastseen.go)

	aloneGrace  time.Duration
	aloneSince  time.Time // loop only: since when no member is reachable
	aloneWarned bool      // loop only: the log said so

	// settled: the last round found every member connected, at these
	// directory and connection generations (loop only): until either
	// moves, a round has nothing to do (idleround.go).
	settled settledMark
	connGen atomic.Uint64        // bumped on every connection opened or closed
	learnt  chan learnt          // addresses to record in the book (learnLoop)
	heard   map[peer.ID]heardSet // under mu: the last heartbeat addresses recorded per member
	sem     chan struct{}
	kick    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// bg: work started outside the service's goroutines (browse's
	// requests: bg.Go); Close stops it before it cancels, and waits for it.
	bg bgwork.Group
}

// New builds the service; Start runs it.
func New(cfg Config) (*Service, error) {
	if cfg.Host == nil || cfg.DB == nil || cfg.Dir == nil {
		return nil, errors.New("discovery: host, database and directory are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 2 * time.Minute
	}
	s := &Service{
		cfg: cfg, book: NewBook(cfg.DB),
		backoff: map[peer.ID]*backoff{}, dhts: map[string]*wgDHT{}, dialing: map[peer.ID]bool{}, flaps: map[peer.ID]time.Duration{},
		sem: make(chan struct{}, 16), kick: make(chan struct{}, 1), aloneGrace: aloneGrace,
		learnt: make(chan learnt, 64), heard: map[peer.ID]heardSet{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Book returns the address book.
func (s *Service) Book() *Book { return s.book }

// Start loads known addresses, starts mDNS and the dial loop.
func (s *Service) Start(ctx context.Context) error {
	h := s.cfg.Host
	if err := s.loadLastSeen(ctx); err != nil {
		return err
	}
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		return err
	}
	s.wg.Add(2)
	go s.identified(sub)
	go s.learnLoop()
	if s.cfg.Presence != nil {
		s.cfg.Presence.SetAddrSink(s.heardAddrs)
	}
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF:    s.connected,
		DisconnectedF: s.disconnected,
	})
	h.SetRelaySource(s.RelayCandidates)
	if !s.cfg.NoMDNS {
		m, err := startMDNS(h.Host, MDNSService, mdnsNotifee{s}.HandlePeerFound, s.cfg.Log)
		if err != nil {
			// No multicast interface (a container, loopback only): the
			// other ways still work.
			s.cfg.Log.Warn("mDNS LAN discovery is off", "err", err)
		} else {
			s.mdns = m
		}
	}
	s.wg.Add(1)
	go s.loop()
	return nil
}

// Close stops discovery.
func (s *Service) Close() error {
	s.bg.Stop()
	s.cancel()
	if s.mdns != nil {
		s.mdns.Close()
	}
	s.bg.Wait()
	s.wg.Wait()
	s.saveLastSeen(context.Background(), true)
	s.mu.Lock()
	dhts := s.dhts
	s.dhts = map[string]*wgDHT{}
	s.mu.Unlock()
	for _, d := range dhts { // outside s.mu (syncDHTs says why)
		d.close()
	}
	return nil
}

// Kick runs a dial round at once.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Service) loop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	routes := time.NewTicker(relayRouteEvery)
	defer routes.Stop()
	s.round()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		case <-routes.C:
			now := time.Now()
			s.addRelayRoutes()
			s.warnAlone(now)
			s.requery(now)
			continue
		}
		s.round()
	}
}

// round starts DHTs of new workgroups and dials members not connected.
func (s *Service) round() {
	mark, ok := s.mark()
	if ok && s.settled == mark {
		return // nothing changed since every member was connected
	}
	s.settled = settledMark{}
	wgs := s.cfg.Dir.Workgroups()
	dhtsOK := true
	if !s.cfg.NoDHT {
		dhtsOK = s.syncDHTs(wgs)
	}
	if s.allConnected(wgs) {
		if ok && dhtsOK {
			s.settled = mark
		}
		return
	}
	self := s.cfg.Host.ID()
	budget := -1 // dials this round may start; -1: no cap
	n := 0       // member connections, and dials in flight, under a cap
	if s.cfg.MaxConns > 0 {
		for _, p := range s.cfg.Host.Network().Peers() {
			if s.isMember(p) {
				n++
			}
		}
		s.mu.Lock()
		n += len(s.dialing) // dials in flight count as connections to be
		s.mu.Unlock()
		if n >= s.cfg.MaxConns {
			return
		}
		budget = s.cfg.MaxConns - n
	}
	// Members whose addresses are known are dialled first: a member
	// with none costs a DHT lookup, and a lookup connects to members
	// along its way. Under a cap, a node that reaches any member leaves
	// them alone: presence heartbeats bring the addresses of every
	// member online within one interval.
	type candidate struct {
		wg string
		p  peer.ID
	}
	var known, unknown []candidate
	seen := map[peer.ID]bool{}
	ps := s.cfg.Host.Peerstore()
	for _, w := range wgs {
		for _, m := range s.cfg.Dir.Members(w.ID) {
			if m.PeerID == self || seen[m.PeerID] {
				continue
			}
			seen[m.PeerID] = true
			c := candidate{w.ID, m.PeerID}
			if len(ps.Addrs(m.PeerID)) > 0 {
				known = append(known, c)
			} else {
				unknown = append(unknown, c)
			}
		}
	}
	if budget >= 0 && n > 0 {
		unknown = nil
	}
	for _, c := range append(known, unknown...) {
		if budget == 0 {
			return
		}
		if s.maybeDial(c.wg, c.p) && budget > 0 {
			budget--
		}
	}
}

// isMember reports whether p is a member of a workgroup this node is in.
func (s *Service) isMember(p peer.ID) bool { return len(s.cfg.Dir.Memberships(p)) > 0 }

// memberCounter is implemented by directories that count members without
// listing them (the roster).
type memberCounter interface{ MemberCount(wg string) int }

// allConnected reports whether this node is connected to every other
// member of wgs, so a round has no one to dial: it counts the connected
// peers that are members against the members of each workgroup (a
// member of two workgroups counts twice there, so with shared members
// it never says yes and the round runs). An idle node then does not list
// and sort every workgroup's members and look up each one's addresses
// twice a second.
func (s *Service) allConnected(wgs []workgroup.Info) bool {
	c, ok := s.cfg.Dir.(memberCounter)
	if !ok {
		return false
	}
	want := 0
	for _, w := range wgs {
		want += c.MemberCount(w.ID) - 1 // not this node
	}
	got := 0
	for _, p := range s.cfg.Host.Network().Peers() {
		if s.isMember(p) {
			got++
		}
	}
	return got >= want
}

func (s *Service) connected(_ network.Network, c network.Conn) {
	s.connGen.Add(1)
	p := c.RemotePeer()
	if !s.isMember(p) {
		return
	}
	s.cfg.Host.Protect(p, memberTag)
	s.mu.Lock()
	delete(s.backoff, p)
	retry := s.retryWaiting(time.Now())
	s.mu.Unlock()
	if retry {
		s.Kick()
	}
}

// Limits of retryWaiting.
const (
	retryEvery = 2 * time.Second // at most one early retry round this often
	retryMost  = 32              // members pulled forward per round
)

// retryWaiting pulls forward the next dial of members waiting out a
// backoff (up to retryMost of them, at most once per retryEvery): a
// member that just connected brings new routes (its DHT table, its relay)
// to members that could not be found a moment ago, so a workgroup that
// starts together meshes in seconds instead of waiting out backoffs that
// grew while nobody was reachable. s.mu is held.
func (s *Service) retryWaiting(now time.Time) bool {
	if now.Sub(s.retried) < retryEvery {
		return false
	}
	s.retried = now
	n := 0
	for p, b := range s.backoff {
		if n >= retryMost {
			break
		}
		if s.dialing[p] || b.next.Sub(now) < retryEvery {
			continue
		}
		b.next = now.Add(jitter(retryEvery / 2))
		b.wait = time.Second
		n++
	}
	return n > 0
}

func (s *Service) disconnected(n network.Network, c network.Conn) {
	s.connGen.Add(1)
	p := c.RemotePeer()
	if len(n.ConnsToPeer(p)) > 0 || !s.isMember(p) {
		return
	}
	// Try again soon: the member may only have changed networks (later
	// each time its connections end at once: flap.go).
	s.mu.Lock()
	w := s.redialWait(p, c.Stat().Opened)
	s.backoff[p] = &backoff{next: s.firstTry(p, w), wait: w}
	s.mu.Unlock()
}

// mdnsNotifee dials members found on the LAN.
type mdnsNotifee struct{ s *Service }

func (n mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	s := n.s
	if ai.ID == s.cfg.Host.ID() || s.ctx.Err() != nil {
		return
	}
	s.cfg.Host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.TempAddrTTL)
	if !s.isMember(ai.ID) || len(s.cfg.Host.Network().ConnsToPeer(ai.ID)) > 0 {
		return
	}
	s.cfg.Log.Debug("mDNS found a member", "peer", ai.ID)
	s.mu.Lock()
	s.backoff[ai.ID] = &backoff{next: s.firstTry(ai.ID, 0), wait: time.Second}
	s.mu.Unlock()
	s.Kick()
}
