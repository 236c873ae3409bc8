package workgroup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Joining again: a join is idempotent for the node that made it.
//
// The inviter admits a joiner (certificate stored, invite use spent) and
// only then writes its reply; if that reply is lost (connection reset,
// joiner killed, timeout) the joiner holds nothing while the roster
// lists it. As Tailscale re-authenticating the same node key, or
// Syncthing re-introducing a known device, the inviter then answers a
// join from that same peer (its libp2p node key, proven by the secure
// channel) with its existing membership - the certificate the roster
// holds for it and the roster - provided it presents:
//
//   - an invite of this node for the workgroup that is still valid
//     (unexpired, uses left; no use is spent), or
//   - the invite that admitted it, even spent or expired, within
//     rejoinWindow of its admission (table invite_joins).
//
// The requested name and age recipient must be those of the existing
// certificate (a retry sends the same; anything else is a conflict, the
// message says which name to use). A revoked peer is refused first; a
// different peer presenting a spent invite is refused as before
// (invite_used): the record is per peer. Nothing is issued or changed,
// so answering again is harmless; the joiner retries once by itself
// when the exchange fails in transport (joinAttempts).

// rejoinWindow is how long after its admission a peer may present its
// spent invite again to be sent its membership.
const rejoinWindow = 24 * time.Hour

// Joiner retries: a join whose request or reply was lost in transport
// (stream reset, connection closed) is tried again once, on a new
// stream, after joinRetryPause. A timeout is not retried (the inviter is
// there but stuck; the 30 s would double), nor is a refusal.
const (
	joinAttempts   = 2
	joinRetryPause = 300 * time.Millisecond
)

// readmit answers a join from c's peer, a member already: its
// membership again, if the invite it presents allows it.
func (s *Service) readmit(ctx context.Context, root Root, c *Cert, req JoinRequest) (JoinReply, error) {
	if !strings.EqualFold(c.Name, req.Name) || c.AgeRecipient != req.AgeRecipient {
		return JoinReply{}, errorf(CodeConflict, "this node is already a member of workgroup %s as %q; to fetch that membership again, join with --name %s",
			root.Name, c.Name, c.Name)
	}
	if err := s.rejoinAllowed(ctx, root, c.PeerID, req.Secret); err != nil {
		return JoinReply{}, err
	}
	s.log.Info("member joined again: its membership is sent again", "workgroup", root.ID, "name", c.Name, "peer", c.PeerID)
	return JoinReply{Name: root.Name, Cert: c.Raw, Roster: s.roster.All(root.ID)}, nil
}

// rejoinAllowed checks the invite a member presents to be sent its
// membership again: valid, or the one that admitted p within
// rejoinWindow.
func (s *Service) rejoinAllowed(ctx context.Context, root Root, p peer.ID, secret []byte) error {
	h := sha256.Sum256(secret)
	var (
		inviteWG string
		usesLeft int
		expires  int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT workgroup, uses_left, expires FROM invites WHERE secret_hash=?`, h[:]).
		Scan(&inviteWG, &usesLeft, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && inviteWG != root.ID) {
		return errorf(CodeInviteUnknown, "unknown invite: this node issued no such invite for workgroup %s", root.ID)
	}
	if err != nil {
		return fmt.Errorf("look up invite: %w", err)
	}
	now := s.now()
	if usesLeft > 0 && now.Unix() < expires {
		return nil
	}
	var joinedAt int64
	err = s.db.QueryRowContext(ctx, `SELECT joined_at FROM invite_joins WHERE secret_hash=? AND peer=?`, h[:], []byte(p)).Scan(&joinedAt)
	switch {
	case err == nil && now.Before(time.Unix(joinedAt, 0).Add(rejoinWindow)):
		return nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("look up invite use: %w", err)
	case now.Unix() >= expires:
		return errorf(CodeInviteExpired, "this node is already a member of workgroup %s, but the invite expired at %s: ask for a new invite to fetch the membership",
			root.Name, time.Unix(expires, 0).UTC().Format(time.RFC3339))
	}
	return errorf(CodeInviteUsed, "this node is already a member of workgroup %s, but the invite is used up: ask for a new invite to fetch the membership", root.Name)
}

// joinStep is one exchange with the inviter; retry: it failed in
// transport and may be tried again.
type joinStep func(ctx context.Context) (reply JoinReply, retry bool, err error)

// askJoin runs step up to joinAttempts times while it fails in
// transport (the inviter answers a repeated join from the same node
// with the same membership, so a retry cannot admit it twice).
func (s *Service) askJoin(ctx context.Context, step joinStep) (JoinReply, error) {
	for attempt := 1; ; attempt++ {
		reply, retry, err := step(ctx)
		if err == nil || !retry || attempt >= joinAttempts || ctx.Err() != nil {
			return reply, err
		}
		s.log.Info("join: the exchange with the inviter failed; trying again", "attempt", attempt, "err", err)
		select {
		case <-time.After(joinRetryPause):
		case <-ctx.Done():
			return reply, err
		}
	}
}

// retryable reports whether a transport error may be retried: not a
// timeout.
func retryable(err error) bool {
	return !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded)
}
