package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// The NAT lab's scenarios beyond finding each other (TestNetnsNATNoFlags,
// TestNetnsNATRelay): chat and mail between two homes, store-and-forward
// through a public mailbox member, and a gateway that loses its mappings.
// No --reachability flag anywhere: members decide for themselves.

// natHomesLab is a WAN with two always-on public members (public: the
// admin; mbox: the mailbox role) and two homes, amy behind a
// port-preserving NAT and ben behind a port-preserving or a symmetric
// one (random outside port per connection). All four are in workgroup
// "homes"; it returns when amy and ben see each other online.
type natHomesLab struct {
	l                  *netLab
	routers            [2]string // amy's and ben's gateway namespaces
	symmetric          bool
	public, mbox       *Node
	amy, ben           *Node
	wantLinks          []string // the amy-ben links browse may show once settled
	started, reachedAt time.Time
}

func newNATHomesLab(t *testing.T, symmetric bool) *natHomesLab {
	l := newNetLab(t)
	wan := l.ns("wan")
	l.bridge(wan, "br0")
	pub, mb := l.ns("pub"), l.ns("mbox")
	l.plug(pub, "eth0", WANNet+".10/24", wan, "br0", "ppub")
	l.plug(mb, "eth0", WANNet+".11/24", wan, "br0", "pmbox")
	lab := &natHomesLab{l: l, symmetric: symmetric, wantLinks: []string{"hole-punched", "direct"}}
	if symmetric {
		lab.wantLinks = []string{"relayed"}
	}
	lab.public = l.node("public", pub, WANNet+".10")
	lab.mbox = l.node("mbox", mb, WANNet+".11")
	amyNS, benNS := natHome(l, wan, 1, false), natHome(l, wan, 2, symmetric)
	lab.routers = [2]string{l.prefix + "-r1", l.prefix + "-r2"}
	lab.amy = l.node("amy", amyNS, "10.77.1.2")
	lab.ben = l.node("ben", benNS, "10.77.2.2")
	lab.started = time.Now()
	var extra []string
	if os.Getenv("PEERHOOD_NATLAB_WATCH_PUNCH") != "" {
		extra = []string{"--log-level", "debug"}
	}
	for _, n := range []*Node{lab.public, lab.mbox, lab.amy, lab.ben} {
		n.Start(extra...)
	}
	createWorkgroup(t, "homes", lab.public, lab.amy, lab.ben)
	var inv struct {
		Token string `json:"token"`
	}
	lab.public.JSON(&inv, "invite", "--mailbox")
	lab.mbox.MustRun("join", inv.Token)
	Eventually(t, 60*time.Second, func() error {
		if err := browseShows(lab.amy, "online", []string{"ben", "mbox"}, "relayed", "hole-punched", "direct"); err != nil {
			return err
		}
		return browseShows(lab.ben, "online", []string{"amy", "mbox"}, "relayed", "hole-punched", "direct")
	})
	lab.reachedAt = time.Now()
	t.Logf("amy and ben (ben's NAT symmetric: %v) see each other online %s after start",
		symmetric, lab.reachedAt.Sub(lab.started).Round(time.Millisecond))
	return lab
}

// settled waits until amy's and ben's links to each other are among
// wantLinks on both ends, in browse and in status, and returns the link.
func (lab *natHomesLab) settled(t *testing.T, timeout time.Duration) string {
	t.Helper()
	Eventually(t, timeout, func() error {
		for _, pair := range [][2]*Node{{lab.amy, lab.ben}, {lab.ben, lab.amy}} {
			if got := linkTo(pair[0], pair[1].Name); !slices.Contains(lab.wantLinks, got) {
				return fmt.Errorf("%s's browse shows its link to %s %q, want one of %v", pair[0].Name, pair[1].Name, got, lab.wantLinks)
			}
			if got := statusLink(pair[0], pair[1]); !slices.Contains(lab.wantLinks, got) {
				return fmt.Errorf("%s's status shows its link to %s %q, want one of %v", pair[0].Name, pair[1].Name, got, lab.wantLinks)
			}
		}
		return nil
	})
	return linkTo(lab.amy, "ben")
}

