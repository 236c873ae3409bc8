package ircgw

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/loopback"
)

// Addresses.
const (
	DefaultAddr = "127.0.0.1:6667"
	AddrEnv     = "PEERHOOD_IRC_ADDR"
	Off         = "off"
)

// ResolveAddr picks the listen address: $PEERHOOD_IRC_ADDR, else the
// node's setting, else DefaultAddr. "off" disables the gateway.
func ResolveAddr(setting string) string {
	if v := strings.TrimSpace(os.Getenv(AddrEnv)); v != "" {
		return v
	}
	if v := strings.TrimSpace(setting); v != "" {
		return v
	}
	return DefaultAddr
}

// Config is what a gateway serves and how.
type Config struct {
	Addr    string      // listen address on the loopback (DefaultAddr if empty; Off: none)
	Token   string      // the node's loopback token: PASS or SASL PLAIN password
	Backend Backend     // chat, directory and presence
	Events  *events.Bus // the node's event bus (chat.message, presence.changed)
	// Workgroup names (by name or ID) the workgroup whose rooms are
	// plain #room; the backend's first workgroup when empty.
	Workgroup string
	Network   string // ISUPPORT NETWORK ("peerhood" if empty)
	// MarksFile keeps the clients' last-seen marks (what playback on join
	// starts from) across restarts; "" keeps them in memory only.
	MarksFile string
	Log       *slog.Logger

	// Limits; zero values take the defaults below.
	PingInterval    time.Duration // quiet this long: the server sends PING
	PingTimeout     time.Duration // no line this long after PING: disconnect
	RegisterTimeout time.Duration // registration must end within this
	WriteTimeout    time.Duration // one write to the client
	WriteQueue      int           // lines queued per client; overflow disconnects
	FloodBurst      int           // lines a client may send at once
	FloodEvery      time.Duration // one more line allowed per FloodEvery
	Playback        int           // messages replayed on join to clients without chathistory
	MaxClients      int
}

// Defaults for Config.
const (
	DefaultPingInterval    = 90 * time.Second
	DefaultPingTimeout     = 60 * time.Second
	DefaultRegisterTimeout = 30 * time.Second
	DefaultWriteTimeout    = 15 * time.Second
	DefaultWriteQueue      = 1024
	DefaultFloodBurst      = 100
	DefaultFloodEvery      = 50 * time.Millisecond
	DefaultPlayback        = 50
	DefaultMaxClients      = 64
	// HistoryMax is the most messages one CHATHISTORY answers
	// (ISUPPORT CHATHISTORY).
	HistoryMax = 500
	serverName = "peerhood"
)

