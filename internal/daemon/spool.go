package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/spool"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// startSpool starts store-and-forward (mail, queued copies, mailboxes).
func (n *Node) startSpool(ctx context.Context, backend *api.Backend) error {
	_ = ctx
	cfg := spool.Config{
		Host: n.host, DB: n.db, Identity: n.id, Dir: lazyDir{n},
		SpoolDir: filepath.Join(n.opts.Home, "spool"), Log: n.log,
	}
	if n.share != nil { // copies sent to NAME:SHARE/path are written through the share service's ACL
		cfg.Shares = n.share
		cfg.PreflightShare = n.preflightShare
	}
	// Tuning for tests and benchmarks (Go durations, e.g. 500ms).
	n.opts.Timings.spool(&cfg)
	envDur(&cfg.RetryBase, "PEERHOOD_SPOOL_RETRY_BASE")
	envDur(&cfg.RetryCap, "PEERHOOD_SPOOL_RETRY_CAP")
	envDur(&cfg.FetchInterval, "PEERHOOD_SPOOL_FETCH_INTERVAL")
	envDur(&cfg.Tick, "PEERHOOD_SPOOL_TICK")
	svc, err := spool.New(cfg)
	if err != nil {
		return err
	}
	n.closers = append(n.closers, svc.Close)
	backend.Extra = append(backend.Extra, func(s *api.Server) { api.SpoolRoutes(s, svc) })
	return nil
}

func envDur(d *time.Duration, name string) {
	if v := os.Getenv(name); v != "" {
		if x, err := time.ParseDuration(v); err == nil && x > 0 {
			*d = x
		}
	}
}

// lazyDir is the node's directory as it is at each call: empty until the
// workgroup service has set one.
type lazyDir struct{ n *Node }

func (l lazyDir) get() workgroup.Directory { return l.n.Directory() }

func (l lazyDir) Member(wg string, p peer.ID) (workgroup.Member, bool) {
	if d := l.get(); d != nil {
		return d.Member(wg, p)
	}
	return workgroup.Member{}, false
}

func (l lazyDir) Memberships(p peer.ID) []workgroup.Member {
	if d := l.get(); d != nil {
		return d.Memberships(p)
	}
	return nil
}

func (l lazyDir) ByName(wg, name string) (workgroup.Member, bool) {
	if d := l.get(); d != nil {
		return d.ByName(wg, name)
	}
	return workgroup.Member{}, false
}

func (l lazyDir) Members(wg string) []workgroup.Member {
	if d := l.get(); d != nil {
		return d.Members(wg)
	}
	return nil
}

func (l lazyDir) Workgroups() []workgroup.Info {
	if d := l.get(); d != nil {
		return d.Workgroups()
	}
	return nil
}

func (l lazyDir) Self(wg string) (workgroup.Member, bool) {
	if d := l.get(); d != nil {
		return d.Self(wg)
	}
	return workgroup.Member{}, false
}

// preflightShare asks a connected member, before a copy into its share is
// queued, whether this node may write there (its answer to the files
// protocol's share list). An unreachable or silent member is not an
// error: the member decides when the copy arrives.
func (n *Node) preflightShare(ctx context.Context, m workgroup.Member, name string) error {
	if n.host.Network().Connectedness(m.PeerID) != network.Connected {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	list, err := n.share.SharesOf(ctx, m)
	if err != nil {
		return nil
	}
	for _, si := range list {
		if strings.EqualFold(si.Name, name) {
			if si.Right.CanWrite() {
				return nil
			}
			return fmt.Errorf("%s's share %s is read-only for you", m.Name, si.Name)
		}
	}
	return fmt.Errorf("%s has no share %q you may see", m.Name, name)
}

// The share service is also the spool's ShareReader: after a crash
// between writing a queued copy into a share and recording it, the spool
// compares the files in place with the resent payload.
var _ spool.ShareReader = (*share.Service)(nil)