// statusLink is the link n's status shows to other ("" if none).
func statusLink(n, other *Node) string {
	id := other.Status().PeerID
	for _, p := range n.Status().Peers {
		if p.ID == id {
			return p.Link
		}
	}
	return ""
}

// mailHas checks that n's mail holds exactly one mail with subject, from from.
func mailHas(n *Node, subject, from string) error {
	out, err := n.Run("mail", "ls", "--json")
	if err != nil {
		return err
	}
	var ms []spoolItem
	if err := jsonUnmarshal(out, &ms); err != nil {
		return err
	}
	k := 0
	for _, m := range ms {
		if m.Subject == subject && m.From == from {
			k++
		}
	}
	if k != 1 {
		return fmt.Errorf("%s holds %d mails %q from %s: %+v", n.Name, k, subject, from, ms)
	}
	return nil
}

// sendMail has from mail to with subject (body: the subject again).
func sendMail(t *testing.T, from *Node, to, subject string) {
	t.Helper()
	if out, err := runStdin(from, subject+"\n", "mail", "send", to, "--subject", subject); err != nil {
		t.Fatalf("mail send: %q %v", out, err)
	}
}

// talk sends a direct chat message and a mail each way between amy and
// ben (tag makes them unique) and waits until all four arrived, each
// once; it logs how long that took.
func (lab *natHomesLab) talk(t *testing.T, tag string, timeout time.Duration) {
	t.Helper()
	a, b := lab.amy, lab.ben
	start := time.Now()
	a.MustRun("msg", "ben", "amy to ben "+tag)
	b.MustRun("msg", "amy", "ben to amy "+tag)
	sendMail(t, a, "ben", "mail amy to ben "+tag)
	sendMail(t, b, "amy", "mail ben to amy "+tag)
	converge(t, start, timeout,
		timedCheck{tag + ": chat message amy to ben arrived", func() error { return hasText(b, "@amy", "amy to ben "+tag) }},
		timedCheck{tag + ": chat message ben to amy arrived", func() error { return hasText(a, "@ben", "ben to amy "+tag) }},
		timedCheck{tag + ": mail amy to ben arrived", func() error { return mailHas(b, "mail amy to ben "+tag, "amy") }},
		timedCheck{tag + ": mail ben to amy arrived", func() error { return mailHas(a, "mail ben to amy "+tag, "ben") }},
	)
}

// deadLinkWithin bounds the time from a gateway's loss of its mappings to
// chat and mail flowing again between the homes through the relay, and
// both ends off the dead direct link: it must be noticed
// (internal/p2p/deadlink.go: about 5 to 7 s; the traffic 8 to 10 s on a
// loaded machine), not left to QUIC's 30 s idle timeout (the old code
// took 30 to 33 s). 20 s leaves a slow CI machine room and still fails
// the old code.
const deadLinkWithin = 20 * time.Second

// talkRelayed is talk after a cut at cut: a chat message and a mail each
// way, and both ends' status showing the amy-ben link off the dead
// direct connection, all within timeout of cut.
func (lab *natHomesLab) talkRelayed(t *testing.T, tag string, cut time.Time, timeout time.Duration) {
	t.Helper()
	a, b := lab.amy, lab.ben
	a.MustRun("msg", "ben", "amy to ben "+tag)
	b.MustRun("msg", "amy", "ben to amy "+tag)
	sendMail(t, a, "ben", "mail amy to ben "+tag)
	sendMail(t, b, "amy", "mail ben to amy "+tag)
	// The dead link is gone: the link in use is relayed, or a direct
	// one opened after the cut (punched again already).
	moved := func(n, other *Node) func() error {
		return func() error {
			id := other.Status().PeerID
			for _, p := range n.Status().Peers {
				if p.ID == id && (p.Link == "relayed" || p.Since.After(cut)) {
					return nil
				} else if p.ID == id {
					return fmt.Errorf("%s's link to %s is %s over %s since %s", n.Name, other.Name, p.Link, p.Addr, p.Since.Format(time.RFC3339Nano))
				}
			}
			return fmt.Errorf("%s is not connected to %s", n.Name, other.Name)
		}
	}
	converge(t, cut, timeout-time.Since(cut),
		timedCheck{tag + ": amy's link to ben moved off the dead one", moved(a, b)},
		timedCheck{tag + ": ben's link to amy moved off the dead one", moved(b, a)},
		timedCheck{tag + ": chat message amy to ben arrived", func() error { return hasText(b, "@amy", "amy to ben "+tag) }},
		timedCheck{tag + ": chat message ben to amy arrived", func() error { return hasText(a, "@ben", "ben to amy "+tag) }},
		timedCheck{tag + ": mail amy to ben arrived", func() error { return mailHas(b, "mail amy to ben "+tag, "amy") }},
		timedCheck{tag + ": mail ben to amy arrived", func() error { return mailHas(a, "mail ben to amy "+tag, "ben") }},
	)
}

