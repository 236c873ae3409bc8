package chat

import (
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// inflight is the set of room and directory messages this node is about
// to store: gossip the validator accepted (until receive hands it to the
// writer, then until its batch is stored) and history fetched (from
// before its signature check, once it parsed and belongs to the log,
// until it is stored; all of a reply's records are dropped if one
// signature fails). Under load the writer and gossipsub's delivery run
// seconds behind, and a message held for a missing predecessor makes a
// sync of its log after heldGrace: without this set the sync asked for,
// and verified again, the very messages waiting in those queues, and
// gossip copies of messages a sync was storing were verified again too.
//
// It only ever saves work: a message is skipped (not asked for, not
// verified again) only while another copy of the same bytes (same ID) is
// on its way to the store (a copy failing its check would fail again),
// and every entry is removed once the store decided (stored, held,
// duplicate, refused or failed), so a message that never got stored is
// asked for again by the next sync. An entry of the validator's that
// receive never took (gossipsub drops a message for a subscriber too
// slow to take it) counts for acceptedTTL only.
type inflight struct {
	mu sync.Mutex
	by map[chainKey]map[uint64]flying
}

// flying is one entry: the message's ID (hex) and, for one the
// validator accepted and receive has not taken yet, when it was accepted
// (zero: owned by the writer or a sync, which remove it).
type flying struct {
	id    string
	since time.Time
}

// acceptedTTL is how long a message the validator accepted counts as on
// its way before receive takes it.
const acceptedTTL = 2 * time.Second

func (e flying) live(now time.Time) bool { return e.since.IsZero() || now.Sub(e.since) < acceptedTTL }

// chainKey names one author's chain in one log.
type chainKey struct {
	wg, log string
	author  peer.ID
}

func chainOf(m *msg) chainKey { return chainKey{m.Workgroup, m.logName(), m.author()} }

// add records m as on its way to the store, owned by the caller (who
// removes it); false when its place in the chain is taken already by
// another owner's copy or a fork of it (the caller then does not remove
// it). The validator's entry of the same message becomes the caller's.
func (f *inflight) add(m *msg) bool {
	return f.put(m, time.Time{})
}

// accepted records m, which the gossip validator just accepted, until
// receive takes it (add) or acceptedTTL passed.
func (f *inflight) accepted(m *msg, now time.Time) {
	f.put(m, now)
}

func (f *inflight) put(m *msg, since time.Time) bool {
	if m.isDM() {
		return false
	}
	k := chainOf(m)
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	seqs := f.by[k]
	if e, ok := seqs[m.Seq]; ok && e.live(now) { // taken
		if since.IsZero() && !e.since.IsZero() && e.id == m.ID() {
			seqs[m.Seq] = flying{id: e.id} // the validator's entry of this message: now the caller's
			return true
		}
		return false
	}
	if seqs == nil {
		if f.by == nil {
			f.by = map[chainKey]map[uint64]flying{}
		}
		seqs = map[uint64]flying{}
		f.by[k] = seqs
	}
	seqs[m.Seq] = flying{id: m.ID(), since: since}
	return true
}

// remove forgets m (added by add).
func (f *inflight) remove(m *msg) {
	k := chainOf(m)
	f.mu.Lock()
	defer f.mu.Unlock()
	seqs := f.by[k]
	if e, ok := seqs[m.Seq]; !ok || e.id != m.ID() {
		return
	}
	delete(seqs, m.Seq)
	if len(seqs) == 0 {
		delete(f.by, k)
	}
}

// prune drops the validator's entries that receive never took.
func (f *inflight) prune(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, seqs := range f.by {
		for seq, e := range seqs {
			if !e.live(now) {
				delete(seqs, seq)
			}
		}
		if len(seqs) == 0 {
			delete(f.by, k)
		}
	}
}

// has reports whether this very message (same ID) is on its way.
func (f *inflight) has(m *msg) bool {
	if m.isDM() {
		return false
	}
	k := chainOf(m)
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.by[k][m.Seq]
	return ok && e.live(now) && e.id == m.ID()
}

// reach is the highest seq such that every message of author's chain in
// log k after head up to it is on its way (head when the next is not).
func (f *inflight) reach(k logKey, author peer.ID, head uint64) uint64 {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	seqs := f.by[chainKey{k.wg, k.log, author}]
	for {
		if e, ok := seqs[head+1]; !ok || !e.live(now) {
			return head
		}
		head++
	}
}

// missing splits [from, to] of author's chain in log k into the ranges
// of messages not on their way (history sync asks only those), and
// returns how many it left out.
func (f *inflight) missing(k logKey, author peer.ID, from, to uint64) ([]seqRange, int) {
	now := time.Now()
	f.mu.Lock()
	var skip []uint64
	for seq, e := range f.by[chainKey{k.wg, k.log, author}] {
		if seq >= from && seq <= to && e.live(now) {
			skip = append(skip, seq)
		}
	}
	f.mu.Unlock()
	slices.Sort(skip)
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
