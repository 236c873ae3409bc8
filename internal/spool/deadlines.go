package spool

import (
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// deadlineStep is how far the clock moves before a stream's write
// deadline is pushed forward again (a yamux deadline costs a timer): a
// write always has idle minus deadlineStep at least.
const deadlineStep = time.Second

// frameWait is how long a control frame may take to arrive whole, given
// the idle timeout: twice it (4 MiB, the largest control frame, at 35 KB/s).
func frameWait(idle time.Duration) time.Duration { return 2 * idle }

// deadlines bounds a deliver or mailbox stream, served (servedStream) or
// opened (sendStream) alike: each read waits idle at most, or less while
// a control frame is being read (it must be whole within frameWait of its
// start however the peer trickles it: a byte every few seconds would
// re-arm the idle deadline forever); each write waits idle at most, the
// deadline pushed on at most once a deadlineStep. One reader and one
// writer: frameBy is the reader's, writeAt the writer's.
type deadlines struct {
	idle    time.Duration
	frameBy time.Time // zero: not reading a control frame
	writeAt time.Time // push the write deadline again from here on
}

// beforeRead sets st's read deadline for the next read.
func (d *deadlines) beforeRead(st network.Stream) {
	dl := time.Now().Add(d.idle)
	if !d.frameBy.IsZero() && d.frameBy.Before(dl) {
		dl = d.frameBy
	}
	_ = st.SetReadDeadline(dl)
}

// beforeWrite pushes st's write deadline on when a deadlineStep went by.
func (d *deadlines) beforeWrite(st network.Stream) {
	if now := time.Now(); !now.Before(d.writeAt) {
		_ = st.SetWriteDeadline(now.Add(d.idle))
		d.writeAt = now.Add(deadlineStep)
	}
}

// frame runs read, which reads one control frame, within frameWait.
func (d *deadlines) frame(read func() error) error {
	d.frameBy = time.Now().Add(frameWait(d.idle))
	defer func() { d.frameBy = time.Time{} }()
	return read()
}