// Two members each behind its own NAT and two public members, no flags:
// amy and ben find each other (DHT and relays on the public members),
// browse shows both online with the path in use, status says the same,
// and a chat message and a mail get through each way. Behind two
// port-preserving NATs the link turns direct by a hole punch; with ben
// behind a symmetric NAT it stays relayed and still carries both.
func TestNetnsNATHomesTalk(t *testing.T) {
	for _, c := range []struct {
		name      string
		symmetric bool
	}{{"cone", false}, {"symmetric", true}} {
		t.Run(c.name, func(t *testing.T) {
			lab := newNATHomesLab(t, c.symmetric)
			link := lab.settled(t, 45*time.Second)
			t.Logf("amy-ben link %q %s after start", link, time.Since(lab.started).Round(time.Millisecond))
			lab.talk(t, "("+c.name+")", 30*time.Second)
			// The delivery route the sender's queue shows is the link's.
			wantRoute := "direct"
			if c.symmetric {
				wantRoute = "relayed"
			}
			for _, j := range waitJobs(t, lab.amy, 10*time.Second, "delivered") {
				if j.Route != wantRoute {
					t.Errorf("amy's job to %s went by route %q over a %q link, want %q", j.To, j.Route, link, wantRoute)
				}
			}
		})
	}
}

// Store-and-forward across NATs: ben (behind a symmetric NAT, the hard
// case) is offline; amy mails it, the mail waits with the public mailbox
// member, and amy goes offline too, so only the mailbox can deliver.
// When ben comes back behind its NAT the mailbox tells it at once
// (peerUp / notify, no fetch timer): the figure is the time from ben's
// start to the mail in its inbox, and from then to amy's "delivered"
// once amy is back.
func TestNetnsNATMailboxStoreForward(t *testing.T) {
	lab := newNATHomesLab(t, true)
	a, b := lab.amy, lab.ben
	b.Stop()
	Eventually(t, 20*time.Second, func() error { return browseShows(a, "offline", []string{"ben"}) })
	sendMail(t, a, "ben", "while you were away")
	a.MustRun("msg", "ben", "chat while you were away")
	deposited := waitJobs(t, a, 30*time.Second, "deposited")
	for _, j := range deposited {
		if j.Route != "mailbox:mbox" {
			t.Fatalf("amy's job %+v, want deposited with mailbox:mbox", j)
		}
	}
	a.Stop()

	back := time.Now()
	b.Start()
	up := time.Since(back)
	converge(t, back, 30*time.Second,
		timedCheck{"from ben's start (API up " + up.Round(time.Millisecond).String() + "), the mail in ben's inbox", func() error {
			return mailHas(b, "while you were away", "amy")
		}},
		timedCheck{"from ben's start, the chat message in ben's history", func() error {
			return hasText(b, "@amy", "chat while you were away")
		}},
	)
	// amy back: the receipts waiting in the mailbox turn its jobs delivered.
	aback := time.Now()
	a.Start()
	waitJobs(t, a, 30*time.Second, "delivered")
	t.Logf("amy back: her jobs delivered %s after her start", time.Since(aback).Round(time.Millisecond))
}

