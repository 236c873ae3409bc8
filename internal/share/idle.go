package share

import (
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// idleTimeout ends a transfer whose peer stops reading or sending.
const idleTimeout = 60 * time.Second

// deadlineStep is how far the clock moves before a transfer pushes its
// stream's deadline forward again. Pushing it on every read cost 1-2% of
// the receiving node's CPU in an upload (a yamux timer reset per frame);
// once a second, a stalled peer still frees the handler between
// idleTimeout-deadlineStep and idleTimeout after its last progress.
const deadlineStep = time.Second

// idleWriter and idleReader push the stream's deadline forward as the
// transfer progresses, so a stalled peer frees the handler after
// idleTimeout.
type idleWriter struct {
	st   network.Stream
	next time.Time // push the deadline again from here on
}

func (w *idleWriter) Write(p []byte) (int, error) {
	if now := time.Now(); !now.Before(w.next) {
		_ = w.st.SetWriteDeadline(now.Add(idleTimeout))
		w.next = now.Add(deadlineStep)
	}
	return w.st.Write(p)
}

type idleReader struct {
	r    io.Reader
	st   network.Stream
	next time.Time
}

func (r *idleReader) Read(p []byte) (int, error) {
	if now := time.Now(); !now.Before(r.next) {
		_ = r.st.SetReadDeadline(now.Add(idleTimeout))
		r.next = now.Add(deadlineStep)
	}
	return r.r.Read(p)
}
