package tunnel

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Defaults of Options.
const (
	DefaultDialTimeout  = 5 * time.Second
	DefaultMaxPerMember = 200 // below p2p.TunnelStreamsPerPeer, so "busy" comes before a reset
)

// Options tune a Service; zero values take the defaults.
type Options struct {
	// DialTimeout bounds connecting to a target (offering side) and
	// opening a tunnel stream to a member (using side, twice this).
	DialTimeout time.Duration
	// MaxPerMember caps the open tunnels one member has into this node.
	MaxPerMember int
	// IdleTimeout ends a tunnel that carried no byte either way for this
	// long (0: never; TCP keepalive still finds dead local peers).
	IdleTimeout time.Duration
	// NoDNSSD turns the loopback DNS-SD advertisements off (http
	// forwards, added printers).
	NoDNSSD bool
}

// Service offers this node's TCP services to members over
// /peerhood/tunnel/1 and runs this node's forwards to other members'
// services.
type Service struct {
	configs *Configs
	host    host.Host
	dir     workgroup.Directory
	log     *slog.Logger
	opts    Options

	ctx    context.Context // ends at Close: bounds forwards' dials
	cancel context.CancelFunc

	mu       sync.Mutex
	stats    map[string]*counters // by lower-case service name
	perPeer  map[peer.ID]int      // open tunnels into this node, by member
	forwards map[string]*forward  // by local address
	printers map[string]*Printer  // added printers, by local address
	open     map[io.Closer]struct{}
	closed   bool
	wg       sync.WaitGroup // every tunnel and forward goroutine

	ads advertiser // the loopback DNS-SD responder, started on first use
}

// counters are the live Stats of a service or forward.
type counters struct{ active, total, refused, in, out atomic.Int64 }

func (c *counters) snapshot() Stats {
	return Stats{Active: c.active.Load(), Total: c.total.Load(), Refused: c.refused.Load(), BytesIn: c.in.Load(), BytesOut: c.out.Load()}
}

// New returns the service over db; dir is the membership directory.
func New(db *store.DB, h host.Host, dir workgroup.Directory, log *slog.Logger, opts Options) *Service {
	if log == nil {
		log = slog.Default()
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.MaxPerMember <= 0 {
		opts.MaxPerMember = DefaultMaxPerMember
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		ctx: ctx, cancel: cancel,
		configs: &Configs{db: db, dir: dir}, host: h, dir: dir, log: log.With("svc", "tunnel"), opts: opts,
		stats: map[string]*counters{}, perPeer: map[peer.ID]int{}, forwards: map[string]*forward{}, printers: map[string]*Printer{},
		open: map[io.Closer]struct{}{},
	}
}

// Configs returns the service list.
func (s *Service) Configs() *Configs { return s.configs }

// Start serves /peerhood/tunnel/1 behind workgroup.Guard and restores
// the persisted forwards (one that cannot listen is logged and kept).
func (s *Service) Start(ctx context.Context) error {
	s.host.SetStreamHandler(p2p.ProtoTunnel, workgroup.Guard(s.dir, s.log, s.handle))
	s.restoreForwards(ctx)
	s.restorePrinters(ctx)
	return nil
}

// Close stops serving, closes every forward's listener and every open
// tunnel, and waits for their goroutines.
func (s *Service) Close() error {
	s.host.RemoveStreamHandler(p2p.ProtoTunnel)
	s.cancel()
	s.mu.Lock()
	s.closed = true
	for _, f := range s.forwards {
		f.stop()
	}
	for c := range s.open {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.ads.close()
	return nil
}

// track registers an open connection or stream for Close and counts
// its goroutine in s.wg; it reports false (and closes c) once the
// service is closing. untrack undoes it when the goroutine ends.
func (s *Service) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return false
	}
	s.open[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Service) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.open, c)
	s.mu.Unlock()
	s.wg.Done()
}

// serviceStats returns the counters of service name, made on first use.
func (s *Service) serviceStats(name string) *counters {
	key := lower(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats[key]
	if c == nil {
		c = &counters{}
		s.stats[key] = c
	}
	return c
}

// List returns the service list with each service's counters.
func (s *Service) List(ctx context.Context) ([]Config, error) {
	all, err := s.configs.List(ctx)
	for i := range all {
		all[i].Stats = s.serviceStats(all[i].Name).snapshot()
	}
	return all, err
}
