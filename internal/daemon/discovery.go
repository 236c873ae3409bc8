package daemon

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// startDiscovery starts presence and discovery (after the workgroup
// service, whose directory they read) and adds the browse and presence
// routes.
func (n *Node) startDiscovery(ctx context.Context, backend *api.Backend) error {
	dir := liveDirectory{n}
	pres, err := presence.New(presence.Config{Host: n.host, Dir: dir, Log: n.log.With("svc", "presence"), Settings: n.db,
		Interval: n.opts.Timings.PresenceInterval})
	if err != nil {
		return err
	}
	if err := pres.Start(ctx); err != nil {
		return err
	}
	n.closers = append(n.closers, pres.Close)
	disc, err := discovery.New(discovery.Config{
		Host: n.host, DB: n.db, Dir: dir, Presence: pres, Log: n.log.With("svc", "discovery"),
		NoMDNS: n.opts.NoMDNS, MaxConns: n.opts.MaxMemberConns,
	})
	if err != nil {
		return err
	}
	if err := disc.Start(ctx); err != nil {
		return err
	}
	n.closers = append(n.closers, disc.Close)
	var sharesOf api.SharesFunc
	if n.share != nil {
		sharesOf = n.share.SharesOf
	}
	backend.Extra = append(backend.Extra, api.DiscoveryRoutes(disc, pres, dir, sharesOf))
	return nil
}

// liveDirectory asks the node's current directory, and answers "no
// workgroup" while there is none (the workgroup service not started).
type liveDirectory struct{ n *Node }

func (d liveDirectory) get() workgroup.Directory { return d.n.Directory() }

func (d liveDirectory) Member(wg string, p peer.ID) (workgroup.Member, bool) {
	if x := d.get(); x != nil {
		return x.Member(wg, p)
	}
	return workgroup.Member{}, false
}

func (d liveDirectory) Memberships(p peer.ID) []workgroup.Member {
	if x := d.get(); x != nil {
		return x.Memberships(p)
	}
	return nil
}

func (d liveDirectory) ByName(wg, name string) (workgroup.Member, bool) {
	if x := d.get(); x != nil {
		return x.ByName(wg, name)
	}
	return workgroup.Member{}, false
}

func (d liveDirectory) Members(wg string) []workgroup.Member {
	if x := d.get(); x != nil {
		return x.Members(wg)
	}
	return nil
}

func (d liveDirectory) Workgroups() []workgroup.Info {
	if x := d.get(); x != nil {
		return x.Workgroups()
	}
	return nil
}

func (d liveDirectory) Self(wg string) (workgroup.Member, bool) {
	if x := d.get(); x != nil {
		return x.Self(wg)
	}
	return workgroup.Member{}, false
}
