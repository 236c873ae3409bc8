package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/spool"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Module is one service as the daemon runs it: built by its entry in
// modules with what it needs handed to it directly, started (when it has
// a Start step), its routes declared on the control API, and closed in
// reverse order of start.
type Module interface {
	Routes(*api.Server)
	Close() error
}

// starter is a Module with a start step after its construction.
type starter interface {
	Start(context.Context) error
}

// modules lists the node's services in dependency order: each entry
// builds one and may use what the entries before it set on the node.
// Adding a service is one package with a routes.go and one line here.
func (n *Node) modules() []func(context.Context) (Module, error) {
	return []func(context.Context) (Module, error){
		n.eventsModule,    // the event bus every other module publishes to
		n.workgroupModule, // the membership directory every other module reads
		n.shareModule,     // the share list and /peerhood/files/1
		n.davfsModule,     // WebDAV on the loopback, over share
		n.presenceModule,  // presence, over the directory
		n.tunnelModule,    // TCP services and forwards, over the directory (share's access lists)
		n.discoveryModule, // finding members; browse, over presence, share and tunnel
		n.spoolModule,     // store and forward, over the directory and share
		n.chatModule,      // rooms and direct messages, over the directory and spool
		n.ircModule,       // IRC clients on the loopback, over chat, the directory and presence
		n.webuiModule,     // the web UI on the loopback, over the control API of all the above
	}
}

// startModules builds and starts every module in order and declares
// their routes on the control API; a module's Close joins n.closers once
// it has started.
func (n *Node) startModules(ctx context.Context) error {
	for _, build := range n.modules() {
		m, err := build(ctx)
		if err != nil {
			return err
		}
		if st, ok := m.(starter); ok {
			if err := st.Start(ctx); err != nil {
				return err
			}
		}
		n.closers = append(n.closers, closer{fmt.Sprintf("%T", m), m.Close})
		m.Routes(n.api)
		// A module's own metrics (peerhood_*) join libp2p's on GET /metrics.
		if mc, ok := m.(interface{ Collectors() []prometheus.Collector }); ok && n.metrics != nil {
			if err := registerAll(n.metrics, mc.Collectors()); err != nil {
				return err
			}
		}
	}
	return nil
}

// registerAll registers each collector on reg.
func registerAll(reg prometheus.Registerer, cs []prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}

// workgroupModule starts the workgroup service: the roster-backed
// Directory every other module asks, the gate, and the join and roster
// protocols.
func (n *Node) workgroupModule(ctx context.Context) (Module, error) {
	svc, err := workgroup.New(ctx, workgroup.Config{
		DB: n.db, Identity: n.id, Host: n.host, NodeName: n.name, Log: n.log, Events: n.events,
	})
	if err != nil {
		return nil, err
	}
	n.dir = svc.Directory()
	return svc, nil
}

// shareModule builds the sharing service: /peerhood/files/1 on the host
// (behind workgroup.Guard) and the /v1/shares and /v1/files routes. No
// share may hold the state folder.
func (n *Node) shareModule(context.Context) (Module, error) {
	svc := share.New(n.db, n.host.Host, n.dir, n.log)
	svc.KeepOut(n.opts.Home)
	svc.SetEvents(n.events)
	n.share = svc
	return svc, nil
}

// presenceModule builds the presence service.
func (n *Node) presenceModule(context.Context) (Module, error) {
	pres, err := presence.New(presence.Config{Host: n.host, Dir: n.dir, Log: n.log.With("svc", "presence"), Settings: n.db, Events: n.events,
		Interval: n.opts.Timings.PresenceInterval})
	if err != nil {
		return nil, err
	}
	n.pres = pres
	// The files endpoints tell an offline member at once (share/reach.go).
	n.share.SetSeen(func(wg string, p peer.ID) (bool, time.Time) {
		s := pres.Of(wg, p)
		return s.State != presence.Offline, s.LastSeen
	})
	return pres, nil
}

// discoveryModule builds member discovery and browse, which lists each
// member's shares through the share service and its TCP services through
// the tunnel service.
func (n *Node) discoveryModule(context.Context) (Module, error) {
	svc, err := discovery.New(discovery.Config{
		Host: n.host, DB: n.db, Dir: n.dir, Presence: n.pres, Shares: n.share.SharesOf, Services: n.tunnel.ServicesOf,
		Log: n.log.With("svc", "discovery"), NoMDNS: n.opts.NoMDNS, MaxConns: n.opts.MaxMemberConns,
	})
	n.disc = svc // status reports its member routes
	return svc, err
}

// spoolModule starts store-and-forward (mail, queued copies, mailboxes).
// Copies sent to NAME:SHARE/path are written through the share service's
// access lists, and checked against them before they are queued.
func (n *Node) spoolModule(context.Context) (Module, error) {
	cfg := spool.Config{
		Host: n.host, DB: n.db, Identity: n.id, Dir: n.dir,
		SpoolDir: filepath.Join(n.opts.Home, "spool"), Log: n.log,
		Shares: n.share, PreflightShare: n.share.Preflight, Events: n.events,
	}
	// Tuning for tests and benchmarks (Go durations, e.g. 500ms).
	n.opts.Timings.spool(&cfg)
	envDur(&cfg.RetryBase, "PEERHOOD_SPOOL_RETRY_BASE")
	envDur(&cfg.RetryCap, "PEERHOOD_SPOOL_RETRY_CAP")
	envDur(&cfg.FetchInterval, "PEERHOOD_SPOOL_FETCH_INTERVAL")
	envDur(&cfg.Tick, "PEERHOOD_SPOOL_TICK")
	svc, err := spool.New(cfg)
	n.spool = svc
	return svc, err
}

func envDur(d *time.Duration, name string) {
	if v := os.Getenv(name); v != "" {
		if x, err := time.ParseDuration(v); err == nil && x > 0 {
			*d = x
		}
	}
}

// The share service is also the spool's ShareReader: after a crash
// between writing a queued copy into a share and recording it, the spool
// compares the files in place with the resent payload.
var _ spool.ShareReader = (*share.Service)(nil)
