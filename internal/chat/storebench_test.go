package chat

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
)

// BenchmarkStoreBatch measures the writer's store path (Service.insert:
// chain check, the insert and its trigger, the commit) per message for
// batches of several sizes, in CPU time (getrusage, so a loaded machine
// does not skew it): what a bigger write batch saves.
//
//	go test -run '^$' -bench StoreBatch -benchtime 3000x ./internal/chat/
//
// PH_BATCH_SIZES=5,10 measures those sizes instead. batchN/plain-tx runs
// the transactions through database/sql's Tx on the pool (the path
// before writeconn.go), for sizes 1 and 8.
func BenchmarkStoreBatch(b *testing.B) {
	sizes := []int{1, 2, 4, 8, 16, 32}
	if env := os.Getenv("PH_BATCH_SIZES"); env != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(env, ",") {
			if n, err := strconv.Atoi(f); err == nil && n > 0 {
				sizes = append(sizes, n)
			}
		}
	}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("batch%d", size), func(b *testing.B) { benchStore(b, size, false) })
		if size == 1 || size == 8 {
			b.Run(fmt.Sprintf("batch%d/plain-tx", size), func(b *testing.B) { benchStore(b, size, true) })
		}
	}
}

func benchStore(b *testing.B, size int, plainTx bool) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "node.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if ddl := os.Getenv("PH_STORE_DDL"); ddl != "" {
		if _, err := db.ExecContext(ctx, ddl); err != nil {
			b.Fatal(err)
		}
	}
	s := &Service{db: db, plainTx: plainTx}
	defer s.closeWriteConn()
	s.countHeld(ctx)
	authors := 8
	if n, err := strconv.Atoi(os.Getenv("PH_AUTHORS")); err == nil && n > 0 {
		authors = n
	}
	keys := make([]crypto.PrivKey, authors)
	ids := make([]peer.ID, authors)
	prev := make([][]byte, authors)
	for i := range keys {
		keys[i], _, _ = crypto.GenerateEd25519Key(nil)
		ids[i], _ = peer.IDFromPrivateKey(keys[i])
	}
	ms := make([]*msg, b.N)
	text := "a chat message of a typical length, about a hundred bytes of text, said in a room of the workgroup"
	for n := range ms {
		a := n % authors
		bd := body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(ids[a]), Seq: uint64(n/authors + 1), Prev: prev[a],
			HLC: uint64(time.Now().UnixMilli()) << hlcShift, Kind: KindText, Text: text}
		m, err := sign(keys[a], bd)
		if err != nil {
			b.Fatal(err)
		}
		prev[a] = m.id[:]
		ms[n] = m
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < len(ms); i += size {
		res, _, err := s.insert(ctx, ms[i:min(i+size, len(ms))]...)
		if err != nil || res[0] != stored {
			b.Fatalf("insert: %v %v", res, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/msg")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFTSIndex measures the full-text indexer (indexPending: the
// queue moved into chat_fts, ftsBatch per transaction) per message, in
// CPU time.
//
//	go test -run '^$' -bench FTSIndex -benchtime 8192x ./internal/chat/
//
// PH_PRELOAD=N stores and indexes N messages first (ms/tx: wall time per
// indexing transaction, which holds the store lock). PH_FTS_DDL replaces chat_fts by another definition (CREATE VIRTUAL
// TABLE chat_fts ...) to compare FTS5 options.
func BenchmarkFTSIndex(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "node.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if ddl := os.Getenv("PH_FTS_DDL"); ddl != "" {
		if _, err := db.ExecContext(ctx, `DROP TABLE chat_fts; `+ddl); err != nil {
			b.Fatal(err)
		}
	}
	s := &Service{db: db}
	s.countHeld(ctx)
	if n, err := strconv.Atoi(os.Getenv("PH_FTS_BATCH")); err == nil && n > 0 {
		defer func(old int) { ftsBatch = old }(ftsBatch)
		ftsBatch = n
	}
	store := benchStorer(ctx, b, s)
	// PH_PRELOAD=N: N messages stored and indexed first (an index that is
	// large already: the ID and chain entries land on leaves all over it).
	if n, err := strconv.Atoi(os.Getenv("PH_PRELOAD")); err == nil && n > 0 {
		store(n, 256)
		if _, err := s.indexPending(ctx); err != nil {
			b.Fatal(err)
		}
	}
	store(b.N, 1)
	t0 := time.Now()
	cpu0 := cpuTime()
	b.ResetTimer()
	if n, err := s.indexPending(ctx); err != nil || n != b.N {
		b.Fatalf("indexPending: %d %v", n, err)
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/msg")
	b.ReportMetric(float64(time.Since(t0).Milliseconds())/float64((b.N+ftsBatch-1)/ftsBatch), "ms/tx")
}

// BenchmarkChainTail measures the chain reads (chain.go) when a slice
// and a write batch (idsSlice + maxBatch rows) wait above the index mark
// (the longest tail under continuous writes), 20 authors: heads of the log, a range of one author, the last
// of a chain. Per read, in CPU time.
//
//	go test -run '^$' -bench ChainTail ./internal/chat/
func BenchmarkChainTail(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "node.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := &Service{db: db}
	s.countHeld(ctx)
	const authors = 20
	var ids [authors]peer.ID
	var prev [authors][]byte
	var keys [authors]crypto.PrivKey
	for i := range keys {
		keys[i], _, _ = crypto.GenerateEd25519Key(nil)
		ids[i], _ = peer.IDFromPrivateKey(keys[i])
	}
	var batch []*msg
	for n := range idsSlice + maxBatch {
		a := n % authors
		m, err := sign(keys[a], body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(ids[a]), Seq: uint64(n/authors + 1), Prev: prev[a],
			HLC: uint64(n+1) << hlcShift, Kind: KindText, Text: "a chat message of a typical length"})
		if err != nil {
			b.Fatal(err)
		}
		prev[a] = m.id[:]
		if batch = append(batch, m); len(batch) == 64 {
			if _, _, err := s.insert(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for _, read := range []struct {
		name string
		fn   func() error
	}{
		{"heads", func() error { _, err := s.heads(ctx, "wg1", "general"); return err }},
		{"range100", func() error { _, err := s.rangeRaw(ctx, "wg1", "general", ids[3], 50, 150, 100); return err }},
		{"last", func() error {
			var seq int64
			var id string
			return db.QueryRowContext(ctx, lastOfChain, chainArgs("wg1", "general", ids[3].String())...).Scan(&seq, &id)
		}},
	} {
		b.Run(read.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for range b.N {
				if err := read.fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/read")
		})
	}
}

// benchStorer returns store(count, batch): the next count messages of one
// author in room general of workgroup wg1, each chained to the one
// before, of about a hundred bytes of varied text, stored by s.insert
// batch at a time (benchmarks of the store and the indexer).
func benchStorer(ctx context.Context, b *testing.B, s *Service) func(count, batch int) {
	k, _, _ := crypto.GenerateEd25519Key(nil)
	id, _ := peer.IDFromPrivateKey(k)
	var prev []byte
	words := strings.Fields("a chat message of a typical length about a hundred bytes of text said in a room of the workgroup with some more words")
	seq := 0
	return func(count, batch int) {
		var ms []*msg
		for range count {
			seq++
			text := strings.Join(words[seq%7:], " ") + fmt.Sprintf(" w%d", seq)
			m, err := sign(k, body{V: version, Workgroup: "wg1", Room: "general", Author: []byte(id), Seq: uint64(seq), Prev: prev,
				HLC: uint64(seq), Kind: KindText, Text: text})
			if err != nil {
				b.Fatal(err)
			}
			prev = m.id[:]
			if ms = append(ms, m); len(ms) == batch {
				if _, _, err := s.insert(ctx, ms...); err != nil {
					b.Fatal(err)
				}
				ms = ms[:0]
			}
		}
		if len(ms) > 0 {
			if _, _, err := s.insert(ctx, ms...); err != nil {
				b.Fatal(err)
			}
		}
	}
}
