package share

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// preflightTimeout bounds Preflight's question to the member.
const preflightTimeout = 3 * time.Second

// Preflight asks a connected member, before a copy into its share is
// queued, whether this node may write there (its answer to the files
// protocol's share list). An unreachable or silent member is not an
// error: the member decides when the copy arrives. The store and forward
// service calls it (spool.Config.PreflightShare).
func (s *Service) Preflight(ctx context.Context, m workgroup.Member, name string) error {
	if s.host.Network().Connectedness(m.PeerID) != network.Connected {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	list, err := s.SharesOf(ctx, m)
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
