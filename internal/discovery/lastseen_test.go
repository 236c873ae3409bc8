package discovery

import (
	"context"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/testutil"
)

// TestLoggedOffShowsNoLinkAndLastSeenSurvivesRestart: a member that logs
// off appears offline with no link or RTT, though still connected; and
// after this node's discovery and presence restart (presence has heard
// nobody yet), browse still says when it was last seen, from the
// database.
func TestLoggedOffShowsNoLinkAndLastSeenSurvivesRestart(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2, clusterOpts{interval: 300 * time.Millisecond, noDHT: true})
	a, b := nodes[0], nodes[1]
	seed(t, a, b)
	startAll(t, nodes)
	entry := func(n *node, of *node) Entry {
		for _, e := range n.disc.Browse(testWG) {
			if e.PeerID == of.id {
				return e
			}
		}
		t.Fatalf("%s does not list %s", n.name, of.name)
		return Entry{}
	}
	testutil.Eventually(t, 30*time.Second, func() error {
		if e := entry(a, b); e.Presence != presence.Online || e.Link == "" {
			return errorf("a sees b %s, link %q", e.Presence, e.Link)
		}
		return nil
	})
	if _, err := b.pres.Logoff(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() error {
		if e := entry(a, b); e.Presence != presence.Offline || e.Link != "" || e.RTT != 0 || e.LastSeen == nil {
			return errorf("a sees b %s, link %q, rtt %s, last seen %v", e.Presence, e.Link, e.RTT, e.LastSeen)
		}
		return nil
	})
	seen := *entry(a, b).LastSeen

	// Restart a's presence and discovery on the same database.
	a.disc.Close()
	a.pres.Close()
	var err error
	a.pres, err = presence.New(presence.Config{Host: a.host, Dir: a.dir, Interval: 300 * time.Millisecond, Settings: a.db})
	if err != nil {
		t.Fatal(err)
	}
	if a.disc, err = New(Config{Host: a.host, DB: a.db, Dir: a.dir, Presence: a.pres, NoMDNS: true, NoDHT: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.disc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := a.pres.Of(testWG, b.id).LastSeen; !got.IsZero() {
		t.Fatalf("the new presence service heard b already (%v): the test proves nothing", got)
	}
	e := entry(a, b)
	if e.LastSeen == nil || e.LastSeen.UnixMilli() != seen.UnixMilli() {
		t.Fatalf("after a restart a sees b last seen %v, want %v", e.LastSeen, seen)
	}
}
