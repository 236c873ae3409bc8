package up

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// TestGCPercentFor: a node allocating more than busyRate between two
// collections gets Go's default GOGC; a slower one the idle setting.
func TestGCPercentFor(t *testing.T) {
	tests := []struct {
		name string
		n    uint64
		d    time.Duration
		want int
	}{
		{"idle node: 175 KB/s over 20 s", 175 << 10 * 20, 20 * time.Second, idleGCPercent},
		{"nothing allocated", 0, time.Minute, idleGCPercent},
		{"exactly the busy rate", busyRate * 2, 2 * time.Second, idleGCPercent},
		{"just above the busy rate", busyRate*2 + 1, 2 * time.Second, busyGCPercent},
		{"transfer: 64 MB in 100 ms", 64 << 20, 100 * time.Millisecond, busyGCPercent},
		{"no time passed", busyMin, 0, busyGCPercent},
		{"forced collection: 10 KB in 1 ms", 10 << 10, time.Millisecond, idleGCPercent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gcPercentFor(tt.n, tt.d); got != tt.want {
				t.Errorf("gcPercentFor(%d, %s) = %d, want %d", tt.n, tt.d, got, tt.want)
			}
		})
	}
}

// TestGCTunerFollowsCollections: the tuner runs after real collections,
// lowers GOGC when little was allocated since the last one, raises it
// when much was, and after stop restores the default and sets no more.
func TestGCTunerFollowsCollections(t *testing.T) {
	var mu sync.Mutex
	var set []int
	now := time.Unix(0, 0)
	step := time.Hour // a slow clock: whatever a test allocates is "idle"
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
	tu := newGCTuner(func(p int) int {
		mu.Lock()
		defer mu.Unlock()
		set = append(set, p)
		return 0
	}, clock)
	tu.arm()
	last := func() int {
		mu.Lock()
		defer mu.Unlock()
		if len(set) == 0 {
			return 0
		}
		return set[len(set)-1]
	}
	testutil.Eventually(t, 10*time.Second, gcUntil(last, idleGCPercent, nil))

	mu.Lock()
	step = time.Nanosecond // now every allocation is fast
	mu.Unlock()
	testutil.Eventually(t, 10*time.Second, gcUntil(last, busyGCPercent, func() { sink = make([]byte, 1<<20) }))

	mu.Lock()
	step = time.Hour
	mu.Unlock()
	testutil.Eventually(t, 10*time.Second, gcUntil(last, idleGCPercent, nil))
	tu.stop()
	mu.Lock()
	n := len(set)
	mu.Unlock()
	if last() != busyGCPercent {
		t.Fatalf("after stop GOGC %d, want %d restored", last(), busyGCPercent)
	}
	runtime.GC()
	runtime.GC()
	mu.Lock()
	defer mu.Unlock()
	if len(set) != n {
		t.Fatalf("the tuner set GOGC after stop: %v", set[n:])
	}
}

var sink []byte

// gcUntil collects (after calling work, if any) until last reports want.
func gcUntil(last func() int, want int, work func()) func() error {
	return func() error {
		if work != nil {
			work()
		}
		runtime.GC()
		if got := last(); got != want {
			return fmt.Errorf("GOGC last set to %d, want %d", got, want)
		}
		return nil
	}
}
