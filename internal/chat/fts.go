package chat

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Indexing runs beside the store path, not in it. It has two queues,
// both watermarks committed with what they mark (so nothing is lost to a
// crash between store and index): the rows above chat_index_mark.upto
// (migration chat/0003) are not yet in chat_ids (the ID lookup,
// idlookup.go) and chat_chain (chain reads, chain.go); those above
// chat_fts_mark.upto (migration chat/0006) are not yet in chat_fts, the
// full-text index.
//
// chat_ids and chat_chain keep up with the writer: every read through
// them also scans the rows above their mark (has, the chain reads, a
// sync's heads and ranges), so that tail stays short. Under continuous
// writes the writer kicks a slice of idsSlice rows right after its
// commit whenever that many wait (kickIndexer), one transaction each, so
// the store lock is never held long, and the WAL is checkpointed after
// each (kickedSlice).
//
// The full-text index waits for a quiet moment (s12-fts): it is read by
// search alone, and FTS5 (tokenizing, writing a segment per transaction,
// merging segments) was about half of the indexer's work, done inside
// the busy period when the slices carried it too (12% of all CPU at 20
// members x 500 msg/s). It is brought up to date
//   - when the writer has stored nothing for ftsIdle, ftsBatch rows per
//     transaction (a little cheaper per row than slices, and faster),
//     stopping between transactions if the writer stores again (the rest
//     waits for the next quiet moment); then the WAL is checkpointed
//     (during a catch-up of up to ftsCap rows SQLite's own checkpoint,
//     every 1,000 pages, bounds it: at a quiet moment it delays nobody;
//     a checkpoint after each transaction cost ~2% of the CPU per
//     delivery, docs/design/records/2026-12-01-s12-fts.md);
//   - when ftsCap rows wait (a burst longer than ftsCap / rate): then in
//     slices of ftsSlice, ftsGap apart, down to under a slice, so the
//     work left to a quiet moment or a search is bounded;
//   - before every search (History: indexPending), so a search finds
//     every message stored when it began;
//   - at start, the first quiet moment after it (what a crash or stop
//     left queued; chat_ids and chat_chain are caught up at once).
//
// Slices, not one run of the whole queue, under load: a transaction
// holds the store lock (SQLite has one writer), and the writer's batches
// wait behind it. Indexing 4,096 rows at once, as under load before
// session 10, held it 2 x 18 ms on a quiet machine and 100-200 ms on a
// loaded one, and every member of a room reached the bound in the same
// second: the p99 of the seconds it happened in went from 15-35 ms to
// 150-300 ms (8 members, bench/chat.sh TIMELINE, docs/notes-s10-tail.md).
//
// Where a combined slice's time went (BenchmarkFTSParts, 28,000 rows
// indexed): FTS5 tokenizing the texts ~20%, FTS5 writing its segment and
// merging segments ~30%, chat_ids ~15%, chat_chain ~13%, the commit ~11%.
// chat_fts has no %_docsize table (columnsize=0, migration chat/0005:
// nothing ranks results). docs/design/records/2026-12-01-s11-fts.md and docs/design/records/2026-12-01-s12-fts.md
// have what else was measured.
const (
	// ftsTick is how often the indexer looks at the store's load.
	ftsTick = 250 * time.Millisecond
	// ftsIdle: the writer stored nothing for this long: a quiet moment,
	// index the full-text queue. Longer than the gaps inside a burst
	// (the writer's window is at most 10 ms, a busy room's messages come
	// tens of ms apart), short enough that a lull of a second indexes.
	ftsIdle = 500 * time.Millisecond
	// idsSlice: this many rows queued for chat_ids and chat_chain: index
	// them even under load, in one transaction, which holds the store
	// lock (the writer's batches and the Says wait behind it). 128, not
	// 512 (session 17): at 20 members x 500 msg/s each member ran a
	// slice a second, holding the lock ~40 ms on a loaded machine (the
	// indexer is preempted while it holds it), and the messages that
	// came meanwhile made the room's p99 (70 ms with 512, 52 with 256,
	// 42 with 128, 47 with 64; the same CPU per delivery:
	// docs/design/records/2026-12-01-s17-lead.md).
	idsSlice = 128
	// ftsSlice: the slice of a full-text queue drained under load (with
	// chat_ids and chat_chain when they are due too).
	ftsSlice = 512
	// ftsGap separates the slices of one look at the queues: the writer
	// commits a batch in between.
	ftsGap = 10 * time.Millisecond
	// ftsCap: this many rows waiting for the full-text index: index them
	// even under load (ftsSlice per transaction). 32 s of a room at 500
	// msg/s; what a search or the next quiet moment may find to do is at
	// most this (~0.1-0.2 s on a quiet machine: docs/design/records/2026-12-01-s12-fts.md).
	ftsCap = 16384
)

