package workgroup

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/bgwork"
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
)

// protectTag marks member connections the connection manager must keep.
const protectTag = "peerhood-member"

// Config configures the workgroup service.
type Config struct {
	DB       *store.DB
	Identity *identity.Identity
	Host     *p2p.Host
	NodeName string // the name this node takes in new workgroups by default
	Log      *slog.Logger
	// SyncInterval is how often the roster is re-synced with a few
	// connected members, expired invites and certificates dropped and
	// the gate re-applied (default 30 s).
	SyncInterval time.Duration
	// Events, when set, receives member.joined and member.removed.
	Events *events.Bus
}

// Service runs workgroups on a node: the roster, the gate, the join and
// roster-sync protocols and roster gossip.
type Service struct {
	cfg    Config
	log    *slog.Logger
	db     *store.DB
	id     *identity.Identity
	host   *p2p.Host
	self   peer.ID
	roster *Roster
	now    func() time.Time

	issueMu sync.Mutex // serialises admissions (name check + invite use)
	// dropJoinReplies > 0: the next that many admissions reset the join
	// stream instead of replying (tests: a reply lost after admission).
	dropJoinReplies atomic.Int32

	invMu   sync.Mutex
	invites map[[32]byte]time.Time // outstanding invites: secret hash -> expiry

	psMu   sync.Mutex
	topics map[string]*wgTopic

	syncMu   sync.Mutex
	inflight map[peer.ID]bool

	probation *probationList // unknown inbound peers presenting certificates (hello.go)

	gossipMu     sync.Mutex
	gossipSeen   map[peer.ID]string      // connected peer -> its memberships when its gossip was judged (gossip.go)
	gossipResets map[peer.ID][]time.Time // when its gossip was last reset (gossip.go)

	notifyMu  sync.Mutex
	notifying map[peer.ID]int // revoked peers being told so (see applyRevocations)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeMu sync.RWMutex // held shared by roster writes; Close waits for them
	closed  bool

	// bg: work started outside the service's own goroutines (a stream
	// handler, a connection notification, the gate, an API call): bg.Go,
	// bg.Add (serveCounted). Close stops it before it cancels, and waits
	// for it before s.wg (a piece of it may start one of the service's
	// own goroutines: askHello).
	bg bgwork.Group

	full fullMissed // roster updates a full disk refused (fullretry.go)
}

// enter starts a roster write; false once the service is closing.
func (s *Service) enter() bool {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return false
	}
	return true
}

func (s *Service) leave() { s.closeMu.RUnlock() }

// serveCounted wraps a stream handler as the service's work: counted
// (s.bg.Add), its stream reset when Close cancels the service's
// context, so Close waits for it and nothing is read or answered once
// Close returned; a stream that arrives once Close began is reset
// unread.
func (s *Service) serveCounted(h network.StreamHandler) network.StreamHandler {
	return func(st network.Stream) {
		if !s.bg.Add() {
			_ = st.Reset()
			return
		}
		defer s.bg.Done()
		defer context.AfterFunc(s.ctx, func() { _ = st.Reset() })()
		h(st)
	}
}

type wgTopic struct {
	topic  *pubsub.Topic
	sub    *pubsub.Subscription
	cancel func()
}

// New loads the roster from the database, installs the gate and the
// protocol handlers, and starts gossip and the periodic sync.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 30 * time.Second
	}
	if err := identity.ValidateName(cfg.NodeName); err != nil {
		return nil, fmt.Errorf("workgroup service: node name: %w", err)
	}
	s := &Service{
		cfg: cfg, log: cfg.Log.With("svc", "workgroup"), db: cfg.DB, id: cfg.Identity, host: cfg.Host,
		self: cfg.Identity.PeerID, roster: NewRoster(cfg.Identity.PeerID), now: time.Now,
		invites: map[[32]byte]time.Time{}, topics: map[string]*wgTopic{}, inflight: map[peer.ID]bool{},
		notifying: map[peer.ID]int{}, probation: newProbationList(), gossipSeen: map[peer.ID]string{}, gossipResets: map[peer.ID][]time.Time{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.loadRoster(ctx); err != nil {
		return nil, err
	}
	if err := s.loadInvites(ctx); err != nil {
		return nil, err
	}
	s.host.SetGate(gate{s})
	s.host.Handle(p2p.ProtoJoin, s.handleJoin)
	s.host.Handle(p2p.ProtoRoster, Guard(s.roster, s.log, s.serveCounted(s.handleRoster)))
	// A joiner is asked before its certificate exists: refusals of hello
	// are routine, logged at debug only.
	s.host.Handle(p2p.ProtoHello, Guard(s.roster, nil, s.serveCounted(s.handleHello)))
	s.host.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		// The gate passed this connection during its handshake; should
		// the roster have changed since (and Enforce run before the
		// connection was listed), it is cut here.
		if !(gate{s}).AllowPeer(c.RemotePeer(), c.Stat().Direction == network.DirInbound) {
			s.log.Debug("closing a connection the gate no longer allows", "peer", c.RemotePeer())
			go c.Close()
			return
		}
		p := c.RemotePeer()
		s.noteGossipPeer(p)
		if c.Stat().Direction == network.DirInbound {
			s.maybeAskHello(p)
		}
		outbound := c.Stat().Direction == network.DirOutbound
		s.bg.Go(func() { s.onConnect(p, outbound) }) // none once Close began
	}, DisconnectedF: func(_ network.Network, c network.Conn) { s.forgetGossipPeer(c.RemotePeer()) }})
	for _, id := range s.roster.KnownIDs() {
		if err := s.joinTopic(id); err != nil {
			s.log.Warn("roster gossip unavailable", "workgroup", id, "err", err)
		}
	}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// Directory returns the roster-backed membership directory.
