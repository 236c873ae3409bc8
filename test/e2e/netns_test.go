package e2e

import (
	"fmt"
	"testing"
	"time"
)

// lan builds a switch namespace with a bridge and n hosts on it at
// 10.77.<net>.1..n, and returns the host namespaces, the switch and the
// switch ports.
func lan(l *netLab, net, n int) (hosts []string, sw string, ports []string) {
	sw = l.ns("sw")
	l.bridge(sw, "br0")
	for i := 1; i <= n; i++ {
		h := l.ns(fmt.Sprintf("h%d", i))
		port := fmt.Sprintf("p%d", i)
		l.plug(h, "eth0", fmt.Sprintf("10.77.%d.%d/24", net, i), sw, "br0", port)
		hosts, ports = append(hosts, h), append(ports, port)
	}
	return hosts, sw, ports
}

func allSeeAll(nodes []*Node, names []string, state string) error {
	for _, n := range nodes {
		if err := browseShows(n, state, names); err != nil {
			return err
		}
	}
	return nil
}

// Three hosts on one bridge. They form a workgroup, then every host gets
// a new address and the nodes restart: every address they knew is stale,
// so they can only find each other again by mDNS. Browse on each shows
// all three online over direct links.
func TestNetnsLANmDNS(t *testing.T) {
	t.Parallel()
	l := newNetLab(t)
	hosts, _, _ := lan(l, 1, 3)
	names := []string{"alpha", "bravo", "charlie"}
	var nodes []*Node
	for i, h := range hosts {
		n := l.node(names[i], h, fmt.Sprintf("10.77.1.%d", i+1))
		n.Start()
		nodes = append(nodes, n)
	}
	createWorkgroup(t, "lan", nodes[0], nodes[1], nodes[2])
	Eventually(t, 20*time.Second, func() error { return allSeeAll(nodes, names, "online") })

	for i, n := range nodes {
		n.Stop()
		l.run("ip", "-n", hosts[i], "addr", "flush", "dev", "eth0")
		ip := fmt.Sprintf("10.77.1.%d", i+101)
		l.run("ip", "-n", hosts[i], "addr", "add", ip+"/24", "dev", "eth0")
		n.Listen = []string{"/ip4/" + ip + "/tcp/4317", "/ip4/" + ip + "/udp/4317/quic-v1"}
	}
	start := time.Now()
	for _, n := range nodes {
		n.Start()
	}
	Eventually(t, 20*time.Second, func() error {
		for _, n := range nodes {
			if err := browseShows(n, "online", names, "direct"); err != nil {
				return err
			}
		}
		return nil
	})
	t.Logf("after every address changed, found again by mDNS in %s", time.Since(start).Round(time.Millisecond))
}

// Three members on a bridge; one is cut off. The others see it offline
// within the heartbeat timeout. While it is away a fourth member joins,
// and both sides chat: alpha and bravo in their room with charlie, and
// a direct message and a mail each way. After the heal the cut-off member learns
// the new member (roster sync), everyone sees everyone online
// (presence), every member's history of the room holds every message
// once, in one order, and the direct messages and the mail arrived.
//
// The first cut is short (a Wi-Fi drop): the connections across it
// outlive it and TCP retransmits what they had buffered. The second
// lasts until those connections time out (yamux's keepalive, 30 s +
// 10 s), so after its heal the members dial each other again and the
// room comes back by history sync, the direct messages by the spool.
func TestNetnsPartitionHeal(t *testing.T) {
	t.Parallel()
	l := newNetLab(t)
	hosts, sw, ports := lan(l, 3, 4)
	names := []string{"alpha", "bravo", "charlie", "delta"}
	var nodes []*Node
	for i, h := range hosts {
		nodes = append(nodes, l.node(names[i], h, fmt.Sprintf("10.77.3.%d", i+1)))
	}
	for _, n := range nodes[:3] {
		n.Start()
	}
	alpha, bravo, charlie := nodes[0], nodes[1], nodes[2]
	createWorkgroup(t, "part", alpha, bravo, charlie)
	Eventually(t, 20*time.Second, func() error { return allSeeAll(nodes[:3], names[:3], "online") })
	room := chatBeforeCut(t, alpha, bravo, charlie)

	cutOff := func() time.Time {
		l.run("ip", "-n", sw, "link", "set", ports[2], "down") // charlie is cut off
		cut := time.Now()
		Eventually(t, 15*time.Second, func() error {
			if err := browseShows(alpha, "offline", []string{"charlie"}); err != nil {
				return err
			}
			return browseShows(bravo, "offline", []string{"charlie"})
		})
		t.Logf("partitioned member offline after %s", time.Since(cut).Round(time.Millisecond))
		return cut
	}
	heal := func(cut time.Time) time.Time {
		l.run("ip", "-n", sw, "link", "set", ports[2], "up")
		t.Logf("healed %s after the cut", time.Since(cut).Round(time.Second))
		return time.Now()
	}
	cut := cutOff()
	room = chatWhileCut(t, "first cut", 50, room, alpha, bravo, charlie)

	nodes[3].Start()
	createWorkgroupJoin(t, alpha, nodes[3])
	Eventually(t, 20*time.Second, func() error {
		return allSeeAll([]*Node{alpha, bravo, nodes[3]}, []string{"alpha", "bravo", "delta"}, "online")
	})
	if err := browseShows(charlie, "online", []string{"delta"}); err == nil {
		t.Fatal("the cut-off member already sees the new one")
	}

	before := chatPaths(t, charlie)
	converge(t, heal(cut), 60*time.Second, append([]timedCheck{
		{"after the heal, roster and presence converged", func() error { return allSeeAll(nodes, names, "online") }},
	}, chatHealed("first cut", room, alpha, bravo, charlie)...)...)
	t.Logf("charlie took what it missed by %s", chatPaths(t, charlie).since(before))

	// The second cut, until the connections across it are gone.
	cut = cutOff()
	room = chatWhileCut(t, "second cut", 20, room, alpha, bravo, charlie)
	Eventually(t, 90*time.Second, func() error {
		for _, pair := range [][2]*Node{{charlie, alpha}, {charlie, bravo}, {alpha, charlie}, {bravo, charlie}} {
			if connectedTo(pair[0], pair[1]) {
				return fmt.Errorf("%s still has a connection to %s", pair[0].Name, pair[1].Name)
			}
		}
		return nil
	})
	t.Logf("the connections across the second cut closed %s after it", time.Since(cut).Round(time.Second))
	before = chatPaths(t, charlie)
	converge(t, heal(cut), 60*time.Second, append([]timedCheck{
		{"after the second heal, presence converged", func() error { return allSeeAll(nodes, names, "online") }},
	}, chatHealed("second cut", room, alpha, bravo, charlie)...)...)
	got := chatPaths(t, charlie).since(before)
	t.Logf("charlie took what it missed by %s", got)
	// What alpha and bravo said came by history sync: no connection
	// kept it, and gossip's cache lasts seconds.
	if got.synced < 20 {
		t.Errorf("charlie took %d of the 20 messages said during the second cut by history sync", got.synced)
	}
	if err := roomHolds("ops", room, alpha, bravo, charlie); err != nil {
		t.Fatal(err)
	}
}

// createWorkgroupJoin has admin invite n and n join.
func createWorkgroupJoin(t *testing.T, admin, n *Node) {
	t.Helper()
	var inv struct {
		Token string `json:"token"`
	}
	admin.JSON(&inv, "invite")
	n.MustRun("join", inv.Token)
}
