package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Frames of /peerhood/dm/1 (see doc.go).
type dmReq struct {
	Msgs [][]byte `cbor:"1,keyasint"`
}

type dmReply struct {
	Err string `cbor:"1,keyasint,omitempty"`
}

// maxDMFrame caps a /peerhood/dm/1 frame; maxDMBatch the messages in one.
const (
	maxDMFrame = 1 << 20
	maxDMBatch = 32
)

// Direct sends a direct message to a member of wg (by name).
func (s *Service) Direct(ctx context.Context, wg, member, text string, opt SendOptions) (Message, error) {
	kind := KindText
	if opt.Notice {
		kind = KindNotice
	}
	return s.directNamed(ctx, wg, member, kind, text, opt)
}

// Alert sends a member a message its node pops up on the desktop.
func (s *Service) Alert(ctx context.Context, wg, member, text string) (Message, error) {
	return s.directNamed(ctx, wg, member, KindAlert, text, SendOptions{})
}

func (s *Service) directNamed(ctx context.Context, wg, member, kind, text string, opt SendOptions) (Message, error) {
	info, m, err := s.directPeer(wg, member)
	if err != nil {
		return Message{}, err
	}
	return s.directTo(ctx, info.ID, m.PeerID, kind, text, opt, "")
}

// directTo stores a direct message to p and delivers it: live over
// /peerhood/dm/1 when p answers, else through the spool (p's mailboxes).
func (s *Service) directTo(ctx context.Context, wg string, p peer.ID, kind, text string, opt SendOptions, target string) (Message, error) {
	b := body{To: []byte(p), Kind: kind, Text: text, Mentions: s.mentions(wg, text)}
	var err error
	if b.Parent, err = parseRef(opt.Parent); err != nil {
		return Message{}, err
	}
	if b.Target, err = parseRef(target); err != nil {
		return Message{}, err
	}
	m, err := s.send(ctx, wg, b)
	if err != nil {
		return Message{}, err
	}
	s.deliverLater(wg, p, m)
	return s.toMessage(m), nil
}

// deliverLater delivers this node's direct message m to p in the
// background (deliverDM). It is called from API calls, outside the
// service's goroutines: once Close began no delivery starts (one Close
// did not wait for would use the host and the spool after they
// stopped); m goes to the spool at once instead, as when the live path
// fails (the spool closes after the chat).
func (s *Service) deliverLater(wg string, p peer.ID, m *msg) {
	if !s.add(1) {
		s.spoolDM(wg, p, m, errStopping)
		return
	}
	go func() {
		defer s.wg.Done()
		s.deliverDM(wg, p, m)
	}()
}

// deliverDM tries the live path, then the spool.
func (s *Service) deliverDM(wg string, p peer.ID, m *msg) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DirectTimeout)
	err := s.sendDirect(ctx, p, m.raw)
	cancel()
	if err == nil {
		return
	}
	s.spoolDM(wg, p, m, err)
}

// spoolDM queues m for p in the spool (p's mailboxes) after the live
// path failed with err.
func (s *Service) spoolDM(wg string, p peer.ID, m *msg, err error) {
	s.log.Debug("chat: direct delivery failed, through the spool", "to", p, "err", err)
	if s.cfg.Spool == nil {
		s.log.Warn("chat: direct message not delivered (no spool)", "to", p, "err", err)
		return
	}
	if err := s.cfg.Spool.SendChat(context.WithoutCancel(s.ctx), wg, p, m.raw); err != nil {
		s.log.Warn("chat: queue direct message", "to", p, "err", err)
	}
}

// sendDirect hands messages to p over /peerhood/dm/1.
func (s *Service) sendDirect(ctx context.Context, p peer.ID, raws ...[]byte) error {
	if s.cfg.Host.Network().Connectedness(p) != network.Connected {
		return fmt.Errorf("not connected")
	}
	st, err := s.cfg.Host.NewStream(network.WithNoDial(ctx, "chat: only connected"), p, p2p.ProtoDM)
	if err != nil {
		return err
	}
	defer st.Close()
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(dl)
	}
	if err := wire.WriteFrame(st, dmReq{Msgs: raws}); err != nil {
		_ = st.Reset()
		return err
	}
	var rep dmReply
	if err := wire.NewReader(st, maxDMFrame).ReadFrame(&rep); err != nil {
		_ = st.Reset()
		return err
	}
	if rep.Err != "" {
		return fmt.Errorf("refused: %s", rep.Err)
	}
	return nil
}

// serveDM takes direct messages whose author is the stream's peer. The
// handler is the service's work (add): Close resets its stream and waits
// for it; a stream that arrives once Close began is reset unread.
func (s *Service) serveDM(st network.Stream) {
	if !s.add(1) { // Close began: not served
		_ = st.Reset()
		return
	}
	defer s.wg.Done()
	defer st.Close()
	defer context.AfterFunc(s.ctx, func() { _ = st.Reset() })() // Close: the stream ends with the request at hand
	_ = st.SetDeadline(time.Now().Add(s.serveWait()))
	from := st.Conn().RemotePeer()
	var req dmReq
	if err := wire.NewReader(st, maxDMFrame).ReadFrame(&req); err != nil || len(req.Msgs) > maxDMBatch {
		_ = st.Reset()
		return
	}
	var rep dmReply
	for _, raw := range req.Msgs {
		if err := s.takeDM(s.ctx, from, raw); err != nil {
			rep.Err = err.Error()
			break
		}
	}
	_ = wire.WriteFrame(st, rep)
}

// fromSpool takes a direct message that came through the spool (the
// spool checked the sender's signature on the envelope).
func (s *Service) fromSpool(ctx context.Context, wg string, from peer.ID, data []byte) error {
	err := s.takeDM(ctx, from, data)
	if err != nil {
		s.log.Warn("chat: refused a direct message from the spool", "from", from, "err", err)
	}
	return err
}

// takeDM checks a direct message (signed by from, to this node, from a
// member) and stores it once.
func (s *Service) takeDM(ctx context.Context, from peer.ID, raw []byte) error {
	m, err := s.decodeNet(raw)
	if err != nil {
		return err
	}
	s.work.direct.Add(1)
	if m.author() != from || m.to() != s.self || !m.isDM() {
		return fmt.Errorf("%w: not a direct message from %s to this node", errBadMessage, from)
	}
	if _, ok := s.dir.Member(m.Workgroup, from); !ok {
		return fmt.Errorf("%w: %s is not a member of %s", errBadMessage, from, m.Workgroup)
	}
	if _, ok := s.dir.Self(m.Workgroup); !ok {
		return fmt.Errorf("%w: this node is not in workgroup %s", errBadMessage, m.Workgroup)
	}
	if _, err := s.accept(ctx, m); err != nil {
		// Not stored: the reply (or the spool) tells the sender, who
		// sends it again (a full disk here loses no direct message).
		return fmt.Errorf("store direct message from %s: %w", from, err)
	}
	return nil
}

// directPeer resolves the workgroup and the member a direct message goes
// to; a member may not write to itself.
func (s *Service) directPeer(wg, member string) (workgroup.Info, workgroup.Member, error) {
	info, err := s.resolve(wg)
	if err != nil {
		return info, workgroup.Member{}, err
	}
	m, ok := s.dir.ByName(info.ID, member)
	if !ok {
		return info, m, fmt.Errorf("%w: no member %q in workgroup %s", ErrNotFound, member, info.Name)
	}
	if m.PeerID == s.self {
		return info, m, fmt.Errorf("%w: a direct message goes to another member", ErrInvalid)
	}
	return info, m, nil
}
