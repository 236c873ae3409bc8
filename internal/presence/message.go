package presence

import (
	"crypto/sha256"
	"fmt"
	"time"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/wire"
)

// States a member can be in.
const (
	Online  = "online"
	Away    = "away"
	Busy    = "busy"
	Offline = "offline"
)

// MaxText bounds the presence text.
const MaxText = 256

// maxMessage bounds an encoded presence message.
const maxMessage = 2048

// Bounds of the addresses a message may carry.
const (
	maxAddrs    = 8
	maxAddrSize = 128
)

// maxGone bounds the peers one message may report gone.
const maxGone = 8

// message is one presence announcement.
type message struct {
	Workgroup  string `cbor:"1,keyasint"`
	State      string `cbor:"2,keyasint"`
	Text       string `cbor:"3,keyasint,omitempty"`
	Seq        uint64 `cbor:"4,keyasint"`
	IntervalMS uint32 `cbor:"5,keyasint"`
	// Gone lists members the sender lost every connection to and that
	// did not answer its probe.
	Gone []goneEntry `cbor:"6,keyasint,omitempty"`
	// Addrs are the sender's own listen addresses (binary multiaddrs),
	// so members learn where to reach a member they are not connected
	// to without a DHT lookup. The gossipsub signature authenticates
	// them as the sender's word.
	Addrs [][]byte `cbor:"7,keyasint,omitempty"`
	// Want, in a direct message only, asks the receiver for a snapshot
	// (the signed messages of the members it sees present): the sender
	// was alone on the topic until now.
	Want bool `cbor:"8,keyasint,omitempty"`
	// Reached, on a routine heartbeat only: when the sender published
	// it, every member it saw present was one of its peers on the topic,
	// so its flood publish reached each of them directly and forwarding
	// it could only make duplicates (reached.go).
	Reached bool `cbor:"9,keyasint,omitempty"`
}

// goneEntry reports a member gone after its message Seq (the last the
// reporter heard): its messages up to Seq, however late they arrive, do
// not make it present again.
type goneEntry struct {
	Peer []byte `cbor:"1,keyasint"`
	Seq  uint64 `cbor:"2,keyasint"`
}

// ValidState reports whether s is a presence state.
func ValidState(s string) bool {
	switch s {
	case Online, Away, Busy, Offline:
		return true
	}
	return false
}

// decode parses and checks a presence message from the network.
func decode(b []byte) (message, error) {
	var m message
	if len(b) > maxMessage {
		return m, fmt.Errorf("presence message of %d bytes exceeds %d", len(b), maxMessage)
	}
	if err := wire.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("presence message: %w", err)
	}
	if !ValidState(m.State) {
		return m, fmt.Errorf("presence message: unknown state %q", m.State)
	}
	if len(m.Text) > MaxText {
		return m, fmt.Errorf("presence message: text of %d bytes exceeds %d", len(m.Text), MaxText)
	}
	if m.Workgroup == "" {
		return m, fmt.Errorf("presence message: no workgroup")
	}
	if len(m.Gone) > maxGone {
		return m, fmt.Errorf("presence message: %d gone peers, at most %d", len(m.Gone), maxGone)
	}
	for _, g := range m.Gone {
		if _, err := peer.IDFromBytes(g.Peer); err != nil {
			return m, fmt.Errorf("presence message: gone peer: %w", err)
		}
	}
	if len(m.Addrs) > maxAddrs {
		return m, fmt.Errorf("presence message: %d addresses, at most %d", len(m.Addrs), maxAddrs)
	}
	for _, a := range m.Addrs {
		if len(a) > maxAddrSize {
			return m, fmt.Errorf("presence message: address of %d bytes exceeds %d", len(a), maxAddrSize)
		}
		if _, err := ma.NewMultiaddrBytes(a); err != nil {
			return m, fmt.Errorf("presence message: address: %w", err)
		}
	}
	return m, nil
}

// addrs returns the sender's addresses the message carries (decode
// checked them).
func (m message) addrs() []ma.Multiaddr {
	out := make([]ma.Multiaddr, 0, len(m.Addrs))
	for _, b := range m.Addrs {
		if a, err := ma.NewMultiaddrBytes(b); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// gone returns the peers the message reports gone, with the last
// sequence number the reporter heard from each (decode checked them).
func (m message) gone() map[peer.ID]uint64 {
	out := make(map[peer.ID]uint64, len(m.Gone))
	for _, g := range m.Gone {
		if p, err := peer.IDFromBytes(g.Peer); err == nil {
			out[p] = max(out[p], g.Seq)
		}
	}
	return out
}

// interval returns the sender's heartbeat interval, bounded to sane values.
func (m message) interval() time.Duration {
	d := time.Duration(m.IntervalMS) * time.Millisecond
	return min(max(d, 100*time.Millisecond), MaxInterval)
}

// maxSeqAhead is how far ahead of this node's clock a sequence number may
// be (see plausibleSeq): clock skew between members, and the messages a
// node sends (one per heartbeat or direct answer) over its uptime.
const maxSeqAhead = 24 * time.Hour

// plausibleSeq reports whether seq is a sequence number a member can
// have sent by now. A node numbers its messages from the Unix time in
// nanoseconds at its start, one more per message: a later start always
// numbers higher, and no honest number is ahead of the clock by more
// than skew plus the messages sent. A number further ahead (MaxUint64)
// is refused: accepted, it would hide every later message of the member.
func plausibleSeq(seq uint64, now time.Time) bool {
	limit := now.Add(maxSeqAhead).UnixNano()
	return limit > 0 && seq <= uint64(limit)
}

// msgIDSize is the length of a presence message ID.
const msgIDSize = 8

// msgID is the gossipsub message ID of a presence message: the first 8
// bytes of SHA-256(author || gossip sequence number || data), the same
// on every node. Gossipsub's default (author + sequence number, ~46
// bytes) made message IDs in IHAVE/IWANT about a quarter of the idle
// bytes. 64 bits: an accidental collision among the ~10^5 IDs a node
// remembers (two minutes) has odds of about 10^-9.
func msgID(m *pb.Message) string {
	h := sha256.New()
	h.Write(m.GetFrom())
	h.Write(m.GetSeqno())
	h.Write(m.GetData())
	return string(h.Sum(nil)[:msgIDSize])
}
