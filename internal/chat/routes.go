package chat

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
)

// Routes declares /v1/rooms (rooms of a workgroup) and /v1/chat
// (messages, history, unread).
func (s *Service) Routes(srv *api.Server) {
	s.roomRoutes(srv)
	s.retentionRoutes(srv)
	s.messageRoutes(srv)
}

func (s *Service) roomRoutes(srv *api.Server) {
	api.Handle(srv, "GET /v1/rooms", "The rooms of a workgroup",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Room, error) {
			rs, err := s.Rooms(r.URL.Query().Get("workgroup"))
			return rs, apiError(err)
		}, "workgroup")
	api.Handle(srv, "POST /v1/rooms", "Create a room (open to every member, or to those it allows) and join it",
		func(ctx context.Context, r *http.Request, req apitypes.RoomCreateRequest) (Room, error) {
			rm, err := s.CreateRoom(ctx, req.Workgroup, req.Name, req.Topic, req.Allow)
			return rm, apiError(err)
		})
	api.Handle(srv, "POST /v1/rooms/{name}/join", "Join a room: keep its log and receive its messages",
		func(ctx context.Context, r *http.Request, req apitypes.RoomRequest) (Room, error) {
			rm, err := s.JoinRoom(ctx, req.Workgroup, r.PathValue("name"))
			return rm, apiError(err)
		})
	api.Handle(srv, "POST /v1/rooms/{name}/leave", "Leave a room (its history stays)",
		func(ctx context.Context, r *http.Request, req apitypes.RoomRequest) (api.Empty, error) {
			return api.Empty{}, apiError(s.LeaveRoom(ctx, req.Workgroup, r.PathValue("name")))
		})
	api.Handle(srv, "PUT /v1/rooms/{name}/topic", "Set a room's topic",
		func(ctx context.Context, r *http.Request, req apitypes.RoomTopicRequest) (api.Empty, error) {
			return api.Empty{}, apiError(s.SetTopic(ctx, req.Workgroup, r.PathValue("name"), req.Topic))
		})
	api.Handle(srv, "PUT /v1/rooms/{name}/allow", "Replace who may enter a room (its creator or an admin)",
		func(ctx context.Context, r *http.Request, req apitypes.RoomAllowRequest) (Room, error) {
			rm, err := s.SetAllow(ctx, req.Workgroup, r.PathValue("name"), req.Allow)
			return rm, apiError(err)
		})
	api.Handle(srv, "GET /v1/rooms/{name}/members", "The members in a room now",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]string, error) {
			ms, err := s.RoomMembers(r.URL.Query().Get("workgroup"), r.PathValue("name"))
			if ms == nil {
				ms = []string{}
			}
			return ms, apiError(err)
		}, "workgroup")
	api.Handle(srv, "GET /v1/rooms/{name}/who", "The members in a room now, with their presence (members, with presence)",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]RoomMember, error) {
			ms, err := s.RoomWho(r.URL.Query().Get("workgroup"), r.PathValue("name"))
			if ms == nil {
				ms = []RoomMember{}
			}
			return ms, apiError(err)
		}, "workgroup")
}

