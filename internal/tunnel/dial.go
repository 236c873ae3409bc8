package tunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// ErrUnreachable reports a member this node cannot open a stream to.
var ErrUnreachable = errors.New("not reachable now")

// RefusedError is the offering node's refusal of a tunnel.
type RefusedError struct {
	Member, Service string
	Wire            *wire.Error // code and message from the offering node
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s:%s: %s", e.Member, e.Service, e.Wire.Message)
}

func (e *RefusedError) Unwrap() error { return e.Wire }

// Conn is an open tunnel on the using side: raw bytes to and from the
// service's target.
type Conn struct {
	streamEnd
	list []ServiceInfo // the answer to a List request
}

// Dial opens a tunnel to service req.Service of member (named name, for
// errors) at peer p. Without a connection to p it dials p first (bound
// by ctx). A refusal is a *RefusedError; a member that cannot be reached
// wraps ErrUnreachable. With req.Probe the returned Conn carries
// nothing: the offering node checked access and reached the target.
// List asks for the services of req.Workgroup the caller may use
// (ServicesAt wraps it).
func Dial(ctx context.Context, h host.Host, p peer.ID, name string, req Request) (*Conn, error) {
	p2p.ClearDialBackoff(h, p) // a user is waiting
	st, err := h.NewStream(network.WithDialPeerTimeout(ctx, DefaultDialTimeout*2), p, p2p.ProtoTunnel)
	if err != nil {
		return nil, fmt.Errorf("member %s is %w (%v)", name, ErrUnreachable, shortErr(err))
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
	defer stop()
	if err := wire.WriteFrame(st, req); err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("open tunnel to %s:%s: %w", name, req.Service, err)
	}
	br := bufio.NewReaderSize(st, 16)
	body, err := wire.NewReader(br, maxReply).ReadFrameBytes()
	if err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("open tunnel to %s:%s: %s closed the stream (%v)", name, req.Service, name, err)
	}
	rep, err := DecodeReply(body)
	if err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("open tunnel to %s:%s: %w", name, req.Service, err)
	}
	if rep.Err != nil {
		_ = st.Close()
		return nil, &RefusedError{Member: name, Service: req.Service, Wire: rep.Err}
	}
	if !stop() { // ctx ended while the reply came: the stream is reset
		return nil, fmt.Errorf("open tunnel to %s:%s: %w", name, req.Service, ctx.Err())
	}
	if req.Probe || req.List {
		_ = st.Close()
		return &Conn{list: rep.Services}, nil
	}
	return &Conn{streamEnd: streamEnd{st: st, br: br}}, nil
}

// shortErr keeps the first line of a libp2p dial error, which can list
// every address tried.
func shortErr(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// ServicesAt asks member p (named name) of workgroup wg for the services
// it lets this node use.
func ServicesAt(ctx context.Context, h host.Host, p peer.ID, name, wg string) ([]ServiceInfo, error) {
	c, err := Dial(ctx, h, p, name, Request{Workgroup: wg, List: true})
	if err != nil {
		return nil, err
	}
	if c.list == nil {
		return []ServiceInfo{}, nil
	}
	return c.list, nil
}
