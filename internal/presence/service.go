package presence

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// DefaultInterval is the heartbeat interval of a small workgroup (see
// IntervalFor): a member that vanishes without a word shows offline after
// 3 intervals + 1 s (7 s up to 4 members), sooner where a connection to
// it closes.
const DefaultInterval = 2 * time.Second

// Settings keeps the node's own presence across restarts (*store.DB).
// SetSettings stores its keys in one transaction: all or none.
type Settings interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSettings(ctx context.Context, kv map[string]string) error
}

// Config configures the presence service.
type Config struct {
	Host *p2p.Host
	Dir  workgroup.Directory
	Log  *slog.Logger
	// Interval is the heartbeat interval of workgroups of up to
	// SmallGroup members (DefaultInterval when zero); larger ones use
	// IntervalFor.
	Interval time.Duration
	// Settings, when set, keeps the chosen state, text and logon.
	Settings Settings
	// Events, when set, receives presence.changed events.
	Events *events.Bus
}

// Status is this node's own presence.
type Status struct {
	State    string `json:"state"` // chosen state: online, away or busy
	Text     string `json:"text,omitempty"`
	LoggedOn bool   `json:"logged_on"` // false: appears offline to everyone
	// Shown is what other members see: State, or offline when logged off.
	Shown string `json:"shown"`
}

// Seen is a member's presence as this node sees it.
type Seen struct {
	State    string
	Text     string
	LastSeen time.Time // last time it was heard online (zero: never)
}

// record is what this node heard from one member.
type record struct {
	state, text  string
	seq          uint64
	heard        time.Time // last message
	lastOnline   time.Time // last message with a state other than offline
	interval     time.Duration
	disconnected time.Time // its last connection to us closed
	// goneSeq: it did not answer this node's probe after its message
	// goneSeq; it is present again only with a later message.
	goneSeq uint64
	// reportedSeq: another member reported it gone after its message
	// reportedSeq; shown offline from reportedAfter unless a later
	// message came (goneReportedLocked).
	reportedSeq   uint64
	reportedAfter time.Time
	// shown, shownText: the state and text last published as an event.
	shown, shownText string
	// raw is the signed gossip message of seq (nil when seq came
	// directly), handed to new neighbours in snapshots.
	raw *pb.Message
}

type topicState struct {
	wg      string
	topic   *pubsub.Topic
	sub     *pubsub.Subscription
	events  *pubsub.TopicEventHandler
	cancel  context.CancelFunc
	records map[peer.ID]*record
	// pending holds the latest signed message of authors this node does
	// not (yet) know as members: a new member's first announcements
	// outrun its certificate. Applied once the roster has it; bounded.
	pending map[peer.ID]pendingMsg
	// interval is this node's heartbeat interval in the workgroup
	// (IntervalFor its size); next is when the next heartbeat is due.
	interval time.Duration
	next     time.Time
	// wantUntil, wantLeft: this node asks the next wantLeft peers that
	// join the topic before wantUntil for a snapshot; snapshotTo is when
	// each peer was last sent one.
	wantUntil  time.Time
	wantLeft   int
	snapshotTo map[peer.ID]time.Time
	// lastJoinKick and kickPending coalesce publishing on peer joins.
	lastJoinKick time.Time
	kickPending  bool
}

type pendingMsg struct {
	m  message
	at time.Time
}

// maxPending bounds the pending messages per workgroup.
const maxPending = 256

