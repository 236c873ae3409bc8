package spool

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
)

// TestNoLiveOfferAfterClose: a live offer is started by Send, an API call
// that runs outside the service's WaitGroups (the control API's drain
// may give up while a send is still sealing). One started while the
// service closes must not be added to bg concurrently with Close's
// wait (under -race the old code is reported as an Add racing the
// Wait), and none starts once Close has begun: a live offer asked for
// after Close returned is refused.
func TestNoLiveOfferAfterClose(t *testing.T) {
	for round := 0; round < 3; round++ {
		a := newTNode(t, "alice")
		group(a)
		a.start()
		// A bare peer: connected, but it does not serve the deliver
		// protocol, so each offer ends at once.
		b := p2ptest.New(t, p2ptest.Key(t), p2ptest.WithLog(quietLog))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := a.host.Connect(ctx, b.Addrs()[0]); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
		s := a.svc

		var started sync.WaitGroup
		started.Add(1)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // what Send does for a large copy to a connected member
			defer close(done)
			started.Done()
			// Bounded: on the old code Close's wait does not end while
			// offers keep being added.
			for range 300 {
				select {
				case <-stop:
					return
				default:
				}
				id, err := newMessageID()
				if err != nil {
					panic(err)
				}
				s.startLive(b.ID(), id, testWG, 1<<20).told(nil)
				// One offer at a time: each one added takes bg's count from
				// zero, the Add that must be ordered before Close's wait.
				for busy := true; busy; {
					runtime.Gosched()
					s.mu.Lock()
					busy = len(s.liveJobs) > 0
					s.mu.Unlock()
				}
			}
		}()
		started.Wait()
		time.Sleep(10 * time.Millisecond)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		close(stop)
		<-done
		id, err := newMessageID()
		if err != nil {
			t.Fatal(err)
		}
		if l := s.startLive(b.ID(), id, testWG, 1<<20); l != nil {
			l.told(nil)
			t.Errorf("round %d: a live offer started after Close returned; Close did not wait for it", round)
		}
		a.host.Close()
		a.db.Close()
		a.svc = nil
	}
}
