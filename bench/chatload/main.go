//go:build unix

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	t "github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

// timelineFile is -timeline (timeline.go).
var timelineFile string

func main() {
	homes := flag.String("homes", "", "members' state folders, comma-separated")
	wg := flag.String("workgroup", "bench", "workgroup")
	room := flag.String("room", "bench", "room")
	msgs := flag.Int("msgs", 2000, "messages in all")
	rate := flag.Int("rate", 500, "messages per second in all")
	senders := flag.Int("senders", 0, "members that send (0: all)")
	wait := flag.Duration("wait", 60*time.Second, "how long to wait for every member to hold every message")
	flag.StringVar(&timelineFile, "timeline", "", "write the per-second latency table to this file (and read each member's /metrics every second for it)")
	flag.StringVar(&profDir, "profile", "", "folder to write CPU profiles of the first sender and the last member to, taken while sending")
	catch := flag.Int("catchup", 0, "catch-up mode: the last member is killed, the others say this many messages in -room, then -restart starts it again; prints how long it takes to hold them all")
	restart := flag.String("restart", "", "shell command that starts the last member again (catch-up mode)")
	idle := flag.Bool("idle", false, "idle mode: set the room up, say nothing, and print the members' CPU right after setup and once -settle passed")
	settle := flag.Duration("settle", 20*time.Second, "idle mode: when, after setup, the settled window starts")
	window := flag.Duration("window", 3*time.Second, "idle mode: how long each window lasts")
	flag.StringVar(&startedFile, "started", "", "a file to create when the sending starts (bench/chat.sh's KILL waits for it)")
	settledWindow := flag.Duration("settled-window", 10*time.Second, "idle mode: how long the settled window lasts")
	flag.BoolVar(&parity, "parity", false, "print the even and odd members' CPU (and, in a run, peak RSS) apart (bench/chat.sh BASE=, ODD_ENV=)")
	selfProf := flag.String("selfprofile", "", "write a CPU profile of this process (the load generator) over the run to this file")
	flag.Parse()
	stop := func() {}
	if *selfProf != "" {
		var err error
		if stop, err = profileSelf(*selfProf); err != nil {
			fmt.Fprintln(os.Stderr, "chatload:", err)
			os.Exit(1)
		}
	}
	hs := strings.Split(*homes, ",")
	var err error
	switch {
	case *idle:
		err = idleOnly(hs, *wg, *room, *window, *settle, *settledWindow, parity)
	case *catch > 0:
		err = catchUp(hs, *wg, *room, *catch, *rate, *restart, *wait)
	default:
		if *senders <= 0 || *senders > len(hs) {
			*senders = len(hs)
		}
		err = run(hs, *wg, *room, *msgs, *rate, *senders, *wait)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload:", err)
		os.Exit(1)
	}
}

// startedFile is created when the sending starts (-started).
var startedFile string

// failedLogged counts the send errors printed (the first few are).
var failedLogged atomic.Int32

// member is one node's live view.
type member struct {
	c    *client.Client
	own  func(k int) bool // k was sent through this member
	mu   sync.Mutex
	seen map[int]int
	lat  []time.Duration
	due  []int64 // UnixNano each lat's message was due at (timeline.go)
	last time.Time
	gaps int // gap events read: the node dropped events for a slow reader
}

