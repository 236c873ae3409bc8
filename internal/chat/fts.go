package chat

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Full-text indexing runs beside the store path, not in it: the queue is
// every chat_messages row above chat_index_mark.upto (migration chat/0003;
// the rows and the mark are committed together, so nothing is lost to a
// crash between store and index), and indexPending moves it into chat_fts
// and chat_ids (the ID lookup, idlookup.go) in batches.
// FTS5 wrote a segment per commit when it indexed in the store's
// transaction: ~8% of a receiving member's CPU.
//
// The indexer yields to load: when the writer has stored nothing for
// ftsIdle it indexes the whole queue, ftsBatch rows per transaction (and
// checkpoints the WAL: checkpoint); under continuous writes it indexes a
// slice of ftsSlice rows whenever that many wait, one transaction each,
// ftsGap apart, so the queue (the tail the chain and ID reads scan) stays
// around ftsSlice and the store lock is never held long; it also indexes
// once at start (what a crash or stop left queued), and History indexes
// the whole queue before a search (a search finds every message stored
// when it began).
//
// Slices, not one run of the whole queue: a transaction holds the store
// lock (SQLite has one writer), and the writer's batches wait behind it.
// Indexing 4,096 rows at once, as under load before, held it 2 x 18 ms
// on a quiet machine (BenchmarkFTSIndex, 28,000 rows indexed already;
// 2 x 40-60 ms at 100,000) and 100-200 ms on a loaded one, and every
// member of a room reached the bound in the same second: the p99 of the
// seconds it happened in went from 15-35 ms to 150-300 ms (8 members,
// bench/chat.sh TIMELINE, docs/notes-s10-tail.md). A slice of 512 holds
// it ~5 ms and costs ~3 us more per message than 2,048 (11 vs 8 us at
// 28,000 rows: each transaction writes its own FTS5 segment and dirties
// its own chat_ids leaves).
//
// Where a slice's time goes (BenchmarkFTSParts, 28,000 rows indexed):
// FTS5 tokenizing the texts ~20%, FTS5 writing its segment and merging
// segments ~30% (it does both when the next statement opens a savepoint,
// so the chat_ids insert shows it), chat_ids ~15%, chat_chain ~13%, the
// commit ~11%. chat_fts has no %_docsize table (columnsize=0, migration
// chat/0005: nothing ranks results): -2.6-3 us per message
// (BenchmarkFTSPair). docs/notes-s11-fts.md has what else was measured.
const (
	// ftsTick is how often the indexer looks at the store's load.
	ftsTick = 250 * time.Millisecond
	// ftsIdle: the writer stored nothing for this long: index.
	ftsIdle = 500 * time.Millisecond
	// ftsSlice: this many messages queued: index them even under load,
	// in one transaction.
	ftsSlice = 512
	// ftsGap separates the slices of one look at the queue: the writer
	// commits a batch in between.
	ftsGap = 10 * time.Millisecond
)

// ftsBatch bounds the messages indexed per transaction when the writer
// is idle (each holds the store lock: ~20 ms). FTS5 writes a segment per
// transaction (one entry per distinct term) and merges them later: per
// message indexed 256 cost 15 us, 1,024 7 us, 2,048 5 us, 4,096 4 us
// (BenchmarkFTSIndex). A variable for the benchmark (PH_FTS_BATCH).
var ftsBatch = 2048

// ftsLoad is what the indexer knows of the store's load: messages queued
// since it last indexed (stored by this process: a count, not the
// table's) and when the last one was stored.
type ftsLoad struct {
	queued atomic.Int64
	last   atomic.Int64 // UnixNano of the last store that stored something
}

// noteStored records n messages stored (queued for indexing) at now.
func (f *ftsLoad) noteStored(n int, now time.Time) {
	if n == 0 {
		return
	}
	f.queued.Add(int64(n))
	f.last.Store(now.UnixNano())
}

// due reports whether the queue is to be indexed at now: something was
// stored (dirty) and the writer has been idle ftsIdle, or a slice
// (ftsSlice messages) waits; idle tells which.
func (f *ftsLoad) due(dirty bool, now time.Time) (due, idle bool) {
	idle = dirty && now.Sub(time.Unix(0, f.last.Load())) >= ftsIdle
	return idle || f.full(), idle
}

// full reports whether a slice waits.
func (f *ftsLoad) full() bool { return f.queued.Load() >= ftsSlice }

// indexed notes n messages indexed.
func (f *ftsLoad) indexed(n int) {
	if f.queued.Add(-int64(n)) < 0 {
		f.queued.Store(0) // queued before this process started
	}
}

// indexPending indexes every queued message, ftsBatch per transaction,
// and returns how many it indexed.
func (s *Service) indexPending(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.indexBatch(ctx, ftsBatch)
		total += n
		s.fts.indexed(n)
		if err != nil {
			return total, fmt.Errorf("chat: full-text index: %w", err)
		}
		if n < ftsBatch {
			return total, nil
		}
	}
}

// indexSlices indexes the queue under load: a slice of ftsSlice messages
// per transaction, ftsGap apart, while a whole slice waits. It returns
// how many it indexed.
func (s *Service) indexSlices(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.indexBatch(ctx, ftsSlice)
		total += n
		s.fts.indexed(n)
		if err != nil {
			return total, fmt.Errorf("chat: full-text index: %w", err)
		}
		if n < ftsSlice || !s.fts.full() {
			return total, nil
		}
		t := time.NewTimer(ftsGap)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return total, nil
		}
	}
}

