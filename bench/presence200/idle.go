package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loTxBytes returns the bytes sent on the loopback interface of this
// network namespace (/proc/net/dev). Run the bench in a namespace of its
// own (unshare -n) so that only its members' traffic counts.
func loTxBytes() (uint64, error) {
	f, err := os.Open("/proc/net/dev")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) != "lo" {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 9 {
			break
		}
		return strconv.ParseUint(fields[8], 10, 64) // transmit bytes
	}
	return 0, fmt.Errorf("no lo line in /proc/net/dev")
}

// measureIdle reports, over d, the loopback bytes and CPU of the n
// members of this process once they have converged and stay idle:
// heartbeats, gossip control, pings, nothing else.
func measureIdle(n int, d time.Duration) error {
	b0, err := loTxBytes()
	if err != nil {
		return err
	}
	c0, t0 := cpuTime(), time.Now()
	time.Sleep(d)
	b1, err := loTxBytes()
	if err != nil {
		return err
	}
	c1, el := cpuTime(), time.Since(t0)
	bps := float64(b1-b0) / el.Seconds()
	cpu := float64(c1-c0) / float64(el) * 100
	fmt.Printf("idle over %s: %d members sent %.0f B/s on loopback in all, %.0f B/s per member (IP and TCP headers included); CPU %.1f%% of a core in all, %.3f%% per member\n",
		el.Round(time.Second), n, bps, bps/float64(n), cpu, cpu/float64(n))
	return nil
}

// slowJoinDump, when set (-slowjoin FILE), receives every goroutine's
// stack the first time a join takes over 3 s: where it waits.
var (
	slowJoinDump string
	slowJoinOnce sync.Once
)

func dumpSlowJoin() {
	if slowJoinDump == "" {
		return
	}
	slowJoinOnce.Do(func() {
		f, err := os.Create(slowJoinDump)
		if err != nil {
			return
		}
		defer f.Close()
		_ = pprof.Lookup("goroutine").WriteTo(f, 2)
		fmt.Println("  a join takes over 3 s: goroutines written to", slowJoinDump)
	})
}
