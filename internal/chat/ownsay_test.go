package chat_test

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// TestOwnSaysOrderedUnderTraffic: many concurrent Says on one node while
// received messages flow into the writer, by either store path (the
// writer's batch, a transaction per Say). Every Say that returned is
// stored with its returned ID, the member's chain has contiguous seqs
// and each message's prev is its predecessor's ID, and each stored Say
// was announced once.
func TestOwnSaysOrderedUnderTraffic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		ownTx bool
	}{{"writer", false}, {"own-tx", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			net := testnet.New(t, "alpha")
			net.Workgroup("office")
			c := net.Nodes[0].Chat()
			ctx := ctxT(t)
			if _, err := c.CreateRoom(ctx, "office", "general", "", nil); err != nil {
				t.Fatal(err)
			}
			c.SayOwnTx(tc.ownTx)
			feed, err := c.ReceivedFeed("office", "general", 5, 1500)
			if err != nil {
				t.Fatal(err)
			}
			announced := collectAnnounced(c.SubscribeMessages())
			done := make(chan struct{})
			go func() { // received messages in bursts, as push delivers them
				defer close(done)
				for feed(15) {
					time.Sleep(time.Millisecond)
				}
			}()
			const senders, each = 8, 25
			var mu sync.Mutex
			said := map[string]string{} // ID -> text
			var wg sync.WaitGroup
			for g := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						text := fmt.Sprintf("say %d/%d", g, i)
						m, err := c.Say(ctx, "office", "general", text, chat.SendOptions{})
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						said[m.ID] = text
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			<-done
			if len(said) != senders*each {
				t.Fatalf("%d distinct IDs returned, want %d", len(said), senders*each)
			}
			chain, err := c.OwnChain(ctx, "office", "general")
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for i, l := range chain {
				if l.Seq != uint64(i+1) {
					t.Fatalf("own chain: message %d has seq %d", i, l.Seq)
				}
				if i > 0 && l.Prev != chain[i-1].ID {
					t.Fatalf("own chain: seq %d has prev %.12s, want %.12s", l.Seq, l.Prev, chain[i-1].ID)
				}
				if text, ok := said[l.ID]; ok {
					if text != l.Text {
						t.Fatalf("message %s: stored %q, said %q", l.ID, l.Text, text)
					}
					found++
				}
			}
			if found != len(said) {
				t.Fatalf("%d of the %d IDs Say returned are in the chain", found, len(said))
			}
			testutil.Eventually(t, testnet.Converge, func() error {
				// A slow reader (the race detector) can lose events: the
				// bus then says so (a gap), and only duplicates count.
				if got, gap := announced(false); len(got) < len(said) && !gap {
					return fmt.Errorf("%d of %d Says announced", len(got), len(said))
				}
				return nil
			})
			got, gap := announced(true)
			if gap {
				t.Logf("events lost by the reader: %d of %d Says seen announced", len(got), len(said))
			}
			for id, n := range got {
				if _, ok := said[id]; !ok || (n != 1 && !gap) {
					t.Fatalf("message %s announced %d times (said: %v)", id, n, ok)
				}
			}
		})
	}
}

// collectAnnounced reads sub's chat.message events as they come; the
// function it returns reports how many times each message said by
// TestOwnSaysOrderedUnderTraffic ("say ...") was announced, by ID, and
// whether events were lost (a slow reader's gap); stop ends the reading.
func collectAnnounced(sub *events.Subscription) func(stop bool) (map[string]int, bool) {
	var mu sync.Mutex
	got := map[string]int{}
	gap := false
	quit := make(chan struct{})
	go func() {
		defer sub.Close()
		for {
			select {
			case <-quit:
				return
			case <-sub.Ready():
			}
			for _, ev := range sub.Take(nil) {
				var m chat.Message
				mu.Lock()
				if ev.Kind == events.KindGap {
					gap = true
				} else if ev.Decode(&m) == nil && strings.HasPrefix(m.Text, "say ") {
					got[m.ID]++
				}
				mu.Unlock()
			}
		}
	}()
	return func(stop bool) (map[string]int, bool) {
		if stop {
			close(quit)
		}
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(got), gap
	}
}

// TestSayStoreFails: a Say whose store fails returns an error, is not
// stored, not announced, and takes no seq: the next Say follows the
// last one stored.
func TestSayStoreFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		ownTx bool
	}{{"writer", false}, {"own-tx", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			net := testnet.New(t, "alpha")
			net.Workgroup("office")
			c := net.Nodes[0].Chat()
			ctx := ctxT(t)
			if _, err := c.CreateRoom(ctx, "office", "general", "", nil); err != nil {
				t.Fatal(err)
			}
			c.SayOwnTx(tc.ownTx)
			first, err := c.Say(ctx, "office", "general", "first", chat.SendOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.StoreFails(ctx, "doomed"); err != nil {
				t.Fatal(err)
			}
			sub := c.SubscribeMessages()
			defer sub.Close()
			if m, err := c.Say(ctx, "office", "general", "doomed", chat.SendOptions{}); err == nil {
				t.Fatalf("Say with a failing store returned %+v, no error", m)
			}
			next, err := c.Say(ctx, "office", "general", "next", chat.SendOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if next.Seq != first.Seq+1 {
				t.Fatalf("next Say has seq %d, want %d (the failed one took none)", next.Seq, first.Seq+1)
			}
			chain, err := c.OwnChain(ctx, "office", "general")
			if err != nil {
				t.Fatal(err)
			}
			last := chain[len(chain)-1]
			if last.ID != next.ID || last.Prev != first.ID {
				t.Fatalf("chain ends %+v, want %s after %s", last, next.ID, first.ID)
			}
			for _, l := range chain {
				if l.Text == "doomed" {
					t.Fatal("the failed Say is stored")
				}
			}
			deadline := time.After(testnet.Converge)
			for {
				select {
				case <-sub.Ready():
				case <-deadline:
					t.Fatal("the next Say was not announced")
				}
				for _, ev := range sub.Take(nil) {
					var m chat.Message
					if ev.Decode(&m) != nil {
						continue
					}
					if m.Text == "doomed" {
						t.Fatal("the failed Say was announced")
					}
					if m.ID == next.ID {
						return // events come in order: none for the failed Say before it
					}
				}
			}
		})
	}
}

var _ = events.KindChatMessage