// indexBatch indexes up to limit queued messages in one transaction,
// under the store lock (the store path's writers wait on it rather than
// on SQLite's busy handler): the rows above chat_index_mark.upto go into
// chat_fts, chat_ids (lookups by ID, idlookup.go) and chat_chain (chain
// reads, chain.go) and the mark moves past them. The ID and chain entries
// are inserted in key order: each B-tree leaf is visited once per batch
// (and the ID entries go to the newest run of chat_ids: idlookup.go).
func (s *Service) indexBatch(ctx context.Context, limit int) (int, error) {
	defer s.storeMu.give(s.storeMu.take(holdIndex))
	var n int64
	_, err := s.storeTx(ctx, func(tx *txq) error { // writeconn.go
		var lo int64
		var hi sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT upto FROM chat_index_mark`).Scan(&lo); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT max(rowid), count(*) FROM (SELECT rowid FROM chat_messages WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
			lo, limit).Scan(&hi, &n); err != nil {
			return err
		}
		if !hi.Valid {
			return nil // nothing queued
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_fts(rowid, text) SELECT rowid, text FROM chat_messages WHERE rowid > ? AND rowid <= ?`, lo, hi.Int64); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_ids(run, k, msg)
			SELECT rowid >> `+strconv.Itoa(idRunShift)+`, substr(id, 1, 16), rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2`, lo, hi.Int64); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_chain(workgroup, log, author, seq, msg)
			SELECT workgroup, log, author, seq, rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2, 3, 4`, lo, hi.Int64); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE chat_index_mark SET upto = ?`, hi.Int64)
		return err
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.work.indexBatches.Add(1)
		s.work.indexed.Add(uint64(n))
	}
	return int(n), nil
}

// ftsStep indexes the queue if it is due at now (ftsLoad.due) and
// reports whether it did. Idle, it then checkpoints the WAL too.
func (s *Service) ftsStep(ctx context.Context, now time.Time) (bool, error) {
	due, idle := s.fts.due(s.ftsDirty.Load(), now)
	if !due {
		return false, nil
	}
	if !idle { // under load: slices; the rest waits for the next slice or a pause
		_, err := s.indexSlices(ctx)
		return true, err
	}
	s.ftsDirty.Store(false)
	if _, err := s.indexPending(ctx); err != nil {
		s.ftsDirty.Store(true)
		return true, err
	}
	return true, s.checkpoint(ctx)
}

// checkpoint copies the WAL's frames into the database file while the
// writer is idle, so that SQLite's automatic checkpoint (inside a
// committing transaction, every 1,000 pages: internal/store) seldom
// runs on the store path. PASSIVE: it waits for no reader or writer and
// leaves the frames a reader still uses for later.
func (s *Service) checkpoint(ctx context.Context) error {
	var busy, frames, done int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("chat: checkpoint: %w", err)
	}
	return nil
}

// kickIndexer tells the indexer, right after the writer committed a
// batch, that a slice waits: the writer now gathers its next batch for
// its window (writepace.go: up to 10 ms under load), and a slice indexed
// meanwhile (~5 ms) keeps none of it waiting for the store lock.
func (s *Service) kickIndexer() {
	if s.fts.full() {
		select {
		case s.ftsKick <- struct{}{}:
		default:
		}
	}
}

// kickedSlice indexes a slice (kickIndexer) and then checkpoints the
// WAL, outside the store lock. Under continuous writes the writer is
// never idle 500 ms, so without it SQLite's automatic checkpoint (every
// 1,000 WAL pages: every 2-3 s at 20 members) ran inside a commit, under
// the store lock: ~700-1,000 pages copied and two fsyncs, 4.5 ms on a
// quiet machine (2-2.7 ms CPU), several times that on a busy one, with
// the writer's batch and the Says waiting. A PASSIVE checkpoint waits
// for no writer; once it has copied every frame, the next commit starts
// the WAL afresh, so the automatic one seldom comes due.
func (s *Service) kickedSlice(ctx context.Context) error {
	n, err := s.indexBatch(ctx, ftsSlice)
	s.fts.indexed(n)
	if err != nil {
		return fmt.Errorf("chat: full-text index: %w", err)
	}
	return s.checkpoint(ctx)
}

// indexer indexes the queue at start (messages queued before a crash or
// stop), a slice whenever the writer says one waits (kickIndexer), and
// whenever ftsStep finds it due, looking every ftsTick.
func (s *Service) indexer() {
	defer s.wg.Done()
	t := time.NewTicker(ftsTick)
	defer t.Stop()
	if s.ftsDirty.Swap(false) {
		if _, err := s.indexPending(s.ctx); err != nil && s.ctx.Err() == nil {
			s.ftsDirty.Store(true)
			s.log.Warn("chat: full-text index", "err", err)
		}
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.ftsKick:
			if err := s.kickedSlice(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Warn("chat: full-text index", "err", err)
			}
			continue
		case <-t.C:
		}
		if _, err := s.ftsStep(s.ctx, time.Now()); err != nil && s.ctx.Err() == nil {
			s.log.Warn("chat: full-text index", "err", err)
		}
	}
}
