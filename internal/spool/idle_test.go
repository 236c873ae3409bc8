package spool

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

func (s *Service) horizon() (at time.Time, scans int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.due.at, s.due.n
}

// An idle node (nothing queued) does not scan its outbox on every tick:
// once a scan found nothing due, the next comes only after
// idleRescanTicks. Before the due horizon it scanned every tick (ten
// scans in the window below).
func TestIdleLoopSkipsScans(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start()
	testutil.Eventually(t, 10*time.Second, func() error {
		if at, _ := alice.svc.horizon(); at.IsZero() {
			return fmt.Errorf("no horizon yet")
		}
		return nil
	})
	_, n0 := alice.svc.horizon()
	time.Sleep(10 * alice.svc.cfg.Tick)
	if _, n := alice.svc.horizon(); n-n0 > 1 {
		t.Fatalf("%d scans in 10 idle ticks", n-n0)
	}
}

// Cases where work comes due while the loop trusts its horizon: a
// failed attempt's retry is due at the job's next_try (the horizon is
// exactly that time, and the retry fires); a job waiting out a long
// backoff is offered as soon as its recipient connects.
func TestIdleHorizonWakes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("retry fires at next_try", func(t *testing.T) {
		t.Parallel()
		alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
		group(alice, bob)
		alice.mutate = func(c *Config) { c.RetryBase, c.RetryCap = 2*time.Second, 10*time.Second }
		alice.start()
		js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "b"})
		if err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, func() error {
			j := jobState(t, alice, js[0].ID)
			at, _ := alice.svc.horizon()
			if j.Attempts != 1 || !at.Equal(j.NextTry) {
				return fmt.Errorf("attempts %d, horizon %v, next try %v", j.Attempts, at, j.NextTry)
			}
			return nil
		})
		testutil.Eventually(t, 15*time.Second, func() error {
			if j := jobState(t, alice, js[0].ID); j.Attempts < 2 {
				return fmt.Errorf("attempts %d: the retry did not fire", j.Attempts)
			}
			return nil
		})
	})
	t.Run("queued job offered when its peer connects", func(t *testing.T) {
		t.Parallel()
		alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
		group(alice, bob)
		alice.mutate = func(c *Config) { c.RetryBase, c.RetryCap = time.Hour, time.Hour }
		alice.start()
		js, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: "s", Body: "b"})
		if err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, func() error {
			if at, _ := alice.svc.horizon(); time.Until(at) < 30*time.Minute {
				return fmt.Errorf("horizon %v: not waiting for the hour-long backoff", at)
			}
			return nil
		})
		bob.start()
		connect(t, bob, alice)
		waitState(t, alice, js[0].ID, StateDelivered)
	})
}
