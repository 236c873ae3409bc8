package chat

import (
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// inflight is the set of room and directory messages this node is about
// to store: gossip handed to the writer (verified; from receive until its
// batch is stored) and history fetched (from before its signature check,
// once it parsed and belongs to the log, until it is stored; all of a
// reply's records are dropped if one signature fails). Under load the writer runs seconds behind, and a
// message held for a missing predecessor makes a sync of its log after
// heldGrace: without this set the sync asked for, and verified again,
// the very messages waiting in the writer's queue, and gossip copies of
// messages a sync was storing were verified again too.
//
// It only ever saves work: a message is skipped (not asked for, not
// verified again) only while another copy of the same bytes (same ID) is
// on its way to the store (a copy failing its check would fail again), and every entry is removed once the store
// decided (stored, held, duplicate, refused or failed), so a message that
// never got stored is asked for again by the next sync. It holds at most
// the writer's queue and a sync's reply, plus one empty map per author
// chain seen (bounded by the roster times the logs kept).
type inflight struct {
	mu sync.Mutex
	by map[chainKey]map[uint64]string // seq -> message ID (hex)
}

// chainKey names one author's chain in one log.
type chainKey struct {
	wg, log string
	author  peer.ID
}

func chainOf(m *msg) chainKey { return chainKey{m.Workgroup, m.logName(), m.author()} }

// add records m as on its way to the store; false when its place in the
// chain is taken already (by the same message or a fork of it): the
// caller then does not remove it.
func (f *inflight) add(m *msg) bool {
	if m.isDM() {
		return false
	}
	k := chainOf(m)
	f.mu.Lock()
	defer f.mu.Unlock()
	seqs := f.by[k]
	if _, ok := seqs[m.Seq]; ok {
		return false
	}
	if seqs == nil {
		if f.by == nil {
			f.by = map[chainKey]map[uint64]string{}
		}
		seqs = map[uint64]string{}
		f.by[k] = seqs
	}
	seqs[m.Seq] = m.ID()
	return true
}

// remove forgets m (added by add).
func (f *inflight) remove(m *msg) {
	k := chainOf(m)
	f.mu.Lock()
	defer f.mu.Unlock()
	seqs := f.by[k]
	if seqs[m.Seq] != m.ID() {
		return
	}
	delete(seqs, m.Seq) // an empty chain's map stays: the next message would make it again
}

// has reports whether this very message (same ID) is on its way.
func (f *inflight) has(m *msg) bool {
	if m.isDM() {
		return false
	}
	k := chainOf(m)
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.by[k][m.Seq]
	return ok && id == m.ID()
}

// reach is the highest seq such that every message of author's chain in
// log k after head up to it is on its way (head when the next is not).
func (f *inflight) reach(k logKey, author peer.ID, head uint64) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	seqs := f.by[chainKey{k.wg, k.log, author}]
	for {
		if _, ok := seqs[head+1]; !ok {
			return head
		}
		head++
	}
}

// missing splits [from, to] of author's chain in log k into the ranges
// of messages not on their way (history sync asks only those) nor in
// also (the seqs held here), and returns how many it left out.
func (f *inflight) missing(k logKey, author peer.ID, from, to uint64, also []uint64) ([]seqRange, int) {
	var skip []uint64
	for _, seq := range also {
		if seq >= from && seq <= to {
			skip = append(skip, seq)
		}
	}
	f.mu.Lock()
	for seq := range f.by[chainKey{k.wg, k.log, author}] {
		if seq >= from && seq <= to {
			skip = append(skip, seq)
		}
	}
	f.mu.Unlock()
	slices.Sort(skip)
	skip = slices.Compact(skip)
	var out []seqRange
	for _, seq := range skip {
		if seq > from {
			out = append(out, seqRange{Author: []byte(author), From: from, To: seq - 1})
		}
		from = seq + 1
	}
	if from <= to {
		out = append(out, seqRange{Author: []byte(author), From: from, To: to})
	}
	return out, len(skip)
}