func (s *Service) Directory() Directory { return s.roster }

// Roster returns the roster.
func (s *Service) Roster() *Roster { return s.roster }

// Close stops gossip, the periodic sync and the protocol handlers.
func (s *Service) Close() error {
	s.closeMu.Lock()
	s.closed = true
	s.closeMu.Unlock()
	s.bg.Stop()
	s.cancel()
	s.host.RemoveStreamHandler(p2p.ProtoJoin)
	s.host.RemoveStreamHandler(p2p.ProtoRoster)
	s.host.RemoveStreamHandler(p2p.ProtoHello)
	s.psMu.Lock()
	for id, t := range s.topics {
		t.cancel()
		t.sub.Cancel()
		_ = t.topic.Close()
		delete(s.topics, id)
	}
	s.psMu.Unlock()
	s.bg.Wait()
	s.wg.Wait()
	return nil
}

func (s *Service) resolve(arg string, members ...string) (Info, error) {
	wg, err := ResolveFor(s.roster, arg, members...)
	if err != nil {
		code := CodeNotFound
		if arg == "" && len(s.roster.Workgroups()) > 1 {
			code = CodeBadRequest
		}
		return Info{}, errorf(code, "%v", err)
	}
	return wg, nil
}

// Create makes a new workgroup with a new root key; this node becomes its
// first member and admin.
func (s *Service) Create(ctx context.Context, name string) (Info, error) {
	return s.CreateNamed(ctx, name, false)
}

// CreateNamed is Create; force allows a name another workgroup of this
// node has.
func (s *Service) CreateNamed(ctx context.Context, name string, force bool) (Info, error) {
	if err := s.checkNameFree(name, "", force); err != nil {
		return Info{}, err
	}
	root, err := NewRoot(name)
	if err != nil {
		return Info{}, err
	}
	raw, err := IssueCert(RootSigner(root.Key), CertBody{
		Workgroup: root.ID, Name: s.cfg.NodeName, Peer: []byte(s.self),
		AgeRecipient: s.id.AgeRecipient(), Roles: []string{RoleAdmin},
	}, s.now())
	if err != nil {
		return Info{}, err
	}
	if err := s.saveWorkgroup(ctx, *root, Bundle{Certs: [][]byte{raw}}); err != nil {
		return Info{}, err
	}
	s.roster.AddWorkgroup(*root)
	if added, _ := s.roster.Merge(root.ID, Bundle{Certs: [][]byte{raw}}); len(added.Certs) != 1 {
		return Info{}, fmt.Errorf("create workgroup: own certificate does not verify")
	}
	if err := s.joinTopic(root.ID); err != nil {
		s.log.Warn("roster gossip unavailable", "workgroup", root.ID, "err", err)
	}
	s.log.Info("workgroup created", "workgroup", root.ID, "name", root.Name)
	s.afterChange()
	return Info{ID: root.ID, Name: root.Name}, nil
}

// Summary is one line of `workgroup ls`.
type Summary struct {
	Info
	Members int
	Admin   bool
	Removed *Removal // this node was removed from it (it is listed, unused)
}

// List summarises the workgroups this node is in, then those it was
// removed from.
func (s *Service) List() []Summary {
	var out []Summary
	for _, w := range s.roster.Workgroups() {
		out = append(out, Summary{Info: w, Members: len(s.roster.Members(w.ID)), Admin: s.roster.IsAdmin(w.ID, s.self)})
	}
	for _, rm := range s.roster.Removals() {
		out = append(out, Summary{Info: rm.Workgroup, Members: len(s.roster.Members(rm.Workgroup.ID)), Removed: &rm})
	}
	return out
}

// Members lists the members of a workgroup (name, ID or ID prefix; empty:
// the only one).
func (s *Service) Members(arg string) ([]Member, error) {
	wg, err := s.resolve(arg)
	if err != nil {
		return nil, err
	}
	return s.roster.Members(wg.ID), nil
}

// afterChange re-applies the gate (revoked members are cut off) and
// protects member connections from the connection manager.
func (s *Service) afterChange() {
	s.host.Enforce()
	s.rejudgeGossip()
	for _, p := range s.host.Network().Peers() {
		if s.roster.MemberAnywhere(p) {
			s.host.Protect(p, protectTag)
		} else {
			s.host.Unprotect(p, protectTag)
			// A peer the gate has just put on probation (this node
			// entered its first workgroup, or its last invite went) is
			// asked for its certificate, as at connection time.
			s.maybeAskHello(p)
		}
	}
}

// loop runs the periodic work.
func (s *Service) loop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.roster.Refresh()
		s.inviteOutstanding() // drops expired invites from the gate's list
		s.gcInvites()
		s.afterChange()
		s.repairGossip()
		s.syncSome(2)
	}
}

// inviteRetention is how long a spent or expired invite is kept, so a
// replay is answered "used" or "expired" rather than "unknown".
const inviteRetention = 7 * 24 * time.Hour

// gcInvites deletes invites expired more than inviteRetention ago.
func (s *Service) gcInvites() {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM invites WHERE expires < ?`, s.now().Add(-inviteRetention).Unix()); err != nil && s.ctx.Err() == nil {
		s.log.Warn("delete old invites", "err", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM invite_joins WHERE joined_at < ?`, s.now().Add(-rejoinWindow).Unix()); err != nil && s.ctx.Err() == nil {
		s.log.Warn("delete old invite uses", "err", err)
	}
}
