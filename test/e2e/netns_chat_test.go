package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Chat in the network labs: helpers the netns tests call on the lab they
// built (a lab costs seconds and the suite's time, so chat rides on the
// partition and NAT scenarios rather than building its own).

// openRoom has creator create room (allow: its --allow list, empty for
// every member) and every other node join it once it has learnt it.
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

// partMsgs is how many messages alpha and bravo say while charlie is
// cut off.
const partMsgs = 50

// chatBeforeCut opens room ops and checks a message each way reaches
// charlie and from charlie, so the room's topic and push streams are up
// before the cut.
func chatBeforeCut(t *testing.T, alpha, bravo, charlie *Node) {
	t.Helper()
	openRoom(t, "ops", nil, alpha, bravo, charlie)
	alpha.MustRun("say", "ops", "before the cut")
	Eventually(t, 20*time.Second, func() error { return hasText(charlie, "ops", "before the cut") })
	charlie.MustRun("say", "ops", "charlie is here")
	Eventually(t, 20*time.Second, func() error {
		return roomHolds("ops", []string{"before the cut", "charlie is here"}, alpha, bravo, charlie)
	})
}

// chatWhileCut: charlie (cut off) says 5 messages in ops and writes to
// alpha; then alpha and bravo say partMsgs in turn and alpha writes to
// charlie. Neither side gets the other's meanwhile. It returns the room
// as every member must show it after the heal (charlie spoke first, and
// the display order is the authors' clocks, one machine's here).
func chatWhileCut(t *testing.T, alpha, bravo, charlie *Node) []string {
	t.Helper()
	want := []string{"before the cut", "charlie is here"}
	for i := 1; i <= 5; i++ {
		text := fmt.Sprintf("charlie alone %d", i)
		charlie.MustRun("say", "ops", text)
		want = append(want, text)
	}
	charlie.MustRun("msg", "alpha", "charlie to alpha while cut off")
	start := time.Now()
	for i := 1; i <= partMsgs; i++ {
		n, text := alpha, fmt.Sprintf("part %d from alpha", i)
		if i%2 == 0 {
			n, text = bravo, fmt.Sprintf("part %d from bravo", i)
		}
		n.MustRun("say", "ops", text)
		want = append(want, text)
	}
	t.Logf("alpha and bravo said %d messages in %s", partMsgs, time.Since(start).Round(time.Millisecond))
	alpha.MustRun("msg", "charlie", "alpha to charlie while cut off")
	// Live between alpha and bravo; nothing across the cut.
	ab := append(want[:2:2], want[7:]...)
	Eventually(t, 20*time.Second, func() error { return roomHolds("ops", ab, alpha, bravo) })
	if err := roomHolds("ops", want[:7], charlie); err != nil {
		t.Fatalf("charlie's room while cut off: %v", err)
	}
	if err := hasText(charlie, "@alpha", "alpha to charlie while cut off"); err == nil {
		t.Fatal("the direct message reached charlie across the cut")
	}
	return want
}

// chatHealed are the chat conditions after the heal: each side has the
// other's room messages, every one once and in order, and the direct
// messages arrived both ways.
func chatHealed(want []string, alpha, bravo, charlie *Node) []timedCheck {
	return []timedCheck{
		{"charlie's history of ops complete", func() error { return roomHolds("ops", want, charlie) }},
		{"alpha's and bravo's history of ops complete", func() error { return roomHolds("ops", want, alpha, bravo) }},
		{"direct message to charlie arrived", func() error { return hasText(charlie, "@alpha", "alpha to charlie while cut off") }},
		{"direct message from charlie arrived", func() error { return hasText(alpha, "@charlie", "charlie to alpha while cut off") }},
	}
}
