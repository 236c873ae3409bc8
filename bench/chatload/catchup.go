//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	t "github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

// catchUp measures how long a member that was away while total messages
// were said in a room takes to hold them all once it returns: every
// member joins room, the last one is SIGKILLed, the others send total
// messages at rate (round robin), then restart (a shell command) starts
// the last one again, and its unread count in room is polled until it
// reaches total. It prints the time from the restart and from the node
// answering, then lost and duplicated messages from its history.
func catchUp(homes []string, wg, room string, total, rate int, restart string, wait time.Duration) error {
	ctx := context.Background()
	ms := make([]*member, len(homes))
	for i, h := range homes {
		ms[i] = &member{c: client.New(h)}
	}
	if err := setup(ctx, ms, wg, room); err != nil {
		return err
	}
	last := ms[len(ms)-1]
	pid := pidOf(homes[len(homes)-1])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill the last member (PID %d): %w", pid, err)
	}
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	failed := sendAll(ctx, ms[:len(ms)-1], wg, room, total, rate)
	fmt.Fprintf(os.Stderr, "chatload: catch-up: %d messages said in %.1f s (%d failed) while the last member was away\n", total, time.Since(start).Seconds(), failed)
	time.Sleep(time.Second) // the others settle (each author's messages are on every member anyway)
	t0 := time.Now()
	if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		return fmt.Errorf("restart: %v: %s", err, out)
	}
	var up time.Duration
	deadline := t0.Add(wait)
	for time.Now().Before(deadline) {
		if up == 0 {
			if _, err := last.c.Version(ctx); err == nil {
				up = time.Since(t0)
			}
		}
		if up > 0 && unread(ctx, last.c, wg, room) >= total-failed {
			break
		}
		time.Sleep(100 * time.Millisecond) // the count is a scan of the room: not too often on the node measured
	}
	all := time.Since(t0)
	lost, dup, err := count(ctx, ms[len(ms)-1:], wg, room, total)
	if err != nil {
		return err
	}
	fmt.Printf("peerhood catch-up: a member back after %d messages holds them all %.2f s after its restart (%.2f s after its node answered); lost %d  dup %d (send errors %d)\n",
		total, all.Seconds(), (all - up).Seconds(), lost-failed, dup, failed)
	return nil
}

// unread is c's unread count in room (-1 when it does not answer).
func unread(ctx context.Context, c *client.Client, wg, room string) int {
	us, err := c.Unread(ctx, wg)
	if err != nil {
		return -1
	}
	for _, u := range us {
		if u.Room == room {
			return u.Count
		}
	}
	return 0
}

// sendAll says total bench messages in room at rate through ms, round
// robin, one call at a time per member; it returns the calls that failed.
func sendAll(ctx context.Context, ms []*member, wg, room string, total, rate int) int {
	var mu sync.Mutex
	failed := 0
	var wg2 sync.WaitGroup
	ch := make([]chan int, len(ms))
	for i := range ms {
		ch[i] = make(chan int, total)
		wg2.Add(1)
		go func(c *client.Client, in <-chan int) {
			defer wg2.Done()
			for k := range in {
				text := "b " + strconv.Itoa(k) + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
				if _, err := c.Say(ctx, t.ChatSayRequest{Workgroup: wg, Room: room, Text: text}); err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}(ms[i].c, ch[i])
	}
	start := time.Now()
	for k := range total {
		time.Sleep(time.Until(start.Add(time.Duration(k) * time.Second / time.Duration(rate))))
		ch[k%len(ms)] <- k
	}
	for _, c := range ch {
		close(c)
	}
	wg2.Wait()
	return failed
}
