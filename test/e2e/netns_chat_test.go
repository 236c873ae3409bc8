package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Chat in the network labs: helpers the netns tests call on the lab they
// built (a lab costs seconds and the suite's time, so chat rides on the
// partition and NAT scenarios rather than building its own).

// openRoom has creator create room (allow: its --allow list, empty for
// every member) and every other node join it once it has learnt it,
// then waits until each node's `room who` (the room topic's peers) lists
// them all: from then on an author pushes to every one of them.
func openRoom(t *testing.T, room string, allow []string, creator *Node, others ...*Node) {
	t.Helper()
	args := []string{"room", "create", room}
	for _, a := range allow {
		args = append(args, "--allow", a)
	}
	creator.MustRun(args...)
	for _, n := range others {
		Eventually(t, 30*time.Second, func() error {
			out, err := n.Run("room", "ls")
			if err != nil || !strings.Contains(out, "#"+room) {
				return fmt.Errorf("%s's rooms: %q %v", n.Name, out, err)
			}
			return nil
		})
		n.MustRun("room", "join", room)
	}
	all := append([]*Node{creator}, others...)
	Eventually(t, 30*time.Second, func() error {
		for _, n := range all {
			var who []struct{ Name string }
			out, err := n.Run("room", "who", room, "--json")
			if err == nil {
				err = jsonUnmarshal(out, &who)
			}
			if err != nil {
				return err
			}
			for _, o := range all {
				if !slices.ContainsFunc(who, func(w struct{ Name string }) bool { return w.Name == o.Name }) {
					return fmt.Errorf("%s's room who %s: %s, not %s", n.Name, room, out, o.Name)
				}
			}
		}
		return nil
	})
}

// roomHolds checks that every node's history of target holds exactly
// the texts want, each once, in that order, and that they all show the
// same messages (by ID) in the same order: the display order (HLC, ID)
// is one for every member.
func roomHolds(target string, want []string, nodes ...*Node) error {
	var first []chatMessage
	for i, n := range nodes {
		ms, err := history(n, target)
		if err != nil {
			return err
		}
		texts := make([]string, len(ms))
		for j, m := range ms {
			texts[j] = m.Text
		}
		if !slices.Equal(texts, want) {
			return fmt.Errorf("%s's history of %s holds %d messages, want %d: %s",
				n.Name, target, len(texts), len(want), firstDiff(texts, want))
		}
		if i == 0 {
			first = ms
			continue
		}
		for j := range ms {
			if ms[j].ID != first[j].ID {
				return fmt.Errorf("%s and %s show message %d of %s differently: %s / %s",
					nodes[0].Name, n.Name, j, target, first[j].ID, ms[j].ID)
			}
		}
	}
	return nil
}

// firstDiff describes where got first differs from want.
func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d %q, want %q", i, got[i], want[i])
		}
	}
	if len(got) > len(want) {
		return fmt.Sprintf("then %q more", got[len(want):])
	}
	if len(got) < len(want) {
		return fmt.Sprintf("%d missing from %q", len(want)-len(got), want[len(got)])
	}
	return "same"
}

// timedCheck is one condition of converge, named for the log.
type timedCheck struct {
	name string
	f    func() error
}

