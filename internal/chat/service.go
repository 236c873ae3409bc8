package chat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// DefaultSyncInterval is how often each log this node keeps is compared
// with a few members that keep it too (history sync), besides the sync
// with every member that joins a log's topic.
const DefaultSyncInterval = 15 * time.Second

// Spool carries direct messages to members that are offline: a sealed
// item of kind chat, through their mailbox members (*spool.Service).
type Spool interface {
	SendChat(ctx context.Context, wg string, to peer.ID, data []byte) error
	OnChat(func(ctx context.Context, wg string, from peer.ID, data []byte) error)
}

// Config configures the chat service.
type Config struct {
	Host     *p2p.Host
	DB       *store.DB
	Identity *identity.Identity
	Dir      workgroup.Directory
	Log      *slog.Logger
	Events   *events.Bus
	Spool    Spool
	// Files queues the copies of attachments (attach.go); nil: a
	// message takes no attachment.
	Files Files
	// SyncInterval is the period of history sync (DefaultSyncInterval
	// when zero).
	SyncInterval time.Duration
	// Popup shows an alert on this machine's desktop (Notify when nil).
	Popup func(title, text string)
	// DirectTimeout bounds a live direct delivery before the message
	// goes through the spool (3 s when zero).
	DirectTimeout time.Duration
}

// Message is a chat message as the API, the events and the IRC gateway
// see it (the chat.message event's payload).
type Message = events.ChatMessage

// SendOptions modify a message sent: Parent (a message ID) makes it a
// reply; Notice marks it a notice (IRC NOTICE).
type SendOptions struct {
	Parent string
	Notice bool
}

// HistoryQuery selects messages: of Room, or of the direct conversation
// with Peer (a member's name); after Since and before Before (zero: no
// bound); at most Limit (0: 500), the newest; Search: FTS5 full-text
// query on the text.
type HistoryQuery struct {
	Room   string
	Peer   string
	Since  time.Time
	Before time.Time
	Limit  int
	Search string
}

// Service is the chat service.
type Service struct {
	cfg   Config
	db    *store.DB
	dir   workgroup.Directory
	log   *slog.Logger
	ps    *pubsub.PubSub
	self  peer.ID
	clk   hlc
	seen  seenHeads // per-log author heads, for the gossip validator
	stmts stmtCache // the store path's prepared statements

	storeMu storeLock // serializes stores (chain checks) and own sends (storelock.go)
	mu      sync.Mutex
	// topicSync serializes syncTopics rounds (and Stop's leaving): they
	// leave topics outside mu.
	topicSync sync.Mutex
	topics    map[logKey]*logTopic
	rooms     map[string]map[string]*roomState // by workgroup, then name
	admit     admitCache                       // access answers (admitcache.go)
	syncing   map[syncKey]bool
	// syncAsked: when each queued sync was last asked for; told: when
	// each peer last showed, asking this node's heads, that it has
	// nothing this node lacks (told.go); both under mu.
	syncAsked map[syncKey]time.Time
	told      map[syncKey]time.Time
	joined    map[logKey]bool // rooms joined (nil: not read yet)
	// logsGen moves whenever what wantedLogs reads besides the directory
	// may have changed: a room directory folded, a room joined or left
	// (topicwatch.go).
	logsGen atomic.Uint64
	acc     topicAccess // room access on the gossip topics (access_topic.go)
	push    pushState   // direct push of own room messages (push.go)

	// cutOff, set by tests only, simulates a partition: chat takes no
	// gossip from those peers and syncs no history with them.
	cutOff atomic.Pointer[func(peer.ID) bool]
	// cutTopics, set by tests only, makes the cut refuse those peers'
	// room topic subscriptions too (a partition gossip sees).
	cutTopics atomic.Bool

	// wconn is the store path's connection (writeconn.go), under
	// storeMu; plainTx (benchmarks only) runs its transactions through
	// database/sql's Tx on the pool instead.
	wconn   *writeConn
	plainTx bool
	// heldRows bounds chat_held's rows (-1: unknown), under storeMu; with
	// none held, storing a message does not look for held successors.
	heldRows int
	// heldBy counts chat_held's rows per author chain (nil: unknown),
	// under storeMu (heldidx.go).
	heldBy map[heldKey]int
	// tips: each author's last stored message per room or directory log,
	// under storeMu (tips.go).
	tips map[tipKey]tip
	// heldWait: logs waiting heldGrace before a sync (topics.go), under mu.
	heldWait map[syncKey]map[peer.ID]uint64
	// joinWait: (log, peer) pairs waiting joinResync before their second
	// sync (topics.go), under mu.
	joinWait map[syncKey]bool
	// syncLocks: one sync round per log at a time (sync.go), under mu.
	syncLocks map[logKey]*sync.Mutex

	// ftsDirty: a message was stored since the indexer last ran (fts.go).
	ftsDirty atomic.Bool
	// fts: the indexer's view of the store's load (fts.go).
	fts ftsLoad
	// ftsKick: the writer committed a batch and a slice waits: the
	// indexer's moment (fts.go).
	ftsKick chan struct{}
	// idxWarn limits the indexer's warnings: one failing every ftsTick
	// (a full disk) would log four a second (fts.go).
	idxWarn warnLimit
	// work counts the work done per message (metrics.go).
	work workCounts
	// fly: messages verified and on their way to the store (inflight.go).
	fly inflight
	// lag: how far behind its authors gossip reaches the writer (heldgrace.go).
	lag gossipLag

	syncCh chan syncKey
	intake chan gossiped // gossip for the writer
	// says: this member's own room messages for the writer, which stores
	// them in its next transaction (ownsay.go); unbuffered, so a Say the
	// writer took is always answered. writerUp: the writer runs (Start);
	// sayOwnTx (tests and benchmarks only) stores every Say in a
	// transaction of its own as before.
	says     chan *sayReq
	writerUp atomic.Bool
	sayOwnTx atomic.Bool
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	// bgClosed (under bgMu): Close began. A goroutine started from
	// outside the service's own (an API call's delivery, a push writer,
	// a topic's readers) is added to wg only under bgMu while it is
	// false (add), so Close's Wait sees every one.
	bgMu     sync.Mutex
	bgClosed bool
}

