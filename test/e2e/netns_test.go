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

// Two members each behind its own NAT (nftables masquerade) and one
// public member. The NATed members know no address of each other; they
// find each other through the workgroup DHT on the public member, reach
// each other over a circuit relay on it (then directly where the NATs
// allow a hole punch), and browse each other online.
func TestNetnsNATRelay(t *testing.T) {
	l := newNetLab(t)
	wan := l.ns("wan")
	l.bridge(wan, "br0")
	pub := l.ns("pub")
	l.plug(pub, "eth0", "10.77.100.10/24", wan, "br0", "ppub")
	var behind []string
	for i := 1; i <= 2; i++ {
		r := l.ns(fmt.Sprintf("r%d", i))
		h := l.ns(fmt.Sprintf("a%d", i))
		l.plug(r, "wan0", fmt.Sprintf("10.77.100.%d/24", i), wan, "br0", fmt.Sprintf("pr%d", i))
		l.run("ip", "-n", r, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", h)
		l.run("ip", "-n", r, "addr", "add", fmt.Sprintf("10.77.%d.1/24", i), "dev", "lan0")
		l.run("ip", "-n", r, "link", "set", "lan0", "up")
		l.run("ip", "-n", h, "addr", "add", fmt.Sprintf("10.77.%d.2/24", i), "dev", "eth0")
		l.run("ip", "-n", h, "link", "set", "eth0", "up")
		l.run("ip", "-n", h, "route", "add", "default", "via", fmt.Sprintf("10.77.%d.1", i))
		l.masquerade(r, "wan0")
		behind = append(behind, h)
	}
	p := l.node("public", pub, "10.77.100.10")
	p.Start("--reachability", "public")
	a := l.node("amy", behind[0], "10.77.1.2")
	a.Start("--reachability", "private")
	b := l.node("ben", behind[1], "10.77.2.2")
	b.Start("--reachability", "private")
	createWorkgroup(t, "nat", p, a, b)

	names := []string{"public", "amy", "ben"}
	start := time.Now()
	Eventually(t, 60*time.Second, func() error {
		if err := browseShows(a, "online", []string{"ben"}, "relayed", "direct", "hole-punched"); err != nil {
			return err
		}
		return browseShows(b, "online", []string{"amy"}, "relayed", "direct", "hole-punched")
	})
	t.Logf("NATed members reach each other after %s", time.Since(start).Round(time.Millisecond))
	Eventually(t, 20*time.Second, func() error { return allSeeAll([]*Node{p, a, b}, names, "online") })
	links := map[string]bool{}
	for _, e := range a.Browse() {
		if e.Name == "ben" {
			links[e.Link] = true
			t.Logf("amy reaches ben by a %s link, rtt %s, addrs %v", e.Link, time.Duration(e.RTT), e.Addrs)
		}
	}
	// Where the NAT lets a hole punch through, the link turns direct.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && !links["hole-punched"] && !links["direct"] {
		time.Sleep(500 * time.Millisecond)
		for _, e := range a.Browse() {
			if e.Name == "ben" {
				links[e.Link] = true
			}
		}
	}
	t.Logf("links seen from amy to ben: %v", links)
}

// Three members on a bridge; one is cut off. The others see it offline
// within the heartbeat timeout. While it is away a fourth member joins.
// After the heal the cut-off member learns the new member (roster sync)
// and everyone sees everyone online (presence).
func TestNetnsPartitionHeal(t *testing.T) {
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
	createWorkgroup(t, "part", nodes[0], nodes[1], nodes[2])
	Eventually(t, 20*time.Second, func() error { return allSeeAll(nodes[:3], names[:3], "online") })

	l.run("ip", "-n", sw, "link", "set", ports[2], "down") // charlie is cut off
	cut := time.Now()
	Eventually(t, 15*time.Second, func() error {
		if err := browseShows(nodes[0], "offline", []string{"charlie"}); err != nil {
			return err
		}
		return browseShows(nodes[1], "offline", []string{"charlie"})
	})
	t.Logf("partitioned member offline after %s", time.Since(cut).Round(time.Millisecond))

	nodes[3].Start()
	createWorkgroupJoin(t, nodes[0], nodes[3])
	Eventually(t, 20*time.Second, func() error {
		return allSeeAll([]*Node{nodes[0], nodes[1], nodes[3]}, []string{"alpha", "bravo", "delta"}, "online")
	})
	if err := browseShows(nodes[2], "online", []string{"delta"}); err == nil {
		t.Fatal("the cut-off member already sees the new one")
	}

	l.run("ip", "-n", sw, "link", "set", ports[2], "up")
	heal := time.Now()
	Eventually(t, 45*time.Second, func() error { return allSeeAll(nodes, names, "online") })
	t.Logf("roster and presence converged %s after the heal", time.Since(heal).Round(time.Millisecond))
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
