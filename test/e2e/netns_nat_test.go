package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// linkTo returns the link n's browse shows to member name ("" if none).
func linkTo(n *Node, name string) string {
	es, err := browseOf(n)
	if err != nil {
		return ""
	}
	for _, e := range es {
		if e.Name == name {
			return e.Link
		}
	}
	return ""
}

// natHome builds home i: a router namespace on the WAN bridge at
// WANNet.i with a NAT (symmetric or port-preserving), and a host behind
// it at 10.77.i.2; it returns the host's namespace.
func natHome(l *netLab, wan string, i int, symmetric bool) string {
	r := l.ns(fmt.Sprintf("r%d", i))
	h := l.ns(fmt.Sprintf("a%d", i))
	l.plug(r, "wan0", fmt.Sprintf("%s.%d/24", WANNet, i), wan, "br0", fmt.Sprintf("pr%d", i))
	l.run("ip", "-n", r, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", h)
	l.run("ip", "-n", r, "addr", "add", fmt.Sprintf("10.77.%d.1/24", i), "dev", "lan0")
	l.run("ip", "-n", r, "link", "set", "lan0", "up")
	l.run("ip", "-n", h, "addr", "add", fmt.Sprintf("10.77.%d.2/24", i), "dev", "eth0")
	l.run("ip", "-n", h, "link", "set", "eth0", "up")
	l.run("ip", "-n", h, "route", "add", "default", "via", fmt.Sprintf("10.77.%d.1", i))
	if symmetric {
		l.symmetricNAT(r, "wan0")
	} else {
		l.masquerade(r, "wan0")
	}
	return h
}

// The common workgroup, with no --reachability flag anywhere: one member
// on a public address, two at home behind port-preserving NATs, one
// behind a symmetric NAT (reached only relayed). AutoNAT
// v1 alone never judges the public member (only peers with a public
// address of their own would be asked to dial it back), so before the
// host ran the relay service on members with a public address the home
// members got no relay and never reached each other. Now they reach each
// other relayed through the public member, then hole-punched; and once
// the public member is gone, they still see each other online.
func TestNetnsNATNoFlags(t *testing.T) {
	l := newNetLab(t)
	wan := l.ns("wan")
	l.bridge(wan, "br0")
	pub := l.ns("pub")
	l.plug(pub, "eth0", WANNet+".10/24", wan, "br0", "ppub")
	p := l.node("public", pub, WANNet+".10")
	p.Start()
	a := l.node("amy", natHome(l, wan, 1, false), "10.77.1.2")
	a.Start()
	b := l.node("ben", natHome(l, wan, 2, false), "10.77.2.2")
	b.Start()
	c := l.node("cat", natHome(l, wan, 3, true), "10.77.3.2")
	c.Start()
	createWorkgroup(t, "nat", p, a, b, c)

	start := time.Now()
	Eventually(t, 60*time.Second, func() error {
		if err := browseShows(a, "online", []string{"ben"}, "relayed", "hole-punched"); err != nil {
			return err
		}
		return browseShows(b, "online", []string{"amy"}, "relayed", "hole-punched")
	})
	t.Logf("home members reach each other after %s", time.Since(start).Round(time.Millisecond))
	Eventually(t, 45*time.Second, func() error {
		if la, lb := linkTo(a, "ben"), linkTo(b, "amy"); la != "hole-punched" && lb != "hole-punched" {
			return fmt.Errorf("amy-ben link is %q / %q, want hole-punched", la, lb)
		}
		return nil
	})
	t.Logf("amy-ben hole-punched %s after start", time.Since(start).Round(time.Millisecond))
	// status says who relays and for whom, and that amy can hole punch.
	if st := p.Status().Network; !st.Relaying {
		t.Fatalf("public member's status: %+v, want relaying", st)
	}
	if st := a.Status().Network; !slices.Contains(st.Relays, p.Status().PeerID) || st.HolePunch != "ready" || st.Connected < 2 {
		t.Fatalf("amy's status: %+v, want the public member as relay, hole punching ready", st)
	}
	// Behind a symmetric NAT, without flags too, links stay relayed.
	Eventually(t, 30*time.Second, func() error {
		if err := browseShows(c, "online", []string{"amy", "ben"}, "relayed"); err != nil {
			return err
		}
		return browseShows(a, "online", []string{"cat"}, "relayed")
	})

	// The public member dies (its relayed links with it): amy and ben
	// keep their direct link, and presence flows over it, so they keep
	// seeing each other online. Before gossip moved off the relayed link
	// they showed each other offline from about 7 s to 31 s after; 20 s
	// is nearly three presence timeouts (3 intervals + 1 s).
	p.Kill()
	cut := time.Now()
	for time.Since(cut) < 20*time.Second {
		if err := browseShows(a, "online", []string{"ben"}); err != nil {
			t.Fatalf("%s after the relay member died: %v", time.Since(cut).Round(time.Second), err)
		}
		if err := browseShows(b, "online", []string{"amy"}); err != nil {
			t.Fatalf("%s after the relay member died: %v", time.Since(cut).Round(time.Second), err)
		}
		time.Sleep(time.Second)
	}
}

// Three members each behind its own NAT, one public member on the WAN.
// amy and ben sit behind port-preserving ("cone") NATs, cat behind a
// symmetric one (random port per connection). The NATed members know no
// address of each other: they find each other through the workgroup DHT
// on the public member and reach each other over a circuit relay on it.
// amy and ben's link then turns direct by a hole punch (DCUtR over QUIC),
// and browse shows it hole-punched; cat's links stay relayed and work,
// chat included (chatRelayed).
func TestNetnsNATRelay(t *testing.T) {
	t.Parallel()
	l := newNetLab(t)
	wan := l.ns("wan")
	l.bridge(wan, "br0")
	pub := l.ns("pub")
	l.plug(pub, "eth0", WANNet+".10/24", wan, "br0", "ppub")
	var behind []string
	for i := 1; i <= 3; i++ {
		behind = append(behind, natHome(l, wan, i, i == 3))
	}
	p := l.node("public", pub, WANNet+".10")
	p.Start("--reachability", "public")
	a := l.node("amy", behind[0], "10.77.1.2")
	a.Start("--reachability", "private")
	b := l.node("ben", behind[1], "10.77.2.2")
	b.Start("--reachability", "private")
	c := l.node("cat", behind[2], "10.77.3.2")
	c.Start("--reachability", "private")
	createWorkgroup(t, "nat", p, a, b, c)

	names := []string{"public", "amy", "ben", "cat"}
	start := time.Now()
	Eventually(t, 60*time.Second, func() error {
		for _, n := range []*Node{a, b, c} {
			var others []string
			for _, o := range names[1:] {
				if o != n.Name {
					others = append(others, o)
				}
			}
			if err := browseShows(n, "online", others, "relayed", "hole-punched"); err != nil {
				return err
			}
		}
		return nil
	})
	t.Logf("NATed members reach each other after %s", time.Since(start).Round(time.Millisecond))
	Eventually(t, 20*time.Second, func() error { return allSeeAll([]*Node{p, a, b, c}, names, "online") })

	// Where both NATs let it through, the relayed link turns direct.
	Eventually(t, 45*time.Second, func() error {
		if la, lb := linkTo(a, "ben"), linkTo(b, "amy"); la != "hole-punched" && lb != "hole-punched" {
			return fmt.Errorf("amy-ben link is %q / %q, want hole-punched", la, lb)
		}
		return nil
	})
	t.Logf("amy-ben hole-punched %s after start; amy sees ben %q, ben sees amy %q",
		time.Since(start).Round(time.Millisecond), linkTo(a, "ben"), linkTo(b, "amy"))
	for _, e := range a.Browse() {
		t.Logf("amy browses %s: %s link, rtt %s, addrs %v", e.Name, e.Link, time.Duration(e.RTT), e.Addrs)
	}
	// Behind the symmetric NAT no punch can work: cat's links stay
	// relayed, and still carry browse.
	for _, pair := range [][2]*Node{{a, c}, {c, a}, {b, c}, {c, b}} {
		if got := linkTo(pair[0], pair[1].Name); got != "relayed" {
			t.Errorf("%s reaches %s by a %q link; behind a symmetric NAT it must stay relayed", pair[0].Name, pair[1].Name, got)
		}
	}
	if err := browseShows(c, "online", names); err != nil {
		t.Fatal(err)
	}
	chatRelayed(t, a, c)
}
