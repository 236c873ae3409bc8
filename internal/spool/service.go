package spool

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/bgwork"
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Errors the API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid request")
)

// Config configures the service. Zero durations take the defaults.
type Config struct {
	Host     *p2p.Host
	DB       *store.DB
	Identity *identity.Identity
	Dir      workgroup.Directory
	// SpoolDir is the folder of spool files (state folder + /spool).
	SpoolDir string
	Log      *slog.Logger

	RetryBase     time.Duration // first retry delay (default 2 s)
	RetryCap      time.Duration // longest retry delay (default 5 min)
	Tick          time.Duration // how often due jobs are looked for (default 1 s)
	FetchInterval time.Duration // how often mailboxes are asked (default 30 s)
	StuckAfter    time.Duration // undelivered this long shows as stuck (default 24 h)
	DialTimeout   time.Duration // per connection attempt (default 5 s)
	// MinFree is the free space a mailbox keeps beyond a deposit
	// (default 256 MiB).
	MinFree uint64
	// FreeSpace reports the free bytes of the spool's file system
	// (default: statfs).
	FreeSpace func(path string) (uint64, error)
	// Workers bounds concurrent deliveries (default 8).
	Workers int

	// Quotas per sending member; zero takes the node setting (see
	// quota.go), else the default (doc.go).
	PartialMaxCount int           // direct transfers in progress (default 16)
	PartialMaxBytes uint64        // their bytes (default 64 GiB)
	MailboxMaxCount int           // messages a mailbox holds (default 2000)
	MailboxMaxBytes uint64        // their bytes (default 4 GiB)
	ReceiptMaxCount int           // receipts a mailbox holds from one signer (default 10,000)
	ReceiptMaxBytes uint64        // their bytes (default 16 MiB)
	PartialMaxAge   time.Duration // untouched partials are abandoned after (default 7 days)
	SweepInterval   time.Duration // how often abandoned partials are removed (default 1 h)
	// Shares receives copies sent straight into a share (NAME:SHARE/path);
	// nil refuses them.
	Shares ShareWriter
	// PreflightShare, when set, is asked at send time whether member m
	// would let this node write into its share name: an error refuses
	// the send (its text is the reason); nil means yes or cannot tell
	// (m unreachable), and the recipient decides on arrival.
	PreflightShare func(ctx context.Context, m workgroup.Member, name string) error
	// Events, when set, receives mail.arrived and job.changed.
	Events *events.Bus
	// NoLive turns live offers off: a large file copy is sealed whole,
	// then offered (as before live offers existed).
	NoLive bool
	// serveIdle, when set (tests), replaces idleTimeout on the streams
	// this node serves (servedStream).
	serveIdle time.Duration
	// sendIdle and stallAfter, when set (tests), replace idleTimeout on
	// the streams this node opens and stallAfter (sendstream.go).
	sendIdle, stallAfter time.Duration
	// noLiveServe makes this node answer a live offer as a node from
	// before live offers did (tests).
	noLiveServe bool
	// liveReceived, when set (tests), runs when a live offer's ciphertext
	// has arrived, before its envelope is read; an error breaks the
	// transfer there.
	liveReceived func(key string) error
	// workerAt, when set (tests), runs at the points kick.go's hookPoint
	// names: in a worker whose attempt to p failed, in peerUp once p's
	// work is due, in the loop when it skips a busy p.
	workerAt func(p peer.ID, at hookPoint)
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RetryBase, 2*time.Second)
	def(&c.RetryCap, 5*time.Minute)
	def(&c.Tick, time.Second)
	def(&c.FetchInterval, 30*time.Second)
	def(&c.StuckAfter, 24*time.Hour)
	def(&c.DialTimeout, 5*time.Second)
	if c.MinFree == 0 {
		c.MinFree = 256 << 20
	}
	if c.FreeSpace == nil {
		c.FreeSpace = freeSpace
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
}

