package spool

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkQueuedCopy measures a queued copy end to end between two
// in-process nodes on loopback: seal and queue, delivery until the
// sender holds the receipt, and inbox accept. SPOOL_BENCH_MIB sets the
// size (default 100). Sub-benchmarks: live (sent while sealed, the
// default) and sealfirst (Config.NoLive: sealed whole, then offered);
// -count interleaves them. SPOOL_BENCH_NOWB=1 turns write-behind off.
//
//	go test -run '^$' -bench QueuedCopy -benchtime 3x -count 3 ./internal/spool
func BenchmarkQueuedCopy(b *testing.B) {
	b.Run("live", func(b *testing.B) { benchQueuedCopy(b, false) })
	b.Run("sealfirst", func(b *testing.B) { benchQueuedCopy(b, true) })
}

func benchQueuedCopy(b *testing.B, noLive bool) {
	mib := 100
	if v := os.Getenv("SPOOL_BENCH_MIB"); v != "" {
		fmt.Sscan(v, &mib)
	}
	if os.Getenv("SPOOL_BENCH_NOWB") != "" {
		writeBehindOn = false // writeback.go
		defer func() { writeBehindOn = true }()
	}
	src := filepath.Join(b.TempDir(), "payload.bin")
	data := make([]byte, mib<<20)
	rand.Read(data)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		b.Fatal(err)
	}
	data = nil
	ctx := context.Background()
	var seal, deliver, accept, cpu time.Duration
	b.SetBytes(int64(mib) << 20)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		alice, bob := newTNode(b, "alice"), newTNode(b, "bob")
		group(alice, bob)
		alice.mutate = func(c *Config) { c.NoLive = noLive }
		alice.start()
		bob.start()
		connect(b, alice, bob)
		dest := filepath.Join(b.TempDir(), "accepted")
		b.StartTimer()
		c0 := cpuTime()
		t0 := time.Now()
		jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{src}})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		for {
			j, err := alice.svc.Job(ctx, jobs[0].ID)
			if err != nil {
				b.Fatal(err)
			}
			if j.State == StateDelivered {
				break
			}
			if j.State == StateFailed {
				b.Fatal(j.Error)
			}
			time.Sleep(2 * time.Millisecond)
		}
		t2 := time.Now()
		if _, err := bob.svc.Accept(ctx, jobs[0].ID, dest); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		cpu += cpuTime() - c0
		b.StopTimer()
		seal += t1.Sub(t0)
		deliver += t2.Sub(t1)
		accept += t3.Sub(t2)
		alice.stop()
		bob.stop()
		b.StartTimer()
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((seal / n).Milliseconds()), "seal-ms")
	b.ReportMetric(float64((deliver / n).Milliseconds()), "deliver-ms")
	b.ReportMetric(float64((accept / n).Milliseconds()), "accept-ms")
	b.ReportMetric((cpu / n).Seconds(), "cpu-s/op")
}
