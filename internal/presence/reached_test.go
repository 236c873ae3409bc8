package presence

import (
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Routine heartbeats of an author connected to every member present are
// applied by their receivers and not forwarded; where the author does
// not reach a member present (a line a - c - b), its heartbeats are
// forwarded as before and that member keeps seeing it online past its
// expiry (3 intervals + 1 s).
func TestReachedHeartbeats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links [][2]int // hosts 0 (a), 1 (b), 2 (c) connected
		// in a window after the start-up publishes, c's validator:
		wantReached, wantAccepted bool
	}{
		{"all connected: nothing forwarded", [][2]int{{0, 1}, {1, 2}, {0, 2}}, true, false},
		{"a line: c forwards a's and b's heartbeats", [][2]int{{0, 2}, {2, 1}}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := []*p2p.Host{newHost(t), newHost(t), newHost(t)}
			ms := []workgroup.Member{member(hs[0], "a"), member(hs[1], "b"), member(hs[2], "c")}
			var ps []*Service
			for _, h := range hs {
				ps = append(ps, start(t, h, workgroup.NewStaticDirectory(h.ID(), ms...)))
			}
			for _, l := range tc.links {
				connect(t, hs[l[0]], hs[l[1]])
			}
			a, b, c := ps[0], ps[1], ps[2]
			testutil.Eventually(t, 5*time.Second, wantState(a, hs[1].ID(), Online, ""))
			testutil.Eventually(t, 5*time.Second, wantState(b, hs[0].ID(), Online, ""))
			// Past the start-up publishes (kickLate 2.5 s), and past b's
			// expiry at a (3 x 300 ms + 1 s) had its heartbeats stopped.
			time.Sleep(3 * time.Second)
			r0, a0 := c.gossipIn.reached.Load(), c.gossipIn.accepted.Load()
			time.Sleep(2500 * time.Millisecond)
			reached, accepted := c.gossipIn.reached.Load()-r0, c.gossipIn.accepted.Load()-a0
			t.Logf("c in 2.5 s: %d heartbeats taken as reached, %d accepted (forwarded)", reached, accepted)
			if (reached > 0) != tc.wantReached || (accepted > 0) != tc.wantAccepted {
				t.Fatalf("c took %d as reached (want some: %v), accepted %d (want some: %v)", reached, tc.wantReached, accepted, tc.wantAccepted)
			}
			for _, w := range []struct {
				s    *Service
				of   int
				name string
			}{{a, 1, "a sees b"}, {b, 0, "b sees a"}, {c, 0, "c sees a"}, {c, 1, "c sees b"}} {
				if err := wantState(w.s, hs[w.of].ID(), Online, "")(); err != nil {
					t.Fatalf("%s: %v", w.name, err)
				}
			}
		})
	}
}