func run(homes []string, wg, room string, total, rate, senders int, wait time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ms := make([]*member, len(homes))
	for i, h := range homes {
		ms[i] = &member{c: client.New(h), seen: map[int]int{}, own: func(k int) bool { return i < senders && k%senders == i }}
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
	joinSettled(homes) // the syncs of the room's joins end before the idle window starts
	w0 := gossipCounts(homes)
	stopIdle := profileAs(homes, senders, 3, profDir, "idle") // what runs in the seconds after the room was joined
	idle := idleCPU(homes, 3*time.Second)
	reportWork("3 s idle after setup", w0, gossipCounts(homes))
	stopIdle()
	cpu := startCPU(homes)
	cpu.idle = idle
	g0 := gossipCounts(homes)
	stopProf := profile(homes, senders, 2*total/rate+2, profDir) // sending takes longer under load
	smp := startSampler(homes, timelineFile != "")
	start := time.Now()
	if startedFile != "" {
		if err := os.WriteFile(startedFile, nil, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "chatload: started:", err)
		}
	}
	send := make([]chan int, senders)
	var sent sync.WaitGroup
	failed := 0
	var fmu sync.Mutex
	var says []sayRec
	for s := range send {
		send[s] = make(chan int, total)
		sent.Add(1)
		go func(c *sayConn, in <-chan int) {
			defer sent.Done()
			var text, body []byte
			for k := range in {
				// The time it was due, not the time this sender got to it:
				// a sender falling behind shows as latency.
				due := start.Add(time.Duration(k) * time.Second / time.Duration(rate))
				text = strconv.AppendInt(append(text[:0], "b "...), int64(k), 10)
				text = strconv.AppendInt(append(text, ' '), due.UnixNano(), 10)
				body = sayBody(body[:0], wg, room, string(text))
				t0 := time.Now()
				err := c.say(body)
				took := time.Since(t0)
				if err != nil && failedLogged.Add(1) <= 3 {
					fmt.Fprintln(os.Stderr, "chatload:", err)
				}
				fmu.Lock()
				if err != nil {
					failed++
				}
				says = append(says, sayRec{due, took})
				fmu.Unlock()
			}
		}(newSayConn(homes[s]), send[s])
	}
	tick := time.Second / time.Duration(rate)
	for k := range total {
		time.Sleep(time.Until(start.Add(time.Duration(k) * tick)))
		send[k%senders] <- k
	}
	for _, ch := range send {
		close(ch)
	}
	sent.Wait()
	report(ms, total, start, failed)
	// Work the members defer to their idle moments (chat's full-text
	// indexing and WAL checkpoint, 500 ms after the last store) belongs
	// to the run's CPU: wait it out (the idle line subtracts the wait).
	// The timeline's samples go on through it (the halves' "after").
	time.Sleep(deferredWork)
	timeline(ms, says, start, smp.finish(), timelineFile)
	cpu.report(homes, senders, total) // before the profiles end: they run past the sending
	stopProf()
	reportGossip(g0, gossipCounts(homes), len(homes), total)
	return settle(ctx, ms, wg, room, total, failed, wait)
}

// deferredWork is how long members may take, once idle, to do the work
// they put off while busy (chat's indexer: ftsIdle 500 ms, looked at
// every 250 ms, then ~5 us per message queued).
const deferredWork = 1500 * time.Millisecond

