package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// An admin puts a member in a group; a share whose access list names the
// group then lets that member in, and only it; taking it out of the group
// shuts it out again. Groups show in `members` on every member.
func TestGroupACL(t *testing.T) {
	t.Parallel()
	alpha, bravo, charlie := StartNode(t, "alpha"), StartNode(t, "bravo"), StartNode(t, "charlie")
	office(t, alpha, bravo, charlie)
	dir := t.TempDir()
	alpha.MustRun("share", "add", "sales", dir, "--allow", "group:sales=rw")
	up := filepath.Join(t.TempDir(), "q3.txt")
	if err := os.WriteFile(up, []byte("figures"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Nobody is in the group yet.
	Eventually(t, 15*time.Second, func() error {
		_, err := bravo.Run("ls", "alpha:")
		return err
	})
	if _, err := bravo.Run("put", up, "alpha:sales/"); err == nil {
		t.Fatal("bravo wrote into the group's share before it was in the group")
	}

	if _, err := charlie.Run("member", "group", "add", "bravo", "sales"); err == nil || !strings.Contains(err.Error(), "not an admin") {
		t.Fatalf("non-admin group add: %v", err)
	}
	if _, err := alpha.Run("member", "group", "add", "bravo", "bad name"); err == nil || !strings.Contains(err.Error(), "group") {
		t.Fatalf("bad group name: %v", err)
	}
	if out := alpha.MustRun("member", "group", "add", "bravo", "Sales"); !strings.Contains(out, "bravo is in groups: sales") {
		t.Fatalf("group add: %q", out)
	}
	// Every member sees the reissued certificate.
	for _, n := range []*Node{alpha, bravo, charlie} {
		Eventually(t, 15*time.Second, func() error {
			var ms []struct {
				Name   string   `json:"name"`
				Groups []string `json:"groups"`
			}
			n.JSON(&ms, "members")
			for _, m := range ms {
				if m.Name == "bravo" && slices.Equal(m.Groups, []string{"sales"}) {
					return nil
				}
			}
			return fmt.Errorf("%s lists %+v", n.Name, ms)
		})
	}
	if out := charlie.MustRun("members"); !strings.Contains(out, "GROUPS") || !strings.Contains(out, "sales") {
		t.Fatalf("members table: %q", out)
	}
	bravo.MustRun("put", up, "alpha:sales/")
	if b, err := os.ReadFile(filepath.Join(dir, "q3.txt")); err != nil || string(b) != "figures" {
		t.Fatalf("bravo's upload through the group rule: %q %v", b, err)
	}
	if _, err := charlie.Run("get", "alpha:sales/q3.txt", t.TempDir()); err == nil {
		t.Fatal("charlie, in no group, read the group's share")
	}

	alpha.MustRun("member", "group", "rm", "bravo", "sales")
	Eventually(t, 15*time.Second, func() error {
		if _, err := bravo.Run("get", "alpha:sales/q3.txt", t.TempDir()); err == nil {
			return fmt.Errorf("bravo still reads the share after leaving the group")
		}
		return nil
	})
}
