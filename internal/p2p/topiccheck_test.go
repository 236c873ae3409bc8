package p2p

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

// A registered check judges only the per-workgroup topics under its
// suffix, every check must admit, and a removed check judges nothing.
func TestTopicChecks(t *testing.T) {
	var c topicChecks
	alice, bob := peer.ID("alice"), peer.ID("bob")
	removeChat := c.add("chat/", func(p peer.ID, topic string) bool { return p == alice })
	c.add("chat/secret", func(p peer.ID, topic string) bool { return false })
	cases := []struct {
		p     peer.ID
		topic string
		want  bool
	}{
		{alice, "/peerhood/wg/W/chat/open", true},
		{bob, "/peerhood/wg/W/chat/open", false},
		{bob, "/peerhood/wg/W/chat", true},           // the directory: not under "chat/"
		{bob, "/peerhood/wg/W/roster", true},         // another service's topic
		{alice, "/peerhood/wg/W/chat/secret", false}, // both checks must admit
		{bob, "", true},              // the RPC question stays the gate's
		{bob, "/other/chat/x", true}, // not a per-workgroup topic: the gate's
	}
	for _, tc := range cases {
		if got := c.allow(tc.p, tc.topic); got != tc.want {
			t.Errorf("allow(%s, %q) = %v, want %v", tc.p, tc.topic, got, tc.want)
		}
	}
	removeChat()
	if !c.allow(bob, "/peerhood/wg/W/chat/open") {
		t.Error("a removed check still refuses")
	}
}