// setup creates the room on the first member and has the others join it.
func setup(ctx context.Context, ms []*member, wg, room string) error {
	if _, err := ms[0].c.CreateRoom(ctx, t.RoomCreateRequest{Workgroup: wg, Name: room}); err != nil && !strings.Contains(err.Error(), "exists") {
		return fmt.Errorf("create room: %w", err)
	}
	for i, m := range ms[1:] {
		var err error
		for range 200 {
			if _, err = m.c.JoinRoom(ctx, wg, room); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("member %d: join room: %w", i+1, err)
		}
	}
	for range 300 { // every member sees every other in the room
		full := true
		for _, m := range ms {
			if names, err := m.c.RoomMembers(ctx, wg, room); err != nil || len(names) < len(ms) {
				full = false
			}
		}
		if full {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the room's mesh did not form in 30 s")
}

// watch records the bench messages a member displays, reopening its
// stream when it ends (the member was restarted). It reads the events
// with eventScanner (lean.go): with 20 members at 500/s this process
// reads 10,000 events a second, and must not be what limits the run.
func (m *member) watch(ctx context.Context, room string, ready *sync.WaitGroup) {
	first := true
	path := "/v1/events?kinds=" + string(t.EventChatMessage)
	for ctx.Err() == nil {
		res, err := m.c.Transport().Stream(ctx, http.MethodGet, path, nil, "")
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if first {
			ready.Done()
			first = false
		}
		sc := newEventScanner(res.Body, room)
		gaps := 0
		for {
			text, err := sc.next()
			if err != nil {
				break
			}
			if k, ns, ok := benchText(text); ok {
				m.note(k, ns, time.Now())
			}
			if sc.gaps != gaps { // the node dropped events for this reader
				m.mu.Lock()
				m.gaps += sc.gaps - gaps
				m.mu.Unlock()
				gaps = sc.gaps
			}
		}
		res.Body.Close()
	}
}

// benchTextSlow parses a bench text as it always was (benchText's
// general case).
func benchTextSlow(text string) (k int, ns int64, ok bool) {
	f := strings.Fields(text)
	if len(f) != 3 || f[0] != "b" {
		return 0, 0, false
	}
	k, err1 := strconv.Atoi(f[1])
	ns, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return k, ns, true
}

// note records message k (due at ns) displayed at at.
func (m *member) note(k int, ns int64, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[k]++
	if m.seen[k] == 1 && !m.own(k) { // as ircload: latency to the other members
		m.lat = append(m.lat, at.Sub(time.Unix(0, ns)))
		m.due = append(m.due, ns)
		m.last = at
	}
}

// report prints the live figures once the last message was sent and
// every stream went quiet for a second (or 30 s passed).
func report(ms []*member, total int, start time.Time, failed int) {
	for range 60 {
		time.Sleep(500 * time.Millisecond)
		done := true
		for _, m := range ms {
			m.mu.Lock()
			if len(m.seen) < total-failed && time.Since(m.last) < time.Second {
				done = false
			}
			m.mu.Unlock()
		}
		if done {
			break
		}
	}
	var lat []time.Duration
	var last time.Time
	live, gaps := 0, 0
	for _, m := range ms {
		m.mu.Lock()
		lat = append(lat, m.lat...)
		live += len(m.seen)
		gaps += m.gaps
		if m.last.After(last) {
			last = m.last
		}
		m.mu.Unlock()
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return -1
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	fmt.Printf("peerhood: %d members, %d messages: %.0f msgs/s  p50 %.2f ms  p99 %.2f ms  live %d/%d  send errors %d\n",
		len(ms), total, float64(total)/last.Sub(start).Seconds(), q(0.5), q(0.99), live, total*len(ms), failed)
	if gaps > 0 {
		fmt.Printf("peerhood: the members' event streams dropped events for chatload (a slow reader) %d times: live falls short by those\n", gaps)
	}
}

// settle waits until every member's history holds every message sent,
// then prints the messages lost and duplicated.
func settle(ctx context.Context, ms []*member, wg, room string, total, failed int, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	start := time.Now()
	var why string // what the last round was short of, printed when the wait was long
	for {
		t0 := time.Now()
		lost, dup, err := count(ctx, ms, wg, room, total)
		if err == nil && (lost <= failed*len(ms) || time.Now().After(deadline)) {
			fmt.Printf("peerhood: history of every member after %.1f s: lost %d  dup %d (send errors %d)\n",
				time.Since(start).Seconds(), lost-failed*len(ms), dup, failed)
			if time.Since(start) > 5*time.Second {
				fmt.Printf("peerhood: history: the round before the last: %s; the last took %.1f s\n", why, time.Since(t0).Seconds())
			}
			return nil
		}
		why = fmt.Sprintf("lost %d, error %v (%.1f s)", lost, err, time.Since(t0).Seconds())
		if time.Now().After(deadline) {
			return fmt.Errorf("history: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func count(ctx context.Context, ms []*member, wg, room string, total int) (lost, dup int, err error) {
	for i, m := range ms {
		h, err := m.c.History(ctx, client.HistoryQuery{Workgroup: wg, Room: room, Limit: total * 2})
		if err != nil {
			return 0, 0, fmt.Errorf("member %d: %w", i, err)
		}
		got := map[int]int{}
		for _, x := range h {
			if f := strings.Fields(x.Text); len(f) == 3 && f[0] == "b" {
				k, _ := strconv.Atoi(f[1])
				got[k]++
			}
		}
		for k := range total {
			switch n := got[k]; {
			case n == 0:
				lost++
			case n > 1:
				dup += n - 1
			}
		}
	}
	return lost, dup, nil
}

// profileSelf starts a CPU profile of this process into file (-selfprofile):
// the load generator's own cost, which competes with the members.
func profileSelf(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("self profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("self profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "chatload: self profile:", err)
		}
	}, nil
}
