package client

import (
	"context"
	"strconv"

	t "github.com/peerhood/peerhood/internal/apitypes"
)

// Rooms is GET /v1/rooms.
func (c *Client) Rooms(ctx context.Context, wg string) ([]t.Room, error) {
	return call[[]t.Room](ctx, c, get, withQuery("/v1/rooms", "workgroup", wg), nil)
}

// CreateRoom is POST /v1/rooms.
func (c *Client) CreateRoom(ctx context.Context, req t.RoomCreateRequest) (t.Room, error) {
	return call[t.Room](ctx, c, post, "/v1/rooms", req)
}

// JoinRoom is POST /v1/rooms/{name}/join.
func (c *Client) JoinRoom(ctx context.Context, wg, name string) (t.Room, error) {
	return call[t.Room](ctx, c, post, "/v1/rooms/"+seg(name)+"/join", t.RoomRequest{Workgroup: wg})
}

// LeaveRoom is POST /v1/rooms/{name}/leave.
func (c *Client) LeaveRoom(ctx context.Context, wg, name string) (t.Empty, error) {
	return call[t.Empty](ctx, c, post, "/v1/rooms/"+seg(name)+"/leave", t.RoomRequest{Workgroup: wg})
}

// SetRoomTopic is PUT /v1/rooms/{name}/topic.
func (c *Client) SetRoomTopic(ctx context.Context, wg, name, topic string) (t.Empty, error) {
	return call[t.Empty](ctx, c, put, "/v1/rooms/"+seg(name)+"/topic", t.RoomTopicRequest{Workgroup: wg, Topic: topic})
}

// SetRoomAllow is PUT /v1/rooms/{name}/allow.
func (c *Client) SetRoomAllow(ctx context.Context, wg, name string, allow []string) (t.Room, error) {
	return call[t.Room](ctx, c, put, "/v1/rooms/"+seg(name)+"/allow", t.RoomAllowRequest{Workgroup: wg, Allow: allow})
}

// SetRoomRetention is PUT /v1/rooms/{name}/retention.
func (c *Client) SetRoomRetention(ctx context.Context, wg, name, retention string) (t.Room, error) {
	return call[t.Room](ctx, c, put, "/v1/rooms/"+seg(name)+"/retention", t.RoomRetentionRequest{Workgroup: wg, Retention: retention})
}

// RoomMembers is GET /v1/rooms/{name}/members.
func (c *Client) RoomMembers(ctx context.Context, wg, name string) ([]string, error) {
	return call[[]string](ctx, c, get, withQuery("/v1/rooms/"+seg(name)+"/members", "workgroup", wg), nil)
}

// RoomWho is GET /v1/rooms/{name}/who: the room's members with their
// presence.
func (c *Client) RoomWho(ctx context.Context, wg, name string) ([]t.RoomMember, error) {
	return call[[]t.RoomMember](ctx, c, get, withQuery("/v1/rooms/"+seg(name)+"/who", "workgroup", wg), nil)
}

// Say is POST /v1/chat/say.
func (c *Client) Say(ctx context.Context, req t.ChatSayRequest) (t.ChatMessage, error) {
	return call[t.ChatMessage](ctx, c, post, "/v1/chat/say", req)
}

// Msg is POST /v1/chat/msg.
func (c *Client) Msg(ctx context.Context, req t.ChatMsgRequest) (t.ChatMessage, error) {
	return call[t.ChatMessage](ctx, c, post, "/v1/chat/msg", req)
}

// ChatAct is POST /v1/chat/act.
func (c *Client) ChatAct(ctx context.Context, req t.ChatActRequest) (t.ChatMessage, error) {
	return call[t.ChatMessage](ctx, c, post, "/v1/chat/act", req)
}

// HistoryQuery selects GET /v1/chat/history's messages (times RFC 3339).
type HistoryQuery struct {
	Workgroup, Room, Peer, Since, Before, Search string
	Limit                                        int
	Mark                                         bool // mark them read
}

// History is GET /v1/chat/history.
func (c *Client) History(ctx context.Context, q HistoryQuery) ([]t.ChatMessage, error) {
	kv := []string{"workgroup", q.Workgroup, "room", q.Room, "peer", q.Peer, "since", q.Since, "before", q.Before, "search", q.Search}
	if q.Limit > 0 {
		kv = append(kv, "limit", strconv.Itoa(q.Limit))
	}
	if q.Mark {
		kv = append(kv, "mark", "1")
	}
	return call[[]t.ChatMessage](ctx, c, get, withQuery("/v1/chat/history", kv...), nil)
}

// MarkRead is POST /v1/chat/read.
func (c *Client) MarkRead(ctx context.Context, req t.ChatReadRequest) (t.Empty, error) {
	return call[t.Empty](ctx, c, post, "/v1/chat/read", req)
}

// Unread is GET /v1/chat/unread.
func (c *Client) Unread(ctx context.Context, wg string) ([]t.ChatUnread, error) {
	return call[[]t.ChatUnread](ctx, c, get, withQuery("/v1/chat/unread", "workgroup", wg), nil)
}

// SaveAttachments is POST /v1/chat/save.
func (c *Client) SaveAttachments(ctx context.Context, req t.ChatSaveRequest) (t.ChatSaveResult, error) {
	return call[t.ChatSaveResult](ctx, c, post, "/v1/chat/save", req)
}
