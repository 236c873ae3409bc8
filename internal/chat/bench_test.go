package chat_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkRoom sends PEERHOOD_BENCH_MSGS messages (default 2000) to one
// room at PEERHOOD_BENCH_RATE messages per second in all (default 500),
// spread over PEERHOOD_BENCH_MEMBERS members (default 8) that all say
// things, whole nodes in one process. It reports the rate every member
// received them at, the send-to-receive latency over every (message,
// receiving member) pair, and the messages lost and duplicated (read
// back from each member's history). Run with -benchtime 1x
// (bench/chat.sh).
func BenchmarkRoom(b *testing.B) {
	n, total, rate := envInt("PEERHOOD_BENCH_MEMBERS", 8), envInt("PEERHOOD_BENCH_MSGS", 2000), envInt("PEERHOOD_BENCH_RATE", 500)
	net := testnet.New(b, names(n)...)
	net.Workgroup("office")
	net.WaitOnline("office")
	ctx := context.Background()
	if _, err := net.Nodes[0].Chat().CreateRoom(ctx, "office", "bench", "", nil); err != nil {
		b.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(b, nd, "office", "bench")
		if _, err := nd.Chat().JoinRoom(ctx, "office", "bench"); err != nil {
			b.Fatal(err)
		}
	}
	waitMesh(b, net.Nodes)
	for range b.N {
		runRoomBench(b, net.Nodes, total, rate)
	}
}

// waitMesh waits until every member sees every other in the room.
func waitMesh(tb testing.TB, nodes []*testnet.Node) {
	testutil.Eventually(tb, testnet.Converge, func() error {
		for _, nd := range nodes {
			ms, err := nd.Chat().RoomMembers("office", "bench")
			if err != nil {
				return err
			}
			if len(ms) != len(nodes) {
				return fmt.Errorf("%s sees %d members in the room", nd.Name, len(ms))
			}
		}
		return nil
	})
}

type arrival struct {
	text string
	at   time.Time
}

func runRoomBench(b *testing.B, nodes []*testnet.Node, total, rate int) {
	var mu sync.Mutex
	sentAt := make(map[string]time.Time, total)
	var arrivals [][]arrival = make([][]arrival, len(nodes))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i, nd := range nodes {
		sub := nd.Chat().SubscribeMessages()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sub.Close()
			for {
				select {
				case <-stop:
					return
				case <-sub.Ready():
				}
				for _, ev := range sub.Take(nil) {
					var m chat.Message
					if ev.Decode(&m) == nil && m.Room == "bench" {
						arrivals[i] = append(arrivals[i], arrival{m.Text, time.Now()})
					}
				}
			}
		}()
	}
	cpu0 := cpuTime()
	push0 := pushTotals(nodes)
	start := time.Now()
	every := time.Second / time.Duration(rate)
	var send sync.WaitGroup
	for i, nd := range nodes {
		send.Add(1)
		go func() {
			defer send.Done()
			for k := i; k < total; k += len(nodes) {
				time.Sleep(time.Until(start.Add(time.Duration(k) * every)))
				txt := "m-" + strconv.Itoa(k)
				mu.Lock()
				sentAt[txt] = time.Now()
				mu.Unlock()
				if _, err := nd.Chat().Say(context.Background(), "office", "bench", txt, chat.SendOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	send.Wait()
	sendEnd := time.Since(start)
	// Drain: every member holds every message (or the wait ends).
	lost, dup := 0, 0
	_ = waitAll(nodes, total, 30*time.Second)
	done := time.Since(start)
	cpu := cpuTime() - cpu0
	push := pushTotals(nodes)
	close(stop)
	wg.Wait()
	for _, nd := range nodes {
		got := texts(b, nd, "office", "bench")
		uniq := slices.Compact(slices.Sorted(slices.Values(got)))
		dup += len(got) - len(uniq)
		lost += total - len(uniq)
	}
	reportRoomBench(b, arrivals, sentAt, start, total)
	b.Logf("%d members, %d messages at %d/s: sent in %v, all held after %v; %d lost, %d duplicated",
		len(nodes), total, rate, sendEnd.Round(time.Millisecond), done.Round(time.Millisecond), lost, dup)
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(dup), "dup")
	recv := float64(total * (len(nodes) - 1))
	b.ReportMetric(float64(cpu.Microseconds())/float64(total*len(nodes)), "us-cpu/delivery")
	b.ReportMetric((push.New+push.Dup-push0.New-push0.Dup)/recv, "push-copies/recv")
	b.ReportMetric(float64(push.GossipIn-push0.GossipIn)/recv, "gossip-taken/recv")
	b.ReportMetric((push.Gossip-push0.Gossip)/float64(total), "gossip-published/msg")
}

// pushTotals sums the members' push counters.
func pushTotals(nodes []*testnet.Node) chat.PushCounts {
	var t chat.PushCounts
	for _, nd := range nodes {
		c := nd.Chat().PushCounts()
		t.New, t.Dup, t.Sent, t.Gossip = t.New+c.New, t.Dup+c.Dup, t.Sent+c.Sent, t.Gossip+c.Gossip
		t.GossipIn += c.GossipIn
		t.GossipOfPushed += c.GossipOfPushed
	}
	return t
}

// cpuTime is this process's CPU time so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRoomBench reports the rate and the latency over every
// (message, receiving member) pair.
func reportRoomBench(b *testing.B, arrivals [][]arrival, sentAt map[string]time.Time, start time.Time, total int) {
	var lat []time.Duration
	last := time.Time{}
	for _, as := range arrivals {
		for _, a := range as {
			if t0, ok := sentAt[a.text]; ok {
				lat = append(lat, a.at.Sub(t0))
			}
			if a.at.After(last) {
				last = a.at
			}
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return -1
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(total)/last.Sub(start).Seconds(), "msgs/s")
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// waitAll waits until every node holds total messages in the room.
func waitAll(nodes []*testnet.Node, total int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		short := ""
		for _, nd := range nodes {
			ms, err := nd.Chat().History(context.Background(), "office", chat.HistoryQuery{Room: "bench", Limit: 1 << 30})
			if err != nil || len(ms) < total {
				short = nd.Name
				break
			}
		}
		if short == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is short", short)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
