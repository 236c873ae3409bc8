// Command spoolmail is the mail half of bench/spool.sh: it queues many
// small mails through a node's control API, and waits until a sender's
// queue shows them delivered and the recipient holds each exactly once.
//
//	spoolmail send -home A -to NAME -n 10000
//	spoolmail wait -sender A -recipient B -n 10000
//	spoolmail waitjob -home A -id JOB   (until the job is delivered)
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/spool"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: spoolmail send|wait ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "send":
		err = send(os.Args[2:])
	case "wait":
		err = wait(os.Args[2:])
	case "waitjob":
		err = waitJob(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "spoolmail:", err)
		os.Exit(1)
	}
}

func send(args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	home := fs.String("home", "", "sender's state folder")
	to := fs.String("to", "", "recipient name")
	n := fs.Int("n", 10000, "mails")
	conc := fs.Int("c", 8, "concurrent requests")
	fs.Parse(args)
	c := api.NewClient(*home)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *conc)
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(*n) {
					return
				}
				req := apitypes.MailSendRequest{To: []string{*to}, Subject: fmt.Sprintf("bench %06d", i), Body: strings.Repeat("x", 200)}
				if err := c.Do(context.Background(), http.MethodPost, "/v1/mail/send", req, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("queued %d mails in %.2fs\n", *n, time.Since(start).Seconds())
	return nil
}

func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	sender := fs.String("sender", "", "sender's state folder")
	recipient := fs.String("recipient", "", "recipient's state folder")
	n := fs.Int("n", 10000, "mails")
	timeout := fs.Duration("timeout", 120*time.Second, "give up after")
	fs.Parse(args)
	sc, rc := api.NewClient(*sender), api.NewClient(*recipient)
	ctx := context.Background()
	start := time.Now()
	for time.Since(start) < *timeout {
		var jobs []spool.Job
		if err := sc.Do(ctx, http.MethodGet, "/v1/queue", nil, &jobs); err != nil {
			return err
		}
		delivered := 0
		for _, j := range jobs {
			if j.Kind == spool.KindMail && j.State == spool.StateDelivered {
				delivered++
			}
		}
		if delivered == *n {
			el := time.Since(start)
			var items []spool.Item
			if err := rc.Do(ctx, http.MethodGet, "/v1/mail", nil, &items); err != nil {
				return err
			}
			seen := map[string]int{}
			for _, it := range items {
				seen[it.Subject]++
			}
			dups, missing := 0, 0
			for i := 0; i < *n; i++ {
				switch c := seen[fmt.Sprintf("bench %06d", i)]; {
				case c == 0:
					missing++
				case c > 1:
					dups += c - 1
				}
			}
			fmt.Printf("delivered %d mails in %.2fs (%.0f/s); recipient holds %d, missing %d, duplicated %d\n",
				*n, el.Seconds(), float64(*n)/el.Seconds(), len(items), missing, dups)
			if missing > 0 || dups > 0 || len(items) != *n {
				return fmt.Errorf("lost or duplicated mail")
			}
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not all %d delivered within %s", *n, *timeout)
}

func waitJob(args []string) error {
	fs := flag.NewFlagSet("waitjob", flag.ExitOnError)
	home := fs.String("home", "", "sender's state folder")
	id := fs.String("id", "", "job ID")
	timeout := fs.Duration("timeout", 120*time.Second, "give up after")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	// The node's job.changed events say when the job moves, so the wait
	// costs the node one queue listing, not one every 20 ms (a poll's
	// CPU counted in the sender's CPU-s). Subscribe first, then look at
	// the queue once: a delivery before the subscription is seen there,
	// one after it comes as an event.
	c := client.New(*home)
	st, err := c.Events(ctx, "", apitypes.EventJobChanged)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	defer st.Close()
	for {
		jobs, err := c.Queue(ctx)
		if err != nil {
			return err
		}
		var j apitypes.Job
		for _, x := range jobs {
			if x.ID == *id {
				j = x
			}
		}
		switch j.State {
		case spool.StateDelivered:
			return nil
		case spool.StateFailed, spool.StateCancelled:
			return fmt.Errorf("job %s %s: %s", *id, j.State, j.Error)
		}
		if err := nextChange(st, *id); err != nil {
			return fmt.Errorf("job %s not delivered: %w", *id, err)
		}
	}
}

// nextChange waits for a job.changed event of job id (or a gap, after
// which the queue must be read again).
func nextChange(st *client.EventStream, id string) error {
	for {
		ev, err := st.Next()
		if err != nil {
			return err
		}
		if ev.Kind == apitypes.EventGap {
			return nil
		}
		var jc events.JobChanged
		if ev.Decode(&jc) == nil && jc.ID == id {
			return nil
		}
	}
}
