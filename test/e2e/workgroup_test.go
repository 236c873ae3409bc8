package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type wgMember struct {
	Workgroup string   `json:"workgroup"`
	Name      string   `json:"name"`
	PeerID    string   `json:"peer_id"`
	Roles     []string `json:"roles"`
}

type wgSummary struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Members int    `json:"members"`
	Admin   bool   `json:"admin"`
	Removed string `json:"removed"`
}

func memberCount(n *Node) (int, error) {
	out, err := n.Run("members", "--workgroup", "office", "--json")
	if err != nil {
		return 0, err
	}
	return strings.Count(out, `"peer_id"`), nil
}

func linked(a, b *Node, bID string) bool { return hasPeer(a.Status(), bID) }

// rosterDiag says, for a failure, each node's peer ID, the peers it is
// connected to and what its log says of roster changes, gossip and the
// gate.
func rosterDiag(nodes ...*Node) func() string {
	return func() string {
		var b strings.Builder
		for _, n := range nodes {
			var st Status
			out, err := n.Run("status", "--json")
			if err == nil {
				err = json.Unmarshal([]byte(out), &st)
			}
			fmt.Fprintf(&b, "\n%s is %s, connected to %+v (status: %v); its log:\n", n.Name, st.PeerID, st.Peers, err)
			for _, l := range strings.Split(n.Output(), "\n") {
				for _, w := range []string{"roster", "member", "gossip", "gate", "removed", "workgroup"} {
					if strings.Contains(l, w) {
						b.WriteString("  " + l + "\n")
						break
					}
				}
			}
		}
		return b.String()
	}
}

// create, invite, join, members everywhere; replayed and expired invites
// refused; a non-member that dials a member is refused; a removed member
// is cut off.
func TestWorkgroupLifecycle(t *testing.T) {
	t.Parallel()
	alpha := StartNode(t, "alpha")
	bravo := StartNode(t, "bravo")
	charlie := StartNode(t, "charlie")
	delta := StartNode(t, "delta")

	officeID := lifecycleCreate(t, alpha)
	lifecycleJoins(t, officeID, alpha, bravo, charlie, delta)
	lifecycleNonMember(t, alpha, delta)
	lifecycleRemove(t, alpha, bravo, charlie)
	lifecycleRename(t, officeID, alpha, bravo)
}

// lifecycleCreate: alpha creates office and home; a command that needs
// one workgroup must then be told which. It returns office's ID.
func lifecycleCreate(t *testing.T, alpha *Node) string {
	var created struct{ ID, Name string }
	alpha.JSON(&created, "workgroup", "create", "office")
	if created.Name != "office" || len(created.ID) != 26 {
		t.Fatalf("workgroup create: %+v", created)
	}
	if out := alpha.MustRun("workgroup", "create", "home"); !strings.Contains(out, "home") {
		t.Fatalf("workgroup create text: %q", out)
	}
	var ls []wgSummary
	alpha.JSON(&ls, "workgroup", "ls")
	if len(ls) != 2 || !ls[0].Admin || ls[0].Members != 1 {
		t.Fatalf("workgroup ls: %+v", ls)
	}
	// Two workgroups: commands that need one must be told which.
	if _, err := alpha.Run("invite"); err == nil || !strings.Contains(err.Error(), "--workgroup") {
		t.Fatalf("invite with two workgroups and none named: %v", err)
	}
	return created.ID
}

// lifecycleJoins: bravo and charlie join office by invite; replayed,
// expired and malformed invites and a taken name are refused (delta).
func lifecycleJoins(t *testing.T, officeID string, alpha, bravo, charlie, delta *Node) {
	tok1 := strings.TrimSpace(alpha.MustRun("invite", "--workgroup", "office"))
	if !strings.HasPrefix(tok1, "phinv1") || strings.Contains(tok1, "\n") {
		t.Fatalf("invite printed %q", tok1)
	}
	var joined struct {
		Workgroup struct{ ID, Name string } `json:"workgroup"`
		Member    wgMember                  `json:"member"`
	}
	bravo.JSON(&joined, "join", tok1)
	if joined.Workgroup.ID != officeID || joined.Member.Name != "bravo" {
		t.Fatalf("join: %+v", joined)
	}

	// Replay with no invite outstanding: alpha does not even let delta in.
	if _, err := delta.Run("join", tok1); err == nil {
		t.Fatal("replayed invite accepted")
	}
	// Expired invite.
	expiring := strings.TrimSpace(alpha.MustRun("invite", "--workgroup", officeID, "--expires", "1s"))
	time.Sleep(1500 * time.Millisecond)
	if _, err := delta.Run("join", expiring); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired invite: %v", err)
	}
	// Replay while another invite is outstanding: delta reaches alpha's
	// join protocol and is told the invite is spent.
	tok2 := strings.TrimSpace(alpha.MustRun("invite", "--workgroup", "office", "--uses", "1"))
	if _, err := delta.Run("join", tok1); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("replayed invite: %v", err)
	}
	if _, err := delta.Run("join", "phinv1garbage"); err == nil || !strings.Contains(err.Error(), "malformed invite token") {
		t.Fatalf("malformed token: %v", err)
	}
	if _, err := charlie.Run("join", tok2, "--name", "BRAVO"); err == nil || !strings.Contains(err.Error(), `"BRAVO" is taken`) {
		t.Fatalf("taken name: %v", err)
	}
	charlie.MustRun("join", tok2)

	for _, n := range []*Node{alpha, bravo, charlie} {
		EventuallyDiag(t, 10*time.Second, func() error {
			c, err := memberCount(n)
			if err != nil {
				return err
			}
			if c != 3 {
				return fmt.Errorf("%s lists %d members, want 3", n.Name, c)
			}
			return nil
		}, rosterDiag(alpha, bravo, charlie))
	}
	out := bravo.MustRun("members")
	for _, name := range []string{"alpha", "bravo", "charlie"} {
		if !strings.Contains(out, name) {
			t.Fatalf("bravo's members lack %s:\n%s", name, out)
		}
	}
}