// restartGateway gives router namespace ns a fresh network stack, as a
// gateway that reboots or flushes its connection tracking: its
// interfaces move to a new namespace (whose conntrack table is empty),
// get their addresses back, and the same NAT rules. Every mapping is
// lost; the hosts behind it are not touched. wanHost is the last octet
// of its WAN address when it comes back (i: the same address).
func (lab *natHomesLab) restartGateway(i, wanHost int, symmetric bool) {
	l := lab.l
	l.t.Helper()
	old := lab.routers[i-1]
	fresh := l.ns(fmt.Sprintf("r%dx%d", i, time.Now().UnixNano()%1000))
	for _, ifc := range []string{"wan0", "lan0"} {
		l.run("ip", "-n", old, "link", "set", ifc, "netns", fresh)
	}
	l.run("ip", "-n", fresh, "addr", "add", fmt.Sprintf("%s.%d/24", WANNet, wanHost), "dev", "wan0")
	l.run("ip", "-n", fresh, "addr", "add", fmt.Sprintf("10.77.%d.1/24", i), "dev", "lan0")
	l.run("ip", "-n", fresh, "link", "set", "wan0", "up")
	l.run("ip", "-n", fresh, "link", "set", "lan0", "up")
	if symmetric {
		l.symmetricNAT(fresh, "wan0")
	} else {
		l.masquerade(fresh, "wan0")
	}
	lab.routers[i-1] = fresh
}

// Both homes' gateways lose every mapping mid-session (a fresh
// connection-tracking table: a router reboot, a conntrack flush): no
// member restarts, yet amy and ben see each other online again over a
// link of the same kind, and a chat message and a mail get through
// each way.
func TestNetnsNATMappingLost(t *testing.T) {
	for _, c := range []struct {
		name      string
		symmetric bool
	}{{"cone", false}, {"symmetric", true}} {
		t.Run(c.name, func(t *testing.T) {
			lab := newNATHomesLab(t, c.symmetric)
			lab.settled(t, 45*time.Second)
			lab.talk(t, "before the reset", 30*time.Second)

			lab.restartGateway(1, 1, false)
			lab.restartGateway(2, 2, c.symmetric)
			reset := time.Now()
			lab.talk(t, "after the reset", 45*time.Second)
			t.Logf("after the reset, chat and mail through %s later", time.Since(reset).Round(time.Millisecond))
			link := lab.settled(t, 45*time.Second)
			t.Logf("after the reset, amy-ben link %q %s later", link, time.Since(reset).Round(time.Millisecond))
			for _, n := range []*Node{lab.public, lab.mbox, lab.amy, lab.ben} {
				select {
				case <-n.Exited():
					t.Fatalf("%s exited: %s", n.Name, n.Output())
				default:
				}
			}
			if err := browseShows(lab.amy, "online", []string{"public", "mbox", "ben"}); err != nil {
				t.Fatal(err)
			}
			if out := lab.amy.MustRun("browse"); !strings.Contains(out, "ben") {
				t.Fatalf("amy's browse:\n%s", out)
			}
		})
	}
}

// amy's gateway comes back with a new public address (an ISP's new
// lease) and no mappings. amy's connections to the public members
// survive (quic-go follows the new path; libp2p keeps the old address),
// her hole-punched link to ben dies (ben's gateway drops what comes from
// the new address). Both ends notice it within seconds and close it
// (internal/p2p/deadlink.go; before, it stayed until QUIC's idle timeout,
// ~30 s: records/2026-12-01-s17-deadlink.md), and chat and mail go
// relayed, within deadLinkWithin of the cut. No member restarts; the
// link turns direct again: amy re-learns her public address on fresh
// connections to the public members and punches from it (records/
// 2026-12-01-s16-natreaddr.md). Before, it stayed relayed: the puncher
// punched from the old address for 30 min (records/2026-12-01-s15-natlab.md).
// PEERHOOD_NATLAB_WATCH_PUNCH=1 logs amy's and ben's dead links,
// re-observations and punches (their debug log).
func TestNetnsNATNewAddress(t *testing.T) {
	lab := newNATHomesLab(t, false)
	lab.settled(t, 45*time.Second)
	lab.restartGateway(1, 21, false)
	reset := time.Now()
	// The dead direct link is noticed and closed within seconds
	// (internal/p2p/deadlink.go): chat and mail go relayed meanwhile,
	// not after QUIC's 30 s idle timeout.
	lab.talkRelayed(t, "after the new address", reset, deadLinkWithin)
	t.Logf("after the new address, chat and mail through %s later", time.Since(reset).Round(time.Millisecond))
	lab.wantLinks = []string{"hole-punched", "direct"}
	link := lab.settled(t, 90*time.Second-time.Since(reset))
	t.Logf("after the new address, amy-ben link %q %s later", link, time.Since(reset).Round(time.Millisecond))
	for _, n := range []*Node{lab.public, lab.mbox, lab.amy, lab.ben} {
		select {
		case <-n.Exited():
			t.Fatalf("%s exited: %s", n.Name, n.Output())
		default:
		}
	}
	lab.talk(t, "over the new direct link", 30*time.Second)
	if os.Getenv("PEERHOOD_NATLAB_WATCH_PUNCH") != "" { // diagnosis: the re-observation and punches (debug log)
		t.Logf("amy's gateway came back at %s", reset.UTC().Format(time.RFC3339Nano))
		for _, n := range []*Node{lab.amy, lab.ben} {
			for _, line := range strings.Split(n.Output(), "\n") {
				if strings.Contains(line, "re-observ") || strings.Contains(line, "hole punch") || strings.Contains(line, "direct link") {
					t.Logf("%s: %s", n.Name, strings.TrimSpace(line))
				}
			}
		}
	}
}

