package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/ircgw"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/spool"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/tunnel"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// DBFile is the database's file name in the state folder.
const DBFile = "state.db"

// Options configure a node.
type Options struct {
	Home        string
	Name        string   // node name; empty: keep the stored one, else the folded host name
	ListenAddrs []string // empty: p2p.DefaultListenAddrs(p2p.DefaultPort)
	Log         *slog.Logger
	// Reachability overrides AutoNAT: "public" (run the relay service for
	// members at once), "private" (use member relays at once) or empty.
	Reachability string
	// NoMDNS turns LAN discovery off.
	NoMDNS bool
	// MaxMemberConns caps the member connections this node dials (0: every
	// member, a full mesh). Members beyond it are reached on demand and
	// through gossip.
	MaxMemberConns int
	// Out receives the start-up block (the node's name, ID, addresses).
	Out io.Writer
	// Timings shortens the services' timers (tests; zero: defaults).
	Timings Timings
}

// Node is a running node.
type Node struct {
	opts    Options
	log     *slog.Logger
	lock    *Lock
	id      *identity.Identity
	db      *store.DB
	host    *p2p.Host
	api     *api.Server
	name    string
	dir     workgroup.Directory  // set by workgroupModule, read by the modules after it
	share   *share.Service       // set by shareModule
	pres    *presence.Service    // set by presenceModule
	tunnel  *tunnel.Service      // set by tunnelModule
	disc    *discovery.Service   // set by discoveryModule
	spool   *spool.Service       // set by spoolModule
	chat    *chat.Service        // set by chatModule
	irc     *ircgw.Server        // set by ircModule (nil when off)
	events  *events.Bus          // set by eventsModule
	metrics *prometheus.Registry // GET /metrics: libp2p's, Go's and each module's Collectors
	uiURL   string               // set by webuiModule ("" when off)
	started time.Time
	up      bool // Start succeeded
	stopCh  chan struct{}
	stopMu  sync.Once
	closers []closer
	// stopping counts the closers running (Close may leave some
	// behind: runBounded).
	stopping sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Start brings a node up. The caller runs Wait and then Close.
func Start(ctx context.Context, opts Options) (_ *Node, err error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if len(opts.ListenAddrs) == 0 {
		opts.ListenAddrs = p2p.DefaultListenAddrs(p2p.DefaultPort)
	}
	if opts.Name != "" {
		if err := identity.ValidateName(opts.Name); err != nil {
			return nil, fmt.Errorf("--name: %w", err)
		}
	}
	if err := PrepareHome(opts.Home); err != nil {
		return nil, err
	}
	lock, err := AcquireLock(opts.Home)
	if err != nil {
		return nil, err
	}
	n := &Node{opts: opts, log: opts.Log, lock: lock, started: time.Now(), stopCh: make(chan struct{})}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	id, created, err := identity.LoadOrCreate(opts.Home)
	if err != nil {
		return nil, err
	}
	n.id = id
	if created {
		n.log.Info("created node identity", "peer", id.PeerID)
	}
	n.db, err = store.Open(ctx, filepath.Join(opts.Home, DBFile))
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, closer{"database", n.db.Close})
	if n.name, err = n.resolveName(ctx); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	n.metrics = reg
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.host, err = p2p.New(p2p.Config{Key: id.Key, ListenAddrs: opts.ListenAddrs, Metrics: reg, Log: n.log, Reachability: opts.Reachability})
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, closer{"host", n.host.Close})
	n.api = api.NewServer(reg, n.log)
	n.api.SetFull(store.IsFull) // a full database answers 507 no_space on every endpoint
	n.Routes(n.api)
	if err := n.startModules(ctx); err != nil {
		return nil, err
	}
	l, err := n.api.Listen(opts.Home)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := n.api.Serve(l); err != nil {
			n.log.Error("control API stopped", "err", err)
		}
	}()
	n.printBanner()
	n.up = true
	return n, nil
}

func (n *Node) resolveName(ctx context.Context) (string, error) {
	stored, err := n.db.Setting(ctx, "name")
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	name := stored
	switch {
	case n.opts.Name != "":
		name = n.opts.Name
	case stored == "":
		hn, _ := os.Hostname()
		name = identity.FoldName(hn)
	}
	if name != stored {
		if err := n.db.SetSetting(ctx, "name", name); err != nil {
			return "", err
		}
	}
	return name, nil
}

