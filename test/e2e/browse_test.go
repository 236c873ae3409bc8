package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// BrowseEntry is the subset of `browse --json` tests look at.
type BrowseEntry struct {
	Name         string     `json:"name"`
	PeerID       string     `json:"peer_id"`
	Presence     string     `json:"presence"`
	PresenceText string     `json:"presence_text"`
	LastSeen     *time.Time `json:"last_seen"`
	Addrs        []string   `json:"addrs"`
	Link         string     `json:"link"`
	RTT          int64      `json:"rtt_ns"`
	Shares       []any      `json:"shares"`
}

// Browse returns the node's browse list.
func (n *Node) Browse() []BrowseEntry {
	n.t.Helper()
	var es []BrowseEntry
	n.JSON(&es, "browse")
	return es
}

// createWorkgroup makes admin create workgroup wg and every other node
// join it with its own invite.
func createWorkgroup(t *testing.T, wg string, admin *Node, others ...*Node) {
	t.Helper()
	admin.MustRun("workgroup", "create", wg)
	for _, o := range others {
		var inv struct {
			Token string `json:"token"`
		}
		admin.JSON(&inv, "invite")
		if inv.Token == "" {
			t.Fatal("invite printed no token")
		}
		o.MustRun("join", inv.Token)
	}
}

// browseShows checks that n lists every name with the given presence
// (self included), and that the others' links are among links.
func browseShows(n *Node, want string, names []string, links ...string) error {
	es, err := browseOf(n)
	if err != nil {
		return err
	}
	got := map[string]BrowseEntry{}
	for _, e := range es {
		got[e.Name] = e
	}
	for _, name := range names {
		e, ok := got[name]
		if !ok {
			return fmt.Errorf("%s does not list %s (has %d entries)", n.Name, name, len(es))
		}
		if e.Presence != want {
			return fmt.Errorf("%s sees %s %s, want %s", n.Name, name, e.Presence, want)
		}
		if name == n.Name || len(links) == 0 {
			continue
		}
		ok = false
		for _, l := range links {
			ok = ok || e.Link == l
		}
		if !ok {
			return fmt.Errorf("%s reaches %s by link %q, want one of %v", n.Name, name, e.Link, links)
		}
	}
	return nil
}

// browseOf is Browse that returns errors instead of failing (for polling).
func browseOf(n *Node) ([]BrowseEntry, error) {
	out, err := n.Run("browse", "--json")
	if err != nil {
		return nil, err
	}
	var es []BrowseEntry
	if err := jsonUnmarshal(out, &es); err != nil {
		return nil, err
	}
	return es, nil
}

// Three real nodes on loopback: after create and two joins, browse on
// every node shows all three online with a direct link and an RTT; logoff
// shows offline everywhere, a killed node shows offline within 10 s.
func TestBrowsePresenceLoopback(t *testing.T) {
	t.Parallel()
	a, b, c := StartNode(t, "alpha"), StartNode(t, "bravo"), StartNode(t, "charlie")
	if _, err := a.Run("browse"); err == nil || !strings.Contains(err.Error(), "in no workgroup") {
		t.Fatalf("browse outside any workgroup: want a clear error, got %v", err)
	}
	createWorkgroup(t, "office", a, b, c)
	if _, err := a.Run("browse", "--workgroup", "nosuch"); err == nil || !strings.Contains(err.Error(), `no workgroup "nosuch"`) {
		t.Fatalf("browse of an unknown workgroup: want a clear error, got %v", err)
	}
	all := []string{"alpha", "bravo", "charlie"}
	nodes := []*Node{a, b, c}
	Eventually(t, 20*time.Second, func() error {
		for _, n := range nodes {
			if err := browseShows(n, "online", all, "direct"); err != nil {
				return err
			}
		}
		return nil
	})
	for _, e := range b.Browse() {
		if e.Name == "charlie" && (e.RTT <= 0 || len(e.Addrs) == 0 || e.LastSeen == nil || e.Shares == nil) {
			t.Fatalf("bravo's entry for charlie lacks rtt, addresses, last seen or shares: %+v", e)
		}
	}
	out := b.MustRun("browse")
	if !strings.Contains(out, "PRESENCE") || !strings.Contains(out, "charlie") {
		t.Fatalf("browse text output:\n%s", out)
	}

	c.MustRun("presence", "away", "--text", "lunch")
	Eventually(t, 5*time.Second, func() error { return browseShows(a, "away", []string{"charlie"}) })
	c.MustRun("logoff")
	Eventually(t, 5*time.Second, func() error { return browseShows(a, "offline", []string{"charlie"}) })
	c.MustRun("logon")
	Eventually(t, 5*time.Second, func() error { return browseShows(b, "away", []string{"charlie"}) })
	if _, err := c.Run("presence", "sleeping"); err == nil {
		t.Fatal("presence sleeping was accepted")
	}

	c.Kill()
	start := time.Now()
	Eventually(t, 10*time.Second, func() error {
		if err := browseShows(a, "offline", []string{"charlie"}); err != nil {
			return err
		}
		return browseShows(b, "offline", []string{"charlie"})
	})
	t.Logf("killed member offline everywhere after %s", time.Since(start).Round(time.Millisecond))
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
