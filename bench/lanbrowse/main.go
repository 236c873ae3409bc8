// Command lanbrowse measures, with real peerhood processes on a LAN made
// of network namespaces (a bridge, one namespace per host, 10.77.50.0/24),
//
//   - join-to-browse: the time from a new member's `peerhood join`
//     returning until every member's `browse` lists it online (goal < 2 s);
//   - departure: the time from a member's process being killed (SIGKILL,
//     no goodbye) until every other member's `browse` shows it offline
//     (goal < 10 s), and the same after a clean stop (SIGTERM).
//
// It needs root, ip and nft (iproute2); it removes its namespaces on exit.
//
//	go build -o /tmp/peerhood ./cmd/peerhood
//	go run ./bench/lanbrowse -bin /tmp/peerhood -members 5 -rounds 3
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

var (
	bin     = flag.String("bin", "peerhood", "peerhood binary")
	members = flag.Int("members", 5, "members already on the LAN")
	rounds  = flag.Int("rounds", 3, "new members to add (and remove) one after the other")
	prefix  string
	cleanup []func()
)

func main() {
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "lanbrowse needs root (network namespaces)")
		os.Exit(2)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	prefix = "phb" + hex.EncodeToString(b)
	code := 0
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lanbrowse:", err)
		code = 1
	}
	for i := len(cleanup) - 1; i >= 0; i-- {
		cleanup[i]()
	}
	os.Exit(code)
}

func sh(args ...string) error {
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

type node struct {
	name, ns, ip, home string
	cmd                *exec.Cmd
	done               chan struct{}
}

func (n *node) start() error {
	n.cmd = exec.Command("ip", "netns", "exec", n.ns, *bin, "up", "--home", n.home, "--name", n.name,
		"--listen", "/ip4/"+n.ip+"/tcp/4317", "--listen", "/ip4/"+n.ip+"/udp/4317/quic-v1", "--log-level", "warn")
	var out bytes.Buffer
	n.cmd.Stdout, n.cmd.Stderr = &out, &out
	if err := n.cmd.Start(); err != nil {
		return err
	}
	n.done = make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	cleanup = append(cleanup, n.kill)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := n.cli("status"); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not start: %s", n.name, out.String())
}

func (n *node) kill() {
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
		<-n.done
		n.cmd = nil
	}
}

func (n *node) stop() {
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		<-n.done
		n.cmd = nil
	}
}

