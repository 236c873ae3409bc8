package davfs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// offlineMemoFor is how long a member found offline is answered as
// offline again without a new dial (unless it connected meanwhile): a
// WebDAV client sends bursts of requests (a GET is a stat and an open; a
// file manager asks for every folder it shows), and each would otherwise
// wait out share's reach dial (1.5 s).
const offlineMemoFor = 3 * time.Second

// offlineError is share's OfflineError as davfs reports it: its own
// sentence ("laptop is offline (last seen 3 min ago); try again ..."),
// and ErrUnavailable, so the answer is a 503 with that text.
type offlineError struct{ *share.OfflineError }

func (e offlineError) Is(target error) bool { return target == ErrUnavailable }

// offlineMemo remembers members found offline (zero value ready).
type offlineMemo struct {
	mu  sync.Mutex
	out map[peer.ID]memoEntry
}

type memoEntry struct {
	err error
	at  time.Time
}

// reach connects member m through share's Reach (the CLI's rule and
// message), or returns its offlineError, remembered for offlineMemoFor.
func (o *offlineMemo) reach(ctx context.Context, svc *share.Service, m workgroup.Member) error {
	if svc.Connected(m.PeerID) {
		return nil
	}
	now := time.Now()
	o.mu.Lock()
	e, ok := o.out[m.PeerID]
	o.mu.Unlock()
	if ok && now.Sub(e.at) < offlineMemoFor {
		return e.err
	}
	err := svc.Reach(ctx, m)
	var off *share.OfflineError
	if !errors.As(err, &off) {
		return err
	}
	err = offlineError{off}
	o.mu.Lock()
	if o.out == nil {
		o.out = map[peer.ID]memoEntry{}
	}
	for p, e := range o.out { // keep the map small
		if now.Sub(e.at) >= offlineMemoFor {
			delete(o.out, p)
		}
	}
	o.out[m.PeerID] = memoEntry{err, now}
	o.mu.Unlock()
	return err
}
