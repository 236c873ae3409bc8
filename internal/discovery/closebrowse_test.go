package discovery

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// TestNoBrowseRequestAfterClose: browse asks members for their shares on
// requests that outlive it (memberLists), started from an API call. Run
// while Close runs, Close ends and waits for them (none is still asking
// once it returned: the old code's requests ran on for their whole
// timeout, reading the database for this node's own entry after the
// daemon closed it), and a browse after Close starts none
// (records/2026-12-01-s14-goaudit.md).
func TestNoBrowseRequestAfterClose(t *testing.T) {
	h := p2ptest.New(t, p2ptest.Key(t))
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(Config{Host: h, DB: db, Dir: workgroup.NewStaticDirectory(h.ID()), NoMDNS: true, NoDHT: true})
	if err != nil {
		t.Fatal(err)
	}
	var asking atomic.Int32 // requests inside the member's answer
	lists := newShareLists(s, func(ctx context.Context, m workgroup.Member) ([]share.ShareInfo, error) {
		asking.Add(1)
		defer asking.Add(-1)
		<-ctx.Done() // a member that does not answer
		return nil, ctx.Err()
	})
	over, cancel := context.WithCancel(context.Background())
	cancel() // browse does not wait: its requests run on
	stop := make(chan struct{})
	var browsing sync.WaitGroup
	browsing.Add(1)
	go func() {
		defer browsing.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			lists.fill(over, []Entry{entry(fmt.Sprintf("m%d", i), presence.Online, "direct")})
		}
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := asking.Load(); n > 0 {
		t.Errorf("%d browse requests still asking after Close returned", n)
	}
	close(stop)
	browsing.Wait()
	lists.fill(over, []Entry{entry("late", presence.Online, "direct")})
	lists.l.mu.Lock()
	n := len(lists.l.asking)
	lists.l.mu.Unlock()
	if n > 0 {
		t.Errorf("%d browse requests under way after Close returned and one more browse", n)
	}
}
