package chat

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkFTSBurst compares the indexer's work during a burst of b.N
// messages (PH_PRELOAD, default 28000, indexed before it), same rows,
// same run, the two sides in turns a slice each (thread CPU: on this
// shared machine whole runs drift, side by side they do not):
//
//   - old: before s12-fts, a slice of chat_fts, chat_ids and chat_chain
//     per 512 messages stored (kickedSlice), then a checkpoint;
//   - new: a slice of chat_ids and chat_chain (kickedSlice now), then a
//     checkpoint; after the burst the full-text queue (b.N rows) is
//     indexed at once as a search or the quiet moment does (indexPending:
//     ftsBatch per transaction), then a checkpoint (counted in
//     new-after-us, not in catchup-ms).
//
// Reported per message: old-us (all in the burst), new-burst-us,
// new-after-us, and the catch-up's wall time (catchup-ms: what the first
// search after the burst waits) and its longest transaction (the store
// lock held: catchup-maxtx-ms).
//
//	PH_PRELOAD=28000 go test -run '^$' -bench FTSBurst -benchtime 10240x -count 5 ./internal/chat/
func BenchmarkFTSBurst(b *testing.B) {
	pre := 28000
	if n, err := strconv.Atoi(os.Getenv("PH_PRELOAD")); err == nil && n >= 0 {
		pre = n
	}
	ctx := context.Background()
	tpl := filepath.Join(b.TempDir(), "tpl.db")
	ftsTemplate(b, tpl, pre+b.N)
	open := func() *Service { return openIndexed(ctx, b, tpl, "", pre) }
	old, cur := open(), open()
	slice := map[bool]func() (int, error){
		true: func() (int, error) { return old.indexBatchOneMark(ctx, ftsSlice) },
		false: func() (int, error) {
			n, _, err := cur.index(ctx, partIDs, ftsSlice)
			return n, err
		},
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu [2]time.Duration // old, new in the burst
	var done [2]int
	b.ResetTimer()
	for round := 0; done[0] < b.N; round++ {
		for i := range 2 {
			side := (i + round) % 2
			s := cur
			if side == 0 {
				s = old
			}
			t0 := threadCPU()
			n, err := slice[side == 0]()
			if err == nil {
				err = s.checkpoint(ctx)
			}
			cpu[side] += threadCPU() - t0
			if err != nil || n == 0 {
				b.Fatalf("side %d: %d %v", side, n, err)
			}
			done[side] += n
		}
	}
	// After the burst: the full-text queue, as the first search indexes it
	// (PH_CATCHUP_BATCH rows per transaction: default ftsBatch).
	batch := ftsBatch
	if n, err := strconv.Atoi(os.Getenv("PH_CATCHUP_BATCH")); err == nil && n > 0 {
		batch = n
	}
	t0, w0 := threadCPU(), time.Now()
	var after int
	var maxTx time.Duration
	for {
		tx0 := time.Now()
		ids, text, err := cur.index(ctx, partAll, batch)
		maxTx = max(maxTx, time.Since(tx0))
		if err != nil {
			b.Fatal(err)
		}
		after += text
		if ids < batch && text < batch {
			break
		}
	}
	wall := time.Since(w0)
	if err := cur.checkpoint(ctx); err != nil { // as the quiet moment's step
		b.Fatal(err)
	}
	afterCPU := threadCPU() - t0
	b.StopTimer()
	if after != b.N {
		b.Fatalf("caught up %d rows, want %d", after, b.N)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(b.N) }
	b.ReportMetric(per(cpu[0]), "old-us")
	b.ReportMetric(per(cpu[1]), "new-burst-us")
	b.ReportMetric(per(afterCPU), "new-after-us")
	b.ReportMetric(float64(wall.Microseconds())/1e3, "catchup-ms")
	b.ReportMetric(float64(maxTx.Microseconds())/1e3, "catchup-maxtx-ms")
}
