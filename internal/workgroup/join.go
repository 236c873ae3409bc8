package workgroup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// JoinRequest is the joiner's one frame on /peerhood/join/1.
type JoinRequest struct {
	Workgroup    string `cbor:"1,keyasint"`
	Secret       []byte `cbor:"2,keyasint"`
	Name         string `cbor:"3,keyasint"`
	AgeRecipient string `cbor:"4,keyasint"`
}

// JoinReply is the inviter's one frame: a refusal, or the new member's
// certificate and the whole roster.
type JoinReply struct {
	Error  *wire.Error `cbor:"1,keyasint,omitempty"`
	Name   string      `cbor:"2,keyasint,omitempty"` // workgroup display name
	Cert   []byte      `cbor:"3,keyasint,omitempty"`
	Roster Bundle      `cbor:"4,keyasint"`
}

const (
	joinTimeout     = 30 * time.Second
	maxJoinRequest  = 16 << 10
	joinDialTimeout = 20 * time.Second
	// joinDialAttempts is how many dials a joiner makes to reach its
	// inviter within joinDialTimeout (reachInviter).
	joinDialAttempts = 3
)

// handleJoin serves /peerhood/join/1. It is reachable by non-members
// (the gate lets them in only while an invite is outstanding).
func (s *Service) handleJoin(st network.Stream) {
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(joinTimeout))
	remote := st.Conn().RemotePeer()
	// The gate's rule for inbound peers applies whichever side dialled: a
	// connection secured just before this node joined a workgroup (or its
	// last invite was spent) may not have been cut yet, and libp2p itself
	// may dial a peer back; a non-member reaches join only while an
	// invite is outstanding (a peer on probation only to present its
	// certificate does not).
	if !(gate{s}).allowJoin(remote) {
		s.log.Debug("join: peer refused by gate", "peer", remote)
		_ = st.Reset()
		go st.Conn().Close()
		return
	}
	var req JoinRequest
	if err := wire.NewReader(st, maxJoinRequest).ReadFrame(&req); err != nil {
		s.log.Debug("join: bad request", "peer", remote, "err", err)
		_ = wire.WriteFrame(st, JoinReply{Error: &wire.Error{Code: CodeBadRequest, Message: "malformed join request"}})
		return
	}
	if !s.enter() {
		_ = st.Reset()
		return
	}
	reply, err := s.admit(context.WithoutCancel(s.ctx), remote, req)
	s.leave()
	if err != nil {
		code := CodeOf(err)
		if code == "" {
			s.log.Error("join: admit", "peer", remote, "err", err)
			code, err = wire.CodeInternal, errors.New("the inviter failed to admit this node; try again")
		} else {
			s.log.Info("join refused", "peer", remote, "name", req.Name, "code", code, "reason", err)
		}
		reply = JoinReply{Error: &wire.Error{Code: code, Message: err.Error()}}
	} else if s.dropJoinReplies.Load() > 0 && s.dropJoinReplies.Add(-1) >= 0 {
		_ = st.Reset() // tests: the reply is lost after admission
		return
	}
	if err := wire.WriteFrame(st, reply); err != nil {
		s.log.Debug("join: write reply", "peer", remote, "err", err)
	}
	_ = st.CloseWrite()
}

