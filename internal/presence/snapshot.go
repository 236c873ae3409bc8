package presence

import (
	"errors"
	"fmt"
	"io"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/wire"
)

// maxSnapshot bounds the members' messages one direct answer carries.
const maxSnapshot = 4096

// maxSignedFrame bounds one snapshot frame: a gossipsub message (author,
// sequence number, topic, signature, key) around a presence message.
const maxSignedFrame = maxMessage + 512

// snapshotLocked returns the signed gossip messages (protobuf) of the
// members this node sees present in wg, as they were published: a new
// neighbour learns the whole workgroup's presence from one answer
// instead of waiting up to an interval (500 s at 1,000 members) for each
// member's heartbeat.
func (s *Service) snapshotLocked(wg string, t *topicState, to peer.ID) [][]byte {
	var out [][]byte
	for p, r := range t.records {
		if len(out) >= maxSnapshot {
			break
		}
		if r.raw == nil || p == to || r.state == Offline || s.goneLocked(wg, p, r) {
			continue
		}
		b, err := proto.Marshal(r.raw)
		if err != nil || len(b) > maxSignedFrame {
			continue
		}
		out = append(out, b)
	}
	return out
}

// wantWindow and wantPeers: a node that gets its first peer on a topic
// (it was alone: start, join, cut off) asks the first wantPeers peers
// that join within wantWindow for a snapshot. Only such a node asks, so
// connections that come and go between members that already know the
// workgroup's presence cost no snapshot (one is ~330 B a member: 330 KB
// at 1,000).
const (
	wantWindow = 10 * time.Second
	wantPeers  = 3
)

// snapshotGap is the least time between two snapshots sent to one peer.
const snapshotGap = 10 * time.Second

// wantSnapshots opens the window in which this node asks for snapshots.
func (s *Service) wantSnapshots(t *topicState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.wantUntil, t.wantLeft = time.Now().Add(wantWindow), wantPeers
}

// snapshotDue reports whether peer p, which asked, may be sent a
// snapshot now (at most one per snapshotGap), and notes it sent.
func (s *Service) snapshotDue(t *topicState, p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Sub(t.snapshotTo[p]) < snapshotGap {
		return false
	}
	for q, at := range t.snapshotTo { // forget old ones
		if now.Sub(at) >= snapshotGap {
			delete(t.snapshotTo, q)
		}
	}
	t.snapshotTo[p] = now
	return true
}

// readSnapshot reads the signed messages that follow a neighbour's own
// message, until the stream ends; each counts as if gossip had brought
// it (same checks as the topic validator, signature included).
// Each frame is a CBOR byte string holding one protobuf gossip message.
func (s *Service) readSnapshot(st network.Stream, r *wire.Reader, wg string, t *topicState) {
	for range maxSnapshot {
		var b []byte
		err := r.ReadFrame(&b)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			s.cfg.Log.Debug("presence: snapshot", "peer", st.Conn().RemotePeer(), "err", err)
			return
		}
		author, pm, m, err := s.checkSigned(wg, b)
		if err != nil {
			s.cfg.Log.Debug("presence: snapshot entry", "peer", st.Conn().RemotePeer(), "err", err)
			continue
		}
		m.Gone = nil // reports of others travel on the topic only
		s.heardFrom(t, author, m, pm)
	}
}

// checkSigned decodes and checks one signed gossip message of wg's
// presence topic: signature by its author, a member other than this
// node, and a presence message of wg.
func (s *Service) checkSigned(wg string, b []byte) (peer.ID, *pb.Message, message, error) {
	var pm pb.Message
	if err := proto.Unmarshal(b, &pm); err != nil {
		return "", nil, message{}, fmt.Errorf("decode: %w", err)
	}
	if pm.GetTopic() != Topic(wg) {
		return "", nil, message{}, fmt.Errorf("topic %q", pm.GetTopic())
	}
	author, err := verifySigned(&pm)
	if err != nil {
		return "", nil, message{}, err
	}
	if author == s.self {
		return "", nil, message{}, errors.New("this node's own message")
	}
	if _, ok := s.cfg.Dir.Member(wg, author); !ok {
		return "", nil, message{}, fmt.Errorf("author %s is not a member", author)
	}
	m, err := decode(pm.GetData())
	if err != nil {
		return "", nil, message{}, err
	}
	if m.Workgroup != wg || !plausibleSeq(m.Seq, time.Now()) {
		return "", nil, message{}, errors.New("wrong workgroup or implausible sequence number")
	}
	return author, &pm, m, nil
}

// verifySigned checks a gossipsub message's signature as the router does
// (StrictSign): over "libp2p-pubsub:" + the message without signature and
// key, by the author's key (inlined in its ID, or in Key matching it).
func verifySigned(pm *pb.Message) (peer.ID, error) {
	author, err := peer.IDFromBytes(pm.GetFrom())
	if err != nil {
		return "", fmt.Errorf("author: %w", err)
	}
	var pub crypto.PubKey
	if k := pm.GetKey(); k != nil {
		if pub, err = crypto.UnmarshalPublicKey(k); err == nil && !author.MatchesPublicKey(pub) {
			err = errors.New("key does not match the author")
		}
	} else {
		pub, err = author.ExtractPublicKey()
	}
	if err != nil {
		return "", fmt.Errorf("author's key: %w", err)
	}
	xm := proto.Clone(pm).(*pb.Message)
	xm.Signature, xm.Key = nil, nil
	b, err := proto.Marshal(xm)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	ok, err := identity.VerifyKey(pub, append([]byte(pubsub.SignPrefix), b...), pm.GetSignature()) // crypto/ed25519's rules, half the cost
	if err != nil || !ok {
		return "", errors.New("bad signature")
	}
	return author, nil
}
