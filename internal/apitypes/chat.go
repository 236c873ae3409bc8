package apitypes

import (
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// RoomCreateRequest is POST /v1/rooms.
type RoomCreateRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	Name      string   `json:"name"`
	Topic     string   `json:"topic,omitempty"`
	Allow     []string `json:"allow,omitempty"` // members and group:G; empty: every member
}

// RoomRequest is POST /v1/rooms/{name}/join and /leave.
type RoomRequest struct {
	Workgroup string `json:"workgroup,omitempty"`
}

// RoomTopicRequest is PUT /v1/rooms/{name}/topic.
type RoomTopicRequest struct {
	Workgroup string `json:"workgroup,omitempty"`
	Topic     string `json:"topic"`
}

// RoomAllowRequest is PUT /v1/rooms/{name}/allow.
type RoomAllowRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	Allow     []string `json:"allow"`
}

// RoomRetentionRequest is PUT /v1/rooms/{name}/retention: how long this
// node keeps the room's messages, a duration (ParseDuration: 30d) or
// "keep".
type RoomRetentionRequest struct {
	Workgroup string `json:"workgroup,omitempty"`
	Retention string `json:"retention"`
}

// ChatSayRequest is POST /v1/chat/say.
type ChatSayRequest struct {
	Workgroup string `json:"workgroup,omitempty"`
	Room      string `json:"room"`
	Text      string `json:"text"`
	Parent    string `json:"parent,omitempty"`
	Notice    bool   `json:"notice,omitempty"`
	// Attach: absolute paths of files on the node's machine, sent as a
	// queued copy to the room's members (the message references it).
	Attach []string `json:"attach,omitempty"`
}

// ChatMsgRequest is POST /v1/chat/msg: a direct message, or an alert.
type ChatMsgRequest struct {
	Workgroup string `json:"workgroup,omitempty"`
	Member    string `json:"member"`
	Text      string `json:"text"`
	Parent    string `json:"parent,omitempty"`
	Alert     bool   `json:"alert,omitempty"`
	Notice    bool   `json:"notice,omitempty"`
	// Attach: absolute paths of files sent as a queued copy to the member.
	Attach []string `json:"attach,omitempty"`
}

// ChatReadRequest is POST /v1/chat/read: mark a room's messages (Room)
// or those of the conversation with a member (Member) read.
type ChatReadRequest struct {
	Workgroup string `json:"workgroup,omitempty"`
	Room      string `json:"room,omitempty"`
	Member    string `json:"member,omitempty"`
}

// ChatActRequest is POST /v1/chat/act: an edit, delete or reaction
// (Kind) about message Target.
type ChatActRequest struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Text   string `json:"text,omitempty"`
}

// ChatAttachment is a file a chat message references.
type ChatAttachment = events.ChatAttachment

// ChatMessage is a chat message (the chat.message event's payload).
type ChatMessage = events.ChatMessage

// Room mirrors chat.Room.
type Room struct {
	Workgroup string   `json:"workgroup"`
	Name      string   `json:"name"`
	Topic     string   `json:"topic,omitempty"`
	Creator   string   `json:"creator"`
	Allow     []string `json:"allow,omitempty"`
	Joined    bool     `json:"joined"`
	Messages  int      `json:"messages"`
	Unread    int      `json:"unread"`
	Retention string   `json:"retention,omitempty"` // a duration; empty: keep everything
	// CreatorPresence: the creator's presence now.
	CreatorPresence string `json:"creator_presence,omitempty"`
}

// RoomMember mirrors chat.RoomMember: GET /v1/rooms/{name}/who, a
// member in a room now with its presence (GET /v1/rooms/{name}/members
// stays the bare names).
type RoomMember struct {
	Name     string `json:"name"`
	Presence string `json:"presence,omitempty"`
}

// ChatUnread mirrors chat.Unread.
type ChatUnread struct {
	Workgroup string    `json:"workgroup"`
	Room      string    `json:"room,omitempty"`
	Peer      string    `json:"peer,omitempty"`
	Count     int       `json:"count"`
	Last      time.Time `json:"last"`
	Presence  string    `json:"presence,omitempty"`
}

// ChatSaveRequest is POST /v1/chat/save: write the files attached to
// message Message (its ID, or 8+ leading hexadecimal digits) under Dest
// (an absolute folder on the node's machine), from this node's received
// copy; with no copy here (a room message from before this member
// joined), ask a member that holds them for one.
type ChatSaveRequest struct {
	Message string `json:"message"`
	Dest    string `json:"dest,omitempty"`
}

// ChatSaveResult mirrors chat.SaveResult.
type ChatSaveResult struct {
	Message string   `json:"message"`
	State   string   `json:"state"`
	Files   []string `json:"files,omitempty"`
	Copy    string   `json:"copy,omitempty"`
	From    string   `json:"from,omitempty"`
}