// admit checks a join request and issues the certificate.
func (s *Service) admit(ctx context.Context, remote peer.ID, req JoinRequest) (JoinReply, error) {
	wg := req.Workgroup
	root, ok := s.roster.Root(wg)
	if !ok || !s.roster.IsAdmin(wg, s.self) {
		return JoinReply{}, errorf(CodeInviteUnknown, "unknown invite: this node admits no members to workgroup %q", wg)
	}
	if err := identity.ValidateName(req.Name); err != nil {
		return JoinReply{}, errorf(CodeBadRequest, "%v", err)
	}
	if _, err := age.ParseX25519Recipient(req.AgeRecipient); err != nil {
		return JoinReply{}, errorf(CodeBadRequest, "age recipient: %v", err)
	}
	if len(req.Secret) != secretLen {
		return JoinReply{}, errorf(CodeInviteUnknown, "unknown invite: malformed secret")
	}
	s.issueMu.Lock()
	defer s.issueMu.Unlock()
	if s.roster.IsRevoked(wg, remote) {
		return JoinReply{}, errorf(CodeForbidden, "this node was removed from workgroup %s and cannot join it again", root.Name)
	}
	if c, ok := s.roster.current(wg, remote); ok {
		return s.readmit(ctx, root, c, req) // its reply was lost: rejoin.go
	}
	if m, ok := s.roster.ByName(wg, req.Name); ok {
		return JoinReply{}, errorf(CodeNameTaken, "name %q is taken in workgroup %s (by %s); choose another with --name", req.Name, root.Name, m.Name)
	}
	signer := RootSigner(root.Key)
	if root.Key == nil {
		var err error
		if signer, err = NodeSigner(s.id.Key); err != nil {
			return JoinReply{}, err
		}
	}
	var raw []byte
	var last bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var roles []string
		var err error
		roles, last, err = s.consumeInvite(ctx, tx, wg, req.Secret, remote)
		if err != nil {
			return err
		}
		raw, err = IssueCert(signer, CertBody{
			Workgroup: wg, Name: req.Name, Peer: []byte(remote), AgeRecipient: req.AgeRecipient, Roles: roles,
		}, s.now())
		if err != nil {
			return err
		}
		return s.saveItemsTx(ctx, tx, root, Bundle{Certs: [][]byte{raw}})
	})
	if err != nil {
		return JoinReply{}, err
	}
	if added, _ := s.roster.Merge(wg, Bundle{Certs: [][]byte{raw}}); len(added.Certs) != 1 {
		return JoinReply{}, fmt.Errorf("issued certificate does not verify")
	}
	s.noteAdmitted(remote)
	if last {
		// Only now: until the joiner is in the roster, the outstanding
		// invite is what lets its connection through the gate.
		s.inviteSpent(req.Secret)
	}
	s.log.Info("member joined", "workgroup", wg, "name", req.Name, "peer", remote)
	s.cfg.Events.Publish(wg, events.MemberJoined{Peer: remote.String(), Name: req.Name})
	s.host.Protect(remote, protectTag)
	s.bg.Go(func() { // Close waits for it (admit runs within enter, before Close)
		s.publish(wg, Bundle{Certs: [][]byte{raw}})
		s.host.Enforce() // the invite may be spent: other non-members go
	})
	return JoinReply{Name: root.Name, Cert: raw, Roster: s.roster.All(wg)}, nil
}

// Join joins a workgroup with an invite token: it dials the inviter,
// proves the secret and stores the certificate and roster it receives.
// name empty: the node's name.
func (s *Service) Join(ctx context.Context, token, name string) (Info, Member, error) {
	t, err := ParseToken(token)
	if err != nil {
		return Info{}, Member{}, err
	}
	if name == "" {
		name = s.cfg.NodeName
	}
	if err := identity.ValidateName(name); err != nil {
		return Info{}, Member{}, errorf(CodeBadRequest, "--name: %v", err)
	}
	if m, ok := s.roster.Self(t.Workgroup); ok {
		return Info{}, Member{}, errorf(CodeConflict, "this node is already a member of workgroup %s (%s) as %q", t.Name, t.Workgroup, m.Name)
	}
	if exp := time.Unix(t.Expires, 0); !s.now().Before(exp) {
		return Info{}, Member{}, errorf(CodeInviteExpired, "invite expired at %s", exp.UTC().Format(time.RFC3339))
	}
	info := t.InviterInfo()
	if info.ID == s.self {
		return Info{}, Member{}, errorf(CodeBadRequest, "this invite was made by this node itself; run 'peerhood join' on the node that should join")
	}
	req := JoinRequest{Workgroup: t.Workgroup, Secret: t.Secret, Name: name, AgeRecipient: s.id.AgeRecipient()}
	reply, err := s.askJoin(ctx, func(ctx context.Context) (JoinReply, bool, error) { return s.exchangeJoin(ctx, t, req) })
	if err != nil {
		return Info{}, Member{}, err
	}
	if reply.Error != nil {
		return Info{}, Member{}, &Error{Code: reply.Error.Code, Msg: reply.Error.Message}
	}
	root := Root{ID: t.Workgroup, Name: t.Name, Pub: t.RootPub}
	c, err := ParseCert(reply.Cert, root.Pub)
	if err != nil {
		return Info{}, Member{}, fmt.Errorf("the inviter sent a bad certificate: %w", err)
	}
	if c.PeerID != s.self || !strings.EqualFold(c.Name, name) || c.AgeRecipient != s.id.AgeRecipient() {
		return Info{}, Member{}, fmt.Errorf("the inviter sent a certificate for someone else (%s, %s)", c.Name, c.PeerID)
	}
	all := reply.Roster
	all.Certs = append(all.Certs, reply.Cert)
	if !s.enter() {
		return Info{}, Member{}, errorf(CodeUnavailable, "the workgroup service is shutting down")
	}
	// Joining again after a removal keeps the old roster; a new
	// workgroup is forgotten again if the join cannot be stored.
	isNew := !s.roster.Known(root.ID)
	s.roster.AddWorkgroup(root)
	// The workgroup and the items are stored before the roster shows
	// them, whatever the caller's context.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	_, _, err = s.roster.MergeDurable(root.ID, all, s.self, func(added Bundle) error { return s.saveWorkgroup(sctx, root, added) })
	scancel()
	s.leave()
	if err != nil {
		if isNew {
			s.roster.removeWorkgroup(root.ID)
		}
		return Info{}, Member{}, fmt.Errorf("the certificate from the inviter does not verify against the workgroup's roster or cannot be stored: %w", err)
	}
	me, _ := s.roster.Self(root.ID)
	if err := s.joinTopic(root.ID); err != nil {
		s.log.Warn("roster gossip unavailable", "workgroup", root.ID, "err", err)
	}
	s.log.Info("joined workgroup", "workgroup", root.ID, "name", root.Name, "as", me.Name)
	s.afterChange()
	s.bg.Go(func() { _ = s.syncWith(s.ctx, info.ID, root.ID) }) // none once Close began
	return Info{ID: root.ID, Name: root.Name}, me, nil
}

