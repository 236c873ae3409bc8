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

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