func (n *node) cli(args ...string) (string, error) {
	cmd := exec.Command(*bin, append([]string{"--home", n.home}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %v: %v: %s", n.name, args, err, errb.String())
	}
	return out.String(), nil
}

// presenceOf returns how n's browse shows member name ("" if absent).
func (n *node) presenceOf(name string) string {
	out, err := n.cli("browse", "--json")
	if err != nil {
		return ""
	}
	var es []struct {
		Name     string `json:"name"`
		Presence string `json:"presence"`
	}
	if json.Unmarshal([]byte(out), &es) != nil {
		return ""
	}
	for _, e := range es {
		if e.Name == name {
			return e.Presence
		}
	}
	return ""
}

// waitAll polls every node in parallel until each shows name as state.
func waitAll(nodes []*node, name, state string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	pending := map[*node]bool{}
	for _, n := range nodes {
		pending[n] = true
	}
	for len(pending) > 0 {
		if time.Since(start) > limit {
			return 0, fmt.Errorf("%d members still do not show %s %s after %s", len(pending), name, state, limit)
		}
		for n := range pending {
			if got := n.presenceOf(name); got == state || (state == "listed" && got != "") {
				delete(pending, n)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start), nil
}

func addHost(sw string, i int) (*node, error) {
	ns := fmt.Sprintf("%s-h%d", prefix, i)
	if err := sh("ip", "netns", "add", ns); err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { _ = sh("ip", "netns", "del", ns) })
	ip := fmt.Sprintf("10.77.50.%d", i)
	for _, c := range [][]string{
		{"ip", "-n", ns, "link", "set", "lo", "up"},
		{"ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", fmt.Sprintf("p%d", i), "netns", sw},
		{"ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
		{"ip", "-n", sw, "link", "set", fmt.Sprintf("p%d", i), "master", "br0"},
		{"ip", "-n", sw, "link", "set", fmt.Sprintf("p%d", i), "up"},
	} {
		if err := sh(c...); err != nil {
			return nil, err
		}
	}
	home, err := os.MkdirTemp("", "phb-")
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { os.RemoveAll(home) })
	return &node{name: fmt.Sprintf("m%d", i), ns: ns, ip: ip, home: home}, nil
}

func stats(ds []time.Duration) string {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return fmt.Sprintf("min %s median %s max %s (n=%d)", ds[0].Round(time.Millisecond), ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), len(ds))
}

func run() error {
	sw := prefix + "-sw"
	if err := sh("ip", "netns", "add", sw); err != nil {
		return err
	}
	cleanup = append(cleanup, func() { _ = sh("ip", "netns", "del", sw) })
	if err := sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge"); err != nil {
		return err
	}
	if err := sh("ip", "-n", sw, "link", "set", "br0", "up"); err != nil {
		return err
	}
	var nodes []*node
	for i := 1; i <= *members; i++ {
		n, err := addHost(sw, i)
		if err != nil {
			return err
		}
		if err := n.start(); err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	admin := nodes[0]
	if _, err := admin.cli("workgroup", "create", "bench"); err != nil {
		return err
	}
	invite := func() (string, error) {
		out, err := admin.cli("invite", "--json")
		if err != nil {
			return "", err
		}
		var inv struct {
			Token string `json:"token"`
		}
		return inv.Token, json.Unmarshal([]byte(out), &inv)
	}
	for _, n := range nodes[1:] {
		tok, err := invite()
		if err != nil {
			return err
		}
		if _, err := n.cli("join", tok); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if _, err := waitAll(nodes, n.name, "online", 30*time.Second); err != nil {
			return err
		}
	}
	var joins, kills, stops []time.Duration
	for r := 0; r < *rounds; r++ {
		n, err := addHost(sw, *members+1+r)
		if err != nil {
			return err
		}
		if err := n.start(); err != nil {
			return err
		}
		tok, err := invite()
		if err != nil {
			return err
		}
		if _, err := n.cli("join", tok); err != nil {
			return err
		}
		listed, err := waitAll(nodes, n.name, "listed", 30*time.Second)
		if err != nil {
			return err
		}
		d, err := waitAll(nodes, n.name, "online", 30*time.Second)
		if err != nil {
			return err
		}
		d += listed
		joins = append(joins, d)
		fmt.Printf("round %d: %s listed (roster) on all members %s after join returned\n", r+1, n.name, listed.Round(time.Millisecond))
		fmt.Printf("round %d: %s appears online in browse on all %d members %s after join returned\n", r+1, n.name, len(nodes), d.Round(time.Millisecond))
		// Departure: kill (no goodbye) on odd rounds' newcomer, clean stop on even.
		n.kill()
		d, err = waitAll(nodes, n.name, "offline", 30*time.Second)
		if err != nil {
			return err
		}
		kills = append(kills, d)
		fmt.Printf("round %d: killed %s shows offline on all members after %s\n", r+1, n.name, d.Round(time.Millisecond))
		if err := n.start(); err != nil {
			return err
		}
		if _, err := waitAll(nodes, n.name, "online", 30*time.Second); err != nil {
			return err
		}
		n.stop()
		d, err = waitAll(nodes, n.name, "offline", 30*time.Second)
		if err != nil {
			return err
		}
		stops = append(stops, d)
		fmt.Printf("round %d: stopped %s shows offline on all members after %s\n", r+1, n.name, d.Round(time.Millisecond))
	}
	fmt.Printf("join -> online in browse on every member: %s (goal < 2s)\n", stats(joins))
	fmt.Printf("SIGKILL -> offline on every member:      %s (goal < 10s)\n", stats(kills))
	fmt.Printf("SIGTERM -> offline on every member:      %s\n", stats(stops))
	return nil
}
