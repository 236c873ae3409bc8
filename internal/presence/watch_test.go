package presence

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// watchedDir is a static directory that tells when it changes, as the
// roster does (workgroup.Watcher), and counts how often it is listed.
type watchedDir struct {
	*workgroup.StaticDirectory
	lists atomic.Int64
	mu    sync.Mutex
	chs   []chan struct{}
}

func (d *watchedDir) Workgroups() []workgroup.Info {
	d.lists.Add(1)
	return d.StaticDirectory.Workgroups()
}

func (d *watchedDir) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	d.mu.Lock()
	d.chs = append(d.chs, ch)
	d.mu.Unlock()
	return ch, func() {}
}

// add adds m and tells the watchers.
func (d *watchedDir) add(m workgroup.Member) {
	d.StaticDirectory.Add(m)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range d.chs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// With a directory that tells of its changes, an idle node does not poll
// it (at most the heartbeat tick's look, once a second), and still joins
// a workgroup's presence as soon as the directory says it is in one.
func TestWatchedDirectory(t *testing.T) {
	a, b := newHost(t), newHost(t)
	ma, mb := member(a, "a"), member(b, "b")
	dirA := &watchedDir{StaticDirectory: workgroup.NewStaticDirectory(a.ID(), mb)}
	startEvery(t, a, dirA, 2*time.Second)
	pb := startEvery(t, b, workgroup.NewStaticDirectory(b.ID(), ma, mb), 2*time.Second)
	connect(t, a, b)
	time.Sleep(100 * time.Millisecond)
	before := dirA.lists.Load()
	time.Sleep(2 * time.Second)
	if n := dirA.lists.Load() - before; n > 4 {
		t.Fatalf("an idle node listed its workgroups %d times in 2 s", n)
	}
	dirA.add(ma) // a joins the workgroup
	testutil.Eventually(t, 10*time.Second, wantState(pb, a.ID(), Online, ""))
}
