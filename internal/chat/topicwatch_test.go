package chat_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// An idle node does not list the logs it should keep on every 250 ms
// tick; a change of what it should keep is still acted on at once: a
// room created elsewhere is kept by a mailbox member (a room directory
// folded), a room joined and left (the directory's generation and the
// joined rooms), within a few ticks rather than at the 30 s full look.
func TestTopicWatch(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "n00", "n01")
	net.Workgroup("office", "n01")
	net.WaitOnline("office")
	a, mb := net.Nodes[0], net.Nodes[1]
	for _, step := range []struct {
		name   string
		change func()
		node   *testnet.Node
		room   string
		kept   bool
	}{
		{"idle", func() {}, mb, "", true},
		{"a room created elsewhere: the mailbox member keeps it", func() {
			if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
				t.Fatal(err)
			}
		}, mb, "general", true},
		{"a room left", func() {
			if err := a.Chat().LeaveRoom(ctxT(t), "office", "general"); err != nil {
				t.Fatal(err)
			}
		}, a, "general", false},
	} {
		step.change()
		testutil.Eventually(t, 5*time.Second, func() error {
			if got := step.node.Chat().Keeps("office", step.room); got != step.kept {
				return fmt.Errorf("%s: %s keeps %q: %v", step.name, step.node.Name, step.room, got)
			}
			return nil
		})
		time.Sleep(300 * time.Millisecond) // the tick that sees the change
		before := step.node.Chat().WorkCounts()["log_scans"]
		time.Sleep(2 * time.Second) // 8 ticks
		// Every tick would be 8; a late roster or directory change
		// (a certificate refresh, presence) may cause one or two more.
		if n := step.node.Chat().WorkCounts()["log_scans"] - before; n > 3 {
			t.Fatalf("%s: idle, %s listed its logs %d times in 8 ticks (at most 3 expected)", step.name, step.node.Name, n)
		}
	}
}