// ftsBatch bounds the messages indexed per transaction when the writer
// is idle (each holds the store lock: ~20 ms). FTS5 writes a segment per
// transaction (one entry per distinct term) and merges them later: per
// message indexed 256 cost 15 us, 1,024 7 us, 2,048 5 us, 4,096 4 us
// (BenchmarkFTSIndex, session 8). The full-text catch-up alone after a
// burst (s12, BenchmarkFTSBurst, 10,240 rows, loaded machine): 512 rows
// per transaction 15-17 us per row, 2,048 13.9 us, and 2,048 catches up
// 10,240 rows in ~0.25 s instead of ~0.4 s. A variable for the benchmark
// (PH_FTS_BATCH).
var ftsBatch = 2048

// ftsLoad is what the indexer knows of the store's load: messages queued
// (stored by this process, or counted at start: a count, not the
// table's) for chat_ids and chat_chain (queued) and for the full-text
// index (text), and when the last one was stored.
type ftsLoad struct {
	queued atomic.Int64
	text   atomic.Int64
	last   atomic.Int64 // UnixNano of the last store that stored something
	// textCap replaces ftsCap when set (tests: before the indexer runs).
	textCap int64
}

// noteStored records n messages stored (queued for indexing) at now.
func (f *ftsLoad) noteStored(n int, now time.Time) {
	if n == 0 {
		return
	}
	f.queued.Add(int64(n))
	f.text.Add(int64(n))
	f.last.Store(now.UnixNano())
}

// due reports whether a queue is to be indexed at now: something was
// stored (dirty) and the writer has been idle ftsIdle, or a slice
// (idsSlice messages) waits for chat_ids and chat_chain, or ftsCap for
// the full-text index; idle tells which.
func (f *ftsLoad) due(dirty bool, now time.Time) (due, idle bool) {
	idle = dirty && now.Sub(time.Unix(0, f.last.Load())) >= ftsIdle
	return idle || f.full() || f.textFull(), idle
}

// full reports whether a slice waits for chat_ids and chat_chain.
func (f *ftsLoad) full() bool { return f.queued.Load() >= idsSlice }

// textFull reports whether the full-text queue reached its cap.
func (f *ftsLoad) textFull() bool {
	limit := int64(ftsCap)
	if f.textCap > 0 {
		limit = f.textCap
	}
	return f.text.Load() >= limit
}

// indexed notes n messages indexed in chat_ids and chat_chain, and t in
// the full-text index.
func (f *ftsLoad) indexed(n, t int) {
	for _, c := range []struct {
		q *atomic.Int64
		n int
	}{{&f.queued, n}, {&f.text, t}} {
		if c.q.Add(-int64(c.n)) < 0 {
			c.q.Store(0) // queued before this process started
		}
	}
}

// indexParts names what an index transaction writes.
type indexParts uint8

const (
	partIDs  indexParts = 1 << iota // chat_ids and chat_chain (chat_index_mark)
	partText                        // chat_fts (chat_fts_mark)
	partAll  = partIDs | partText
)

// indexPending indexes every queued message, ftsBatch per transaction,
// and returns how many it indexed (the larger of the two queues' counts).
// History runs it before a search.
func (s *Service) indexPending(ctx context.Context) (int, error) {
	total := 0
	for {
		ids, text, err := s.index(ctx, partAll, ftsBatch)
		total += max(ids, text)
		if err != nil {
			return total, fmt.Errorf("chat: full-text index: %w", err)
		}
		if ids < ftsBatch && text < ftsBatch {
			return total, nil
		}
	}
}

// indexIdle indexes both queues as indexPending does, but stops between
// transactions when the writer stored something since last (the
// ftsLoad.last the quiet moment was seen at): the rest waits for the
// next one. It reports whether it indexed everything.
func (s *Service) indexIdle(ctx context.Context, last int64) (bool, error) {
	for {
		ids, text, err := s.index(ctx, partAll, ftsBatch)
		if err != nil {
			return false, fmt.Errorf("chat: full-text index: %w", err)
		}
		if ids < ftsBatch && text < ftsBatch {
			return true, nil
		}
		if s.fts.last.Load() != last {
			return false, nil
		}
	}
}

