package p2p

import (
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
)

// namedStream is a stream known by name only (pickVictim never touches
// it).
type namedStream struct {
	network.Stream
	name string
}

// The victim is the oldest stream of the peer with the most streams in
// negotiation for longer than the grace, or, none being that old, of
// the peer with the most streams; none below the mark.
func TestNegotiationVictim(t *testing.T) {
	// opened: per peer, each stream's age in seconds at the pick (the
	// grace is 1 s); "-" marks one the stream handler has not seen yet.
	cases := []struct {
		name   string
		mark   int
		opened map[string][]string
		want   string // peer/index, "" for none
	}{
		{"below the mark", 10, map[string][]string{"a": {"5", "5"}, "b": {"0"}}, ""},
		{"most held wins over most streams", 4, map[string][]string{"a": {"3", "2", "0"}, "b": {"0.5", "0.5", "0.5", "0", "0"}}, "a/0"},
		{"a young burst is not taken for a hold", 4, map[string][]string{"a": {"2", "0"}, "b": {"0.1", "0.1", "0.1", "0.1", "0.1"}}, "a/0"},
		{"none held: most streams", 4, map[string][]string{"a": {"0.5", "0.5"}, "b": {"0.2", "0.2", "0.1"}}, "b/0"},
		{"oldest the handler has seen", 3, map[string][]string{"a": {"-", "4", "3"}}, "a/1"},
		{"none seen", 2, map[string][]string{"a": {"-", "-"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := time.Unix(1e9, 0)
			g := guardNegotiation(&network.NullResourceManager{})
			g.mark = 1 << 20 // none reset while the streams are opened
			for name, ages := range c.opened {
				p := peer.ID(name)
				for i, age := range ages {
					var secs float64
					if age != "-" {
						if _, err := fmt.Sscan(age, &secs); err != nil {
							t.Fatal(err)
						}
					}
					g.now = func() time.Time { return now.Add(-time.Duration(secs * float64(time.Second))) }
					s, err := g.OpenStream(p, network.DirInbound)
					if err != nil {
						t.Fatal(err)
					}
					if age != "-" {
						g.attach(s.(*negScope), namedStream{name: fmt.Sprintf("%s/%d", name, i)})
					}
				}
			}
			g.mark, g.now = c.mark, func() time.Time { return now }
			var got string
			if sc := g.pickVictim(); sc != nil {
				got = sc.st.(namedStream).name
			}
			if got != c.want {
				t.Fatalf("victim %q, want %q", got, c.want)
			}
		})
	}
}

// A victim is out of the count at once and its slot released; a stream
// that names its protocol or ends leaves nothing counted; once a hold
// ends, nothing stays in the guard nor in the transient scope.
func TestNegotiationGuardReleases(t *testing.T) {
	srv := echoHost(t)
	hostile := []*Host{newTestHost(t, "/ip4/127.0.0.1/tcp/0"), newTestHost(t, "/ip4/127.0.0.1/tcp/0")}
	connectTo(t, srv, hostile...)
	g := srv.Network().ResourceManager().(*negotiationGuard)
	_, stop := holdNegotiation(t, srv, hostile)
	testutil.Eventually(t, 20*time.Second, func() error {
		if n := g.evicted.Load(); n < 2*PeerStreamsInbound {
			return fmt.Errorf("%d streams reset by the guard, waiting for %d", n, 2*PeerStreamsInbound)
		}
		return nil
	})
	if n, held := g.negotiating(), transientInbound(t, srv); n >= TransientStreamsInbound || held >= TransientStreamsInbound {
		t.Fatalf("%d streams counted in negotiation, %d in the transient scope: all slots taken", n, held)
	}
	stop()
	testutil.Eventually(t, 20*time.Second, func() error {
		if n, held := g.negotiating(), transientInbound(t, srv); n != 0 || held != 0 {
			return fmt.Errorf("after the hold: %d streams counted in negotiation, %d in the transient scope", n, held)
		}
		return nil
	})
}