// converge polls every check until all hold (or fails the test after
// timeout), and logs how long after since each first held: conditions
// met at different moments each get their own figure.
func converge(t *testing.T, since time.Time, timeout time.Duration, checks ...timedCheck) {
	t.Helper()
	held := make([]time.Duration, len(checks))
	errs := make([]error, len(checks))
	deadline := time.Now().Add(timeout)
	for {
		left := 0
		for i, c := range checks {
			if held[i] != 0 {
				continue
			}
			if errs[i] = c.f(); errs[i] == nil {
				held[i] = time.Since(since)
				t.Logf("%s %s after", c.name, held[i].Round(10*time.Millisecond))
				continue
			}
			left++
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			for i, c := range checks {
				if held[i] == 0 {
					t.Errorf("%s: not within %s: %v", c.name, timeout, errs[i])
				}
			}
			t.FailNow()
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The partition scenario's chat (TestNetnsPartitionHeal): room ops of
// alpha, bravo and charlie.

// chatBeforeCut opens room ops and checks a message each way reaches
// charlie and from charlie, so the room's topic and push streams are up
// before the cut. It returns the room as it stands.
func chatBeforeCut(t *testing.T, alpha, bravo, charlie *Node) []string {
	t.Helper()
	openRoom(t, "ops", nil, alpha, bravo, charlie)
	alpha.MustRun("say", "ops", "before the cut")
	Eventually(t, 20*time.Second, func() error { return hasText(charlie, "ops", "before the cut") })
	charlie.MustRun("say", "ops", "charlie is here")
	want := []string{"before the cut", "charlie is here"}
	Eventually(t, 20*time.Second, func() error { return roomHolds("ops", want, alpha, bravo, charlie) })
	return want
}

// chatWhileCut, cut naming the cut: charlie (cut off) says 5 messages
// in ops and writes to alpha (a chat message and a mail); then alpha and
// bravo say n in turn and alpha writes to charlie (the same). Neither side gets the other's meanwhile. It
// returns the room (room: as it stood before the cut) as every member
// must show it after the heal (charlie spoke first, and the display
// order is the authors' clocks, one machine's here).
func chatWhileCut(t *testing.T, cut string, n int, room []string, alpha, bravo, charlie *Node) []string {
	t.Helper()
	cs, ab := slices.Clone(room), slices.Clone(room)
	for i := 1; i <= 5; i++ {
		text := fmt.Sprintf("charlie alone %d (%s)", i, cut)
		charlie.MustRun("say", "ops", text)
		cs = append(cs, text)
	}
	charlie.MustRun("msg", "alpha", "charlie to alpha ("+cut+")")
	sendMail(t, charlie, "alpha", "mail charlie to alpha ("+cut+")")
	start := time.Now()
	for i := 1; i <= n; i++ {
		who := alpha
		if i%2 == 0 {
			who = bravo
		}
		text := fmt.Sprintf("%d from %s (%s)", i, who.Name, cut)
		who.MustRun("say", "ops", text)
		ab = append(ab, text)
	}
	t.Logf("alpha and bravo said %d messages in %s", n, time.Since(start).Round(time.Millisecond))
	alpha.MustRun("msg", "charlie", "alpha to charlie ("+cut+")")
	sendMail(t, alpha, "charlie", "mail alpha to charlie ("+cut+")")
	// Live between alpha and bravo; nothing across the cut.
	Eventually(t, 20*time.Second, func() error { return roomHolds("ops", ab, alpha, bravo) })
	if err := roomHolds("ops", cs, charlie); err != nil {
		t.Fatalf("charlie's room while cut off: %v", err)
	}
	if err := hasText(charlie, "@alpha", "alpha to charlie ("+cut+")"); err == nil {
		t.Fatal("the direct message reached charlie across the cut")
	}
	if err := mailHas(charlie, "mail alpha to charlie ("+cut+")", "alpha"); err == nil {
		t.Fatal("the mail reached charlie across the cut")
	}
	return append(cs, ab[len(room):]...)
}

// chatHealed are the chat conditions after the heal of cut: each side
// has the other's room messages, every one once and in order, and the
// direct messages and the queued mail arrived both ways.
func chatHealed(cut string, want []string, alpha, bravo, charlie *Node) []timedCheck {
	return []timedCheck{
		{"charlie's history of ops complete", func() error { return roomHolds("ops", want, charlie) }},
		{"alpha's and bravo's history of ops complete", func() error { return roomHolds("ops", want, alpha, bravo) }},
		{"direct message to charlie arrived", func() error { return hasText(charlie, "@alpha", "alpha to charlie ("+cut+")") }},
		{"direct message from charlie arrived", func() error { return hasText(alpha, "@charlie", "charlie to alpha ("+cut+")") }},
		{"queued mail to charlie arrived", func() error { return mailHas(charlie, "mail alpha to charlie ("+cut+")", "alpha") }},
		{"queued mail from charlie arrived", func() error { return mailHas(alpha, "mail charlie to alpha ("+cut+")", "charlie") }},
	}
}

// connectedTo reports whether n has a connection to other (status).
func connectedTo(n, other *Node) bool {
	id := other.Status().PeerID
	for _, p := range n.Status().Peers {
		if p.ID == id {
			return true
		}
	}
	return false
}

// The NAT scenario's chat (TestNetnsNATRelay): amy and cat, whose link
// stays relayed through the public member (cat is behind a symmetric
// NAT), in room den that only they may enter, so every message between
// them crosses the relayed link: live (push, gossip), direct messages,
// and history sync when cat comes back.
func chatRelayed(t *testing.T, amy, cat *Node) {
	t.Helper()
	if got := linkTo(amy, "cat"); got != "relayed" {
		t.Fatalf("amy reaches cat by a %q link, want relayed", got)
	}
	openRoom(t, "den", []string{"amy", "cat"}, amy, cat)
	var want []string
	amy0, cat0 := chatPaths(t, amy), chatPaths(t, cat)
	start := time.Now()
	for i := 1; i <= 5; i++ {
		for _, n := range []*Node{amy, cat} {
			text := fmt.Sprintf("%s says %d", n.Name, i)
			n.MustRun("say", "den", text)
			want = append(want, text)
		}
	}
	amy.MustRun("msg", "cat", "amy to cat, relayed")
	cat.MustRun("msg", "amy", "cat to amy, relayed")
	dms := []string{"amy to cat, relayed", "cat to amy, relayed"}
	converge(t, start, 30*time.Second,
		timedCheck{"from the first say over the relayed link, room den the same on amy and cat", func() error { return roomHolds("den", want, amy, cat) }},
		timedCheck{"over the relayed link, amy's conversation with cat complete", func() error { return roomHolds("@cat", dms, amy) }},
		timedCheck{"over the relayed link, cat's conversation with amy complete", func() error { return roomHolds("@amy", dms, cat) }},
	)

	// Live room messages went by push, one hop over the relayed link
	// (not only by gossip, which would also get through).
	toAmy, toCat := chatPaths(t, amy).since(amy0), chatPaths(t, cat).since(cat0)
	t.Logf("amy took cat's messages by %s; cat took amy's by %s", toAmy, toCat)
	if toCat.pushed < 5 {
		t.Errorf("cat took %d of amy's 5 room messages by push", toCat.pushed)
	}
	if toAmy.pushed < 5 {
		t.Errorf("amy took %d of cat's 5 room messages by push", toAmy.pushed)
	}

	// cat is away: what amy says meanwhile reaches cat only by history
	// sync with amy (nobody else may enter den) over the relayed link
	// once cat is back, and amy's direct message through cat's mailbox.
	cat.Stop()
	for i := 1; i <= 10; i++ {
		text := fmt.Sprintf("amy while cat is away %d", i)
		amy.MustRun("say", "den", text)
		want = append(want, text)
	}
	amy.MustRun("msg", "cat", "amy to cat while away")
	dms = append(dms, "amy to cat while away")
	cat.Start("--reachability", "private")
	back := time.Now()
	converge(t, back, 60*time.Second,
		timedCheck{"after cat came back, room den the same on amy and cat", func() error { return roomHolds("den", want, amy, cat) }},
		timedCheck{"after cat came back, cat's conversation with amy complete", func() error { return roomHolds("@amy", dms, cat) }},
	)
	got := chatPaths(t, cat) // cat restarted: counted from its start
	t.Logf("back, cat took what it missed by %s", got)
	if got.synced < 10 {
		t.Errorf("cat took %d of the 10 messages said while it was away by history sync", got.synced)
	}
	if got := linkTo(cat, "amy"); got != "relayed" {
		t.Errorf("cat reaches amy by a %q link after its restart, want relayed", got)
	}
}

// chatWorkAll is every peerhood_chat_work_total{what} of n (GET
// /metrics on its control socket): how many messages took each path.
func chatWorkAll(t *testing.T, n *Node) map[string]uint64 {
	t.Helper()
	c := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", filepath.Join(n.Home, "control.sock"))
	}}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://node/metrics")
	if err != nil {
		t.Fatalf("%s's metrics: %v", n.Name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s's metrics: %v", n.Name, err)
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, `peerhood_chat_work_total{what="`)
		if !ok {
			continue
		}
		what, v, ok := strings.Cut(rest, `"} `)
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			t.Fatalf("%s's metric %q: %v", n.Name, line, err)
		}
		out[what] = uint64(f)
	}
	return out
}

// chatPathCounts are the messages a node took by each path.
type chatPathCounts struct{ pushed, gossip, synced, direct uint64 }

// chatPaths reads n's counts (chatWork).
func chatPaths(t *testing.T, n *Node) chatPathCounts {
	t.Helper()
	w := chatWorkAll(t, n)
	return chatPathCounts{w["pushed"], w["gossip"], w["synced"], w["direct"]}
}

// since is c less an earlier reading.
func (c chatPathCounts) since(old chatPathCounts) chatPathCounts {
	return chatPathCounts{c.pushed - old.pushed, c.gossip - old.gossip, c.synced - old.synced, c.direct - old.direct}
}

func (c chatPathCounts) String() string {
	return fmt.Sprintf("push %d, gossip %d, history sync %d, direct (stream or spool) %d", c.pushed, c.gossip, c.synced, c.direct)
}
