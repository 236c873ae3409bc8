package p2p

import "github.com/libp2p/go-libp2p/core/protocol"

// Protocol IDs of every peerhood protocol (see docs/architecture.md).
const (
	ProtoJoin   protocol.ID = "/peerhood/join/1"
	ProtoRoster protocol.ID = "/peerhood/roster/1"
	ProtoHello  protocol.ID = "/peerhood/hello/1"
	// ProtoPresence carries one member's own presence to one peer that
	// just joined its presence topic (see internal/presence).
	ProtoPresence protocol.ID = "/peerhood/presence/1"
	ProtoFiles    protocol.ID = "/peerhood/files/1"
	ProtoDeliver  protocol.ID = "/peerhood/deliver/1"
	ProtoMailbox  protocol.ID = "/peerhood/mailbox/1"
	// ProtoHistory is chat's history sync (internal/chat).
	ProtoHistory protocol.ID = "/peerhood/history/1"
	// ProtoDM carries chat's direct messages live (internal/chat).
	ProtoDM protocol.ID = "/peerhood/dm/1"
	// ProtoChatPush carries an author's own room messages straight to the
	// room's members it is connected to (internal/chat, push.go).
	ProtoChatPush protocol.ID = "/peerhood/chat/push/1"
	ProtoTunnel   protocol.ID = "/peerhood/tunnel/1"
)
