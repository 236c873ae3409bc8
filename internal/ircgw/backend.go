package ircgw

import (
	"context"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// Backend is what the gateway serves: the chat service, the workgroup
// directory and this node's presence, seen from this node. The methods
// map one to one onto chat.Service (Rooms, CreateRoom, JoinRoom,
// LeaveRoom, SetTopic, Say, Direct, History, RoomMembers), onto
// workgroup.Directory (Workgroups, Members) and onto presence (SetAway,
// and Presence for a member's current state). Workgroups are named by
// ID in every call, members by name. Implementations are safe for
// concurrent use.
type Backend interface {
	// Workgroups lists the workgroups this node is in; the first is the
	// default one unless Config.Workgroup names another.
	Workgroups() []Workgroup
	// Members lists the valid members of wg, this node included
	// (Self true), with their presence as this node sees it.
	Members(wg string) []Member
	// Self is this node's own membership of wg; Member finds one member
	// by name (case-insensitively).
	Self(wg string) (Member, bool)
	Member(wg, name string) (Member, bool)

	// SetAway sets this node's presence: away with text, or online.
	SetAway(ctx context.Context, away bool, text string) error

	Rooms(wg string) ([]Room, error)
	CreateRoom(ctx context.Context, wg, name, topic string, allow []string) (Room, error)
	JoinRoom(ctx context.Context, wg, name string) (Room, error)
	LeaveRoom(ctx context.Context, wg, name string) error
	SetTopic(ctx context.Context, wg, name, topic string) error
	// SetAllow replaces who may enter room name (members by name,
	// group:G; none: every member); only its creator or an admin may.
	SetAllow(ctx context.Context, wg, name string, allow []string) (Room, error)
	Say(ctx context.Context, wg, room, text string, opt SendOptions) (Message, error)
	Direct(ctx context.Context, wg, member, text string, opt SendOptions) (Message, error)
	// History returns the messages matching q in display order (oldest
	// first): Since inclusive, Before exclusive, and with Limit > 0 the
	// newest Limit of them.
	History(ctx context.Context, wg string, q HistoryQuery) ([]Message, error)
	// RoomMembers names the members that joined room.
	RoomMembers(wg, room string) ([]string, error)
	// Conversations lists the rooms and direct conversations of wg with
	// messages in q's window, sorted by their latest, oldest first
	// (chat.Service.Conversations).
	Conversations(ctx context.Context, wg string, q ConversationQuery) ([]Conversation, error)

	// DecodeMessage reads the Message out of a chat.message event of the
	// node's event bus (the adapter decodes chat's own payload type).
	DecodeMessage(ev events.Event) (Message, error)
}

// Workgroup is one workgroup this node is in.
type Workgroup struct {
	ID   string
	Name string
}

// Presence states, as the presence service names them.
const (
	Online  = "online"
	Away    = "away"
	Busy    = "busy"
	Offline = "offline"
)

// Member is one member of a workgroup.
type Member struct {
	Name     string
	PeerID   string
	Admin    bool
	Self     bool   // this node
	State    string // online, away, busy or offline
	Text     string // presence text
	RealName string // shown in WHOIS (the workgroup name when empty)
	// Groups the member is in (a room's list may admit group:G).
	Groups []string
}

// Room is a chat room of a workgroup.
type Room struct {
	Workgroup string
	Name      string
	Topic     string
	Created   time.Time
	Allow     []string
	Joined    bool   // this node joined it
	Creator   string // the member that created it (its name)
}

// SendOptions are chat.SendOptions.
type SendOptions struct {
	Parent string // the message replied to (a chat message ID)
	Notice bool   // an IRC NOTICE: clients never answer it automatically
}

// Conversation is chat.Conversation: a room (Room) or a direct
// conversation (Peer: the other member's name) and its latest message.
type Conversation struct {
	Room string
	Peer string
	Last time.Time
}

// ConversationQuery is chat.ConversationQuery: conversations with
// messages from Since (inclusive) to Before (exclusive; zero: none), the
// Limit with the newest latest message (the oldest with Oldest); Direct:
// direct conversations only.
type ConversationQuery struct {
	Since, Before time.Time
	Limit         int
	Oldest        bool
	Direct        bool
}

// HistoryQuery is chat.HistoryQuery: a room's or a direct
// conversation's (Peer: the other member's name) messages.
type HistoryQuery struct {
	Room   string
	Peer   string
	Since  time.Time
	Before time.Time
	Limit  int
	Search string
}

// Message kinds (chat's) the gateway renders specially: a topic entry
// is a TOPIC, an access-list entry is not shown; any other kind (edit,
// delete, reaction) is a PRIVMSG prefixed with "[kind]".
const (
	KindText   = "text"
	KindNotice = "notice"
	KindAlert  = "alert"
	KindTopic  = "topic"
	KindACL    = "acl"
)

// Message is chat.Message (events.ChatMessage): a room message (Room
// set) or a direct message (Room empty, Peer the other member's name as
// this node sees it: the recipient of its own, the author of others').
// Parent and Target are message IDs (a reply's parent; the message an
// edit, delete or reaction is about). Time orders the display.
type Message struct {
	ID        string    `json:"id"`
	Workgroup string    `json:"workgroup"`
	Room      string    `json:"room,omitempty"`
	Peer      string    `json:"peer,omitempty"`
	Author    string    `json:"author"`    // the author's member name
	AuthorID  string    `json:"author_id"` // the author's peer ID
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind,omitempty"`
	Text      string    `json:"text"`
	Parent    string    `json:"parent,omitempty"`
	Target    string    `json:"target,omitempty"`
	Mentions  []string  `json:"mentions,omitempty"`
	// Attachments: files sent with the message as queued copies.
	Attachments []events.ChatAttachment `json:"attachments,omitempty"`
	Unread      bool                    `json:"unread,omitempty"`
	// Presence: the author's presence now (history; IRC shows presence
	// as away-notify, WHO H/G and voice instead).
	Presence string `json:"presence,omitempty"`
}

// EventKind makes a Message an event payload (the in-memory backend
// publishes it as chat publishes its own).
func (Message) EventKind() events.Kind { return events.KindChatMessage }
