package share

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// SeenFunc tells what presence knows of member p of workgroup wg:
// whether it is online, and when it was last heard online (zero: never).
type SeenFunc func(wg string, p peer.ID) (online bool, last time.Time)

// SetSeen lets the files endpoints tell an offline member at once
// (within reachTimeout) instead of after a long dial; the daemon hands it
// the presence service's view.
func (s *Service) SetSeen(f SeenFunc) { s.seen = f }

// reachTimeout bounds the dial of a member presence does not show
// online, before the endpoint says it is offline (under 2 s with the
// CLI round trip: a dial of QUIC to a closed port waits it out).
const reachTimeout = 1500 * time.Millisecond

// ErrOffline is wrapped by OfflineError.
var ErrOffline = errors.New("member is offline")

// OfflineError says a member cannot be reached, when it was last seen
// and what to do: never a libp2p dial dump.
type OfflineError struct {
	Name string
	Last time.Time // zero: never seen online
	Do   string    // what to do instead, a sentence
	Err  error     // the dial's own error (for logs, not shown)
}

func (e *OfflineError) Error() string {
	seen := "never seen online"
	if !e.Last.IsZero() {
		seen = "last seen " + ago(time.Since(e.Last))
	}
	return fmt.Sprintf("%s is offline (%s); %s", e.Name, seen, e.Do)
}

func (e *OfflineError) Unwrap() error { return ErrOffline }

// ago words a duration as "3 min ago".
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// reach makes sure member m is connected before a files operation, with
// the dial the operation would make itself (the addresses this node
// knows, relays included): at most reachTimeout for a member presence
// does not show online, dialTimeout for one it does (a relayed link may
// be slow to set up). If that fails the answer is an OfflineError with
// do as its advice.
func (s *Service) reach(ctx context.Context, m workgroup.Member, do string) error {
	h := s.host
	if h.Network().Connectedness(m.PeerID) == network.Connected {
		return nil
	}
	var last time.Time
	wait := reachTimeout
	if s.seen != nil {
		online, l := s.seen(m.Workgroup, m.PeerID)
		if online {
			wait = dialTimeout
		}
		last = l
	}
	p2p.ClearDialBackoff(h, m.PeerID) // a user is waiting: try now
	dctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	err := h.Connect(network.WithDialPeerTimeout(dctx, wait), peer.AddrInfo{ID: m.PeerID})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.log.Debug("member unreachable", "member", m.Name, "err", err)
	return &OfflineError{Name: m.Name, Last: last, Do: do, Err: err}
}

// Reach is reach for other front ends of the files protocol (WebDAV):
// member m connected, or an OfflineError ("laptop is offline (last seen
// 3 min ago); try again when it is online ...") within reachTimeout when
// presence does not show it online.
func (s *Service) Reach(ctx context.Context, m workgroup.Member) error {
	return s.reach(ctx, m, tryLater)
}

// Connected reports whether member peer p is connected now.
func (s *Service) Connected(p peer.ID) bool {
	return s.host.Network().Connectedness(p) == network.Connected
}

// queueAdvice is what to run instead of a put to an offline member: the
// same files queued as a copy into the same folder (copy's destination
// is always a folder; the files keep their names).
func queueAdvice(req apitypes.FilesRequest) string {
	dir := req.Target
	// A last name with an extension is taken for the file's new name (a
	// copy keeps the file's own name); any other for a folder.
	if t, err := ParseTarget(req.Target); err == nil && !FolderSyntax(req.Target) && t.Path != "." && strings.Contains(path.Base(t.Path), ".") {
		dir = Target{Node: t.Node, Share: t.Share, Path: path.Dir(t.Path)}.String()
	}
	r := ""
	if req.Recursive {
		r = "-r "
	}
	return fmt.Sprintf("queue it with: peerhood copy %s%s %s", r, shellQuote(req.Local), dir)
}

// shellQuote quotes p for a shell when it needs it.
func shellQuote(p string) string {
	if p != "" && !strings.ContainsAny(p, " \t'\"$`\\|&;<>()*?[]#~!{}") {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
