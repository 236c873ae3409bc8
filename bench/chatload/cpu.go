//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clkTck is the kernel's clock tick (utime and stime of /proc/PID/stat
// count in it); 100 on every Linux this runs on.
const clkTck = 100

// pidOf reads the PID of the node running in home from its lock file.
func pidOf(home string) int {
	b, err := os.ReadFile(filepath.Join(home, "lock"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// procCPU is the CPU time (user + system) process pid used so far; 0 when
// it is gone.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 { // state is field 3; utime 14, stime 15
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / clkTck
}

// selfCPU is this process's CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter samples the members' and this process's CPU time.
type cpuMeter struct {
	pids  []int
	start []time.Duration
	self  time.Duration
	at    time.Time
	idle  time.Duration // all members' CPU per second while idle (idleCPU)
}

// idleCPU is the members' CPU per second, all together, over d while
// nothing is sent (their timers, gossip heartbeats, presence): part of
// every run's CPU, whatever the load.
func idleCPU(homes []string, d time.Duration) time.Duration {
	m := startCPU(homes)
	time.Sleep(d)
	var all time.Duration
	for i := range homes {
		all += procCPU(m.pids[i]) - m.start[i]
	}
	return all * time.Second / time.Since(m.at)
}

func startCPU(homes []string) *cpuMeter {
	m := &cpuMeter{pids: make([]int, len(homes)), start: make([]time.Duration, len(homes)), self: selfCPU(), at: time.Now()}
	for i, h := range homes {
		m.pids[i] = pidOf(h)
		m.start[i] = procCPU(m.pids[i])
	}
	return m
}

// report prints CPU seconds per 1,000 messages per process, for the
// members that send and for those that only receive, and per delivery
// (one message displayed on one member) over all members. A member that
// was restarted (another PID) is left out.
func (m *cpuMeter) report(homes []string, senders, total int) {
	var sendCPU, recvCPU, all time.Duration
	var ns, nr int
	for i, h := range homes {
		if pidOf(h) != m.pids[i] || m.pids[i] == 0 {
			continue
		}
		d := procCPU(m.pids[i]) - m.start[i]
		all += d
		if i < senders {
			sendCPU += d
			ns++
		} else {
			recvCPU += d
			nr++
		}
	}
	per := func(d time.Duration, n int) float64 {
		if n == 0 {
			return -1
		}
		return d.Seconds() / float64(n) / float64(total) * 1000
	}
	deliveries := float64(total) * float64(ns+nr-1)
	fmt.Printf("peerhood cpu: %.3f CPU-s per 1000 msgs per sending member (%d), %.3f per receiving-only member (%d); %.0f us CPU per delivery (all members); chatload %.3f CPU-s per 1000 msgs\n",
		per(sendCPU, ns), ns, per(recvCPU, nr), nr, all.Seconds()/deliveries*1e6, (selfCPU()-m.self).Seconds()/float64(total)*1000)
	if parity {
		m.reportParity(homes, total)
	}
	if m.idle > 0 {
		el := time.Since(m.at)
		idle := time.Duration(float64(m.idle) * el.Seconds())
		fmt.Printf("peerhood idle cpu: %.1f ms CPU per second per member while idle; over this run's %.1f s that is %.0f us per delivery, %.0f us per delivery net of it\n",
			float64(m.idle.Microseconds())/1000/float64(len(homes)), el.Seconds(), idle.Seconds()/deliveries*1e6, (all-idle).Seconds()/deliveries*1e6)
	}
}

// parity: print the even and odd members apart (-parity).
var parity bool

// reportParity prints the even and the odd members' CPU per message
// (each member handles every message: says its share, displays the
// rest) and their mean peak RSS, apart: bench/chat.sh runs the odd ones
// on another build (BASE=) or with another environment (ODD_ENV=).
func (m *cpuMeter) reportParity(homes []string, total int) {
	var cpu [2]time.Duration
	var rss [2]int
	var n [2]int
	for i, h := range homes {
		if pidOf(h) != m.pids[i] || m.pids[i] == 0 {
			continue
		}
		cpu[i%2] += procCPU(m.pids[i]) - m.start[i]
		rss[i%2] += peakRSS(m.pids[i])
		n[i%2]++
	}
	if n[0] == 0 || n[1] == 0 {
		return
	}
	us := func(k int) float64 { return cpu[k].Seconds() / float64(n[k]) / float64(total) * 1e6 }
	fmt.Printf("peerhood cpu by half: even members %.0f us per message per member, peak RSS %.1f MB (%d); odd members (BASE or ODD_ENV) %.0f us, %.1f MB (%d); even/odd %.2f\n",
		us(0), float64(rss[0])/1024/float64(n[0]), n[0], us(1), float64(rss[1])/1024/float64(n[1]), n[1], us(0)/us(1))
}

// peakRSS is process pid's peak resident set (VmHWM) in KB.
func peakRSS(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}