// Service is the store-and-forward service of one node.
type Service struct {
	cfg   Config
	log   *slog.Logger
	h     *p2p.Host
	db    *store.DB
	id    *identity.Identity
	dir   workgroup.Directory
	spool *spoolDir
	self  peer.ID

	wake     chan struct{}
	fetchNow chan peer.ID
	stop     context.CancelFunc
	wg       sync.WaitGroup
	notifiee *network.NotifyBundle
	mu       sync.Mutex
	busy     map[string]bool         // message IDs being received (inbox or mailbox)
	sending  map[peer.ID]bool        // recipients a worker is delivering to
	spare    chan struct{}           // places of the workers that left the pool stalled (sendstream.go)
	progress map[string]uint64       // job ID -> bytes sent in the current attempt
	retry    map[peer.ID]*retryState // peers that connect but do not serve (retry.go)
	// unreachable holds recipients whose direct delivery just failed: the
	// loop leaves them alone until then (or until they connect), so jobs
	// queued meanwhile wait together instead of each waking a new dial
	// and a write of failed attempts.
	unreachable map[peer.ID]time.Time
	// kicked holds recipients that connected while their worker ran: it
	// tries again at once instead of backing off (kick.go).
	kicked map[peer.ID]bool
	// dials holds the dials waiting for a peer: a connection to it by
	// any way ends them (kick.go).
	dials     map[peer.ID]map[*dialWait]bool
	wakeAll   bool             // the loop is to look through all due work
	wakePeers map[peer.ID]bool // or only at these peers'
	due       dueHorizon       // when the idle loop next scans (scheduler_idle.go)
	// liveJobs holds the job IDs a live offer is sending (live_send.go):
	// the scheduler leaves them alone.
	liveJobs map[string]bool
	// bg: the goroutines started from outside the service's own (live
	// offers from Send, connection notifications, protocol news):
	// bg.Go; and the stream handlers: bg.Add. Its own lock, not s.mu: a
	// connection notification runs under the swarm's notifiee lock, and
	// nothing may wait for the swarm while holding the lock it takes.
	bg       bgwork.Group
	liveDone atomic.Int64 // live offers settled by their receipt
	fetches  atomic.Int64 // fetches from mailboxes made (fetchOne; tests)
	// notifying holds the addressees a mailbox notify is being sent to
	// (true: one more after it); hints the mailboxes whose notifies ask
	// for a fetch, hintWake wakes the fetch loop for them (mailnotify.go).
	notifying map[peer.ID]bool
	hints     map[peer.ID]*hintState
	hintWake  chan struct{}
	// fetching holds the mailboxes a fetch goroutine runs for (true: one
	// more fetch after this one); fetchSlots bounds the fetches under way
	// at once (mailbox_fetch.go).
	fetching   map[peer.ID]bool
	fetchSlots chan struct{}
	// addrWrites counts the writes of spool_peer_addrs; addrsKnown is
	// what those records hold, under addrsMu (addrs.go).
	addrWrites atomic.Int64
	addrsMu    sync.Mutex
	addrsKnown map[peer.ID]string
	life       context.Context // ends at Close

	chatHook atomic.Pointer[func(ctx context.Context, wg string, from peer.ID, data []byte) error] // chatitems.go
	// chatRetry: the chat could not store a chat item for want of disk
	// space; the loop hands it the waiting items again (chatitems.go).
	chatRetry atomic.Bool

	// describer fills in the inbox listing's For (accepted.go).
	describer atomic.Pointer[Describer]

	commitQ    chan *commitReq
	commitDone chan struct{}
	commits    atomic.Int64 // group commits made (each one fsync)

	metrics *metrics // GET /metrics (metrics.go)
}

