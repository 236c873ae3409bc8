package tunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// frameTimeout bounds reading a request and writing a reply.
const frameTimeout = 10 * time.Second

func lower(s string) string { return strings.ToLower(s) }

// handle serves one /peerhood/tunnel/1 stream (already past
// workgroup.Guard): the request, the checks (membership of the service's
// workgroup, then its access list), the target dialled only then, the
// reply, and the bytes both ways.
func (s *Service) handle(st network.Stream) {
	// The handler is the service's work from its first byte: counted
	// (track) and its stream reset by Close, so nothing is read, looked
	// up or dialled once Close returned; a stream that arrives once
	// Close began is reset unread.
	own := &handlerStream{st}
	if !s.track(own) {
		return
	}
	defer s.untrack(own)
	_ = st.SetReadDeadline(time.Now().Add(frameTimeout))
	br := bufio.NewReaderSize(st, 16)
	body, err := wire.NewReader(br, maxFrame).ReadFrameBytes()
	if err != nil {
		_ = st.Reset()
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	req, err := DecodeRequest(body)
	if err != nil {
		s.refuse(st, &wire.Error{Code: wire.CodeBadRequest, Message: err.Error()})
		return
	}
	p := st.Conn().RemotePeer()
	if req.List {
		list, err := s.usable(p, req.Workgroup)
		if err != nil {
			s.refuse(st, &wire.Error{Code: wire.CodeInternal, Message: "cannot read the service list"})
			return
		}
		_ = s.reply(st, Reply{OK: true, Services: list})
		_ = st.Close()
		return
	}
	cfg, m, werr := s.authorize(p, req)
	if werr != nil {
		s.serviceStats(req.Service).refused.Add(1)
		s.log.Info("tunnel refused", "peer", p, "service", req.Service, "code", werr.Code)
		s.refuse(st, werr)
		return
	}
	if !s.admit(p) {
		s.refuse(st, &wire.Error{Code: CodeBusy, Message: fmt.Sprintf("you have %d tunnels open to this node: close some", s.opts.MaxPerMember)})
		return
	}
	defer s.release(p)
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.DialTimeout) // Close ends the dial
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", cfg.Target)
	cancel()
	if err != nil {
		s.refuse(st, &wire.Error{Code: CodeTargetDown, Message: fmt.Sprintf("service %q: its target %s does not answer on %s: %v", cfg.Name, cfg.Target, s.selfName(cfg.Workgroup), dialErrText(err))})
		return
	}
	if req.Probe { // the answer names the service's kind and path
		_ = c.Close()
		s.reply(st, Reply{OK: true, Services: []ServiceInfo{cfg.info()}})
		_ = st.Close()
		return
	}
	s.carry(cfg, m, st, br, c.(*net.TCPConn))
}

// carry sends OK and pipes the stream and the target connection (for
// an http service, through the proxy that names the member).
func (s *Service) carry(cfg Config, m workgroup.Member, st network.Stream, br *bufio.Reader, c *net.TCPConn) {
	name := cfg.Name
	stats := s.serviceStats(name)
	both := &closePair{st: st, c: c, service: lower(name), member: m}
	if !s.track(both) {
		return
	}
	defer s.untrack(both)
	stats.active.Add(1)
	stats.total.Add(1)
	defer stats.active.Add(-1)
	if err := s.reply(st, Reply{OK: true}); err != nil {
		_ = st.Reset()
		_ = c.Close()
		return
	}
	var in, out int64
	var err error
	if cfg.Kind == KindHTTP || cfg.Kind == KindPrinter {
		in, out, err = s.proxyHTTP(cfg, m, streamEnd{st, br}, c)
	} else {
		in, out, err = pipe(streamEnd{st, br}, tcpEnd{c}, s.opts.IdleTimeout)
	}
	stats.in.Add(in)
	stats.out.Add(out)
	if err != nil {
		s.log.Debug("tunnel ended with an error", "service", name, "peer", st.Conn().RemotePeer(), "err", err)
	}
}