func (c *Config) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	seti := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.PingInterval, DefaultPingInterval)
	set(&c.PingTimeout, DefaultPingTimeout)
	set(&c.RegisterTimeout, DefaultRegisterTimeout)
	set(&c.WriteTimeout, DefaultWriteTimeout)
	set(&c.FloodEvery, DefaultFloodEvery)
	seti(&c.WriteQueue, DefaultWriteQueue)
	seti(&c.FloodBurst, DefaultFloodBurst)
	seti(&c.Playback, DefaultPlayback)
	seti(&c.MaxClients, DefaultMaxClients)
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Network == "" {
		c.Network = "peerhood"
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Server is the IRC gateway.
type Server struct {
	cfg     Config
	token   [32]byte
	created time.Time
	ln      net.Listener
	sub     *events.Subscription
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// nreg counts registered clients: while it is 0 the hub drops bus
	// events unread (hub.go). It goes up before a client's playback.
	nreg atomic.Int64
	// selfSeq counts the messages chat does not keep (to the node's own
	// nick, TAGMSGs): their msgids.
	selfSeq atomic.Uint64

	mu         sync.Mutex
	clients    map[*client]struct{}
	seen       seenSet
	times      timeRing // recent messages' times: a reply's parent msgid
	pending    []*pendingSend
	lastSeen   map[string]seen // USER NUL workgroup NUL conversation -> last message written
	marksDirty bool

	// access: each room's access list as last seen (access_events.go).
	access accessSeen
	// invited: the INVITEs this node's clients sent, until their
	// room.changed is seen (access_events.go).
	invited sentInvites
}

// New checks cfg and returns a gateway; Start listens.
func New(cfg Config) (*Server, error) {
	cfg.defaults()
	if cfg.Backend == nil {
		return nil, errors.New("ircgw: no backend")
	}
	if cfg.Token == "" && cfg.Addr != Off {
		return nil, errors.New("ircgw: no token: the gateway never serves without one")
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, token: sha256.Sum256([]byte(cfg.Token)), created: time.Now().UTC(),
		ctx: ctx, cancel: cancel, clients: map[*client]struct{}{}, seen: newSeenSet(4096), times: timeRing{max: 4096},
		lastSeen: map[string]seen{}}, nil
}

// Start listens on the configured address (nothing when it is "off")
// and serves clients until Close.
func (s *Server) Start(context.Context) error {
	if s.cfg.Addr == Off {
		s.cfg.Log.Info("irc gateway disabled")
		return nil
	}
	ln, err := loopback.Listen(s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("irc gateway: %w", err)
	}
	if err := s.loadMarks(); err != nil {
		ln.Close()
		return err
	}
	s.ln = ln
	if s.cfg.MarksFile != "" {
		s.wg.Go(s.keepMarks)
	}
	if s.cfg.Events != nil {
		s.sub = s.cfg.Events.Subscribe(events.Filter{Kinds: []events.Kind{events.KindChatMessage, events.KindPresenceChanged, events.KindRoomChanged}})
		s.seedAccess()
		s.wg.Go(s.hub)
	}
	s.wg.Go(s.accept)
	s.cfg.Log.Info("irc gateway listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the address the gateway listens on ("" when off or not started).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops listening, disconnects every client and waits for them.
func (s *Server) Close() error {
	s.cancel()
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	if s.sub != nil {
		s.sub.Close()
	}
	s.each((*client).kill, "Server shutting down")
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeGrace):
		// Clients that do not read their farewell are cut off.
		s.each((*client).abort, "Server shutting down")
		<-done
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return errors.Join(err, s.saveMarks())
}

// closeGrace is how long Close lets clients read their farewell.
const closeGrace = 2 * time.Second

// each calls f(c, reason) for every client.
func (s *Server) each(f func(*client, string), reason string) {
	s.mu.Lock()
	cs := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		f(c, reason)
	}
}

func (s *Server) accept() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.cfg.Log.Warn("irc gateway: accept", "err", err)
			}
			return
		}
		s.serveConn(conn)
	}
}

// serveConn serves one client connection on its own goroutine.
func (s *Server) serveConn(conn net.Conn) {
	c := newClient(s, conn)
	s.mu.Lock()
	full := len(s.clients) >= s.cfg.MaxClients
	if !full {
		s.clients[c] = struct{}{}
	}
	s.mu.Unlock()
	if full {
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = conn.Write([]byte("ERROR :Too many connections\r\n"))
		conn.Close()
		return
	}
	s.wg.Go(c.serve)
}

func (s *Server) drop(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	if c.isRegistered() {
		s.nreg.Add(-1)
	}
}

// checkToken compares a password with the node's token in constant time.
func (s *Server) checkToken(pw string) bool {
	h := sha256.Sum256([]byte(pw))
	return subtle.ConstantTimeCompare(h[:], s.token[:]) == 1
}

// registered returns the registered clients.
func (s *Server) registered() []*client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		if c.isRegistered() {
			out = append(out, c)
		}
	}
	return out
}

// seenSet remembers the last IDs of messages delivered, so a message
// both returned by Say and published on the bus goes out once.
//
// It grows as messages arrive, up to max: a node whose gateway no
// client uses holds an empty set (a full one is about 300 KB).
type seenSet struct {
	ids  map[string]struct{}
	ring []string
	at   int
	max  int
}

func newSeenSet(n int) seenSet {
	return seenSet{ids: map[string]struct{}{}, max: n}
}

// add reports whether id is new, remembering it.
func (s *seenSet) add(id string) bool {
	if _, ok := s.ids[id]; ok {
		return false
	}
	if len(s.ring) < s.max {
		s.ring = append(s.ring, id)
		s.ids[id] = struct{}{}
		return true
	}
	delete(s.ids, s.ring[s.at])
	s.ring[s.at] = id
	s.at = (s.at + 1) % len(s.ring)
	s.ids[id] = struct{}{}
	return true
}

// timeRing remembers the times of the last max messages shown, by chat
// ID: a reply's +draft/reply tag names its parent by IRC msgid, which
// holds the parent's time.
type timeRing struct {
	at   map[string]time.Time
	ring []string
	next int
	max  int
}

func (r *timeRing) put(id string, t time.Time) {
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	if _, ok := r.at[id]; ok {
		return
	}
	if len(r.ring) < r.max {
		r.ring = append(r.ring, id)
	} else {
		delete(r.at, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
	}
	r.at[id] = t
}
