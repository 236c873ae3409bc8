package p2p

import (
	"crypto/sha256"
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// chatGossipPrefix starts the chat router's protocol IDs; ProtoChatGossip
// is its one protocol (gossipsub v1.2 features: mesh, peer exchange,
// IDONTWANT). A router of another protocol ID never talks to it, so the
// host's router and this one are two separate meshes on the same
// connections.
const (
	chatGossipPrefix = "/peerhood/chat/gossip/"
	ProtoChatGossip  = protocol.ID(chatGossipPrefix + "1.2.0")
)

// ChatPubSub returns the chat router, starting it on first use: a second
// gossipsub router for payloads that carry their author's signature
// themselves (chat messages), so the envelope is neither signed nor
// verified (StrictNoSign and no author: no From, no seqno, no key, one Ed25519 signature
// and verification less per message than the host's router). Its message
// ID is ContentID (an unsigned envelope has no From+seqno to name it by),
// so a message is the same whoever relays it. It admits peers exactly as
// the host's router does (admission: the gate's topic check on
// subscriptions, peers and RPCs). Its parameters fit a room whose members
// are mostly connected to each other: a small mesh (D 2) and gossip to 2
// peers per heartbeat. Flood publish is off (s7-chatflood): the author
// sends to its mesh peers only, not to every subscriber, which cut the
// copies received per message from 2.96 to 1.68 at 20 members (CPU per
// delivery by a quarter). A peer that has just subscribed is in no mesh
// until a heartbeat grafts it, so a message published in that window
// reaches it through no live path: the chat service syncs history with
// each peer that joins a topic once more a heartbeat later (chat's
// joinResync), which fetches it. History sync (/peerhood/history/1)
// repairs the rest.
func (h *Host) ChatPubSub() (*pubsub.PubSub, error) {
	h.psMu.Lock()
	defer h.psMu.Unlock()
	if h.chatPS != nil {
		return h.chatPS, nil
	}
	opts := append(h.admission(h.chatGossipW),
		pubsub.WithGossipSubProtocols([]protocol.ID{ProtoChatGossip}, chatFeatures),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(), // no From, no seqno: StrictNoSign alone still sends them
		pubsub.WithMessageIdFn(ContentID),
		pubsub.WithFloodPublish(false), // see above: chat syncs a joining peer a heartbeat later
		pubsub.WithGossipSubParams(chatGossipParams()),
	)
	if h.gossipTracer != nil {
		opts = append(opts, pubsub.WithRawTracer(h.gossipTracer))
	}
	if h.testTracer != nil {
		opts = append(opts, pubsub.WithRawTracer(h.testTracer))
	}
	ps, err := pubsub.NewGossipSub(h.ctx, gossipHost{h.Host, h.chatGossipW}, opts...)
	if err != nil {
		return nil, fmt.Errorf("start chat gossipsub: %w", err)
	}
	h.chatPS = ps
	h.chatGossipW.ps.Store(ps)
	return ps, nil
}

// ContentID is a message ID by content: SHA-256 of the payload.
func ContentID(m *pb.Message) string {
	sum := sha256.Sum256(m.Data)
	return string(sum[:])
}

func chatFeatures(f pubsub.GossipSubFeature, proto protocol.ID) bool {
	switch f {
	case pubsub.GossipSubFeatureMesh, pubsub.GossipSubFeaturePX, pubsub.GossipSubFeatureIdontwant:
		return proto == ProtoChatGossip
	}
	return false
}

// chatGossipParams are gossipsub's defaults with a smaller mesh and less
// gossip (see ChatPubSub). IDONTWANT stays for messages of 1 KB and more
// (the default): sent for every chat message it cut the copies received
// per message from 2.9-3.1 to 2.7-2.8 (8 members) but added 2.5
// IDONTWANT RPCs per message per member, for no CPU gain measured.
// D 2 with Dlo 2 (s7-chatcpu): each member keeps at least 2 mesh peers,
// so the mesh stays connected where the author cannot reach a member;
// Dlo 1 could leave it split until the next heartbeat.
// HistoryGossip 1 (s8-alloc): IHAVE lists the IDs of the last heartbeat
// only, not of the last 3 (each message offered to 2 peers outside the
// mesh once, not three times): at 500 msg/s a member received about 6
// message IDs per message in IHAVEs, each decoded and looked up (about
// 4 allocations per delivery of 100). Live delivery is the mesh's; IHAVE
// only repairs, and history sync (chat's joinResync, held messages,
// anti-entropy) repairs what it no longer offers; IWANT is still served
// from the whole message cache (HistoryLength 5).
func chatGossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi, p.Dscore, p.Dout = 2, 2, 4, 1, 0 // Dout < Dlo, Dout <= D/2
	p.Dlazy, p.GossipFactor, p.HistoryGossip = 2, 0.1, 1
	return p
}