// authorize finds the service req names and checks that p is a member of
// its workgroup (not_found otherwise, as for a service that does not
// exist) and that its access list lets p use it (forbidden).
func (s *Service) authorize(p peer.ID, req Request) (Config, workgroup.Member, *wire.Error) {
	notFound := &wire.Error{Code: wire.CodeNotFound, Message: fmt.Sprintf("no service %q on this node", req.Service)}
	cfg, err := s.configs.Get(context.Background(), req.Service)
	if err != nil || cfg.Workgroup != req.Workgroup {
		return Config{}, workgroup.Member{}, notFound
	}
	m, ok := s.dir.Member(cfg.Workgroup, p)
	if !ok {
		return Config{}, m, notFound
	}
	if !MayUse(cfg.Rules, m) {
		return Config{}, m, &wire.Error{Code: wire.CodeForbidden, Message: fmt.Sprintf("service %q on %s: %s may not use it", cfg.Name, s.selfName(cfg.Workgroup), m.Name)}
	}
	return cfg, m, nil
}

// usable lists the services of workgroup wg that p may use (none when p
// is not a member of wg).
func (s *Service) usable(p peer.ID, wg string) ([]ServiceInfo, error) {
	m, ok := s.dir.Member(wg, p)
	if !ok {
		return nil, nil
	}
	all, err := s.configs.List(context.Background())
	if err != nil {
		return nil, err
	}
	var out []ServiceInfo
	for _, c := range all {
		if c.Workgroup == wg && MayUse(c.Rules, m) && len(out) < maxList {
			out = append(out, c.info())
		}
	}
	return out, nil
}

// ServicesOf lists the services member m offers this node in m's
// workgroup (for browse, like share.Service.SharesOf): for this node
// itself every service of that workgroup, else m's answer over
// /peerhood/tunnel/1 (bound the call with ctx).
func (s *Service) ServicesOf(ctx context.Context, m workgroup.Member) ([]ServiceInfo, error) {
	if m.PeerID == s.host.ID() {
		all, err := s.configs.List(ctx)
		if err != nil {
			return nil, err
		}
		out := []ServiceInfo{}
		for _, c := range all {
			if c.Workgroup == m.Workgroup {
				out = append(out, c.info())
			}
		}
		return out, nil
	}
	return ServicesAt(ctx, s.host, m.PeerID, m.Name, m.Workgroup)
}

// admit counts one more tunnel of p, unless p is at its limit.
func (s *Service) admit(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perPeer[p] >= s.opts.MaxPerMember {
		return false
	}
	s.perPeer[p]++
	return true
}

func (s *Service) release(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perPeer[p]--; s.perPeer[p] <= 0 {
		delete(s.perPeer, p)
	}
}

func (s *Service) selfName(wg string) string {
	if m, ok := s.dir.Self(wg); ok {
		return m.Name
	}
	return "this node"
}

func (s *Service) reply(st network.Stream, r Reply) error {
	_ = st.SetWriteDeadline(time.Now().Add(frameTimeout))
	err := wire.WriteFrame(st, r)
	_ = st.SetWriteDeadline(time.Time{})
	return err
}

// refuse sends an error reply and ends the stream. A forward's caller
// sends its first bytes without waiting for the reply: they are read and
// dropped (at most refuseDrain, for at most frameTimeout) until the
// caller closes, because closing the stream with data still coming makes
// yamux answer with a reset, which can destroy the reply before the
// caller has read it.
func (s *Service) refuse(st network.Stream, e *wire.Error) {
	if err := s.reply(st, Reply{Err: e}); err != nil {
		_ = st.Reset()
		return
	}
	_ = st.CloseWrite()
	_ = st.SetReadDeadline(time.Now().Add(frameTimeout))
	_, _ = io.CopyN(io.Discard, st, refuseDrain)
	_ = st.Close()
}

// refuseDrain bounds what a refused caller's early bytes may cost.
const refuseDrain = 1 << 20

// dialErrText is the reason a dial failed, without Go's "dial tcp" prefix.
func dialErrText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// handlerStream is a handler's stream as track keeps it: Close resets
// it.
type handlerStream struct{ st network.Stream }

func (h *handlerStream) Close() error { return h.st.Reset() }

// closePair closes a tunnel's stream and its target connection; it
// names the service and the member it carries for, so an access change
// can cut the tunnels it no longer allows (cut).
type closePair struct {
	st      network.Stream
	c       *net.TCPConn
	service string // lower-cased
	member  workgroup.Member
}

func (p *closePair) Close() error {
	_ = p.st.Reset()
	return p.c.Close()
}

// info is the service as a member allowed to use it sees it.
func (c Config) info() ServiceInfo {
	return ServiceInfo{Name: c.Name, Kind: c.Kind, Workgroup: c.Workgroup, Right: RightUse, Path: c.Path}
}