// lifecycleNonMember: a non-member (delta) that dials a member is refused
// and gets nothing.
func lifecycleNonMember(t *testing.T, alpha, delta *Node) {
	sa, sd := alpha.Status(), delta.Status()
	_, _ = delta.Run("connect", alpha.TCPAddr())
	EventuallyDiag(t, 10*time.Second, func() error {
		if linked(alpha, delta, sd.PeerID) || linked(delta, alpha, sa.PeerID) {
			return fmt.Errorf("delta (no certificate) stays connected to alpha")
		}
		return nil
	}, rosterDiag(alpha, delta))
	var dls []wgSummary
	delta.JSON(&dls, "workgroup", "ls")
	if len(dls) != 0 {
		t.Fatalf("delta is in %+v", dls)
	}
}

// lifecycleRemove: only admins remove; a removed member (charlie) is cut
// off, told by whom, and refused.
func lifecycleRemove(t *testing.T, alpha, bravo, charlie *Node) {
	if _, err := bravo.Run("member", "remove", "charlie"); err == nil || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("non-admin remove: %v", err)
	}
	sc := charlie.Status()
	alpha.MustRun("member", "remove", "charlie", "--workgroup", "office")
	// The removal reaches bravo by gossip and by the roster sync alpha
	// runs with every connected member after a change.
	diag := rosterDiag(alpha, bravo, charlie)
	EventuallyDiag(t, 10*time.Second, func() error {
		if c, err := memberCount(bravo); err != nil || c != 2 {
			return fmt.Errorf("bravo lists %d members (%v), want 2", c, err)
		}
		if linked(alpha, charlie, sc.PeerID) {
			return fmt.Errorf("charlie still connected to alpha")
		}
		if linked(bravo, charlie, sc.PeerID) {
			return fmt.Errorf("charlie still connected to bravo")
		}
		return nil
	}, diag)
	// charlie is told it was removed, and by whom.
	EventuallyDiag(t, 10*time.Second, func() error {
		var cls []wgSummary
		charlie.JSON(&cls, "workgroup", "ls")
		if len(cls) != 1 || !strings.HasPrefix(cls[0].Removed, "removed from office by alpha at ") {
			return fmt.Errorf("removed charlie lists %+v", cls)
		}
		return nil
	}, rosterDiag(alpha, charlie))
	_, _ = charlie.Run("connect", bravo.TCPAddr())
	EventuallyDiag(t, 10*time.Second, func() error {
		if linked(bravo, charlie, sc.PeerID) {
			return fmt.Errorf("removed charlie reconnected to bravo")
		}
		return nil
	}, rosterDiag(bravo, charlie))
	if _, err := alpha.Run("member", "remove", "charlie", "--workgroup", "office"); err == nil || !strings.Contains(err.Error(), "no member") {
		t.Fatalf("removing twice: %v", err)
	}
}

// lifecycleRename: an admin's rename reaches the other members: workgroup
// ls, status and browse show the new name under the same ID; a member
// may not rename.
func lifecycleRename(t *testing.T, officeID string, alpha, bravo *Node) {
	if _, err := bravo.Run("workgroup", "rename", "-w", "office", "bravos"); err == nil || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("a member renames: %v", err)
	}
	alpha.MustRun("workgroup", "rename", "-w", "office", "office-2f")
	EventuallyDiag(t, 10*time.Second, func() error {
		var bls []wgSummary
		bravo.JSON(&bls, "workgroup", "ls")
		if len(bls) != 1 || bls[0].ID != officeID || bls[0].Name != "office-2f" {
			return fmt.Errorf("bravo lists %+v", bls)
		}
		var st struct {
			Workgroups []struct{ ID, Name string } `json:"workgroups"`
		}
		bravo.JSON(&st, "status")
		if len(st.Workgroups) != 1 || st.Workgroups[0].Name != "office-2f" {
			return fmt.Errorf("bravo's status lists %+v", st.Workgroups)
		}
		var es []struct {
			WorkgroupName string `json:"workgroup_name"`
		}
		bravo.JSON(&es, "browse", "-w", officeID)
		if len(es) == 0 || es[0].WorkgroupName != "office-2f" {
			return fmt.Errorf("bravo's browse shows %+v", es)
		}
		return nil
	}, rosterDiag(alpha, bravo))
}
