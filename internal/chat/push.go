package chat

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
)

// Direct push of room messages (doc.go, "Live delivery: push").
//
// An author hands each of its own room messages straight to the room's
// topic peers it is connected to, over one long-lived
// /peerhood/chat/push/1 stream per peer (pushout.go writes it): frames
// of uvarint length + the signed message, exactly the bytes gossip
// carries. The reader takes only messages whose author is the stream's
// peer (one hop: a member cannot relay or replay others' messages over
// push), checked as the gossip validator checks them, into the same
// writer queue as gossip and history.

// pushReadBuf is the reader's buffer: a burst of frames is read in one
// call.
const pushReadBuf = 32 << 10

// errPushFrame marks a frame the reader refuses by resetting the stream:
// malformed, oversized, not a room message, not the stream peer's own,
// or a signature that does not verify.
var errPushFrame = errors.New("chat push: bad frame")

// readPushFrame reads one frame: uvarint length (1..maxSigned), then
// that many bytes (a new slice: the message keeps it). io.EOF only at a
// frame boundary.
func readPushFrame(r *bufio.Reader) ([]byte, error) {
	var n uint64
	for i := 0; ; i++ {
		c, err := r.ReadByte()
		if err != nil {
			if i == 0 {
				return nil, err // io.EOF: the stream ended between frames
			}
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: truncated length", errPushFrame)
			}
			return nil, err
		}
		if i == pushLenBytes {
			return nil, fmt.Errorf("%w: length longer than %d bytes", errPushFrame, pushLenBytes)
		}
		n |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			break
		}
	}
	if n == 0 || n > maxSigned {
		return nil, fmt.Errorf("%w: length %d not in 1..%d", errPushFrame, n, maxSigned)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated frame", errPushFrame)
		}
		return nil, err
	}
	return buf, nil
}

// pushLenBytes is the longest uvarint a frame length may take (28 bits,
// beyond maxSigned).
const pushLenBytes = 4

// appendPushFrame appends raw as one frame.
func appendPushFrame(dst, raw []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(raw))), raw...)
}

// servePush reads a member's push stream (workgroup.Guard has refused a
// non-member before any byte is read) until it ends. A refused frame
// resets the stream; when the stream breaks otherwise (reset, connection
// lost; not a clean close, which comes after the writer's last flush),
// the logs it carried are synced with the peer, at once and joinResync
// later, so frames lost with the stream (written, not read) come by
// history. The handler is the service's work (add): Close resets its
// stream and waits for it; a stream that arrives once Close began is
// reset unread.
func (s *Service) servePush(st network.Stream) {
	if !s.add(1) { // Close began: not served
		_ = st.Reset()
		return
	}
	defer s.wg.Done()
	from := st.Conn().RemotePeer()
	if err := st.Scope().ReserveMemory(pushReadBuf+maxSigned, network.ReservationPriorityAlways); err != nil {
		s.log.Warn("chat push: refused a stream", "peer", from, "err", err)
		_ = st.Reset()
		return
	}
	defer st.Scope().ReleaseMemory(pushReadBuf + maxSigned)
	defer context.AfterFunc(s.ctx, func() { _ = st.Reset() })() // the service stops: the read ends
	s.push.mu.Lock()
	s.push.in[st] = true
	s.push.mu.Unlock()
	defer func() {
		s.push.mu.Lock()
		delete(s.push.in, st)
		s.push.mu.Unlock()
	}()
	logs := map[logKey]bool{}
	r := bufio.NewReaderSize(st, pushReadBuf)
	in := newPushStream(st, from)
	err := s.readPushes(in, r, logs)
	if err == nil {
		in.awaitJudged(s.ctx.Done()) // the writer verifies what the stream carried
	}
	if in.refusal() != nil {
		return // a signature failed: the writer logged it and reset the stream
	}
	switch {
	case errors.Is(err, errPushFrame):
		s.warnPeer(from, "chat push: refused a frame, stream reset", "peer", from, "err", err)
		_ = st.Reset()
		return
	case errors.Is(err, errPushIdle):
		// A stalled stream, hostile or not: reset, and what it carried is
		// synced as for a broken stream (a frame may be lost with it).
		s.warnPeer(from, "chat push: stream reset", "peer", from, "err", err)
		_ = st.Reset()
	default:
		_ = st.Close()
	}
	if err == nil || s.ctx.Err() != nil {
		return // closed by the writer after its last flush: every frame read
	}
	// The stream broke: frames may have been lost with it. At once, and
	// joinResync later for frames written before the peer saw the end
	// (lost in flight).
	for k := range logs {
		s.requestSync(k, from)
		s.resyncAfterJoin(k, from, time.Now(), 0)
		s.push.endSyncs.Add(1)
	}
}

// pushReadIdle bounds how long a push stream may wait for a frame, or
// take to send one (a peer that opens a stream and sends nothing, or
// sends a frame a byte at a time, loses it): the read deadline is set to
// pushReadIdle ahead, again once a third of it went by (at a frame's
// start: a yamux deadline costs a timer, so not per frame), so a frame
// has two thirds of it at least. An honest writer closes its stream
// after pushIdle without a message, well before.
const pushReadIdle = 3 * pushIdle

