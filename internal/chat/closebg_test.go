package chat

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const closeWG = "wg-close-0001"

// closeNode starts a chat service connected to a bare peer (a member
// that serves nothing), and returns it with the peer's ID.
func closeNode(t *testing.T) (*Service, peer.ID) {
	t.Helper()
	s, b := closePair(t)
	return s, b.ID()
}

// closePair is closeNode with the bare peer's host.
func closePair(t *testing.T) (*Service, *p2p.Host) {
	t.Helper()
	home := t.TempDir()
	id, _, err := identity.LoadOrCreate(home)
	if err != nil {
		t.Fatal(err)
	}
	h := p2ptest.New(t, id.Key)
	b := p2ptest.New(t, p2ptest.Key(t))
	db, err := store.Open(context.Background(), filepath.Join(home, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	member := func(name string, p peer.ID) workgroup.Member {
		return workgroup.Member{Workgroup: closeWG, WorkgroupName: "office", Name: name, PeerID: p, NotAfter: time.Now().Add(time.Hour)}
	}
	dir := workgroup.NewStaticDirectory(id.PeerID, member("alpha", id.PeerID), member("bravo", b.ID()))
	s, err := New(Config{Host: h, DB: db, Identity: id, Dir: dir, Log: slog.New(slog.DiscardHandler), Events: events.New(events.Options{}), DirectTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := h.Connect(ctx, b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	return s, b
}

// TestNoBackgroundWorkAfterClose: API calls (a direct message, a Say that
// starts a push writer, JoinRoom or a Say that joins a topic) start
// goroutines counted in the service's WaitGroup from outside its own
// goroutines. Run concurrently with Close, none may be added while Close
// waits (under -race the old code is reported as an Add racing Close's
// Wait), and none starts once Close returned.
func TestNoBackgroundWorkAfterClose(t *testing.T) {
	for round := 0; round < 3; round++ {
		s, b := closeNode(t)
		// Each entry point on its own goroutine: one that also took a
		// lock Close takes after its Wait would be ordered after it.
		entries := []struct {
			name string
			call func(i int)
		}{
			{"push writer", func(i int) { // a Say's fan-out to a new topic peer
				s.push.mu.Lock()
				s.pushOutLocked(peer.ID(fmt.Sprintf("p-%d-%d", round, i)))
				s.push.mu.Unlock()
			}},
			{"topic join", func(i int) { // JoinRoom's topic round
				s.mu.Lock()
				_ = s.joinLocked(logKey{closeWG, fmt.Sprintf("room-%d", i)})
				s.mu.Unlock()
			}},
			{"direct delivery", func(int) { // Direct: stored, then delivered in the background
				_, _ = s.directTo(context.Background(), closeWG, b, KindText, "hello", SendOptions{}, "")
			}},
		}
		var closed atomic.Bool
		var running, started sync.WaitGroup
		for _, e := range entries {
			running.Add(1)
			started.Add(1)
			go func() {
				defer running.Done()
				started.Done()
				for i := 0; !closed.Load(); i++ {
					e.call(i)
				}
			}()
		}
		started.Wait()
		time.Sleep(20 * time.Millisecond)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		closed.Store(true)
		running.Wait()

		// Asked after Close returned: nothing starts.
		s.push.mu.Lock()
		o := s.pushOutLocked(peer.ID("late"))
		s.push.mu.Unlock()
		if o != nil {
			t.Errorf("round %d: a push writer started after Close returned", round)
		}
		s.mu.Lock()
		err := s.joinLocked(logKey{closeWG, "late"})
		_, joined := s.topics[logKey{closeWG, "late"}]
		s.mu.Unlock()
		if err == nil || joined {
			t.Errorf("round %d: a topic was joined after Close returned (err %v)", round, err)
		}
	}
}