// indexStart indexes at start what a crash or stop left queued for
// chat_ids and chat_chain (the tail their reads scan), and counts the
// full-text queue (indexed at the first quiet moment, or before a
// search).
func (s *Service) indexStart(ctx context.Context) error {
	for {
		ids, _, err := s.index(ctx, partIDs, ftsBatch)
		if err != nil {
			return fmt.Errorf("chat: index: %w", err)
		}
		if ids < ftsBatch {
			break
		}
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chat_messages WHERE rowid > (SELECT upto FROM chat_fts_mark)`).Scan(&n); err != nil {
		return fmt.Errorf("chat: full-text queue: %w", err)
	}
	s.fts.text.Store(n)
	if n > 0 {
		s.ftsDirty.Store(true)
	}
	return nil
}

// indexSlices indexes under load: a slice per transaction, ftsGap
// apart, of chat_ids and chat_chain while a whole slice (idsSlice)
// waits, and of the full-text index (ftsSlice, chat_ids and chat_chain
// with it) when its queue reached ftsCap (then down to under a slice).
// It returns how many transactions it ran. No checkpoint here: the
// kicked slices checkpoint (kickedSlice), and one after each
// transaction cost ~2% of the CPU per delivery
// (docs/design/records/2026-12-01-s12-fts.md).
func (s *Service) indexSlices(ctx context.Context) (int, error) {
	ids, text := s.fts.full(), s.fts.textFull()
	runs := 0
	for ids || text {
		var parts indexParts
		if ids {
			parts |= partIDs
		}
		if text {
			parts |= partText
		}
		n := idsSlice
		if text {
			n = ftsSlice
		}
		ni, nt, err := s.index(ctx, parts, n)
		runs++
		if err != nil {
			return runs, fmt.Errorf("chat: index: %w", err)
		}
		ids = s.fts.full() && (!ids || ni == n)
		text = text && nt == n
		if !ids && !text {
			break
		}
		t := time.NewTimer(ftsGap)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return runs, nil
		}
	}
	return runs, nil
}

// indexBatch indexes up to limit queued messages of each queue in one
// transaction (index) and returns the larger count.
func (s *Service) indexBatch(ctx context.Context, limit int) (int, error) {
	ids, text, err := s.index(ctx, partAll, limit)
	return max(ids, text), err
}

// index indexes up to limit queued messages of each queue in parts in
// one transaction, under the store lock (the store path's writers wait
// on it rather than on SQLite's busy handler), and returns how many of
// each: the rows above chat_index_mark.upto go into chat_ids (lookups by
// ID, idlookup.go) and chat_chain (chain reads, chain.go) and the mark
// moves past them; those above chat_fts_mark.upto into chat_fts and its
// mark likewise. The ID and chain entries are inserted in key order:
// each B-tree leaf is visited once per batch (and the ID entries go to
// the newest run of chat_ids: idlookup.go).
func (s *Service) index(ctx context.Context, parts indexParts, limit int) (ids, text int, err error) {
	defer s.storeMu.give(s.storeMu.take(holdIndex))
	var ni, nt int64
	_, err = s.storeTx(ctx, func(tx *txq) error { // writeconn.go
		var err error
		if parts&partIDs != 0 {
			if ni, err = indexIDsTx(ctx, tx, limit); err != nil {
				return err
			}
		}
		if parts&partText != 0 {
			if nt, err = indexTextTx(ctx, tx, limit); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	s.fts.indexed(int(ni), int(nt))
	if ni+nt > 0 {
		s.work.indexBatches.Add(1)
		s.work.indexed.Add(uint64(ni))
		s.work.ftsIndexed.Add(uint64(nt))
	}
	return int(ni), int(nt), nil
}

// queuedRange returns the rowid range (mark, hi] of up to limit rows
// above the mark in table markTable, and how many rows it holds.
func queuedRange(ctx context.Context, tx *txq, markTable string, limit int) (lo, hi, n int64, err error) {
	if err := tx.QueryRowContext(ctx, `SELECT upto FROM `+markTable).Scan(&lo); err != nil {
		return 0, 0, 0, err
	}
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(rowid), count(*) FROM (SELECT rowid FROM chat_messages WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
		lo, limit).Scan(&top, &n); err != nil {
		return 0, 0, 0, err
	}
	if !top.Valid {
		return lo, lo, 0, nil
	}
	return lo, top.Int64, n, nil
}

// indexIDsTx moves up to limit rows above chat_index_mark into chat_ids
// and chat_chain and returns how many.
func indexIDsTx(ctx context.Context, tx *txq, limit int) (int64, error) {
	lo, hi, n, err := queuedRange(ctx, tx, "chat_index_mark", limit)
	if err != nil || n == 0 {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_ids(run, k, msg)
		SELECT rowid >> `+strconv.Itoa(idRunShift)+`, substr(id, 1, 16), rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2`, lo, hi); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_chain(workgroup, log, author, seq, msg)
		SELECT workgroup, log, author, seq, rowid FROM chat_messages WHERE rowid > ? AND rowid <= ? ORDER BY 1, 2, 3, 4`, lo, hi); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE chat_index_mark SET upto = ?`, hi)
	return n, err
}