// errPushIdle: a push stream sent no whole frame in time.
var errPushIdle = errors.New("chat push: no whole frame in time")

// serveRequestWait is how long a history or direct-message stream has for
// each request (the whole frame, and the answer written): a request
// trickled byte by byte cannot hold the stream longer.
const serveRequestWait = 30 * time.Second

func (s *Service) serveWait() time.Duration {
	if d := s.push.readIdle.Load(); d > 0 {
		return time.Duration(d) // a test's
	}
	return serveRequestWait
}

// isTimeout reports whether err is a read deadline's (yamux's
// ErrTimeout, os.ErrDeadlineExceeded).
func isTimeout(err error) bool {
	if err == nil {
		return false // per frame: no errors.As target made (it escapes)
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// readPushes takes frames from r (reading st) until the stream ends
// (nil) or fails. The messages of the frames a read brought (every whole
// frame buffered) are handed to the writer together, after the last of
// them is checked: the writer wakes once for them, not once per frame.
// Nothing waits for a later read: the batch is handed over before a read
// that may block, and before any return.
func (s *Service) readPushes(in *pushStream, r *bufio.Reader, logs map[logKey]bool) (err error) {
	st, from := in.st, in.from
	idle := pushReadIdle
	if d := s.push.readIdle.Load(); d > 0 {
		idle = time.Duration(d) // a test's
	}
	var armed time.Time
	now := time.Now()
	var prev *msg // the last message parsed: its texts are shared (parseAfter)
	var lastLog logKey
	batch := make([]gossiped, 0, pushHandBatch)
	defer func() {
		if herr := s.handPushes(batch); err == nil {
			err = herr
		}
	}()
	for {
		if len(batch) > 0 && (len(batch) == pushHandBatch || !frameBuffered(r)) {
			if err := s.handPushes(batch); err != nil {
				batch = batch[:0]
				return err
			}
			clear(batch)
			batch = batch[:0]
		}
		// now: the last frame's arrival, a few verifications ago at most
		if now.Sub(armed) > idle/3 {
			_ = st.SetReadDeadline(now.Add(idle))
			armed = now
		}
		raw, err := readPushFrame(r)
		now = time.Now() // this frame's arrival (the only clock read per frame)
		if isTimeout(err) {
			return fmt.Errorf("%w (%s)", errPushIdle, idle)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		s.push.framesIn.Add(1)
		g, ok, err := s.takePush(from, raw, prev)
		if err != nil {
			return err
		}
		prev = g.m
		if g.k != lastLog { // the texts are shared (parseAfter): mostly a pointer comparison
			logs[g.k] = true
			lastLog = g.k
		}
		if !ok {
			continue
		}
		g.fly = s.fly.add(g.m)
		g.in = in
		in.pending.Add(1)
		batch = append(batch, g)
	}
}

// pushHandBatch bounds the messages a push reader hands to the writer
// at once.
const pushHandBatch = 64

// frameBuffered reports whether r holds a whole frame already (reading
// it does not block).
func frameBuffered(r *bufio.Reader) bool {
	n := r.Buffered()
	if n == 0 {
		return false
	}
	head, _ := r.Peek(min(n, pushLenBytes)) // buffered: never blocks
	l, k := binary.Uvarint(head)
	return k > 0 && uint64(n-k) >= l
}

// handPushes hands a reader's checked messages to the writer, in order,
// counting them after their in-flight records (a sync that sees the
// count finds them); when the service stops first, what was not handed
// leaves the in-flight set.
func (s *Service) handPushes(batch []gossiped) error {
	if len(batch) == 0 {
		return nil
	}
	s.work.pushed.Add(uint64(len(batch)))
	for i, g := range batch {
		select {
		case s.intake <- g: // the usual case: the queue has room (a send, not a two-case select: no locking of both channels)
			continue
		default:
		}
		select {
		case s.intake <- g:
		case <-s.ctx.Done():
			for _, g := range batch[i:] {
				if g.fly {
					s.fly.remove(g.m)
				}
			}
			return s.ctx.Err()
		}
	}
	return nil
}

// takePush checks one pushed message as the gossip validator does:
// decoded, the stream peer's own, of a room this node keeps, its author
// a member allowed in that room now, not stored here already. Its
// signature is left to the writer, which verifies the pushed messages of
// a batch together (pushverify.go; a copy held already costs no
// verification). ok false: dropped without fault of the peer (a copy
// held already, a room this node does not keep, an author not allowed
// here now); an error: the peer sent what its own node never pushes.
func (s *Service) takePush(from peer.ID, raw []byte, prev *msg) (g gossiped, ok bool, err error) {
	m, sig, err := parseAfter(raw, prev)
	s.work.decoded.Add(1)
	if err != nil {
		return g, false, fmt.Errorf("%w: %v", errPushFrame, err)
	}
	if m.author() != from {
		return g, false, fmt.Errorf("%w: message of %s, not of the stream's peer", errPushFrame, m.author())
	}
	if m.isDM() || m.logName() == "" {
		return g, false, fmt.Errorf("%w: not a room message", errPushFrame)
	}
	k := logKey{m.Workgroup, m.logName()}
	g = gossiped{m: m, k: k, from: from}
	if s.cut(from) || !s.keeps(k) {
		return g, false, nil
	}
	if err := s.admissible(m, k); err != nil {
		s.log.Debug("chat push: dropped", "peer", from, "err", err)
		return g, false, nil
	}
	if s.seen.stored(s.ctx, s, k, m) || s.fly.has(m) || s.push.recent.has(m.id) {
		s.push.n.Dup.Inc()
		return g, false, nil
	}
	g.sig = sig // verified by the writer, with the others of its batch (pushverify.go)
	return g, true, nil
}

// keeps reports whether this node keeps log k (has joined its topic).
func (s *Service) keeps(k logKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.topics[k] != nil
}

// recentIDs remembers the IDs of the last messages this node verified,
// by push or by gossip, with their log and author: a push copy of one is
// dropped unverified, and the first gossip copy of one taken by push is
// taken without decoding or verifying it (same ID: same bytes).
type recentIDs struct {
	mu   sync.Mutex
	ids  map[[32]byte]recentEntry // by value: no allocation per message
	ring [recentMax][32]byte
	next int
}

type recentEntry struct {
	k      logKey
	author peer.ID
	at     time.Time
	// pushed: taken by push and its gossip copy not seen yet (the
	// one copy forwarded this way; gossipsub's seen cache drops the
	// others, and a replay after that goes through the full check).
	pushed bool
}

// recentMax bounds recentIDs: several seconds of messages at 500 msg/s.
const recentMax = 4096

// pushedCopyAge bounds how late the gossip copy of a pushed message is
// taken unverified (the author publishes it at once, relays within
// a second or two).
const pushedCopyAge = 30 * time.Second

func (r *recentIDs) add(id [32]byte, k logKey, author peer.ID, pushed bool) {
	r.addAt(id, k, author, pushed, time.Now())
}

// addAt is add with the time taken (the push reader's clock reading).
func (r *recentIDs) addAt(id [32]byte, k logKey, author peer.ID, pushed bool, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = make(map[[32]byte]recentEntry, recentMax)
	}
	if _, ok := r.ids[id]; ok {
		return
	}
	if len(r.ids) >= recentMax {
		delete(r.ids, r.ring[r.next])
	}
	r.ring[r.next] = id
	r.next = (r.next + 1) % recentMax
	r.ids[id] = recentEntry{k: k, author: author, at: at, pushed: pushed}
}

func (r *recentIDs) has(id [32]byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ids[id]
	return ok
}

// takePushed reports, once, that id was taken by push for log k
// within pushedCopyAge, with its author.
func (r *recentIDs) takePushed(id [32]byte, k logKey) (peer.ID, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.ids[id]
	if !ok || !e.pushed || e.k != k || time.Since(e.at) > pushedCopyAge {
		return "", false
	}
	e.pushed = false
	r.ids[id] = e
	return e.author, true
}

// pushedCopy is the validator data of a gossip copy of a message this
// node took by push: gossipsub forwards it (a member this node's author
// cannot reach may wait for it), the receiver drops it.
type pushedCopy struct{}

// gossipOfPushed reports whether pm's data (by its gossipsub ID, the
// SHA-256 of the bytes) is a message this node verified by push for log
// k a moment ago, whose author is still a member allowed there; only the
// first such copy (later ones are gossipsub's duplicates, or replays).
func (s *Service) gossipOfPushed(pmID string, k logKey) bool {
	if len(pmID) != 32 {
		return false
	}
	author, ok := s.push.recent.takePushed([32]byte([]byte(pmID)), k)
	if !ok {
		return false
	}
	if k.log == "" { // pushes are room messages
		return false
	}
	_, allowed := s.admits(k, author) // a member allowed in the room
	return allowed
}

// pushState is the service's push side: the per-peer writers and what
// the reader took.
type pushState struct {
	mu     sync.Mutex
	out    map[peer.ID]*pushOut
	recent recentIDs
	n      p2p.ChatPushCounters
	reach  map[logKey]reachAnswer  // unreachableMember's answers, under mu
	in     map[network.Stream]bool // push streams being read, under mu
	// gossipIn counts messages taken by gossip (validated, from
	// another node), gossipOfPushed gossip copies of pushed ones.
	gossipIn, gossipOfPushed atomic.Int64
	// endSyncs counts the rooms synced because a push stream ended.
	endSyncs atomic.Int64
	// off, set by tests only, sends this node's messages by gossip only
	// (tests of the gossip path).
	off atomic.Bool
	// framesIn counts the frames read from push streams.
	framesIn atomic.Int64
	// readIdle (ns), set by tests only, replaces pushReadIdle (and
	// serveWait for history and direct-message streams).
	readIdle atomic.Int64
	// warn rate-limits the warnings about what peers sent
	// (warnlimit.go).
	warn warnLimit
}