// add adds n to wg for goroutines about to start, unless Close began;
// it reports whether it did.
func (s *Service) add(n int) bool {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.bgClosed {
		return false
	}
	s.wg.Add(n)
	return true
}

// logKey names one log of one workgroup.
type logKey struct{ wg, log string }

type syncKey struct {
	logKey
	p peer.ID
}

// New builds the chat service; Start runs it.
func New(cfg Config) (*Service, error) {
	if cfg.Host == nil || cfg.DB == nil || cfg.Identity == nil || cfg.Dir == nil {
		return nil, errors.New("chat: host, database, identity and directory are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = DefaultSyncInterval
	}
	if cfg.DirectTimeout <= 0 {
		cfg.DirectTimeout = 3 * time.Second
	}
	if cfg.Popup == nil {
		cfg.Popup = func(title, text string) { Notify(cfg.Log, title, text) }
	}
	ps, err := cfg.Host.ChatPubSub()
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg: cfg, db: cfg.DB, dir: cfg.Dir, log: cfg.Log.With("svc", "chat"), ps: ps, self: cfg.Host.ID(),
		topics: map[logKey]*logTopic{}, rooms: map[string]map[string]*roomState{}, syncing: map[syncKey]bool{}, heldWait: map[syncKey]map[peer.ID]uint64{},
		joinWait: map[syncKey]bool{}, syncAsked: map[syncKey]time.Time{}, told: map[syncKey]time.Time{},
		syncCh: make(chan syncKey, 1024), intake: make(chan gossiped, 4096), says: make(chan *sayReq), ftsKick: make(chan struct{}, 1), heldRows: -1,
	}
	s.push.out, s.push.reach, s.push.in = map[peer.ID]*pushOut{}, map[logKey]reachAnswer{}, map[network.Stream]bool{}
	s.push.n = cfg.Host.ChatPushCounters()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// syncWorkers is how many history syncs run at once.
const syncWorkers = 4

// Start serves the history and direct-message protocols, takes chat
// items from the spool, and joins the topics of the logs this node keeps.
func (s *Service) Start(ctx context.Context) error {
	s.cfg.Host.Handle(p2p.ProtoHistory, workgroup.Guard(s.dir, s.log, s.serveHistory))
	s.cfg.Host.Handle(p2p.ProtoDM, workgroup.Guard(s.dir, s.log, s.serveDM))
	s.cfg.Host.Handle(p2p.ProtoChatPush, workgroup.Guard(s.dir, s.log, s.servePush))
	if s.cfg.Spool != nil {
		s.cfg.Spool.OnChat(s.fromSpool)
	}
	s.countHeld(ctx)
	// The clock starts past every message this node stored.
	var maxHLC int64
	_ = s.db.QueryRowContext(ctx, `SELECT coalesce(max(hlc), 0) FROM chat_messages`).Scan(&maxHLC)
	s.clk.observe(uint64(maxHLC))
	s.startTopicAccess()
	s.ftsDirty.Store(true) // index what a crash or stop left queued
	s.wg.Add(3 + syncWorkers)
	go s.loop()
	s.writerUp.Store(true)
	go s.writer()
	go s.indexer()
	for range syncWorkers {
		go s.syncWorker()
	}
	return nil
}

// Close leaves every topic and stops the protocols.
func (s *Service) Close() error {
	start := time.Now()
	var waited time.Duration
	defer func() {
		if d := time.Since(start); d > time.Second {
			s.log.Warn("chat: slow stop", "took", d.Round(time.Millisecond), "goroutines", waited.Round(time.Millisecond))
		}
	}()
	s.bgMu.Lock()
	s.bgClosed = true // nothing is added to wg from now on
	s.bgMu.Unlock()
	s.cfg.Host.RemoveStreamHandler(p2p.ProtoHistory)
	s.cfg.Host.RemoveStreamHandler(p2p.ProtoDM)
	s.cfg.Host.RemoveStreamHandler(p2p.ProtoChatPush)
	s.stopTopicAccess()
	s.cancel()
	s.wg.Wait()
	waited = time.Since(start)
	s.topicSync.Lock()
	s.mu.Lock()
	gone := s.topics
	s.topics = make(map[logKey]*logTopic)
	s.mu.Unlock()
	s.leave(gone) // not under mu: syncTopics says why
	s.topicSync.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeWriteConn()
	s.stmts.close()
	return nil
}

// watchEvery is how often the service looks for logs to join or leave.
const watchEvery = 250 * time.Millisecond

func (s *Service) loop() {
	defer s.wg.Done()
	w := time.NewTicker(watchEvery)
	defer w.Stop()
	sy := time.NewTicker(s.cfg.SyncInterval)
	defer sy.Stop()
	ret := time.NewTicker(time.Hour)
	defer ret.Stop()
	s.applyRetention(s.ctx)
	var synced logsMark // the inputs of the last syncTopics that joined all (topicwatch.go)
	ticks := 0
	for {
		if m, ok := s.logsMark(); ticks%logsFullEvery == 0 || !ok || m != synced {
			synced = logsMark{}
			if s.syncTopics() && ok {
				synced = m
			}
		}
		ticks++
		select {
		case <-s.ctx.Done():
			return
		case <-w.C:
		case <-sy.C:
			s.countHeld(s.ctx)
			s.antiEntropy()
		case <-ret.C:
			s.applyRetention(s.ctx)
		}
	}
}

// requestSync queues a history sync of a log with peer p (once at a time).
func (s *Service) requestSync(k logKey, p peer.ID) {
	s.requestSyncAsked(k, p, time.Now())
}

// requestSyncAsked is requestSync of a sync that needs the peer's heads
// as of asked or later (told.go): a report of them since then spares it.
func (s *Service) requestSyncAsked(k logKey, p peer.ID, asked time.Time) {
	if p == s.self || p == "" {
		return
	}
	sk := syncKey{k, p}
	s.mu.Lock()
	if asked.After(s.syncAsked[sk]) {
		s.syncAsked[sk] = asked
	}
	if s.syncing[sk] {
		s.mu.Unlock()
		return
	}
	s.syncing[sk] = true
	s.mu.Unlock()
	select {
	case s.syncCh <- sk:
	default:
		s.mu.Lock()
		delete(s.syncing, sk)
		s.mu.Unlock()
	}
}

func (s *Service) syncWorker() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case sk := <-s.syncCh:
			s.runSync(sk)
			s.mu.Lock()
			delete(s.syncing, sk)
			s.mu.Unlock()
		}
	}
}

