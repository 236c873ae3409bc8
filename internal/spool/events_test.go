package spool

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// withEvents wires a fresh bus into n (before start) and subscribes to it.
func withEvents(n *tnode) *events.Subscription {
	bus := events.New(events.Options{})
	n.t.Cleanup(bus.Close)
	n.mutate = func(c *Config) { c.Events = bus }
	return bus.Subscribe(events.Filter{Kinds: []events.Kind{events.KindJobChanged, events.KindMailArrived}})
}

func nextEvent(t *testing.T, sub *events.Subscription) events.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ev, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for an event: %v", err)
	}
	if ev.Workgroup != testWG {
		t.Fatalf("event %s of workgroup %q", ev.Kind, ev.Workgroup)
	}
	return ev
}

// jobStates reads job.changed events of job id until it reaches final.
func jobStates(t *testing.T, sub *events.Subscription, id, final string) []events.JobChanged {
	t.Helper()
	var out []events.JobChanged
	for len(out) == 0 || out[len(out)-1].State != final {
		ev := nextEvent(t, sub)
		var j events.JobChanged
		if err := ev.Decode(&j); err != nil || ev.Kind != events.KindJobChanged || j.ID != id {
			t.Fatalf("event %+v (%+v): %v", ev, j, err)
		}
		out = append(out, j)
	}
	return out
}

func TestSpoolEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, bob, carol := newTNode(t, "alice"), newTNode(t, "bob"), newTNode(t, "carol")
	group(alice, bob, carol)
	subA, subB := withEvents(alice), withEvents(bob)
	alice.start()
	bob.start()
	connect(t, alice, bob)

	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "hi", Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	got := jobStates(t, subA, jobs[0].ID, StateDelivered)
	states := make([]string, len(got))
	for i, j := range got {
		states[i] = j.State
	}
	if !slices.Equal(states, []string{StateQueued, StateDelivered}) {
		t.Fatalf("job states %v", states)
	}
	if j := got[1]; j.To != "bob" || j.Peer != bob.id.PeerID.String() || j.Kind != KindMail || j.Route != "direct" {
		t.Fatalf("delivered event %+v", j)
	}
	ev := nextEvent(t, subB)
	var m events.MailArrived
	if err := ev.Decode(&m); err != nil || ev.Kind != events.KindMailArrived {
		t.Fatalf("event %+v: %v", ev, err)
	}
	want := events.MailArrived{ID: jobs[0].ID, From: alice.id.PeerID.String(), Name: "alice", Kind: KindMail, Subject: "hi", Size: m.Size}
	if m != want || m.Size == 0 {
		t.Fatalf("mail arrived %+v, want %+v", m, want)
	}

	// carol never starts: her job waits; a cancel is one event.
	jobs, err = alice.svc.Send(ctx, SendRequest{To: []string{"carol"}, Kind: KindMail, Subject: "later"})
	if err != nil {
		t.Fatal(err)
	}
	jobStates(t, subA, jobs[0].ID, StateQueued)
	if _, err := alice.svc.Cancel(ctx, jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	jobStates(t, subA, jobs[0].ID, StateCancelled)
	if _, err := alice.svc.Retry(ctx, jobs[0].ID); err == nil {
		t.Fatal("retried a cancelled job")
	}
	if extra := subA.Take(nil); len(extra) != 0 {
		t.Fatalf("extra events %+v", extra)
	}
}
