//go:build unix

package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/peerhood/peerhood/internal/client"
)

// idleOnly is chatload's -idle mode: the room is set up and watched as
// for a run, then nothing is said. It measures every member's CPU over
// window right after setup (the "3 s idle after setup" of a run, when
// the members have just joined and met), the mean every window after
// that, then over settledWindow once settle has passed since setup, and prints each as ms of CPU per
// second per member: the mean over all members and, with parity, the
// means of the even and the odd members apart (bench/chat.sh BASE= runs
// the odd ones on another build, so one run compares two builds under
// the same load). With a profile folder every member is profiled in
// both windows (m<i>-idle.prof, m<i>-settled.prof; merge them with
// `go tool pprof -proto`).
func idleOnly(homes []string, wg, room string, window, settle, settledWindow time.Duration, parity bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ms := make([]*member, len(homes))
	for i, h := range homes {
		ms[i] = &member{c: client.New(h), seen: map[int]int{}, own: func(int) bool { return false }}
	}
	if err := setup(ctx, ms, wg, room); err != nil {
		return err
	}
	var ready sync.WaitGroup
	for _, m := range ms {
		ready.Add(1)
		go m.watch(ctx, room, &ready)
	}
	ready.Wait()
	t0 := time.Now()
	all := make([]int, len(homes))
	for i := range all {
		all[i] = i
	}
	measure := func(tag string, window time.Duration) {
		w0 := gossipCounts(homes)
		stop := profileMembers(homes, all, len(homes), int(window/time.Second), profDir, tag, "profile")
		per := perMemberCPU(homes, window)
		reportWork(tag, w0, gossipCounts(homes))
		stop()
		printIdle(tag, per, parity)
	}
	measure("idle", window)
	var line []string // the mean between the windows, every window
	for time.Until(t0.Add(settle)) >= window {
		per := perMemberCPU(homes, window)
		var s time.Duration
		for _, d := range per {
			s += d
		}
		line = append(line, fmt.Sprintf("%.1f", float64(s.Microseconds())/1000/float64(len(per))))
	}
	fmt.Printf("peerhood cpu after it, every %v: %s ms/s per member\n", window, strings.Join(line, " "))
	time.Sleep(time.Until(t0.Add(settle)))
	measure("settled", settledWindow)
	return nil
}

// perMemberCPU is each member's CPU per second over d.
func perMemberCPU(homes []string, d time.Duration) []time.Duration {
	m := startCPU(homes)
	time.Sleep(d)
	el := time.Since(m.at)
	out := make([]time.Duration, len(homes))
	for i := range homes {
		out[i] = (procCPU(m.pids[i]) - m.start[i]) * time.Second / el
	}
	return out
}

// printIdle prints the mean, min and max of per (CPU per second of each
// member) in ms/s, and with parity the even and odd members' means.
func printIdle(tag string, per []time.Duration, parity bool) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	mean := func(keep func(i int) bool) (float64, int) {
		var s time.Duration
		n := 0
		for i, d := range per {
			if keep(i) {
				s += d
				n++
			}
		}
		if n == 0 {
			return 0, 0
		}
		return ms(s) / float64(n), n
	}
	m, n := mean(func(int) bool { return true })
	fmt.Printf("peerhood %s cpu: %.1f ms CPU per second per member (%d members, min %.1f, max %.1f)\n",
		tag, m, n, ms(slices.Min(per)), ms(slices.Max(per)))
	if parity {
		e, ne := mean(func(i int) bool { return i%2 == 0 })
		o, no := mean(func(i int) bool { return i%2 == 1 })
		fmt.Printf("peerhood %s cpu: even members (this build) %.1f ms/s (%d), odd members (BASE) %.1f ms/s (%d), ratio %.2f\n", tag, e, ne, o, no, e/o)
	}
}

// joinSettled waits until the members' history syncs at the room's joins
// are over (no sync round run or spared for a second, at most
// joinSettleMax), and prints how long that took and what it cost: a
// member syncs with each that joins the room, at once and joinResync
// (1.5 s) later, so with 20 members the seconds right after setup hold
// about 400 sync rounds and 20-30 ms of CPU per second per member, once
// (bench/chat.sh IDLE_ONLY=1 shows it second by second). Measured in
// the idle window, it made the idle CPU three times what it is while the
// room is in use (6 ms/s per member at 20 members).
func joinSettled(homes []string) {
	start := time.Now()
	m := startCPU(homes)
	w0 := gossipCounts(homes)
	syncs := func(w map[string]float64) float64 { return w["work_sync_rounds"] + w["work_sync_told"] }
	last, quiet := syncs(w0), time.Now()
	for time.Since(start) < joinSettleMax {
		time.Sleep(500 * time.Millisecond) // a scrape of 20 members' /metrics is CPU too
		if n := syncs(gossipCounts(homes)); n != last {
			last, quiet = n, time.Now()
		} else if time.Since(quiet) >= time.Second {
			break
		}
	}
	var all time.Duration
	for i := range homes {
		all += procCPU(m.pids[i]) - m.start[i]
	}
	fmt.Printf("peerhood room join: syncs over %.1f s after setup, %.0f ms CPU per member in that time\n",
		time.Since(start).Seconds(), float64(all.Microseconds())/1000/float64(len(homes)))
	reportWork("room join", w0, gossipCounts(homes))
}

// joinSettleMax bounds joinSettled's wait.
const joinSettleMax = 8 * time.Second
