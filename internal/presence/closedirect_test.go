package presence

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// TestNoDirectSenderAfterClose: a direct answer asked for by a stream
// handler (handleDirect runs outside the service's WaitGroup) while the
// service closes must not start a sender Close does not wait for. Under
// -race the old code (wg.Add after the lock, whatever Close was doing)
// is reported as an Add concurrent with Close's Wait; here the counted
// senders are checked too: none starts once Close has begun.
func TestNoDirectSenderAfterClose(t *testing.T) {
	for round := 0; round < 5; round++ {
		a, b := newHost(t), newHost(t)
		ms := []workgroup.Member{member(a, "a"), member(b, "b")}
		pa, err := New(Config{Host: a, Dir: workgroup.NewStaticDirectory(a.ID(), ms...), Interval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := pa.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		startEvery(t, b, workgroup.NewStaticDirectory(b.ID(), ms...), time.Minute)
		connect(t, a, b)
		testutil.Eventually(t, 10*time.Second, wantState(pa, b.ID(), Online, ""))
		pa.mu.Lock()
		ts := pa.topics[wg]
		pa.mu.Unlock()

		var started sync.WaitGroup
		started.Add(1)
		stop := make(chan struct{})
		done := make(chan int)
		go func() { // what handleDirect does when a member asks for an answer
			started.Done()
			late := 0
			for {
				select {
				case <-stop:
					done <- late
					return
				default:
				}
				pa.mu.Lock()
				closing := pa.closing
				pa.mu.Unlock()
				pa.tellDirectly(pa.ctx, wg, ts, b.ID(), true)
				if closing {
					late++ // asked after Close began: must be a no-op
				}
			}
		}()
		started.Wait()
		time.Sleep(10 * time.Millisecond)
		if err := pa.Close(); err != nil {
			t.Fatal(err)
		}
		close(stop)
		late := <-done
		// Every sender Close did not wait for would still be counted.
		waited := make(chan struct{})
		go func() { pa.wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: a direct sender outlived Close", round)
		}
		t.Logf("round %d: %d answers asked for after Close began", round, late)
	}
}

// TestNoDirectMessageReadAfterClose: libp2p runs handleDirect on a
// goroutine of its own, and RemoveStreamHandler stops new streams only.
// A direct message on a stream opened before Close, sent after Close
// returned, is not read: the stream is reset unread (the old code read
// it, outside the WaitGroup, and closed the stream cleanly).
func TestNoDirectMessageReadAfterClose(t *testing.T) {
	a, b := newHost(t), newHost(t)
	ms := []workgroup.Member{member(a, "a"), member(b, "b")}
	pa, err := New(Config{Host: a, Dir: workgroup.NewStaticDirectory(a.ID(), ms...), Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	connect(t, b, a)
	// Without the protocol in the peerstore NewStream negotiates it
	// before it returns (not at the first write): the service has the
	// stream before Close.
	if err := b.Peerstore().RemoveProtocols(a.ID(), p2p.ProtoPresence); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := b.NewStream(ctx, a.ID(), p2p.ProtoPresence)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Reset()
	_ = st.SetDeadline(time.Now().Add(10 * time.Second))
	if err := pa.Close(); err != nil {
		t.Fatal(err)
	}
	m := message{Workgroup: wg, State: Online, Seq: uint64(time.Now().UnixNano()), IntervalMS: 60000}
	_ = wire.WriteFrame(st, m) // sent after Close returned
	_ = st.CloseWrite()
	if _, err := st.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
		t.Fatal("a direct message sent after Close returned was read, and its stream closed cleanly")
	}
}
