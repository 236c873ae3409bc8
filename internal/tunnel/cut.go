package tunnel

import (
	"context"
	"log/slog"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// cut closes the open tunnels of service name whose member allowed no
// longer admits, and returns how many it closed. Access is checked for
// every new connection; cut makes a changed access list (or a removed
// service) apply to the connections already open too, as a revocation
// does for a removed member.
func (s *Service) cut(name string, allowed func(workgroup.Member) bool) int {
	key := lower(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.open {
		if p, ok := c.(*closePair); ok && p.service == key && !allowed(p.member) {
			_ = p.Close()
			n++
		}
	}
	return n
}

// cutRefused applies the access list service name holds now to its open
// tunnels (all of them are cut when the service is gone).
func (s *Service) cutRefused(ctx context.Context, name string) {
	cfg, err := s.configs.Get(ctx, name)
	gone := err != nil
	n := s.cut(name, func(m workgroup.Member) bool { return !gone && MayUse(cfg.Rules, m) })
	if n > 0 {
		s.log.LogAttrs(ctx, slog.LevelInfo, "tunnels closed by an access change", slog.String("service", name), slog.Int("closed", n))
	}
}

// removeService stops offering service name and closes its open tunnels.
func (s *Service) removeService(ctx context.Context, name string) error {
	if err := s.configs.Remove(ctx, name); err != nil {
		return err
	}
	s.cutRefused(ctx, name)
	return nil
}
