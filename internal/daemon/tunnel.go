package daemon

import (
	"context"

	"github.com/peerhood/peerhood/internal/tunnel"
)

// tunnelModule builds the TCP service sharing: /peerhood/tunnel/1 for
// this node's services, and the forwards (persisted ones restored at
// start).
func (n *Node) tunnelModule(context.Context) (Module, error) {
	return tunnel.New(n.db, n.host.Host, n.dir, n.log, tunnel.Options{}), nil
}
