package e2e

import (
	"fmt"
	"testing"
	"time"
)

func hasPeer(s Status, id string) bool {
	for _, p := range s.Peers {
		if p.ID == id {
			return true
		}
	}
	return false
}

// Two nodes connect; each sees the other in status. A SIGKILLed node
// restarts on its home with the same identity and name.
func TestConnectStatusAndRestart(t *testing.T) {
	t.Parallel()
	a := StartNode(t, "alpha")
	b := StartNode(t, "bravo")
	sa, sb := a.Status(), b.Status()
	if sa.Name != "alpha" || sb.Name != "bravo" || sa.PeerID == sb.PeerID {
		t.Fatalf("statuses: %+v %+v", sa, sb)
	}
	b.MustRun("connect", a.TCPAddr())
	Eventually(t, 10*time.Second, func() error {
		if !hasPeer(a.Status(), sb.PeerID) {
			return fmt.Errorf("alpha does not list bravo")
		}
		if !hasPeer(b.Status(), sa.PeerID) {
			return fmt.Errorf("bravo does not list alpha")
		}
		return nil
	})

	a.Kill()
	a.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	a.Name = "" // keep the stored name
	a.Start()
	again := a.Status()
	if again.PeerID != sa.PeerID || again.Name != "alpha" {
		t.Fatalf("after SIGKILL and restart: %+v, was %+v", again, sa)
	}
}
