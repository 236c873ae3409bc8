package chat_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// A member whose writer runs behind (its store held, as under load)
// while a sync storm hits it (a sync of the room with every other member,
// three times) verifies each message it stores once: history sync does
// not ask for, nor verify again, messages already waiting in the writer's
// queue (inflight.go). Every message is stored, once, in order.
func TestSyncStormVerifiesOnce(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie", "delta")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, d := net.Node("alpha"), net.Node("delta")
	wg := wgID(t, a)
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(t, nd, "office", "general")
		if _, err := nd.Chat().JoinRoom(ctxT(t), "office", "general"); err != nil {
			t.Fatal(err)
		}
	}
	topic := chat.Topic(wg, "general")
	for _, nd := range net.Nodes {
		for _, o := range net.Nodes {
			if o != nd {
				waitSubscribed(t, []*testnet.Node{nd}, topic, o.Host().ID(), true)
			}
		}
	}
	// A warm-up message from each author, live to everyone: the meshes
	// are formed (a message published before delta is in an author's
	// mesh may reach it only by a later sync).
	var want []string
	for _, nd := range net.Nodes[:3] {
		txt := "warm-up " + nd.Name
		if _, err := nd.Chat().Say(ctxT(t), "office", "general", txt, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, txt)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		if n := len(texts(t, d, "office", "general")); n < len(want) {
			return fmt.Errorf("delta has %d warm-up messages, want %d", n, len(want))
		}
		return nil
	})
	before := d.Chat().WorkCounts()
	hold := d.Chat().HoldStore()
	var once sync.Once
	release := func() { once.Do(hold) }
	t.Cleanup(release) // a failure before the storm must not leave delta's store held
	const perAuthor = 20
	for i := range perAuthor {
		for _, nd := range net.Nodes[:3] {
			txt := fmt.Sprintf("%s %d", nd.Name, i)
			if _, err := nd.Chat().Say(ctxT(t), "office", "general", txt, chat.SendOptions{}); err != nil {
				release()
				t.Fatal(err)
			}
			want = append(want, txt)
		}
	}
	// Every message reached delta's writer live (by push or gossip) and
	// waits there.
	testutil.Eventually(t, testnet.Converge, func() error {
		after := d.Chat().WorkCounts()
		if n := after["gossip"] + after["pushed"] - before["gossip"] - before["pushed"]; n < 3*perAuthor {
			return fmt.Errorf("delta took %d messages live, want %d", n, 3*perAuthor)
		}
		return nil
	})
	var storm sync.WaitGroup
	for range 3 {
		for _, nd := range net.Nodes[:3] {
			storm.Add(1)
			go func() {
				defer storm.Done()
				_ = d.Chat().SyncWith(ctxT(t), nd.Host().ID(), wg, "general")
			}()
		}
	}
	// The store stays held until the storm is over, or until it verified
	// something twice (without the in-flight set a sync fetches and
	// verifies the queued messages, then waits for the store), or for
	// 20 s at most: a sync that waits for the store (a loaded run) is
	// let through, and the counts below decide.
	over := make(chan struct{})
	go func() { storm.Wait(); close(over) }()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-over:
		default:
			if n := d.Chat().WorkCounts()["verify"] - before["verify"]; n <= 3*perAuthor {
				continue
			}
		}
		break
	}
	release()
	<-over
	// Each once (display order is the authors' clocks', not this loop's).
	slices.Sort(want)
	testutil.Eventually(t, testnet.Converge, func() error {
		got := texts(t, d, "office", "general")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("delta has %d messages, want %d", len(got), len(want))
		}
		return nil
	})
	// Committed rows show before the counters move (acceptAll counts after the commit).
	var after map[string]uint64
	diff := func(k string) uint64 { return after[k] - before[k] }
	testutil.Eventually(t, testnet.Converge, func() error {
		if after = d.Chat().WorkCounts(); diff("stored") < 3*perAuthor {
			return fmt.Errorf("delta counted %d messages stored, want %d", diff("stored"), 3*perAuthor)
		}
		return nil
	})
	t.Logf("delta: %v", map[string]uint64{"stored": diff("stored"), "verify": diff("verify"), "fetched": diff("fetched"),
		"fetched_known": diff("fetched_known"), "sync_rounds": diff("sync_rounds"), "sync_skipped": diff("sync_skipped")})
	if diff("stored") != 3*perAuthor || diff("verify") != diff("stored") {
		t.Fatalf("delta stored %d messages (want %d) and verified %d signatures: want one per message stored",
			diff("stored"), 3*perAuthor, diff("verify"))
	}
}
