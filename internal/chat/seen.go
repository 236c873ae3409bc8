package chat

import (
	"context"
	"crypto/sha256"
	"sync"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// seenHeads keeps, per log, the highest sequence number stored here per
// author, so the gossip validator tells a replay from a new message
// without asking SQLite. A log's chains are stored without gaps (a
// message waits in chat_held until its predecessor is stored), so a
// message whose seq is at or below its author's head is stored already
// (or forks the chain, which the store refuses anyway). Its size is one
// integer per (log, author): bounded by the roster, unlike a set of IDs.
type seenHeads struct {
	mu   sync.Mutex
	logs map[logKey]map[peer.ID]uint64 // a log is absent until loaded
}

// stored reports whether m is at or below its author's head in log k,
// loading the log's heads from SQLite on first use. The load runs under
// the lock, so a batch committed meanwhile is either in what it reads or
// advanced afterwards.
func (h *seenHeads) stored(ctx context.Context, s *Service, k logKey, m *msg) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	hs, err := h.loadLocked(ctx, s, k)
	if err != nil {
		return s.has(ctx, m.ID())
	}
	return m.Seq <= hs[m.author()]
}

// loadLocked returns log k's heads, read from SQLite on first use.
func (h *seenHeads) loadLocked(ctx context.Context, s *Service, k logKey) (map[peer.ID]uint64, error) {
	if hs, ok := h.logs[k]; ok {
		return hs, nil
	}
	loaded, err := s.heads(ctx, k.wg, k.log)
	if err != nil {
		return nil, err
	}
	if h.logs == nil {
		h.logs = map[logKey]map[peer.ID]uint64{}
	}
	h.logs[k] = loaded
	return loaded, nil
}

// snapshot returns a copy of log k's heads (loading them as stored
// does): history sync's heads, without a scan of the log per request.
// A head may lag a batch being committed (it is advanced after the
// commit): a sync then asks for, or offers, a little too much.
func (h *seenHeads) snapshot(ctx context.Context, s *Service, k logKey) (map[peer.ID]uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hs, err := h.loadLocked(ctx, s, k)
	if err != nil {
		return nil, err
	}
	out := make(map[peer.ID]uint64, len(hs))
	for p, seq := range hs {
		out[p] = seq
	}
	return out, nil
}

// head is author's head in log k, 0 when the log is not loaded.
func (h *seenHeads) head(k logKey, author peer.ID) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logs[k][author]
}

// advance records a message just stored, if its log is loaded.
func (h *seenHeads) advance(m *msg) {
	if m.isDM() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	hs, ok := h.logs[logKey{m.Workgroup, m.logName()}]
	if ok && m.Seq > hs[m.author()] {
		hs[m.author()] = m.Seq
	}
}

// msgID is a chat topic's gossipsub message ID: the chat message's ID
// (SHA-256 of the signed bytes), so gossipsub drops a message it has seen
// whoever publishes or relays it, before any validator runs.
func msgID(pm *pb.Message) string {
	sum := sha256.Sum256(pm.Data)
	return string(sum[:])
}
