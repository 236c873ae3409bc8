package workgroup

import (
	"context"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// newEventNode is newTNode with an event bus wired into the service.
func newEventNode(t *testing.T, name string) (*tnode, *events.Subscription) {
	t.Helper()
	n := &tnode{t: t, name: name, dir: t.TempDir(), bus: events.New(events.Options{})}
	sub := n.bus.Subscribe(events.Filter{Kinds: []events.Kind{events.KindMemberJoined, events.KindMemberRemoved}})
	n.start()
	t.Cleanup(n.stop)
	t.Cleanup(n.bus.Close)
	return n, sub
}

// nextMember returns the next member event: its kind, workgroup, peer and name.
func nextMember(t *testing.T, who string, sub *events.Subscription) (events.Kind, string, events.MemberRemoved) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ev, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("%s: waiting for a member event: %v", who, err)
	}
	var m events.MemberRemoved // MemberJoined's fields and a reason
	if err := ev.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return ev.Kind, ev.Workgroup, m
}

// The admitting admin and the other members (through roster sync) see
// member.joined and member.removed once each, with the member's name.
func TestMemberEvents(t *testing.T) {
	t.Parallel()
	alpha, subA := newEventNode(t, "alpha")
	bravo, subB := newEventNode(t, "bravo")
	charlie := newTNode(t, "charlie")
	wg := mustCreate(t, alpha, "office")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{}), "bravo")
	c := mustJoin(t, charlie, mustInvite(t, alpha, InviteOptions{}), "charlie")
	type seen struct {
		kind         events.Kind
		wg, name, rs string
	}
	want := func(who string, sub *events.Subscription, w seen) {
		t.Helper()
		kind, wgID, m := nextMember(t, who, sub)
		if got := (seen{kind, wgID, m.Name, m.Reason}); got != w {
			t.Fatalf("%s: got %+v, want %+v", who, got, w)
		}
	}
	want("alpha", subA, seen{events.KindMemberJoined, wg.ID, "bravo", ""})
	want("alpha", subA, seen{events.KindMemberJoined, wg.ID, "charlie", ""})
	want("bravo", subB, seen{events.KindMemberJoined, wg.ID, "charlie", ""})
	if _, err := alpha.svc.Remove(context.Background(), wg.ID, "charlie"); err != nil {
		t.Fatal(err)
	}
	want("alpha", subA, seen{events.KindMemberRemoved, wg.ID, "charlie", "revoked"})
	want("bravo", subB, seen{events.KindMemberRemoved, wg.ID, "charlie", "revoked"})
	if _, m := alpha.svc.roster.Member(wg.ID, c.PeerID); m {
		t.Fatal("charlie still a member")
	}
	// Nothing more: each change was published once.
	if extra := append(subA.Take(nil), subB.Take(nil)...); len(extra) != 0 {
		t.Fatalf("extra events %+v", extra)
	}
}