// indexTextTx moves up to limit rows above chat_fts_mark into chat_fts
// and returns how many.
func indexTextTx(ctx context.Context, tx *txq, limit int) (int64, error) {
	lo, hi, n, err := queuedRange(ctx, tx, "chat_fts_mark", limit)
	if err != nil || n == 0 {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_fts(rowid, text) SELECT rowid, text FROM chat_messages WHERE rowid > ? AND rowid <= ?`, lo, hi); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE chat_fts_mark SET upto = ?`, hi)
	return n, err
}

// ftsStep indexes if a queue is due at now (ftsLoad.due) and reports
// whether it did. Idle, it indexes both queues and then checkpoints the
// WAL; under load, slices (indexSlices).
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
	whole, err := s.indexIdle(ctx, s.fts.last.Load())
	if err != nil || !whole {
		s.ftsDirty.Store(true)
	}
	if err != nil {
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
// batch, that a slice waits for chat_ids and chat_chain: the writer now
// gathers its next batch for its window (writepace.go: up to 10 ms under
// load), and a slice indexed meanwhile (a few ms) keeps none of it
// waiting for the store lock.
func (s *Service) kickIndexer() {
	if s.fts.full() {
		select {
		case s.ftsKick <- struct{}{}:
		default:
		}
	}
}

// kickedSlice indexes a slice of chat_ids and chat_chain (kickIndexer;
// the full-text index waits: fts.go) and then checkpoints the WAL,
// outside the store lock. Under continuous writes the writer is never
// idle 500 ms, so without it SQLite's automatic checkpoint (every 1,000
// WAL pages: every 2-3 s at 20 members) ran inside a commit, under the
// store lock: ~700-1,000 pages copied and two fsyncs, 4.5 ms on a quiet
// machine (2-2.7 ms CPU), several times that on a busy one, with the
// writer's batch and the Says waiting. A PASSIVE checkpoint waits for no
// writer; once it has copied every frame, the next commit starts the WAL
// afresh, so the automatic one seldom comes due. The kicks come every
// idsSlice messages stored: the WAL holds about a slice's worth of
// frames, however long the burst.
func (s *Service) kickedSlice(ctx context.Context) error {
	if _, _, err := s.index(ctx, partIDs, idsSlice); err != nil {
		return fmt.Errorf("chat: index: %w", err)
	}
	return s.checkpoint(ctx)
}

// indexer catches up chat_ids and chat_chain at start (messages queued
// before a crash or stop: indexStart), indexes a slice of them whenever
// the writer says one waits (kickIndexer), and whatever ftsStep finds
// due, looking every ftsTick.
func (s *Service) indexer() {
	defer s.wg.Done()
	t := time.NewTicker(ftsTick)
	defer t.Stop()
	if err := s.indexStart(s.ctx); err != nil && s.ctx.Err() == nil {
		s.ftsDirty.Store(true)
		s.log.Warn("chat: index", "err", err)
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.ftsKick:
			if err := s.kickedSlice(s.ctx); err != nil && s.ctx.Err() == nil {
				s.warnIndex("chat: index", err)
			}
			continue
		case <-t.C:
		}
		if _, err := s.ftsStep(s.ctx, time.Now()); err != nil && s.ctx.Err() == nil {
			s.warnIndex("chat: full-text index", err)
		}
	}
}

// warnIndex logs an indexer's failure, at most one per p2p.WarnEvery: on
// a full disk every step fails until space is freed (the messages wait
// in chat_ids, indexed afterwards).
func (s *Service) warnIndex(msg string, err error) {
	ok, dropped := s.idxWarn.Allow("", time.Now())
	if !ok {
		return
	}
	if dropped > 0 {
		s.log.Warn(msg, "err", err, "left_out", dropped)
		return
	}
	s.log.Warn(msg, "err", err)
}
