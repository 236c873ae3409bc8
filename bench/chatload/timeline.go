//go:build unix

package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The latency timeline: where a run's tail comes from. Every delivery is
// put in the second of the run its message was due in (its send time),
// so a stall of a few hundred milliseconds shows as one or two bad
// seconds, and CPU saturation as a p99 high all along. Per second: the
// deliveries, p50, p99 and max over all receiving members, the member
// with the worst p99, the p99 of the Say calls made (the sender's own
// store path), and the members' CPU (from /proc, cheap). With
// -timeline FILE, each member's /metrics is also read once a second
// (GC cycles, the writer's batches, the indexer's transactions and the
// store lock's holds per holder, sync rounds) and the table is written
// to FILE; without it the summary line only.

// sayRec is one Say call: when it was due, how long the call took.
type sayRec struct {
	due  time.Time
	took time.Duration
}

// tlSample is the counters of every member at one moment.
type tlSample struct {
	at   time.Time
	cpu  time.Duration      // all members' CPU so far
	half [2]time.Duration   // the even and the odd members' CPU so far
	c    map[string]float64 // all members' metrics summed (-timeline only)
}

// sampler takes a tlSample a second until stopped.
type sampler struct {
	homes   []string
	pids    []int
	metrics bool
	mu      sync.Mutex
	s       []tlSample
	stop    chan struct{}
	done    chan struct{}
}

func startSampler(homes []string, metrics bool) *sampler {
	sp := &sampler{homes: homes, pids: make([]int, len(homes)), metrics: metrics, stop: make(chan struct{}), done: make(chan struct{})}
	for i, h := range homes {
		sp.pids[i] = pidOf(h)
	}
	go func() {
		defer close(sp.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			sp.take()
			select {
			case <-sp.stop:
				sp.take()
				return
			case <-t.C:
			}
		}
	}()
	return sp
}

func (sp *sampler) take() {
	x := tlSample{at: time.Now()}
	for i, p := range sp.pids {
		c := procCPU(p)
		x.cpu += c
		x.half[i%2] += c
	}
	if sp.metrics {
		x.c = gossipCounts(sp.homes)
	}
	sp.mu.Lock()
	sp.s = append(sp.s, x)
	sp.mu.Unlock()
}

func (sp *sampler) finish() []tlSample {
	close(sp.stop)
	<-sp.done
	return sp.s
}

// lockCounter parses a line of chat's store lock counters into its key
// ("lock_hold_index", "lock_long_store") and value.
func lockCounter(line string) (string, float64, bool) {
	var key string
	if rest, ok := strings.CutPrefix(line, `peerhood_chat_store_lock_seconds_total{holder="`); ok {
		holder, rest, _ := strings.Cut(rest, `"`)
		what, rest, _ := strings.Cut(strings.TrimPrefix(rest, `,what="`), `"`)
		key, line = "lock_"+what+"_"+holder, rest
	} else if rest, ok := strings.CutPrefix(line, `peerhood_chat_store_lock_long_total{holder="`); ok {
		holder, rest, _ := strings.Cut(rest, `"`)
		key, line = "lock_long_"+holder, rest
	} else {
		return "", 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "}")), 64)
	return key, f, err == nil
}

// quantile of sorted durations, in ms (-1: none).
func quantile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return -1
	}
	return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
}

// tlSecond is one second of the run.
type tlSecond struct {
	lat      []time.Duration
	byMember map[int][]time.Duration
	say      []time.Duration
}