func (n *Node) printBanner() {
	var b strings.Builder
	fmt.Fprintf(&b, "peerhood node %q is up\n", n.name)
	fmt.Fprintf(&b, "  peer ID  %s\n", n.id.PeerID)
	for _, a := range n.host.Host.Addrs() {
		fmt.Fprintf(&b, "  listen   %s\n", a)
	}
	fmt.Fprintf(&b, "  control  %s\n", filepath.Join(n.opts.Home, api.SocketFile))
	if n.uiURL != "" {
		fmt.Fprintf(&b, "  web UI   %s (log in: peerhood open)\n", n.uiURL)
	}
	_, _ = io.WriteString(n.opts.Out, b.String())
}

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Home returns the state folder.
func (n *Node) Home() string { return n.opts.Home }

// Started returns when the node started.
func (n *Node) Started() time.Time { return n.started }

// MemberRoutes reports how this node reaches its members (status).
func (n *Node) MemberRoutes() (discovery.RouteStatus, bool) {
	if n.disc == nil {
		return discovery.RouteStatus{}, false
	}
	return n.disc.MemberRoutes(), true
}

// Host returns the libp2p host.
func (n *Node) Host() *p2p.Host { return n.host }

// Identity returns the node's keys.
func (n *Node) Identity() *identity.Identity { return n.id }

// DB returns the node's database.
func (n *Node) DB() *store.DB { return n.db }

// Directory returns the membership directory.
func (n *Node) Directory() workgroup.Directory { return n.dir }

// Share returns the sharing service.
func (n *Node) Share() *share.Service { return n.share }

// Stop asks Wait to return.
func (n *Node) Stop() { n.stopMu.Do(func() { close(n.stopCh) }) }

// Wait blocks until ctx ends or Stop is called.
func (n *Node) Wait(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-n.stopCh:
	}
}

// StopLimit bounds Close: a node stops within it even if a service hangs
// (the caller's own bound, 5 s for `peerhood up`, stays above it).
const StopLimit = 4 * time.Second

// apiDrain is how long running API requests get to finish on Close.
const apiDrain = 1500 * time.Millisecond

// Close stops the node: the API first (no new requests; running ones get
// apiDrain, then their connections close), then services, the host and
// the database, in reverse order of start, then the state folder's lock.
// It returns within about StopLimit: a closer still running then is left
// behind and reported. Close may be called more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.close() })
	return n.closeErr
}

func (n *Node) close() error {
	start := time.Now()
	deadline := start.Add(StopLimit)
	var errs []error
	if n.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), apiDrain)
		if err := n.api.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, fmt.Errorf("control API: %w", err))
		}
		cancel()
	}
	for i := len(n.closers) - 1; i >= 0; i-- {
		// The last closers (host, database) always get a moment, even
		// when a service before them used up the budget.
		budget := max(time.Until(deadline), 250*time.Millisecond)
		if err := n.runBounded(n.closers[i].close, budget); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n.closers[i].name, err))
		}
	}
	n.closers = nil
	n.lock.Release()
	if n.up { // a node that was up: say so; a failed start says nothing more
		n.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	}
	return errors.Join(errs...)
}

// closer is one component's Close, named for the error that reports it
// (the database, the host, each module).
type closer struct {
	name  string
	close func() error
}

// ErrSlowStop is in Close's error when a component did not stop within
// its share of StopLimit: Close returned without it, and WaitStopped
// tells when it has.
var ErrSlowStop = errors.New("a component did not stop")

// runBounded runs f, giving up waiting after limit (f goes on: WaitStopped).
func (n *Node) runBounded(f func() error, limit time.Duration) error {
	done := make(chan error, 1)
	n.stopping.Go(func() { done <- f() })
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%w within %s", ErrSlowStop, limit.Round(time.Millisecond))
	}
}

// WaitStopped waits, after Close, until the components Close left
// running (ErrSlowStop) have stopped too, or ctx ends.
func (n *Node) WaitStopped(ctx context.Context) error {
	done := make(chan struct{})
	go func() { n.stopping.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
