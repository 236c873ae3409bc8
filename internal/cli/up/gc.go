package up

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// The node's garbage collector runs with GOGC 50 while the node idles
// and Go's default of 100 while it works.
//
// An idle node (3-member workgroup, one share) keeps about 3 MB of live
// heap but allocates about 175 KB/s (gossip heartbeats, pings, presence,
// mDNS): with GOGC 100 its heap grows to twice the live heap before each
// collection and stays resident at about 7 MB. GOGC 50 keeps it at
// about 5 MB (bench/idlemem.sh: anonymous memory 12.0-12.9 -> 10.3-11.0
// MB per node), for a collection of a 3 MB heap (a few milliseconds of
// CPU) every 10 s instead of every 20 s. Under load the collector's cost grows with the
// allocation rate divided by GOGC, so a node that allocates more than
// busyMin, faster than busyRate, between two collections goes back to
// 100 at once and stays there while the rate holds: transfers and chat
// bursts pay nothing. Below busyRate, GOGC 50 costs at most about 0.1%
// of a core more than 100: at 1 MB/s a 3 MB heap (plus 1.7 MB of stacks
// and globals) is collected every 2 s instead of every 4 s, about 4 ms
// of CPU each (gctrace). The heap's freed pages go back to the OS at
// the background scavenger's pace (forcing it with debug.FreeOSMemory
// at each change to idle measured no better, and would force a full
// collection whenever a transfer's rate hovers near busyRate).
//
// A busier GOGC does not pay either: under bench/chat.sh's load (8
// members x 500 msg/s, each member allocating ~2.5 MB/s) members at
// GOGC 200 used the same CPU per message as those at 100 (ratio 1.01,
// twice; GC is ~2% of a member's CPU there) for 6-8 MB more peak RSS
// (docs/notes-s10-idle.md).
//
// The tuner runs after each collection (a cleanup on an object dropped
// right after the previous one), so an idle node has no timer for it.
// GOGC in the environment turns it off.
const (
	idleGCPercent = 50
	busyGCPercent = 100
	busyRate      = 1 << 20 // bytes/s allocated between collections
	busyMin       = 1 << 20 // bytes allocated between collections
)

// gcTuner sets GOGC from the allocation rate seen between collections.
type gcTuner struct {
	set     func(int) int    // debug.SetGCPercent
	clock   func() time.Time // time.Now
	stopped atomic.Bool

	mu      sync.Mutex
	at      time.Time
	allocs  uint64
	percent int
}

// gcSentinel is dropped as soon as it is made; its cleanup runs after
// the collection that finds it unreachable. It holds a pointer so it is
// never packed with other small objects.
type gcSentinel struct {
	_ *byte
	_ [2]uintptr
}

// startGCTuner starts tuning unless GOGC is set; stop ends it and
// restores Go's default.
func startGCTuner() (stop func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	t := newGCTuner(debug.SetGCPercent, time.Now)
	t.arm()
	return t.stop
}

func newGCTuner(set func(int) int, clock func() time.Time) *gcTuner {
	return &gcTuner{set: set, clock: clock, percent: busyGCPercent, at: clock(), allocs: heapAllocs()}
}

func (t *gcTuner) arm() {
	runtime.AddCleanup(&gcSentinel{}, func(t *gcTuner) { t.afterGC(t.clock(), heapAllocs()) }, t)
}

func (t *gcTuner) stop() {
	if t.stopped.CompareAndSwap(false, true) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.percent != busyGCPercent {
			t.set(busyGCPercent)
			t.percent = busyGCPercent
		}
	}
}

// afterGC chooses GOGC for the next cycle from the bytes allocated since
// the previous collection, and re-arms.
func (t *gcTuner) afterGC(now time.Time, allocs uint64) {
	if t.stopped.Load() {
		return
	}
	t.mu.Lock()
	want := gcPercentFor(allocs-t.allocs, now.Sub(t.at))
	t.at, t.allocs = now, allocs
	if want != t.percent {
		t.set(want)
		t.percent = want
	}
	t.mu.Unlock()
	t.arm()
}

// gcPercentFor is GOGC for a node that allocated n bytes in d.
func gcPercentFor(n uint64, d time.Duration) int {
	if n >= busyMin && (d <= 0 || float64(n) > busyRate*d.Seconds()) {
		return busyGCPercent
	}
	return idleGCPercent
}

// heapAllocs is the bytes allocated on the heap since the process began.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