// timeline prints the summary line (and with file the table) of the
// deliveries and Say calls by the second they were due in.
func timeline(ms []*member, says []sayRec, start time.Time, samples []tlSample, file string) {
	var secs []tlSecond
	at := func(due time.Time) *tlSecond {
		i := max(int(due.Sub(start)/time.Second), 0)
		for len(secs) <= i {
			secs = append(secs, tlSecond{byMember: map[int][]time.Duration{}})
		}
		return &secs[i]
	}
	perMember := make([][]time.Duration, len(ms))
	for i, m := range ms {
		m.mu.Lock()
		for j, l := range m.lat {
			s := at(time.Unix(0, m.due[j]))
			s.lat = append(s.lat, l)
			s.byMember[i] = append(s.byMember[i], l)
		}
		perMember[i] = slices.Clone(m.lat)
		m.mu.Unlock()
	}
	for _, r := range says {
		s := at(r.due)
		s.say = append(s.say, r.took)
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%4s %6s %7s %7s %7s %12s %7s %6s %5s %6s %5s %6s %26s %12s %5s %16s\n",
		"sec", "n", "p50", "p99", "max", "worst m:p99", "say99", "cpu", "gc", "wbatch", "idx", "idxmsg", "lock hold ms store/say/idx", "long s/s/i", "syncs", "wait ms store/say")
	type bad struct {
		sec int
		p99 float64
	}
	var over []bad
	worst := bad{-1, -1}
	var p99s []float64
	for i := range secs {
		s := &secs[i]
		slices.Sort(s.lat)
		slices.Sort(s.say)
		p99 := quantile(s.lat, 0.99)
		if len(s.lat) > 0 {
			p99s = append(p99s, p99)
		}
		if p99 > 50 {
			over = append(over, bad{i, p99})
		}
		if p99 > worst.p99 {
			worst = bad{i, p99}
		}
		wm, wp := -1, -1.0
		for m, l := range s.byMember {
			slices.Sort(l)
			if q := quantile(l, 0.99); q > wp {
				wm, wp = m, q
			}
		}
		fmt.Fprintf(&table, "%4d %6d %7.1f %7.1f %7.1f %6s:%5.1f %7.1f %s\n", i, len(s.lat), quantile(s.lat, 0.5), p99,
			quantile(s.lat, 1), "m"+strconv.Itoa(wm), wp, quantile(s.say, 0.99), sampleCols(samples, start, i))
	}
	slices.Sort(p99s)
	var list []string
	for _, b := range over {
		list = append(list, fmt.Sprintf("%d:%.0f", b.sec, b.p99))
	}
	var mem []string
	for i, l := range perMember {
		slices.Sort(l)
		mem = append(mem, fmt.Sprintf("m%d %.0f", i, quantile(l, 0.99)))
	}
	fmt.Printf("peerhood tail: %d s; p99 per second: median %.1f ms, worst %.1f ms (second %d); seconds over 50 ms: %d [%s]; p99 per receiving member (ms): %s\n",
		len(secs), quantile(durs(p99s), 0.5), worst.p99, worst.sec, len(over), strings.Join(list, " "), strings.Join(mem, ", "))
	burstHalves(samples, start, time.Duration(len(secs))*time.Second)
	if file != "" {
		if err := os.WriteFile(file, []byte(table.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "chatload: timeline:", err)
		}
	}
}

// durs turns ms figures back into durations for quantile.
func durs(ms []float64) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m * float64(time.Millisecond))
	}
	return out
}

// sampleCols are the counters' changes over second i of the run (from
// the samples nearest its start and end).
func sampleCols(samples []tlSample, start time.Time, i int) string {
	var a, b *tlSample
	for j := range samples {
		d := samples[j].at.Sub(start)
		if d <= time.Duration(i)*time.Second+300*time.Millisecond {
			a = &samples[j]
		}
		if b == nil && d >= time.Duration(i+1)*time.Second-300*time.Millisecond {
			b = &samples[j]
		}
	}
	if a == nil || b == nil || b.at.Sub(a.at) < 500*time.Millisecond || b.at.Sub(a.at) > 2*time.Second {
		return "" // no samples around this second (members too loaded to answer)
	}
	el := b.at.Sub(a.at).Seconds()
	out := fmt.Sprintf("%6.2f", (b.cpu-a.cpu).Seconds()/el)
	if a.c == nil || b.c == nil {
		return out
	}
	d := func(k string) float64 { return (b.c[k] - a.c[k]) / el }
	ms := func(k string) float64 { return 1000 * d(k) }
	return out + fmt.Sprintf(" %5.0f %6.0f %5.0f %6.0f %8.1f/%7.1f/%7.1f %4.0f/%3.0f/%3.0f %5.0f %8.1f/%7.1f", d("go_gc_duration_seconds_count"),
		d("work_write_batches"), d("work_index_batches"), d("work_indexed"),
		ms("lock_hold_store"), ms("lock_hold_say"), ms("lock_hold_index"),
		d("lock_long_store"), d("lock_long_say"), d("lock_long_index"), d("work_sync_rounds"), ms("lock_wait_store"), ms("lock_wait_say"))
}

// burstHalves prints the even and the odd members' CPU and index lock
// holds apart (bench/chat.sh BASE= runs the odd ones on another build),
// during the sending (from start for dur) and after it (to the last
// sample): what a build defers out of the busy period shows as less in
// the first and more in the second.
func burstHalves(samples []tlSample, start time.Time, dur time.Duration) {
	if len(samples) < 3 {
		return
	}
	a, b, z := &samples[0], (*tlSample)(nil), &samples[len(samples)-1]
	for j := range samples {
		if samples[j].at.Sub(start) <= 300*time.Millisecond {
			a = &samples[j]
		}
		if b == nil && samples[j].at.Sub(start) >= dur-300*time.Millisecond {
			b = &samples[j]
		}
	}
	if b == nil || a.c == nil || b.c == nil || z.c == nil {
		return
	}
	part := func(x, y *tlSample) string {
		el := y.at.Sub(x.at).Seconds()
		if el <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f s: cpu even %.2f odd %.2f cores, index lock held even %.0f odd %.0f ms/s, %.0f full-text indexed (by builds that count it)",
			el, (y.half[0]-x.half[0]).Seconds()/el, (y.half[1]-x.half[1]).Seconds()/el,
			1000*(y.c["lock_hold_index@0"]-x.c["lock_hold_index@0"])/el, 1000*(y.c["lock_hold_index@1"]-x.c["lock_hold_index@1"])/el,
			y.c["work_fts_indexed"]-x.c["work_fts_indexed"])
	}
	fmt.Printf("peerhood halves: sending %s; after %s\n", part(a, b), part(b, z))
}
