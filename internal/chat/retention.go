package chat

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
)

// MinRetention is the shortest retention a room takes: messages are
// deleted hourly (and when the retention is set), so less says little.
const MinRetention = time.Hour

// ParseRetention reads a retention as a user types it: "keep" (or "0":
// keep everything) or a duration (apitypes.ParseDuration: 30d, 2w, 12h)
// of at least MinRetention.
func ParseRetention(s string) (time.Duration, error) {
	if s == "keep" || s == "0" {
		return 0, nil
	}
	d, err := apitypes.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: retention: %v (or keep)", ErrInvalid, err)
	}
	if d < MinRetention {
		return 0, fmt.Errorf("%w: retention %s: at least %s (or keep)", ErrInvalid, s, apitypes.FormatDuration(MinRetention))
	}
	return d.Truncate(time.Second), nil
}

// formatRetention is a retention as Room shows it: "" keeps everything.
func formatRetention(secs int64) string {
	if secs <= 0 {
		return ""
	}
	return apitypes.FormatDuration(time.Duration(secs) * time.Second)
}

// retentionOf is this node's retention of a room, in seconds (0: keep).
func (s *Service) retentionOf(wg, room string) int64 {
	var secs int64
	_ = s.db.QueryRowContext(s.ctx, `SELECT retention FROM chat_rooms WHERE workgroup=? AND name=?`, wg, room).Scan(&secs)
	return secs
}

// SetRetention sets how long this node keeps a room's messages (0: keep
// everything; see ParseRetention) and applies it at once. Retention is
// this node's own: other members keep what they choose, and each
// author's last message stays so its chain continues.
func (s *Service) SetRetention(ctx context.Context, wg, name string, keep time.Duration) (Room, error) {
	info, r, err := s.room(wg, name)
	if err != nil {
		return Room{}, err
	}
	if keep < 0 || (keep > 0 && keep < MinRetention) {
		return Room{}, fmt.Errorf("%w: retention %s: at least %s (or keep)", ErrInvalid, keep, MinRetention)
	}
	secs := int64(keep / time.Second)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO chat_rooms(workgroup, name, joined, retention) VALUES(?,?,0,?)
		ON CONFLICT(workgroup, name) DO UPDATE SET retention=excluded.retention`, info.ID, r.name, secs); err != nil {
		return Room{}, fmt.Errorf("chat: set retention: %w", err)
	}
	s.applyRetention(ctx)
	return s.roomInfo(info.ID, r, s.joinedRooms()[logKey{info.ID, r.name}]), nil
}

// retentionRoutes declares PUT /v1/rooms/{name}/retention.
func (s *Service) retentionRoutes(srv *api.Server) {
	api.Handle(srv, "PUT /v1/rooms/{name}/retention", "Set how long this node keeps a room's messages (a duration such as 30d, or keep)",
		func(ctx context.Context, r *http.Request, req apitypes.RoomRetentionRequest) (Room, error) {
			keep, err := ParseRetention(req.Retention)
			if err != nil {
				return Room{}, apiError(err)
			}
			rm, err := s.SetRetention(ctx, req.Workgroup, r.PathValue("name"), keep)
			return rm, apiError(err)
		})
}