// exchangeJoin dials the inviter, sends req and reads its reply; retry:
// the exchange failed in transport once the inviter was reached (a
// stream reset, a closed connection), not by a timeout.
func (s *Service) exchangeJoin(ctx context.Context, t *Token, req JoinRequest) (JoinReply, bool, error) {
	info := t.InviterInfo()
	dctx, cancel := context.WithTimeout(ctx, joinDialTimeout)
	defer cancel()
	if err := s.reachInviter(dctx, info); err != nil {
		return JoinReply{}, false, errorf(CodeUnavailable, "cannot reach the inviter %s at %s: %v", info.ID, strings.Join(t.Addrs, ", "), err)
	}
	st, err := s.host.NewStream(dctx, info.ID, p2p.ProtoJoin)
	if err != nil {
		return JoinReply{}, retryable(err), errorf(CodeUnavailable, "the inviter %s refused the join protocol: %v", info.ID, err)
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(joinTimeout))
	if err := wire.WriteFrame(st, req); err != nil {
		return JoinReply{}, retryable(err), errorf(CodeUnavailable, "send join request: %v", err)
	}
	_ = st.CloseWrite()
	var reply JoinReply
	if err := wire.NewReader(st, maxRosterFrame).ReadFrame(&reply); err != nil {
		return JoinReply{}, retryable(err), errorf(CodeUnavailable, "read join reply from %s: %v", info.ID, err)
	}
	return reply, false, nil
}

// reachInviter connects to the inviter, dialling again (up to
// joinDialAttempts, within ctx: joinDialTimeout) when a dial fails. One
// dial is not the join's whole chance: libp2p gives each address its own
// shorter limit (5 s on a LAN), which a busy machine's handshake can pass,
// and a connection can be reset while the inviter's node starts. Each
// attempt clears the dial backoff the failed one left on the inviter.
func (s *Service) reachInviter(ctx context.Context, info peer.AddrInfo) error {
	var err error
	for attempt := 1; ; attempt++ {
		p2p.ClearDialBackoff(s.host.Host, info.ID)
		if err = s.host.Host.Connect(ctx, info); err == nil || attempt >= joinDialAttempts || ctx.Err() != nil {
			return err
		}
		s.log.Info("join: cannot reach the inviter yet; dialling again", "attempt", attempt, "err", err)
		select {
		case <-time.After(joinRetryPause):
		case <-ctx.Done():
			return err
		}
	}
}
