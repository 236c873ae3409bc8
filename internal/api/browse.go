package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// PresenceRequest sets this node's presence.
type PresenceRequest struct {
	State string `json:"state"` // online, away or busy
	Text  string `json:"text,omitempty"`
}

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
	last     map[peer.ID][]any // the last answer of each member
	asking   map[peer.ID]chan struct{}
	slots    chan struct{} // requests under way, at most browseAsks
}

// browseAsks bounds the share requests under way at once.
const browseAsks = 16

func newShareLists(sharesOf SharesFunc) *shareLists {
	return &shareLists{sharesOf: sharesOf, last: map[peer.ID][]any{}, asking: map[peer.ID]chan struct{}{},
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
		out := make([]any, 0, len(infos))
		for _, si := range infos {
			out = append(out, si)
		}
		l.last[m.PeerID] = out
	}()
	return done
}

// fill asks every reachable member for the shares this node may see
// there and waits up to browseWait (or until ctx ends) for the answers;
// a member that has not answered by then is listed with its last known
// shares (none if it never answered). Members shown offline are not
// asked and list none: a member cut off by the network can keep a
// connection that looks open for a while.
func (l *shareLists) fill(ctx context.Context, entries []discovery.Entry) {
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

// DiscoveryRoutes declares browse and presence endpoints. sharesOf (may be
// nil) fills each member's shares in browse.
func DiscoveryRoutes(d *discovery.Service, p *presence.Service, dir workgroup.Directory, sharesOf SharesFunc) func(*Server) {
	var lists *shareLists
	if sharesOf != nil {
		lists = newShareLists(sharesOf)
	}
	return func(s *Server) {
		Handle(s, "GET /v1/browse", "Every member of a workgroup with presence, last seen, addresses, link type and round-trip time",
			func(ctx context.Context, r *http.Request, _ Empty) ([]discovery.Entry, error) {
				w, err := workgroup.Resolve(dir, r.URL.Query().Get("workgroup"))
				if err != nil {
					return nil, BadRequest("%v", err)
				}
				entries := d.Browse(w.ID)
				if lists != nil {
					lists.fill(ctx, entries)
				}
				return entries, nil
			}, "workgroup")
		Handle(s, "GET /v1/presence", "This node's presence: chosen state, text, logged on, and what others see",
			func(ctx context.Context, r *http.Request, _ Empty) (presence.Status, error) {
				return p.Self(), nil
			})
		Handle(s, "POST /v1/presence", "Set this node's presence state (online, away, busy) and text",
			func(ctx context.Context, r *http.Request, req PresenceRequest) (presence.Status, error) {
				st, err := p.Set(ctx, req.State, req.Text)
				if err != nil {
					return st, BadRequest("%v", err)
				}
				return st, nil
			})
		Handle(s, "POST /v1/logon", "Appear to the workgroups with the chosen presence again",
			func(ctx context.Context, r *http.Request, _ Empty) (presence.Status, error) {
				return p.Logon(ctx)
			})
		Handle(s, "POST /v1/logoff", "Appear offline (the node keeps relaying and receiving)",
			func(ctx context.Context, r *http.Request, _ Empty) (presence.Status, error) {
				return p.Logoff(ctx)
			})
	}
}