// New starts the service: it registers /peerhood/deliver/1 and
// /peerhood/mailbox/1 (guarded by membership) and the delivery loop.
func New(cfg Config) (*Service, error) {
	cfg.defaults()
	cfg.quotaDefaults(context.Background())
	if cfg.Host == nil || cfg.DB == nil || cfg.Identity == nil || cfg.Dir == nil || cfg.SpoolDir == "" {
		return nil, errors.New("spool: Host, DB, Identity, Dir and SpoolDir are required")
	}
	sd, err := openSpoolDir(cfg.SpoolDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: cfg, log: cfg.Log.With("svc", "spool"), h: cfg.Host, db: cfg.DB, id: cfg.Identity, dir: cfg.Dir,
		spool: sd, self: cfg.Host.ID(), wake: make(chan struct{}, 1), fetchNow: make(chan peer.ID, 64), stop: cancel,
		busy: map[string]bool{}, sending: map[peer.ID]bool{}, spare: make(chan struct{}, maxStalled), progress: map[string]uint64{}, retry: map[peer.ID]*retryState{},
		unreachable: map[peer.ID]time.Time{}, kicked: map[peer.ID]bool{}, dials: map[peer.ID]map[*dialWait]bool{}, wakePeers: map[peer.ID]bool{}, liveJobs: map[string]bool{}, life: ctx,
		notifying: map[peer.ID]bool{}, hints: map[peer.ID]*hintState{}, hintWake: make(chan struct{}, 1),
		fetching: map[peer.ID]bool{}, fetchSlots: make(chan struct{}, maxFetching),
		commitQ: make(chan *commitReq, maxGroup), commitDone: make(chan struct{}), metrics: newMetrics(),
	}
	s.cleanStaging(ctx)
	s.sweepPartials(time.Now())
	s.cleanAccepts(ctx)
	s.h.Handle(p2p.ProtoDeliver, workgroup.Guard(cfg.Dir, s.log, s.handleDeliver))
	s.h.Handle(p2p.ProtoMailbox, workgroup.Guard(cfg.Dir, s.log, s.handleMailbox))
	s.notifiee = &network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		p, st := c.RemotePeer(), c.Stat()
		s.bg.Go(func() {
			if !st.Limited {
				s.endDials(p) // kick.go
			}
			s.onConnected(ctx, p, st.Direction == network.DirInbound)
		})
	}}
	s.h.Network().Notify(s.notifiee)
	if sub, err := s.h.EventBus().Subscribe(new(event.EvtPeerProtocolsUpdated)); err == nil {
		s.wg.Add(1)
		go s.protoLoop(ctx, sub) // peerup.go
	} else {
		s.log.Warn("no news of peers' protocols: a member whose spool starts after it connected waits for its retry", "err", err)
	}
	s.wg.Add(4)
	go s.sweepLoop(ctx)
	go s.committer(ctx)
	go s.loop(ctx)
	go s.fetchLoop(ctx)
	return s, nil
}

// Close stops the loops and unregisters the handlers.
func (s *Service) Close() error {
	s.bg.Stop()
	s.h.RemoveStreamHandler(p2p.ProtoDeliver)
	s.h.RemoveStreamHandler(p2p.ProtoMailbox)
	s.h.Network().StopNotify(s.notifiee)
	s.stop()
	s.wg.Wait()
	s.bg.Wait()
	return nil
}

// Wake makes the loop look for all due work now.
func (s *Service) Wake() {
	s.dueChanged()
	s.mu.Lock()
	s.wakeAll = true
	s.mu.Unlock()
	s.signal()
}

// wakeFor makes the loop work for peers ps now (new jobs for them),
// without looking through all due work.
func (s *Service) wakeFor(ps ...peer.ID) {
	s.dueChanged()
	s.mu.Lock()
	for _, p := range ps {
		s.wakePeers[p] = true
	}
	s.mu.Unlock()
	s.signal()
}

func (s *Service) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// lock marks a message ID busy; it reports false if it already was.
func (s *Service) lock(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[key] {
		return false
	}
	s.busy[key] = true
	return true
}

func (s *Service) unlock(key string) {
	s.mu.Lock()
	delete(s.busy, key)
	s.mu.Unlock()
}

func (s *Service) setProgress(id string, n uint64) {
	s.mu.Lock()
	if n == 0 {
		delete(s.progress, id)
	} else {
		s.progress[id] = n
	}
	s.mu.Unlock()
}

// backoff is the delay before attempt n+1: exponential from RetryBase,
// capped at RetryCap, with ±20% jitter.
func backoff(base, cap time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < cap; i++ {
		d *= 2
	}
	if d > cap {
		d = cap
	}
	j := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * j)
}

// memberName is p's name in wg, or its peer ID.
func (s *Service) memberName(wg string, p peer.ID) string {
	if m, ok := s.dir.Member(wg, p); ok {
		return m.Name
	}
	return p.String()
}

func nowMs() int64 { return time.Now().UnixMilli() }
