package spool

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// Members that accept a deliver stream and then do not read (one reads
// nothing, one a byte a second, one answers an offer and reads none of
// the ciphertext) cannot hold up the sender's mail for the other members
// (records/2026-12-01-s15-spoolout.md). Alice has three workers, as many
// as hostile members: before, they sat on the hostile streams until the
// read idle timeout (1 min), the taker's for good (a write had no
// deadline), and the three honest members' mail waited for them. Now a worker whose stream makes no progress for
// stallAfter leaves the pool, the honest mail goes while the hostile
// streams are still held (their first attempt not yet failed), the
// hostile streams are cut after sendIdle and their jobs retried with
// backoff, and once the members serve properly each message arrives
// once.
func TestStalledRecipientsDoNotDelayOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice := newTNode(t, "alice")
	honest := []*tnode{newTNode(t, "h1"), newTNode(t, "h2"), newTNode(t, "h3")}
	silent, trickle, taker := newTNode(t, "silent"), newTNode(t, "trickle"), newTNode(t, "taker")
	hostile := []*tnode{silent, trickle, taker}
	group(append([]*tnode{alice, silent, trickle, taker}, honest...)...)
	alice.mutate = func(c *Config) {
		c.Workers = 3
		c.sendIdle = 15 * time.Second // the hostile streams are held this long
		c.stallAfter = 200 * time.Millisecond
	}
	alice.start()
	for _, n := range honest {
		n.start()
		connect(t, alice, n)
	}

	// The hostile members: hosts whose deliver handler holds each stream
	// until behave is closed, reading nothing (silent) or a byte a second.
	behave := make(chan struct{})
	var mu sync.Mutex
	opened := map[string]int{}
	hold := func(name string, perSecond bool) network.StreamHandler {
		return func(st network.Stream) {
			mu.Lock()
			opened[name]++
			mu.Unlock()
			defer st.Reset()
			tk := time.NewTicker(time.Second)
			defer tk.Stop()
			b := make([]byte, 1)
			for {
				select {
				case <-behave:
					return
				case <-tk.C:
					if perSecond {
						if _, err := st.Read(b); err != nil {
							return
						}
					}
				}
			}
		}
	}
	for _, h := range []struct {
		n         *tnode
		perSecond bool
	}{{silent, false}, {trickle, true}} {
		h.n.startHost()
		h.n.host.SetStreamHandler(p2p.ProtoDeliver, hold(h.n.name, h.perSecond))
		connect(t, alice, h.n)
	}
	// taker answers an offer "send from 0" and then reads nothing: the
	// ciphertext (1 MiB, more than a stream's window) blocks alice's
	// write, which had no deadline before.
	taker.startHost()
	held := hold(taker.name, false)
	taker.host.SetStreamHandler(p2p.ProtoDeliver, func(st network.Stream) {
		var req deliverReq
		if wire.NewReader(st, maxControlFrame).ReadFrame(&req) != nil || req.Op != opOffer ||
			wire.WriteFrame(st, &deliverReply{}) != nil {
			_ = st.Reset()
			return
		}
		held(st)
	})
	connect(t, alice, taker)

	// Each hostile member gets a mail with a spooled attachment (offered)
	// and a small one (pushed); then each honest member a mail.
	big := make([]byte, 200<<10)
	rand.Read(big)
	att := writeFile(t, t.TempDir(), "big.bin", big)
	huge := make([]byte, 1<<20)
	rand.Read(huge)
	attHuge := writeFile(t, t.TempDir(), "huge.bin", huge)
	var hostileJobs []string
	send := func(n *tnode, paths []string) {
		js, err := alice.svc.Send(ctx, SendRequest{To: []string{n.name}, Kind: KindMail, Subject: "for " + n.name, Paths: paths})
		if err != nil {
			t.Fatal(err)
		}
		hostileJobs = append(hostileJobs, js[0].ID)
	}
	for _, n := range []*tnode{silent, trickle} {
		send(n, []string{att})
		send(n, nil)
	}
	send(taker, []string{attHuge})
	testutil.Eventually(t, 20*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range hostile {
			if opened[n.name] == 0 {
				return fmt.Errorf("hostile streams opened: %v", opened)
			}
		}
		return nil
	})
	// Every worker alice has sits on a hostile stream, out of the pool.
	testutil.Eventually(t, 20*time.Second, func() error {
		if n := alice.svc.stalledWorkers(); n != len(hostile) {
			return fmt.Errorf("%d workers left the pool stalled, want %d", n, len(hostile))
		}
		return nil
	})
	var honestJobs []string
	for _, n := range honest {
		js, err := alice.svc.Send(ctx, SendRequest{To: []string{n.name}, Kind: KindMail, Subject: "for " + n.name})
		if err != nil {
			t.Fatal(err)
		}
		honestJobs = append(honestJobs, js[0].ID)
	}
	for _, id := range honestJobs {
		waitState(t, alice, id, StateDelivered)
	}
	// The honest mail went while the hostile streams were held: no
	// hostile attempt had ended yet.
	for _, id := range hostileJobs {
		if j := jobState(t, alice, id); j.State != StateQueued || j.Attempts != 0 {
			t.Fatalf("hostile job %s: %s after %d attempts (%q) once the honest mail was delivered; want queued, its first attempt under way",
				id, j.State, j.Attempts, j.Error)
		}
	}

	// The hostile streams are cut (sendIdle) and their jobs wait for a retry.
	testutil.Eventually(t, 60*time.Second, func() error {
		for _, id := range hostileJobs {
			if j := jobState(t, alice, id); j.State != StateQueued || j.Attempts == 0 {
				return fmt.Errorf("hostile job %s: %s, %d attempts", id, j.State, j.Attempts)
			}
		}
		return nil
	})

	// The members behave: their spool serves the deliver protocol.
	close(behave)
	for _, n := range hostile {
		n.startService()
	}
	for _, id := range hostileJobs {
		waitState(t, alice, id, StateDelivered)
	}
	for _, n := range append(hostile, honest...) {
		ml, err := n.svc.Inbox(ctx, KindMail, false)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if n == silent || n == trickle {
			want = 2
		}
		if len(ml) != want {
			t.Fatalf("%s holds %d mails, want %d: %+v", n.name, len(ml), want, ml)
		}
	}
}
