package tunnel

import (
	"bufio"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// earlyConn is a tunnel whose request was sent without waiting for the
// offering node's answer (a forward's connection): the client's first
// bytes follow the request at once, and the reply is read before the
// first raw byte. The offering node reads raw bytes only after its
// checks passed and the target answered, so a refused caller's bytes
// never reach the target (they die with the stream); what is saved is
// one round trip per connection.
type earlyConn struct {
	streamEnd
	member, service string
	replyBy         time.Time // the reply must come by then

	mu      sync.Mutex
	replied bool
	err     error     // the refusal, once read
	dl      time.Time // the read deadline the caller set, restored after the reply
}

// dialEarly opens a stream to p and sends req (a tunnel, not a probe or
// a list) without waiting for the reply.
func dialEarly(ctx context.Context, h host.Host, p peer.ID, name string, req Request, replyWait time.Duration) (*earlyConn, error) {
	p2p.ClearDialBackoff(h, p) // a user is waiting
	st, err := h.NewStream(network.WithDialPeerTimeout(ctx, DefaultDialTimeout*2), p, p2p.ProtoTunnel)
	if err != nil {
		return nil, fmt.Errorf("member %s is %w (%v)", name, ErrUnreachable, shortErr(err))
	}
	_ = st.SetWriteDeadline(time.Now().Add(frameTimeout))
	err = wire.WriteFrame(st, req)
	_ = st.SetWriteDeadline(time.Time{})
	if err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("open tunnel to %s:%s: %w", name, req.Service, err)
	}
	return &earlyConn{streamEnd: streamEnd{st: st, br: bufio.NewReaderSize(st, 16)},
		member: name, service: req.Service, replyBy: time.Now().Add(replyWait)}, nil
}

// Read reads the reply first: a refusal is returned as a *RefusedError.
func (c *earlyConn) Read(p []byte) (int, error) {
	if err := c.awaitReply(); err != nil {
		return 0, err
	}
	return c.streamEnd.Read(p)
}

func (c *earlyConn) awaitReply() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.replied || c.err != nil {
		return c.err
	}
	// The reply is waited for until replyBy, whatever the caller's (idle)
	// deadline: a frame is read whole or the tunnel fails.
	_ = c.st.SetReadDeadline(c.replyBy)
	body, err := wire.NewReader(c.br, maxReply).ReadFrameBytes()
	_ = c.st.SetReadDeadline(c.dl)
	if err != nil {
		c.err = fmt.Errorf("open tunnel to %s:%s: %s closed the stream (%v)", c.member, c.service, c.member, err)
		return c.err
	}
	rep, err := DecodeReply(body)
	switch {
	case err != nil:
		c.err = fmt.Errorf("open tunnel to %s:%s: %w", c.member, c.service, err)
	case rep.Err != nil:
		c.err = &RefusedError{Member: c.member, Service: c.service, Wire: rep.Err}
	default:
		c.replied = true
	}
	return c.err
}

// SetReadDeadline records the caller's deadline (kept across the reply).
func (c *earlyConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.dl = t
	c.mu.Unlock()
	return c.st.SetReadDeadline(t)
}

// refusal is why the tunnel was refused or failed before its first raw
// byte (nil if it was not).
func (c *earlyConn) refusal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
