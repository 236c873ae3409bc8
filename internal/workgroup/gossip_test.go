package workgroup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// joinSub joins topic on n's gossipsub and subscribes to it.
func joinSub(t *testing.T, n *tnode, topic string) (*pubsub.Topic, *pubsub.Subscription) {
	t.Helper()
	ps, err := n.host.PubSub()
	if err != nil {
		t.Fatal(err)
	}
	tp, err := ps.Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := tp.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Cancel)
	return tp, sub
}

// topicPeers lists the peers n's router holds as subscribed to topic.
func topicPeers(t *testing.T, n *tnode, topic string) []peer.ID {
	t.Helper()
	ps, err := n.host.PubSub()
	if err != nil {
		t.Fatal(err)
	}
	return ps.ListPeers(topic)
}

func disconnect(t *testing.T, a, b *tnode) {
	t.Helper()
	// The roster sync may dial the peer again meanwhile (its loop runs
	// every second here): close again until both ends see no connection.
	testutil.Eventually(t, 15*time.Second, func() error {
		if a.connected(b) || b.connected(a) {
			_ = a.host.Network().ClosePeer(b.host.ID())
			_ = b.host.Network().ClosePeer(a.host.ID())
			return errors.New("still connected")
		}
		return nil
	})
}

// Issue 16 item 9: alpha is in office and lab; bravo is in lab only and
// hostile: it subscribes to office's roster and presence topics. When
// alpha dials bravo, bravo must get no office gossip: alpha's router
// must not hold bravo as a subscriber of any office topic, and office
// messages alpha publishes must not reach it, while lab gossip does.
func TestGossipStaysInItsWorkgroup(t *testing.T) {
	t.Parallel()
	alpha, bravo := newTNode(t, "alpha"), newTNode(t, "bravo")
	office := mustCreate(t, alpha, "office")
	lab := mustCreate(t, alpha, "lab")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{Workgroup: lab.ID}), "")
	if _, ok := alpha.svc.roster.Member(lab.ID, bravo.host.ID()); !ok {
		t.Fatal("bravo is no lab member at alpha")
	}
	disconnect(t, alpha, bravo)

	officeTopics := []string{TopicName(office.ID), "/peerhood/wg/" + office.ID + "/presence"}
	labProbe := "/peerhood/wg/" + lab.ID + "/probe"
	var stolen []*pubsub.Subscription
	for _, tp := range officeTopics {
		_, sub := joinSub(t, bravo, tp)
		stolen = append(stolen, sub)
	}
	_, labSub := joinSub(t, bravo, labProbe)
	officePresence, _ := joinSub(t, alpha, officeTopics[1])
	labTopic, _ := joinSub(t, alpha, labProbe)

	if err := alpha.dial(bravo); err != nil {
		t.Fatal(err)
	}
	// bravo's subscriptions all came in one hello packet: once the lab
	// one is in, the office ones have been judged.
	testutil.Eventually(t, 10*time.Second, func() error {
		if !slices.Contains(topicPeers(t, alpha, labProbe), bravo.host.ID()) {
			return errors.New("alpha does not see bravo on the lab topic yet")
		}
		return nil
	})
	for _, tp := range officeTopics {
		if slices.Contains(topicPeers(t, alpha, tp), bravo.host.ID()) {
			t.Errorf("alpha holds lab-only bravo as a subscriber of %s", tp)
		}
	}

	alpha.svc.publish(office.ID, Bundle{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := officePresence.Publish(ctx, []byte("office presence")); err != nil {
		t.Fatal(err)
	}
	if err := labTopic.Publish(ctx, []byte("lab")); err != nil {
		t.Fatal(err)
	}
	if _, err := labSub.Next(ctx); err != nil {
		t.Fatalf("bravo got no lab gossip: %v", err)
	}
	// The office messages left before the lab one; give stragglers a
	// moment anyway.
	for i, sub := range stolen {
		wctx, wcancel := context.WithTimeout(context.Background(), time.Second)
		m, err := sub.Next(wctx)
		wcancel()
		if err == nil {
			t.Errorf("lab-only bravo received office gossip on %s from %s", officeTopics[i], m.GetFrom())
		}
	}
}

// A member learnt while connected (on probation inbound, or by the
// roster sync of an outbound connection) has its gossip subscriptions
// judged again: it ends up subscribed at the other end.
func TestGossipAfterMembershipLearnt(t *testing.T) {
	t.Parallel()
	for _, dir := range []network.Direction{network.DirInbound, network.DirOutbound} {
		t.Run(dir.String(), func(t *testing.T) {
			bravo, charlie, wg := joinedWhileAway(t)
			var err error
			if dir == network.DirInbound {
				err = charlie.dial(bravo)
			} else {
				err = bravo.dial(charlie)
			}
			if err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 15*time.Second, func() error {
				if !slices.Contains(topicPeers(t, bravo, TopicName(wg.ID)), charlie.host.ID()) {
					return errors.New("bravo does not hold charlie as a roster gossip subscriber;" + gossipStreams(t, bravo, charlie, wg))
				}
				return nil
			})
		})
	}
}

// Every protocol checks the workgroup its stream is about: a lab-only
// member that asks alpha (in office and lab) for office's roster is
// refused and given no item of it.
func TestRosterSyncOfAnotherWorkgroupRefused(t *testing.T) {
	t.Parallel()
	alpha, bravo := newTNode(t, "alpha"), newTNode(t, "bravo")
	office := mustCreate(t, alpha, "office")
	lab := mustCreate(t, alpha, "lab")
	mustJoin(t, bravo, mustInvite(t, alpha, InviteOptions{Workgroup: lab.ID}), "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := bravo.host.NewStream(ctx, alpha.host.ID(), p2p.ProtoRoster)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := wire.WriteFrame(st, SyncHello{Workgroup: office.ID}); err != nil {
		t.Fatal(err)
	}
	var reply SyncReply
	if err := wire.NewReader(st, maxRosterFrame).ReadFrame(&reply); err != nil {
		t.Fatal(err)
	}
	if reply.Error == nil || reply.Error.Code != wire.CodeNotMember || len(reply.Items.Certs)+len(reply.Items.Revs) > 0 {
		t.Fatalf("a lab-only member asking office's roster got %+v", reply)
	}
}

// gossipStreams describes the gossip streams between a and b, and
// whether b holds a as a roster gossip subscriber (for failures).
func gossipStreams(t *testing.T, a, b *tnode, wg Info) string {
	var d string
	for _, n := range [][2]*tnode{{a, b}, {b, a}} {
		for _, c := range n[0].host.Network().ConnsToPeer(n[1].host.ID()) {
			d += fmt.Sprintf(" %s: conn %s", n[0].name, c.Stat().Direction)
			for _, st := range c.GetStreams() {
				d += fmt.Sprintf(" [%s %s]", st.Protocol(), st.Stat().Direction)
			}
		}
	}
	return d + fmt.Sprintf("; %s holds %s: %v", b.name, a.name, slices.Contains(topicPeers(t, b, TopicName(wg.ID)), a.host.ID()))
}
