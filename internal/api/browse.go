package api

import (
	"context"
	"net/http"
	"sync"
	"time"

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

// browseSharesTimeout bounds how long browse waits for one member's shares.
const browseSharesTimeout = 3 * time.Second

// fillShares asks every reachable member (at most 16 at a time) for the
// shares this node may see there. A member that does not answer in time
// is listed with no shares. Members shown offline are not asked: a
// member cut off by the network can keep a connection that looks open
// for a while, and asking it held every browse for the whole timeout.
func fillShares(ctx context.Context, entries []discovery.Entry, sharesOf SharesFunc) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range entries {
		e := &entries[i]
		if e.Link == "" || e.Presence == presence.Offline { // its shares are not known now
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, browseSharesTimeout)
			defer cancel()
			infos, err := sharesOf(cctx, e.Member)
			if err != nil {
				return
			}
			out := make([]any, 0, len(infos))
			for _, si := range infos {
				out = append(out, si)
			}
			e.Shares = out
		}()
	}
	wg.Wait()
}

// DiscoveryRoutes declares browse and presence endpoints. sharesOf (may be
// nil) fills each member's shares in browse.
func DiscoveryRoutes(d *discovery.Service, p *presence.Service, dir workgroup.Directory, sharesOf SharesFunc) func(*Server) {
	return func(s *Server) {
		Handle(s, "GET /v1/browse", "Every member of a workgroup with presence, last seen, addresses, link type and round-trip time",
			func(ctx context.Context, r *http.Request, _ Empty) ([]discovery.Entry, error) {
				w, err := workgroup.Resolve(dir, r.URL.Query().Get("workgroup"))
				if err != nil {
					return nil, BadRequest("%v", err)
				}
				entries := d.Browse(w.ID)
				if sharesOf != nil {
					fillShares(ctx, entries, sharesOf)
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
