package cli

import (
	"context"
	"log/slog"

	"github.com/libp2p/go-libp2p/gologshim"
)

// RouteLogs makes log the process's default logger (the standard log
// package writes through it too) and sends libp2p's logs to the same
// handler, so --log-format applies to everything on stderr. libp2p logs
// only warnings and errors unless --log-level is debug: its info level is
// chatter about every peer.
func (a *App) RouteLogs(log *slog.Logger) {
	slog.SetDefault(log)
	gologshim.SetDefaultHandler(minLevel{Handler: log.Handler(), min: libp2pFloor(a.level)})
}

// libp2pFloor is the lowest level of libp2p's logs that pass.
func libp2pFloor(user slog.Level) slog.Level {
	if user <= slog.LevelDebug {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// minLevel drops records below min, after demoting libp2p's benign
// warnings to info (shown with --log-level debug only).
type minLevel struct {
	slog.Handler
	min slog.Level
}

// demoted are libp2p warnings that say nothing wrong about this node:
// "failed to identify peer" comes for every connection closed before
// identify answered, such as the short connection a member behind NAT
// opens to re-learn its public address (p2p/reobserve.go), which never
// answers identify.
var demoted = map[string]bool{"failed to identify peer": true}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && demoted[r.Message] {
		r.Level = slog.LevelInfo
	}
	if r.Level < h.min || !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
