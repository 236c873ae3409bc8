package chat_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
)

// TestLeaveWhilePublishing: a node leaves and joins a room again and
// again while it keeps publishing on the room's topic. A local publish
// holds the topic's lock while it runs the topic's validator, which
// reads the rooms under the service's lock; leaving a topic waits for
// the topic's lock. Leaving under the service's lock (as syncTopics
// did) deadlocked: the leave never returned and the chat service was
// stuck for good.
func TestLeaveWhilePublishing(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo")
	net.Workgroup("office")
	net.WaitOnline("office")
	a := net.Node("alpha")
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	wg := wgID(t, a)
	// Each publish a message of its own: gossipsub runs the validator
	// once per message ID.
	var hlc atomic.Uint64
	next := func() []byte {
		raw, _, err := chat.SignTest(a.Identity().Key, chat.TestBody{Workgroup: wg, Room: "general", Kind: chat.KindText,
			Text: "published while leaving", Author: a.Host().ID(), Seq: 1 << 20, Prev: make([]byte, 32), HLC: hlc.Add(1)}, false)
		if err != nil {
			panic(err)
		}
		return raw
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg2 sync.WaitGroup
	var errs, oks atomic.Int64
	defer func() { t.Logf("publish ok %d err %d", oks.Load(), errs.Load()) }()
	for range 2 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for ctx.Err() == nil {
				kept, err := a.Chat().PublishKept(ctx, wg, "general", next())
				switch {
				case !kept:
					time.Sleep(50 * time.Microsecond)
				case err != nil:
					errs.Add(1)
				default:
					oks.Add(1)
				}
			}
		}()
	}
	defer cancel() // (not waiting for the publishers: stuck in a deadlock they would hang the panic below)
	for i := range 30 {
		for _, step := range []struct {
			name string
			do   func(context.Context) error
			kept bool // the topic is held after the step
		}{
			{"join", func(ctx context.Context) error { _, err := a.Chat().JoinRoom(ctx, "office", "general"); return err }, true},
			{"leave", func(ctx context.Context) error { return a.Chat().LeaveRoom(ctx, "office", "general") }, false},
		} {
			// The step, the check of the topic and (after a join) 20
			// publishes, within 20 s: a deadlocked service (and the
			// publishers stuck in it) would also hang the nodes' cleanup,
			// so the test binary stops here, saying why.
			done := make(chan error, 1)
			go func() {
				if err := step.do(ctxT(t)); err != nil && !errors.Is(err, chat.ErrNotFound) {
					done <- fmt.Errorf("%s: %w", step.name, err)
					return
				}
				if got := a.Chat().Keeps("office", "general"); got != step.kept {
					done <- fmt.Errorf("after %s alpha keeps the room's topic: %v, want %v", step.name, got, step.kept)
					return
				}
				if step.kept { // the leave comes while publishes run
					for n := oks.Load(); oks.Load() < n+20; {
						time.Sleep(time.Millisecond)
					}
				}
				done <- nil
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("round %d: %v", i, err)
				}
			case <-time.After(20 * time.Second):
				panic(fmt.Sprintf("round %d: %s: no progress in 20 s while the node published on the room's topic (a deadlock)", i, step.name))
			}
		}
	}
	cancel()
	wg2.Wait()
}
