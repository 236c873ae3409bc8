package spool

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Mails queued at the same time share commits (fsyncs), and every Send
// that returned holds a queued job.
func TestGroupCommitBatchesConcurrentSends(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	alice.start() // bob stays offline: the jobs stay queued
	ctx := context.Background()
	const n = 64
	before := alice.svc.commits.Load()
	var wg sync.WaitGroup
	ids := make(chan string, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindMail, Subject: fmt.Sprint(i)})
			if err != nil {
				errs <- err
				return
			}
			ids <- jobs[0].ID
		}(i)
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Fatal(err)
	}
	got := 0
	for id := range ids {
		var state string
		if err := alice.db.QueryRow(`SELECT state FROM spool_outbox WHERE id=?`, id).Scan(&state); err != nil {
			t.Fatalf("job %s acknowledged but not stored: %v", id, err)
		}
		got++
	}
	if got != n {
		t.Fatalf("%d of %d queued", got, n)
	}
	commits := alice.svc.commits.Load() - before
	t.Logf("%d mails queued in %d commits", n, commits)
	if commits > n/2 {
		t.Fatalf("%d concurrent mails took %d commits: not grouped", n, commits)
	}
}

// One failing write in a group is rolled back alone; the others commit and
// each caller hears its own outcome.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	a := newTNode(t, "alice")
	group(a)
	a.start()
	ins := func(p string) func(*sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO spool_peer_addrs(peer, addrs, updated) VALUES(?, '[]', 0)`, p)
			return err
		}
	}
	boom := errors.New("boom")
	reqs := []*commitReq{
		{fn: ins("p1"), done: make(chan error, 1)},
		{fn: func(tx *sql.Tx) error {
			if err := ins("p2")(tx); err != nil {
				return err
			}
			return boom
		}, done: make(chan error, 1)},
		{fn: ins("p1"), done: make(chan error, 1)}, // duplicate key
		{fn: ins("p3"), done: make(chan error, 1)},
	}
	a.svc.commitBatch(reqs)
	want := []bool{true, false, false, true}
	for i, r := range reqs {
		if err := <-r.done; (err == nil) != want[i] {
			t.Errorf("request %d: err %v", i, err)
		}
	}
	for p, exists := range map[string]bool{"p1": true, "p2": false, "p3": true} {
		var c int
		a.db.QueryRow(`SELECT count(*) FROM spool_peer_addrs WHERE peer=?`, p).Scan(&c)
		if (c == 1) != exists {
			t.Errorf("%s stored %d times", p, c)
		}
	}
	// After Close nothing is accepted (and nothing waits forever).
	svc := a.svc
	a.stop()
	if err := svc.groupCommit(ins("p4")); !errors.Is(err, errClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// A mail to several members is queued in one commit: all jobs or none.
func TestSendToSeveralIsOneCommit(t *testing.T) {
	t.Parallel()
	nodes := []*tnode{newTNode(t, "alice")}
	for _, n := range []string{"b1", "b2", "b3", "b4"} {
		nodes = append(nodes, newTNode(t, n))
	}
	group(nodes...)
	alice := nodes[0]
	alice.start() // the others stay offline
	ctx := context.Background()
	before := alice.svc.commits.Load()
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"b1", "b2", "b3", "b4"}, Kind: KindMail, Subject: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 4 {
		t.Fatalf("%d jobs", len(jobs))
	}
	if c := alice.svc.commits.Load() - before; c != 1 {
		t.Fatalf("4 recipients took %d commits", c)
	}
	// A recipient unknown at send time refuses the whole send.
	if _, err := alice.svc.Send(ctx, SendRequest{To: []string{"b1", "nobody"}, Kind: KindMail, Subject: "x"}); err == nil {
		t.Fatal("sent to an unknown member")
	}
	var n int
	alice.db.QueryRow(`SELECT count(*) FROM spool_outbox`).Scan(&n)
	if n != 4 {
		t.Fatalf("outbox holds %d jobs, want 4", n)
	}
}
