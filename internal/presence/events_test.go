package presence

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// nextPresence returns the next presence.changed event about p.
func nextPresence(t *testing.T, sub *events.Subscription, p peer.ID) events.PresenceChanged {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for presence of %s: %v", p, err)
		}
		var pc events.PresenceChanged
		if err := ev.Decode(&pc); err != nil {
			t.Fatal(err)
		}
		if ev.Workgroup != wg {
			t.Fatalf("event of workgroup %q", ev.Workgroup)
		}
		if pc.Peer == p.String() {
			return pc
		}
	}
}

// Each change of what a node shows for a member, and of its own
// presence, is one presence.changed event.
func TestPresenceEvents(t *testing.T) {
	a, b := newHost(t), newHost(t)
	ma, mb := member(a, "a"), member(b, "b")
	bus := events.New(events.Options{})
	defer bus.Close()
	sub := bus.Subscribe(events.Filter{Kinds: []events.Kind{events.KindPresenceChanged}})
	pa, err := New(Config{Host: a, Dir: workgroup.NewStaticDirectory(a.ID(), ma, mb), Interval: 300 * time.Millisecond, Events: bus})
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pa.Close() })
	pb := start(t, b, workgroup.NewStaticDirectory(b.ID(), ma, mb))
	connect(t, a, b)

	want := func(got, w events.PresenceChanged) {
		t.Helper()
		if got != w {
			t.Fatalf("got %+v, want %+v", got, w)
		}
	}
	bid := b.ID().String()
	want(nextPresence(t, sub, b.ID()), events.PresenceChanged{Peer: bid, Name: "b", State: Online, Previous: Offline})
	if _, err := pb.Set(context.Background(), Away, "lunch"); err != nil {
		t.Fatal(err)
	}
	want(nextPresence(t, sub, b.ID()), events.PresenceChanged{Peer: bid, Name: "b", State: Away, Text: "lunch", Previous: Online})
	if _, err := pa.Set(context.Background(), Busy, "call"); err != nil {
		t.Fatal(err)
	}
	want(nextPresence(t, sub, a.ID()), events.PresenceChanged{Peer: a.ID().String(), Name: "a", State: Busy, Text: "call", Previous: Online})
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	want(nextPresence(t, sub, b.ID()), events.PresenceChanged{Peer: bid, Name: "b", State: Offline, Previous: Away})
}
