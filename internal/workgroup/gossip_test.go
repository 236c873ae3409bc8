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

	"github.com/peerhood/peerhood/internal/testutil"
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
	_ = a.host.Network().ClosePeer(b.host.ID())
	testutil.Eventually(t, 5*time.Second, func() error {
		if a.connected(b) || b.connected(a) {
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
					var d string
					for _, c := range bravo.host.Network().ConnsToPeer(charlie.host.ID()) {
						d += " conn " + c.Stat().Direction.String()
						for _, st := range c.GetStreams() {
							d += " [" + string(st.Protocol()) + " " + st.Stat().Direction.String() + "]"
						}
					}
					for _, c := range charlie.host.Network().ConnsToPeer(bravo.host.ID()) {
						d += " CH conn " + c.Stat().Direction.String()
						for _, st := range c.GetStreams() {
							d += " [" + string(st.Protocol()) + " " + st.Stat().Direction.String() + "]"
						}
					}
					d += " charlie sees bravo: " + fmt.Sprint(slices.Contains(topicPeers(t, charlie, TopicName(wg.ID)), bravo.host.ID()))
					return errors.New("bravo does not hold charlie as a roster gossip subscriber" + d)
				}
				return nil
			})
		})
	}
}