// runSync runs a queued sync, unless its peer showed since it was asked
// for that it has nothing new (told.go); it reports whether it ran.
func (s *Service) runSync(sk syncKey) bool {
	if s.toldSinceAsked(sk) {
		s.work.syncTold.Add(1)
		return false
	}
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := s.syncWith(ctx, sk.p, sk.wg, sk.log); err != nil && s.ctx.Err() == nil {
		s.log.Debug("chat: history sync", "peer", sk.p, "log", sk.log, "err", err)
	}
	return true
}

// antiEntropy syncs each kept log with one of its topic's peers, at
// random (the sync with each peer that joins a topic does the rest).
// A log whose topic lists no peer is synced with a connected member its
// access list lets in (fallbackPeers): gossip's view of who subscribed
// can be lost (a reset whose reopen failed), and history must not
// depend on gossip alone.
func (s *Service) antiEntropy() {
	s.mu.Lock()
	s.pruneTold(time.Now())
	type pick struct {
		k  logKey
		ps []peer.ID
	}
	var picks []pick
	for k, t := range s.topics {
		picks = append(picks, pick{k, t.topic.ListPeers()})
	}
	s.mu.Unlock()
	for i := range picks {
		if len(picks[i].ps) == 0 {
			picks[i].ps = s.fallbackPeers(picks[i].k)
		}
	}
	for _, p := range picks {
		for i, j := range randPerm(len(p.ps)) {
			if i >= 1 {
				break
			}
			s.requestSync(p.k, p.ps[j])
		}
	}
}

// fallbackPeers lists the connected members of k's workgroup that k's
// access list lets in (the directory: every member). The answering side
// checks access again (serveHistory).
func (s *Service) fallbackPeers(k logKey) []peer.ID {
	var ps []peer.ID
	topic := Topic(k.wg, k.log)
	for _, p := range s.cfg.Host.Network().Peers() {
		if p == s.self {
			continue
		}
		if _, ok := s.dir.Member(k.wg, p); !ok {
			continue
		}
		if k.log != "" && !s.allowedQuiet(p, topic) {
			continue
		}
		ps = append(ps, p)
	}
	return ps
}

// cut reports whether a test partition separates this node from p.
func (s *Service) cut(p peer.ID) bool {
	f := s.cutOff.Load()
	return f != nil && (*f)(p)
}