// linkSince is when the connection n uses to other opened, and its link.
func linkSince(n, other *Node) (time.Time, string) {
	id := other.Status().PeerID
	for _, p := range n.Status().Peers {
		if p.ID == id {
			return p.Since, p.Link
		}
	}
	return time.Time{}, ""
}

// amy's uplink is down for 10 s (her gateway forwards nothing; its
// mappings stay). Her hole-punched link to ben falls silent, and so
// does every other way to her: the dead-link watcher must not close it
// (internal/p2p/deadlink.go closes a silent direct link only when
// another connection to the peer answers). After the outage the same
// connection carries chat and mail again, at both ends. ben sends a
// message during the outage, so his end has something unanswered.
func TestNetnsNATUplinkOutage(t *testing.T) {
	lab := newNATHomesLab(t, false)
	lab.settled(t, 45*time.Second)
	lab.talk(t, "before the outage", 30*time.Second)
	amySince, _ := linkSince(lab.amy, lab.ben)
	benSince, _ := linkSince(lab.ben, lab.amy)

	r := lab.routers[0]
	lab.l.in(r, "nft", "add table inet outage")
	lab.l.in(r, "nft", "add chain inet outage hold { type filter hook forward priority -10; policy drop; }")
	down := time.Now()
	lab.ben.MustRun("msg", "amy", "ben to amy during the outage")
	// A verdict on the silent link (5 to 8 s after): kept.
	Eventually(t, 20*time.Second, func() error {
		out := lab.amy.Output() + lab.ben.Output()
		if !strings.Contains(out, "direct link silent, kept") && !strings.Contains(out, "direct link dead, closed") {
			return fmt.Errorf("no verdict on the silent link yet")
		}
		return nil
	})
	t.Logf("first verdict %s after the uplink went down", time.Since(down).Round(time.Millisecond))
	time.Sleep(10*time.Second - time.Since(down)) // the outage lasts its 10 s
	lab.l.in(r, "nft", "delete table inet outage")
	up := time.Now()
	converge(t, up, 30*time.Second, timedCheck{"message sent during the outage arrived", func() error {
		return hasText(lab.amy, "@ben", "ben to amy during the outage")
	}})
	lab.talk(t, "after the outage", 30*time.Second)
	for _, n := range []*Node{lab.amy, lab.ben} {
		if strings.Contains(n.Output(), "direct link dead, closed") {
			t.Errorf("%s closed a direct link during its own or its peer's outage", n.Name)
		}
	}
	if s, link := linkSince(lab.amy, lab.ben); !s.Equal(amySince) || link != "hole-punched" {
		t.Errorf("amy's link to ben: %s since %s, want hole-punched since %s (the same connection)", link, s, amySince)
	}
	if s, link := linkSince(lab.ben, lab.amy); !s.Equal(benSince) || link != "hole-punched" {
		t.Errorf("ben's link to amy: %s since %s, want hole-punched since %s (the same connection)", link, s, benSince)
	}
	t.Logf("after the outage, chat and mail through %s later, over the same connections", time.Since(up).Round(time.Millisecond))
}
