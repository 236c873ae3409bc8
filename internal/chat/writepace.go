package chat

import (
	"math"
	"os"
	"time"
)

// The writer's window (how long it waits for more gossip after the first
// message of a batch) follows the rate gossip arrives at. A commit costs
// about four times a message's own insert (WAL frames, one pwrite per
// frame header and page; BenchmarkStoreBatch: ~130 us per message alone,
// ~65 in pairs, ~45 in eights, ~25 in 32s), so under load a longer window
// saves CPU; when quiet nothing else would come within it, so waiting
// would only add latency:
//
//   - below minPacedRate messages per second the writer stores what is
//     waiting at once (no window: a lone message is stored and shown
//     without delay);
//   - above, it waits long enough to gather about batchTarget messages,
//     at most maxWriteWindow.
//
// The rate is measured from the writer's own batches (messages per
// batch over the time between batch starts), smoothed over the last
// paceMemory or so: a quiet pause makes the next message's window 0.
//
// The cap stays 10 ms: same-run A/B at 8 members x 500 msg/s
// (docs/notes-s10-parse.md) showed 15 and 20 ms save 7-8 us of CPU per
// delivery (batches of ~7-9 instead of ~4-5) but raise the receivers' p99
// by 2-7 ms.
const (
	maxWriteWindow = 10 * time.Millisecond
	batchTarget    = 16
	// minPacedRate: under 2 messages expected in maxWriteWindow a
	// window gathers nothing worth its latency.
	minPacedRate = 2 / 0.010
	// paceMemory is the time constant of the rate's smoothing.
	paceMemory = 50 * time.Millisecond
)

// writeWindowMax is maxWriteWindow, or PEERHOOD_CHAT_WINDOW when it is a
// Go duration from 1 to 50 ms: a knob for same-run A/B benchmarks
// (ODD_ENV=PEERHOOD_CHAT_WINDOW=20ms bench/chat.sh), not a setting.
var writeWindowMax = windowFromEnv(os.Getenv("PEERHOOD_CHAT_WINDOW"))

func windowFromEnv(v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Millisecond || d > 50*time.Millisecond {
		return maxWriteWindow
	}
	return d
}

// writePace tracks the rate of the writer's intake. Only the writer
// goroutine uses it.
type writePace struct {
	rate  float64   // messages per second, smoothed
	start time.Time // when the previous batch began (zero: none yet)
	n     int       // messages in the previous batch
}

// begin notes that a batch begins at now and returns how long to wait
// for more messages (0: store what is waiting at once).
func (p *writePace) begin(now time.Time) time.Duration {
	if !p.start.IsZero() {
		dt := max(now.Sub(p.start), time.Millisecond)
		inst := float64(p.n) / dt.Seconds()
		p.rate += (1 - math.Exp(-float64(dt)/float64(paceMemory))) * (inst - p.rate)
	}
	p.start = now
	return p.window()
}

// end notes how many messages the batch begun last took.
func (p *writePace) end(n int) { p.n = n }

// window is the write window for the current rate.
func (p *writePace) window() time.Duration {
	if p.rate < minPacedRate {
		return 0
	}
	return min(writeWindowMax, time.Duration(batchTarget/p.rate*float64(time.Second)))
}