func (s *Service) messageRoutes(srv *api.Server) {
	api.Handle(srv, "POST /v1/chat/say", "Send a message to a room (joining it first when this node is not in it)",
		func(ctx context.Context, r *http.Request, req apitypes.ChatSayRequest) (Message, error) {
			opt := SendOptions{Parent: req.Parent, Notice: req.Notice}
			if err := s.joinToSay(ctx, req.Workgroup, req.Room); err != nil {
				return Message{}, apiError(err)
			}
			if len(req.Attach) > 0 {
				m, err := s.SayFiles(ctx, req.Workgroup, req.Room, req.Text, opt, req.Attach)
				return m, apiError(err)
			}
			m, err := s.Say(ctx, req.Workgroup, req.Room, req.Text, opt)
			return m, apiError(err)
		})
	api.Handle(srv, "POST /v1/chat/msg", "Send a direct message (or an alert) to a member",
		func(ctx context.Context, r *http.Request, req apitypes.ChatMsgRequest) (Message, error) {
			if req.Alert && len(req.Attach) > 0 {
				return Message{}, api.BadRequest("an alert takes no attachment: send a message with them")
			}
			if req.Alert {
				m, err := s.Alert(ctx, req.Workgroup, req.Member, req.Text)
				return m, apiError(err)
			}
			opt := SendOptions{Parent: req.Parent, Notice: req.Notice}
			if len(req.Attach) > 0 {
				m, err := s.DirectFiles(ctx, req.Workgroup, req.Member, req.Text, opt, req.Attach)
				return m, apiError(err)
			}
			m, err := s.Direct(ctx, req.Workgroup, req.Member, req.Text, opt)
			return m, apiError(err)
		})
	api.Handle(srv, "POST /v1/chat/act", "Edit, delete or react to a message",
		func(ctx context.Context, r *http.Request, req apitypes.ChatActRequest) (Message, error) {
			m, err := s.Act(ctx, req.Kind, req.Target, req.Text)
			return m, apiError(err)
		})
	api.Handle(srv, "GET /v1/chat/history", "Messages of a room or of the conversation with a member, oldest first",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Message, error) {
			q, err := historyQuery(r)
			if err != nil {
				return nil, api.BadRequest("%v", err)
			}
			wg := r.URL.Query().Get("workgroup")
			ms, err := s.History(ctx, wg, q)
			if err == nil {
				err = s.closedEmpty(wg, q.Room, len(ms))
			}
			if err == nil {
				s.LinkCopies(ctx, ms)
				s.withPresence(ms)
			}
			if err == nil && r.URL.Query().Get("mark") != "" {
				err = s.MarkRead(ctx, wg, q)
			}
			return ms, apiError(err)
		}, "workgroup", "room", "peer", "since", "before", "limit", "search", "mark")
	api.Handle(srv, "POST /v1/chat/save", "Save the files attached to a message (from this node's copy, or ask a member for one)",
		func(ctx context.Context, r *http.Request, req apitypes.ChatSaveRequest) (SaveResult, error) {
			res, err := s.SaveAttachments(ctx, req.Message, req.Dest)
			return res, apiError(err)
		})
	api.Handle(srv, "POST /v1/chat/read", "Mark the messages of a room or of the conversation with a member read",
		func(ctx context.Context, r *http.Request, req apitypes.ChatReadRequest) (api.Empty, error) {
			return api.Empty{}, apiError(s.MarkRead(ctx, req.Workgroup, HistoryQuery{Room: req.Room, Peer: req.Member}))
		})
	api.Handle(srv, "GET /v1/chat/unread", "Rooms and conversations with unread messages",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Unread, error) {
			us, err := s.Unread(ctx, r.URL.Query().Get("workgroup"))
			s.unreadPresence(us)
			return us, apiError(err)
		}, "workgroup")
}

// historyQuery reads a HistoryQuery from the URL (times in RFC 3339).
func historyQuery(r *http.Request) (HistoryQuery, error) {
	v := r.URL.Query()
	q := HistoryQuery{Room: v.Get("room"), Peer: v.Get("peer"), Search: v.Get("search")}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"before", &q.Before}} {
		if x := v.Get(f.name); x != "" {
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return q, errors.New(f.name + ": not an RFC 3339 time")
			}
			*f.dst = t
		}
	}
	if x := v.Get("limit"); x != "" {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 {
			return q, errors.New("limit: not a count")
		}
		q.Limit = n
	}
	return q, nil
}

func apiError(err error) error {
	var ae *api.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, ErrNotFound):
		return api.NotFound("%v", err)
	case errors.Is(err, ErrConflict):
		return api.Conflict("%v", err)
	case errors.Is(err, ErrRefused):
		return api.Forbidden("%v", err)
	case errors.Is(err, ErrInvalid):
		return api.BadRequest("%v", err)
	}
	return err // a full disk: 507 no_space (the daemon's api.Server.SetFull)
}
