package discovery

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/tunnel"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// ServicesFunc lists the TCP services member m lets this node use (the
// tunnel service's ServicesOf).
type ServicesFunc func(ctx context.Context, m workgroup.Member) ([]tunnel.ServiceInfo, error)

// memberLists asks members for a list (their services) on behalf of
// browse and keeps the last answer of each, exactly as shareLists does
// for shares: one request per member under way, browseAsks at once, each
// bounded by browseSharesTimeout; browse waits at most browseWait and
// lists a slow member's last known answer.
//
// A request outlives the browse that started it, so it is the service's
// work: bg's Close ends it (its context) and waits for it, and none
// starts once Close began (Service.bg). A nil bg (tests of the
// lists alone) runs requests on plain goroutines.
type memberLists[T any] struct {
	of     func(context.Context, workgroup.Member) ([]T, error)
	bg     *Service
	mu     sync.Mutex
	last   map[peer.ID][]T
	asking map[peer.ID]chan struct{}
	slots  chan struct{}
}

func newMemberLists[T any](bg *Service, of func(context.Context, workgroup.Member) ([]T, error)) *memberLists[T] {
	return &memberLists[T]{of: of, bg: bg, last: map[peer.ID][]T{}, asking: map[peer.ID]chan struct{}{},
		slots: make(chan struct{}, browseAsks)}
}

// start runs req as the service's work (false: the service is closing,
// req does not run) under the service's context.
func (l *memberLists[T]) start(req func(ctx context.Context)) bool {
	if l.bg == nil {
		go req(context.Background())
		return true
	}
	return l.bg.bg.Go(func() { req(l.bg.ctx) })
}

// ask starts a request to m unless one is under way, and returns a
// channel closed when that request ends. The request outlives the
// browse that started it, so its answer serves the next browse.
func (l *memberLists[T]) ask(m workgroup.Member) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if done, ok := l.asking[m.PeerID]; ok {
		return done
	}
	done := make(chan struct{})
	l.asking[m.PeerID] = done
	started := l.start(func(ctx context.Context) {
		defer close(done)
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			l.mu.Lock()
			delete(l.asking, m.PeerID)
			l.mu.Unlock()
			return
		}
		defer func() { <-l.slots }()
		ctx, cancel := context.WithTimeout(ctx, browseSharesTimeout)
		defer cancel()
		list, err := l.of(ctx, m)
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.asking, m.PeerID)
		if err != nil {
			return
		}
		if list == nil {
			list = []T{}
		}
		l.last[m.PeerID] = list
	})
	if !started {
		delete(l.asking, m.PeerID)
		close(done)
	}
	return done
}

// fill asks every reachable member (this node included: its own list is
// local) and waits up to browseWait or ctx; it returns each entry's last
// known answer (nil: not asked or never answered). Members shown offline
// or not connected are not asked. It reads only the entries' member,
// link and presence, and writes nothing, so it may run beside the
// shares' fill.
func (l *memberLists[T]) fill(ctx context.Context, entries []Entry) [][]T {
	waits := make([]<-chan struct{}, len(entries))
	for i := range entries {
		e := &entries[i] // read only the fields no other fill writes
		if e.Link == "" || e.Presence == presence.Offline {
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
	out := make([][]T, len(entries))
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range entries {
		if waits[i] == nil {
			continue
		}
		out[i] = l.last[entries[i].PeerID]
	}
	return out
}

// serviceLists fills browse entries' Services.
type serviceLists struct {
	l *memberLists[tunnel.ServiceInfo]
}

func newServiceLists(bg *Service, of ServicesFunc) *serviceLists {
	if of == nil {
		return nil
	}
	return &serviceLists{newMemberLists(bg, of)}
}

// start asks for entries' services in the background (beside the
// shares' fill) and returns a wait that, once the answers are in, sets
// each entry's Services on the caller's goroutine. A nil serviceLists
// sets nothing.
func (s *serviceLists) start(ctx context.Context, entries []Entry) (wait func()) {
	if s == nil {
		return func() {}
	}
	done := make(chan [][]tunnel.ServiceInfo, 1)
	go func() { done <- s.l.fill(ctx, entries) }()
	return func() {
		for i, l := range <-done {
			if l != nil {
				entries[i].Services = l
			}
		}
	}
}
