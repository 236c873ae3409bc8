package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// libp2p's logs pass from warnings up, from info up with --log-level
// debug; its benign warnings (demoted) count as info.
func TestLibp2pLogFloor(t *testing.T) {
	for _, tc := range []struct {
		user slog.Level
		msg  string
		lvl  slog.Level
		want bool
	}{
		{slog.LevelInfo, "dial failed", slog.LevelWarn, true},
		{slog.LevelInfo, "chatter", slog.LevelInfo, false},
		{slog.LevelInfo, "failed to identify peer", slog.LevelWarn, false},
		{slog.LevelDebug, "failed to identify peer", slog.LevelWarn, true},
		{slog.LevelDebug, "chatter", slog.LevelInfo, true},
		{slog.LevelDebug, "noise", slog.LevelDebug, false},
		{slog.LevelError, "failed to identify peer", slog.LevelError, true},
	} {
		var buf bytes.Buffer
		h := minLevel{Handler: slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.user}), min: libp2pFloor(tc.user)}
		log := slog.New(h)
		log.Log(context.Background(), tc.lvl, tc.msg)
		if got := strings.Contains(buf.String(), tc.msg); got != tc.want {
			t.Errorf("user level %v, libp2p %v %q: shown %v, want %v (%q)", tc.user, tc.lvl, tc.msg, got, tc.want, buf.String())
		}
	}
}