// Service publishes this node's presence and tracks the members'.
type Service struct {
	cfg  Config
	ps   *pubsub.PubSub
	self peer.ID

	// saving serialises update: one read-modify-save of the status at a
	// time (two calls at once, a Set and a Logoff, each saved the status
	// it read and the later one undid the other's change).
	saving sync.Mutex
	mu     sync.Mutex
	status Status
	seq    uint64
	topics map[string]*topicState
	// probing marks members being probed after a connection closed.
	probing map[peer.ID]bool
	// closing: Close said goodbye; a heartbeat sent after it must not
	// say this node is present again, and no direct sender or probe
	// starts (they are added to wg under mu only while !closing, so
	// Close's wg.Wait sees every one).
	closing bool
	// lastRefute: when this node last answered a report that it is gone.
	lastRefute time.Time

	// addrSink is told the usable addresses each heartbeat brings
	// (SetAddrSink: discovery keeps them in its address book).
	addrSink atomic.Pointer[func(peer.ID, []ma.Multiaddr)]

	// gossipIn counts the heartbeats of others the topic validators
	// passed: accepted (forwarded by gossipsub) and taken as Reached
	// (applied, not forwarded: reached.go).
	gossipIn struct{ accepted, reached atomic.Uint64 }

	kick   chan struct{}
	direct chan struct{} // direct messages being sent (maxDirect)
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Topic returns the presence topic of workgroup wg. Version 2: short
// content-hash message IDs (msgID) and the scaled heartbeat budget; a
// version-1 node does not hear a version-2 one (a wire change).
func Topic(wg string) string { return "/peerhood/wg/" + wg + "/presence/2" }

// New builds the service; Start runs it.
func New(cfg Config) (*Service, error) {
	if cfg.Host == nil || cfg.Dir == nil {
		return nil, errors.New("presence: host and directory are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	ps, err := cfg.Host.PubSub()
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg: cfg, ps: ps, self: cfg.Host.ID(),
		status: Status{State: Online, LoggedOn: true},
		seq:    uint64(time.Now().UnixNano()),
		topics: map[string]*topicState{}, probing: map[peer.ID]bool{}, direct: make(chan struct{}, maxDirect),
		kick: make(chan struct{}, 1),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Start loads the kept state, joins the topics of every workgroup and
// starts the heartbeat.
func (s *Service) Start(ctx context.Context) error {
	if st := s.cfg.Settings; st != nil {
		for key, dst := range map[string]*string{"presence.state": &s.status.State, "presence.text": &s.status.Text} {
			v, err := st.Setting(ctx, key)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err == nil {
				*dst = v
			}
		}
		if !ValidState(s.status.State) || s.status.State == Offline {
			s.status.State = Online
		}
		if v, err := st.Setting(ctx, "presence.logged_on"); err == nil {
			s.status.LoggedOn = v != "false"
		}
	}
	s.cfg.Host.Network().Notify(&network.NotifyBundle{DisconnectedF: s.disconnected})
	s.cfg.Host.Handle(p2p.ProtoPresence, workgroup.Guard(s.cfg.Dir, s.cfg.Log, s.handleDirect))
	s.wg.Add(1)
	go s.loop()
	return nil
}

// Close leaves every topic, telling the others this node goes offline.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closing = true // whatever it sends from now on says offline
	for wg, t := range s.topics {
		s.publishLocked(wg, t, Offline, nil)
	}
	n := len(s.topics)
	s.mu.Unlock()
	if n > 0 {
		time.Sleep(100 * time.Millisecond) // let the goodbye leave
	}
	s.cfg.Host.RemoveStreamHandler(p2p.ProtoPresence)
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for wg, t := range s.topics {
		s.leaveLocked(wg, t)
	}
	return nil
}

func (s *Service) loop() {
	defer s.wg.Done()
	// Heartbeats are due at each workgroup's own interval; the ticker
	// only looks often enough to keep small workgroups on time.
	t := time.NewTicker(min(s.cfg.Interval, time.Second))
	defer t.Stop()
	// A workgroup joined (or created) is noticed when the directory says
	// it changed (the roster is a workgroup.Watcher), else within
	// watchEvery; the heartbeat tick looks too.
	changed, poll, stop := s.watchDir()
	defer stop()
	s.sync()
	s.beat(true)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.sync()
			s.beat(false)
			s.noteAll()
		case <-s.kick:
			s.sync()
			s.beat(true)
		case <-changed:
			if s.sync() {
				s.beat(true)
			}
		case <-poll:
			if s.sync() {
				s.beat(true)
			}
		}
	}
}

// Kick publishes at once (after a change, a new workgroup or a new peer).
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// watchEvery is how often the service looks for workgroups joined or
// left when the directory cannot tell it (not a workgroup.Watcher).
const watchEvery = 200 * time.Millisecond

// watchDir returns the directory's change channel when it has one (then
// poll is nil: an idle node does not wake five times a second to list its
// workgroups), else a ticker's channel of watchEvery; and what stops it.
func (s *Service) watchDir() (changed <-chan struct{}, poll <-chan time.Time, stop func()) {
	if w, ok := s.cfg.Dir.(workgroup.Watcher); ok {
		ch, stop := w.Watch()
		return ch, nil, stop
	}
	t := time.NewTicker(watchEvery)
	return nil, t.C, t.Stop
}

// sync joins the topics of workgroups this node entered and leaves those
// it left. It reports whether it joined one.
func (s *Service) sync() bool {
	want := map[string]bool{}
	for _, w := range s.cfg.Dir.Workgroups() {
		want[w.ID] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	joined := false
	for wg, t := range s.topics {
		if !want[wg] {
			s.leaveLocked(wg, t)
		}
	}
	for wg := range want {
		if _, ok := s.topics[wg]; ok {
			continue
		}
		if err := s.joinLocked(wg); err != nil {
			s.cfg.Log.Warn("presence: cannot join topic", "workgroup", wg, "err", err)
			continue
		}
		joined = true
	}
	return joined
}

func (s *Service) joinLocked(wg string) error {
	t, sub, ev, err := p2p.JoinTopic(s.ps, Topic(wg), s.validator(wg), pubsub.WithTopicMessageIdFn(msgID))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(s.ctx)
	ts := &topicState{wg: wg, topic: t, sub: sub, events: ev, cancel: cancel, records: map[peer.ID]*record{}, pending: map[peer.ID]pendingMsg{}, snapshotTo: map[peer.ID]time.Time{},
		interval: s.cfg.Interval}
	s.topics[wg] = ts
	s.wg.Add(2)
	go s.receive(ctx, wg, ts)
	go s.watchPeers(ctx, wg, ts)
	return nil
}

func (s *Service) leaveLocked(wg string, t *topicState) {
	t.cancel()
	p2p.LeaveTopic(s.ps, Topic(wg), t.topic, t.sub, t.events)
	delete(s.topics, wg)
}

// validator accepts only well-formed messages of wg authored by its members.
func (s *Service) validator(wg string) pubsub.ValidatorEx {
	return func(_ context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		author := msg.GetFrom()
		m, err := decode(msg.Data)
		if err != nil || m.Workgroup != wg || !plausibleSeq(m.Seq, time.Now()) {
			return pubsub.ValidationReject
		}
		if _, ok := s.cfg.Dir.Member(wg, author); !ok {
			// Own messages are validated inside Publish, under s.mu.
			if author != s.self {
				s.keepPending(wg, author, m)
			}
			return pubsub.ValidationReject
		}
		if s.takeReached(wg, from, author, m, msg) {
			s.gossipIn.reached.Add(1)
			return pubsub.ValidationIgnore // applied, not forwarded (reached.go)
		}
		if author != s.self {
			s.gossipIn.accepted.Add(1)
		}
		msg.ValidatorData = m
		return pubsub.ValidationAccept
	}
}

// keepPending remembers a well-formed, signed message of an author that
// is not a member (yet).
func (s *Service) keepPending(wg string, author peer.ID, m message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[wg]
	if t == nil {
		return
	}
	if _, ok := t.pending[author]; !ok && len(t.pending) >= maxPending {
		for p := range t.pending { // drop any one
			delete(t.pending, p)
			break
		}
	}
	if old, ok := t.pending[author]; !ok || m.Seq > old.m.Seq {
		t.pending[author] = pendingMsg{m: m, at: time.Now()}
	}
}

// promoteLocked applies the pending message of p once p is a member.
func (s *Service) promoteLocked(wg string, t *topicState, p peer.ID) {
	pm, ok := t.pending[p]
	if !ok {
		return
	}
	if _, member := s.cfg.Dir.Member(wg, p); !member {
		if time.Since(pm.at) > Timeout(pm.m.interval()) {
			delete(t.pending, p)
		}
		return
	}
	delete(t.pending, p)
	s.applyLocked(t, p, pm.m, pm.at, nil)
}

func (s *Service) applyLocked(t *topicState, author peer.ID, m message, at time.Time, raw *pb.Message) {
	r := t.records[author]
	if r == nil {
		r = &record{}
		t.records[author] = r
	}
	if m.Seq > r.seq {
		r.seq, r.state, r.text, r.interval = m.Seq, m.State, m.Text, m.interval()
		if raw != nil {
			r.raw = raw // a later direct message keeps the last signed one
		}
		r.heard = at
		if m.State != Offline {
			r.lastOnline = at
		}
	}
	s.noteLocked(t, author)
}

func (s *Service) receive(ctx context.Context, wg string, t *topicState) {
	defer s.wg.Done()
	for {
		msg, err := t.sub.Next(ctx)
		if err != nil {
			return
		}
		author := msg.GetFrom()
		m, ok := msg.ValidatorData.(message)
		if !ok || author == s.self {
			continue
		}
		s.heardFrom(t, author, m, msg.Message)
	}
}

// watchPeers tells each peer that joins the topic this node's presence
// directly, so it learns it without waiting for a heartbeat. The node
// publishes to the whole topic only when the peer is its first on the
// topic (it was alone: just started, joined, or cut off), since then the
// others may not know it is there; a new member among many others makes
// only its neighbours answer it, not every one of them broadcast.
func (s *Service) watchPeers(ctx context.Context, wg string, t *topicState) {
	defer s.wg.Done()
	alone := true
	for {
		ev, err := t.events.NextPeerEvent(ctx)
		if err != nil {
			return
		}
		switch ev.Type {
		case pubsub.PeerJoin:
			if alone {
				alone = false
				s.wantSnapshots(t)
				s.joinKick(t)
			}
			s.tellDirectly(ctx, wg, t, ev.Peer, false)
		case pubsub.PeerLeave:
			alone = len(t.topic.ListPeers()) == 0
		}
	}
}

func (s *Service) shownLocked() string {
	if !s.status.LoggedOn || s.closing {
		return Offline
	}
	return s.status.State
}

// publishLocked publishes this node's state in wg, with the members it
// reports gone.
func (s *Service) publishLocked(wg string, t *topicState, state string, gone map[peer.ID]uint64) {
	s.publishMsgLocked(wg, t, s.messageLocked(wg, t, state), gone)
}

// publishMsgLocked publishes m, with gone reported.
func (s *Service) publishMsgLocked(wg string, t *topicState, m message, gone map[peer.ID]uint64) {
	for p, seq := range gone {
		m.Gone = append(m.Gone, goneEntry{Peer: []byte(p), Seq: seq})
	}
	b, err := wire.Marshal(m)
	if err != nil {
		s.cfg.Log.Error("presence: encode", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := t.topic.Publish(ctx, b); err != nil && s.ctx.Err() == nil {
		s.cfg.Log.Debug("presence: publish", "workgroup", wg, "err", err)
	}
}

// messageLocked returns this node's next message in wg: a new sequence
// number, the state shown, its text and addresses.
func (s *Service) messageLocked(wg string, t *topicState, state string) message {
	s.seq++
	m := message{Workgroup: wg, State: state, Seq: s.seq, IntervalMS: uint32(t.interval / time.Millisecond)}
	if state != Offline {
		m.Text = s.status.Text
	}
	m.Addrs = s.advertisedAddrs()
	return m
}
