package daemon

import (
	"context"
	"fmt"

	"github.com/peerhood/peerhood/internal/tunnel"
)

// tunnelModule builds the TCP service sharing: /peerhood/tunnel/1 for
// this node's services, and the forwards (persisted ones restored at
// start). PEERHOOD_TUNNEL_IDLE (a Go duration, e.g. 2h) ends tunnels
// idle that long; unset, they never idle out.
func (n *Node) tunnelModule(context.Context) (Module, error) {
	var opts tunnel.Options
	envDur(&opts.IdleTimeout, "PEERHOOD_TUNNEL_IDLE")
	envDur(&opts.DialTimeout, "PEERHOOD_TUNNEL_DIAL_TIMEOUT")
	n.tunnel = tunnel.New(n.db, n.host.Host, n.dir, n.log, opts)
	if err := n.metrics.Register(n.tunnel.Collector()); err != nil {
		return nil, fmt.Errorf("tunnel metrics: %w", err)
	}
	return n.tunnel, nil
}
