package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// netLab builds network namespaces, bridges and NAT routers for one test
// and removes them in t.Cleanup, even when the test fails. LANs use
// 10.77.0.0/16; the "internet" segment of the NAT test uses WANNet, a
// public-looking range, because libp2p hole punches only between public
// addresses. Either way no traffic leaves the lab: its namespaces are
// linked only to each other (veth pairs and bridges inside lab
// namespaces, nothing in the root namespace), so no address is routed
// anywhere else.
type netLab struct {
	t      *testing.T
	prefix string
}

// newNetLab skips the test unless it runs as root with ip and nft.
func newNetLab(t *testing.T) *netLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network-namespace test: needs root (CI runs as root)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("network-namespace test: %s not found (install iproute2 and nftables)", tool)
		}
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	l := &netLab{t: t, prefix: "ph" + hex.EncodeToString(b)}
	// Probe: some containers forbid namespaces even to root.
	probe := l.prefix + "-probe"
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("network-namespace test: cannot create a namespace here: %v: %s", err, out)
	}
	_ = exec.Command("ip", "netns", "del", probe).Run()
	return l
}

// run runs a command, failing the test with its output on error.
func (l *netLab) run(args ...string) {
	l.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		l.t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// in runs a command inside namespace ns.
func (l *netLab) in(ns string, args ...string) {
	l.t.Helper()
	l.run(append([]string{"ip", "netns", "exec", ns}, args...)...)
}

// ns creates a namespace (its loopback up) and returns its full name.
func (l *netLab) ns(name string) string {
	l.t.Helper()
	full := l.prefix + "-" + name
	l.run("ip", "netns", "add", full)
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", full).CombinedOutput(); err != nil {
			l.t.Logf("remove namespace %s: %v: %s", full, err, out)
		}
	})
	l.in(full, "ip", "link", "set", "lo", "up")
	return full
}

// bridge creates bridge br in ns.
func (l *netLab) bridge(ns, br string) {
	l.t.Helper()
	l.run("ip", "-n", ns, "link", "add", br, "type", "bridge")
	l.run("ip", "-n", ns, "link", "set", br, "up")
}

// plug links interface ifc (address cidr) of host namespace ns to bridge
// br of namespace swNS through port port.
func (l *netLab) plug(ns, ifc, cidr, swNS, br, port string) {
	l.t.Helper()
	l.run("ip", "-n", ns, "link", "add", ifc, "type", "veth", "peer", "name", port, "netns", swNS)
	l.run("ip", "-n", ns, "addr", "add", cidr, "dev", ifc)
	l.run("ip", "-n", ns, "link", "set", ifc, "up")
	l.run("ip", "-n", swNS, "link", "set", port, "master", br)
	l.run("ip", "-n", swNS, "link", "set", port, "up")
}

// WANNet is the lab's "internet": the first three octets of a /24 that
// is public to libp2p (manet.IsPublicAddr) and exists only in the lab.
const WANNet = "11.77.100"

// masquerade makes router namespace ns forward and NAT everything that
// leaves by interface out (nftables masquerade). Linux keeps the source
// port where it can: one inside address and port maps to one outside
// port whatever the destination (a "cone" NAT), which hole punching
// gets through.
func (l *netLab) masquerade(ns, out string) { l.nat(ns, out, "masquerade") }

// symmetricNAT is masquerade with a random outside port per connection
// (nftables "masquerade random"): the mapping depends on the destination,
// so the port a third party observed is useless to a peer, and hole
// punching cannot work.
func (l *netLab) symmetricNAT(ns, out string) { l.nat(ns, out, "masquerade random") }

func (l *netLab) nat(ns, out, action string) {
	l.t.Helper()
	l.in(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	// The router's firewall drops what the WAN starts (as home routers
	// do): packets of a hole punch that arrive before this side's own
	// have opened the mapping are dropped, not taken as a connection to
	// the router, whose conntrack entry would then hold the port and
	// make the NAT pick another one for the punch.
	rules := fmt.Sprintf(`table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "%[1]s" %[2]s
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "%[1]s" ct state new drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "%[1]s" ct state new drop
	}
}
`, out, action)
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if b, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("nft in %s: %v: %s", ns, err, b)
	}
}

// node prepares a peerhood node that runs inside namespace ns, listening
// on ip (TCP and QUIC, port 4317), with mDNS on.
func (l *netLab) node(name, ns, ip string) *Node {
	n := NewNode(l.t, name)
	n.Prefix = []string{"ip", "netns", "exec", ns}
	n.MDNS = true
	n.Listen = []string{"/ip4/" + ip + "/tcp/4317", "/ip4/" + ip + "/udp/4317/quic-v1"}
	l.t.Cleanup(func() {
		if l.t.Failed() {
			st, _ := n.Run("status")
			l.t.Logf("node %s (namespace %s):\n%s\n%s", name, ns, st, n.Output())
		}
	})
	return n
}
