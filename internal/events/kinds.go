package events

import "time"

// Kind names what an event reports. It is the SSE "event:" field.
type Kind string

// The kinds of events. Each has one payload type below (Gap for KindGap).
const (
	KindPresenceChanged  Kind = "presence.changed"
	KindMemberJoined     Kind = "member.joined"
	KindMemberRemoved    Kind = "member.removed"
	KindTransferProgress Kind = "transfer.progress"
	KindMailArrived      Kind = "mail.arrived"
	KindJobChanged       Kind = "job.changed"
	KindShareChanged     Kind = "share.changed"
	// KindChatMessage: a chat message stored (sent or received).
	KindChatMessage Kind = "chat.message"
	// KindRoomChanged: a chat room was created, or its topic or access
	// list changed.
	KindRoomChanged Kind = "room.changed"
	// KindGap is made by the bus, never published: events were lost.
	KindGap Kind = "gap"
)

// Kinds lists every kind a subscriber may ask for, KindGap excluded
// (a gap is always delivered).
var Kinds = []Kind{
	KindPresenceChanged, KindMemberJoined, KindMemberRemoved,
	KindTransferProgress, KindMailArrived, KindJobChanged,
	KindShareChanged, KindChatMessage, KindRoomChanged,
}

// Known reports whether k is a kind of event a subscriber may filter on.
func Known(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Payload is the typed body of an event; its kind is that of its type.
type Payload interface {
	EventKind() Kind
}

// PresenceChanged: a member's presence state or text changed.
type PresenceChanged struct {
	Peer     string `json:"peer"`
	Name     string `json:"name,omitempty"`
	State    string `json:"state"`
	Text     string `json:"text,omitempty"`
	Previous string `json:"previous,omitempty"`
}

// MemberJoined: a member was admitted to (or first seen in) a workgroup.
type MemberJoined struct {
	Peer string `json:"peer"`
	Name string `json:"name,omitempty"`
}

// MemberRemoved: a member left or was removed from a workgroup.
type MemberRemoved struct {
	Peer   string `json:"peer"`
	Name   string `json:"name,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Transfer directions.
const (
	DirectionDownload = "download"
	DirectionUpload   = "upload"
)

// TransferProgress: bytes moved by a share transfer so far. Published at
// most every ProgressEvery per transfer, and once when it ends (Done).
type TransferProgress struct {
	ID        string `json:"id"`
	Direction string `json:"direction"`
	Peer      string `json:"peer,omitempty"`
	Share     string `json:"share,omitempty"`
	Path      string `json:"path,omitempty"`
	Bytes     int64  `json:"bytes"`
	Total     int64  `json:"total,omitempty"`
	Done      bool   `json:"done,omitempty"`
	Error     string `json:"error,omitempty"`
}

// MailArrived: an item (mail or file copy) reached this node's inbox.
type MailArrived struct {
	ID      string `json:"id"`
	From    string `json:"from"`           // sender's peer ID
	Name    string `json:"name,omitempty"` // sender's member name
	Kind    string `json:"kind,omitempty"` // mail or file
	Subject string `json:"subject,omitempty"`
	Size    int64  `json:"size,omitempty"`
}

// JobChanged: a queued outgoing job changed state.
type JobChanged struct {
	ID    string `json:"id"`
	To    string `json:"to,omitempty"`   // recipient's member name
	Peer  string `json:"peer,omitempty"` // recipient's peer ID
	Kind  string `json:"kind,omitempty"` // mail or file
	State string `json:"state"`
	Route string `json:"route,omitempty"`
	Error string `json:"error,omitempty"`
}

// Share changes.
const (
	ShareAdded   = "added"
	ShareChanged = "changed"
	ShareRemoved = "removed"
)

// ShareChange: a share was added, changed or removed (Peer empty: one of
// this node's own shares).
type ShareChange struct {
	Name   string `json:"name"`
	Change string `json:"change"`
	Peer   string `json:"peer,omitempty"`
}

// Gap reasons.
const (
	GapSlow    = "slow"    // the subscriber's buffer overflowed
	GapExpired = "expired" // Last-Event-ID is older than the replay buffer
	GapReset   = "reset"   // Last-Event-ID is from another bus (a restart) or unreadable
)

// Gap: events were lost. From..To is the range of sequence numbers lost
// (0 when unknown); Lost counts them (for "slow", those the subscriber's
// filter matched; for "expired", events of all kinds).
type Gap struct {
	Reason string `json:"reason"`
	Lost   uint64 `json:"lost"`
	From   uint64 `json:"from,omitempty"`
	To     uint64 `json:"to,omitempty"`
}

func (PresenceChanged) EventKind() Kind  { return KindPresenceChanged }
func (MemberJoined) EventKind() Kind     { return KindMemberJoined }
func (MemberRemoved) EventKind() Kind    { return KindMemberRemoved }
func (TransferProgress) EventKind() Kind { return KindTransferProgress }
func (MailArrived) EventKind() Kind      { return KindMailArrived }
func (JobChanged) EventKind() Kind       { return KindJobChanged }
func (ShareChange) EventKind() Kind      { return KindShareChanged }
func (ChatMessage) EventKind() Kind      { return KindChatMessage }
func (RoomChanged) EventKind() Kind      { return KindRoomChanged }
func (Gap) EventKind() Kind              { return KindGap }

// ChatMessage: a chat message this node stored, sent by it or received
// (internal/chat). Room is set for a room message, Peer (the other
// member's name) for a direct one; Time is the message's clock (display
// order); Parent and Target are message IDs.
type ChatMessage struct {
	ID        string    `json:"id"`
	Workgroup string    `json:"workgroup"`
	Room      string    `json:"room,omitempty"`
	Peer      string    `json:"peer,omitempty"`
	Author    string    `json:"author"`
	AuthorID  string    `json:"author_id"`
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	Text      string    `json:"text,omitempty"`
	Parent    string    `json:"parent,omitempty"`
	Target    string    `json:"target,omitempty"`
	Mentions  []string  `json:"mentions,omitempty"`
	// Attachments are files sent with the message as queued copies.
	Attachments []ChatAttachment `json:"attachments,omitempty"`
	// Unread (history only): a message from another member this node's
	// user has not seen yet (the history marks it read after the reply
	// when asked to).
	Unread bool `json:"unread,omitempty"`
	// Presence (history only): the author's presence now (online, away,
	// busy, offline), from the presence service's view.
	Presence string `json:"presence,omitempty"`
}

// ChatAttachment is a file a chat message references: sent as a queued
// copy (the spool) to the room's members or the other member, whose
// inbox item carries Ref as its subject. Digest is the SHA-256 of the
// file's bytes (hexadecimal).
type ChatAttachment struct {
	Name   string `json:"name"`
	Size   uint64 `json:"size"`
	Digest string `json:"digest"`
	Ref    string `json:"ref"`
	// Copy is the inbox item holding this node's received copy of the
	// file (when one arrived), CopyState its state (new, accepted) and
	// CopyFrom the member that sent it (the author, or a member that
	// answered a fetch). Path is where this node keeps the file: the
	// author's source, or where `peerhood chat save` wrote it.
	Copy      string `json:"copy,omitempty"`
	CopyState string `json:"copy_state,omitempty"`
	CopyFrom  string `json:"copy_from,omitempty"`
	Path      string `json:"path,omitempty"`
}

// RoomChanged: a chat room was created or its topic or access list
// changed.
type RoomChanged struct {
	Room    string   `json:"room"`
	Topic   string   `json:"topic,omitempty"`
	Allow   []string `json:"allow,omitempty"`
	Creator string   `json:"creator,omitempty"`
	By      string   `json:"by,omitempty"`
}
