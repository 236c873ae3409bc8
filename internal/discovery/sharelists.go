package discovery

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// SharesFunc lists the shares of member m that this node may see.
type SharesFunc func(ctx context.Context, m workgroup.Member) ([]share.ShareInfo, error)

// browseSharesTimeout bounds one request for a member's shares;
// browseWait bounds how long browse waits for the answers before it
// lists a member's last known shares instead.
const (
	browseSharesTimeout = 3 * time.Second
	browseWait          = time.Second
)

// shareLists asks members for their shares on behalf of browse and keeps
// the last answer of each, so one member that is slow or cut off (its
// connection still looks open) does not hold every browse for the whole
// request timeout.
type shareLists struct {
	sharesOf SharesFunc
	mu       sync.Mutex
	last     map[peer.ID][]share.ShareInfo // the last answer of each member
	asking   map[peer.ID]chan struct{}
	slots    chan struct{} // requests under way, at most browseAsks
}

// browseAsks bounds the share requests under way at once.
const browseAsks = 16

func newShareLists(sharesOf SharesFunc) *shareLists {
	return &shareLists{sharesOf: sharesOf, last: map[peer.ID][]share.ShareInfo{}, asking: map[peer.ID]chan struct{}{},
		slots: make(chan struct{}, browseAsks)}
}

// ask starts a request to m unless one is under way, and returns a
// channel closed when that request ends.
func (l *shareLists) ask(m workgroup.Member) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if done, ok := l.asking[m.PeerID]; ok {
		return done
	}
	done := make(chan struct{})
	l.asking[m.PeerID] = done
	// The request outlives the browse that started it (bounded by
	// browseSharesTimeout), so its answer serves the next browse.
	go func() {
		defer close(done)
		l.slots <- struct{}{}
		defer func() { <-l.slots }()
		ctx, cancel := context.WithTimeout(context.Background(), browseSharesTimeout)
		defer cancel()
		infos, err := l.sharesOf(ctx, m)
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.asking, m.PeerID)
		if err != nil {
			return
		}
		if infos == nil {
			infos = []share.ShareInfo{}
		}
		l.last[m.PeerID] = infos
	}()
	return done
}

// fill asks every reachable member for the shares this node may see
// there and waits up to browseWait (or until ctx ends) for the answers;
// a member that has not answered by then is listed with its last known
// shares (none if it never answered). Members shown offline are not
// asked and list none: a member cut off by the network can keep a
// connection that looks open for a while.
func (l *shareLists) fill(ctx context.Context, entries []Entry) {
	waits := make([]<-chan struct{}, len(entries))
	for i, e := range entries {
		if e.Link == "" || e.Presence == presence.Offline { // its shares are not known now
			continue
		}
		waits[i] = l.ask(e.Member)
	}
	deadline := time.NewTimer(browseWait)
	defer deadline.Stop()
wait:
	for _, w := range waits {
		if w == nil {
			continue
		}
		select {
		case <-w:
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range entries {
		if waits[i] == nil {
			continue
		}
		if shares, ok := l.last[entries[i].PeerID]; ok {
			entries[i].Shares = shares
		}
	}
}
