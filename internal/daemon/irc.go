package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/davfs"
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/ircgw"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// ircModule serves the chat to IRC clients on the loopback (ircgw):
// $PEERHOOD_IRC_ADDR, else the setting irc.addr, else 127.0.0.1:6667;
// "off" disables it. When the default port is taken it falls back to a
// free one (status shows which).
func (n *Node) ircModule(ctx context.Context) (Module, error) {
	setting, err := n.db.Setting(ctx, "irc.addr")
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("irc address: %w", err)
	}
	addr := ircgw.ResolveAddr(setting)
	if addr == ircgw.Off {
		return &ircModule{}, nil
	}
	token, err := davfs.LoadOrCreateToken(n.Home())
	if err != nil {
		return nil, err
	}
	wg, _ := n.db.Setting(ctx, "irc.workgroup")
	cfg := ircgw.Config{Addr: addr, Token: token, Events: n.events, Workgroup: wg,
		MarksFile: filepath.Join(n.Home(), "irc-marks.json"),
		Backend:   ircBackend{chat: n.chat, dir: n.dir, pres: n.pres}, Log: n.log.With("svc", "irc")}
	srv, err := ircgw.New(cfg)
	if err != nil {
		return nil, err
	}
	err = srv.Start(ctx)
	if err != nil && addr == ircgw.DefaultAddr && errors.Is(err, syscall.EADDRINUSE) {
		n.log.Warn("irc default port taken; using a free port (see peerhood status)")
		cfg.Addr = "127.0.0.1:0"
		if srv, err = ircgw.New(cfg); err == nil {
			err = srv.Start(ctx)
		}
	}
	if err != nil {
		return nil, err
	}
	n.irc = srv // the gateway logs its own address once it listens
	return &ircModule{srv: srv}, nil
}

type ircModule struct{ srv *ircgw.Server }

func (m *ircModule) Routes(*api.Server) {}
func (m *ircModule) Close() error {
	if m.srv == nil {
		return nil
	}
	return m.srv.Close()
}

// ircBackend is chat, the directory and presence as ircgw asks them.
type ircBackend struct {
	chat *chat.Service
	dir  workgroup.Directory
	pres *presence.Service
}

func (b ircBackend) Workgroups() []ircgw.Workgroup {
	var out []ircgw.Workgroup
	for _, w := range b.dir.Workgroups() {
		out = append(out, ircgw.Workgroup{ID: w.ID, Name: w.Name})
	}
	return out
}

func (b ircBackend) member(wg string, m workgroup.Member) ircgw.Member {
	seen := b.pres.Of(wg, m.PeerID)
	self, _ := b.dir.Self(wg)
	return ircgw.Member{Name: m.Name, PeerID: m.PeerID.String(), Admin: m.HasRole(workgroup.RoleAdmin),
		Self: m.PeerID == self.PeerID, State: seen.State, Text: seen.Text, Groups: m.Groups}
}

func (b ircBackend) Members(wg string) []ircgw.Member {
	var out []ircgw.Member
	for _, m := range b.dir.Members(wg) {
		out = append(out, b.member(wg, m))
	}
	return out
}

func (b ircBackend) Self(wg string) (ircgw.Member, bool) {
	m, ok := b.dir.Self(wg)
	return b.member(wg, m), ok
}

func (b ircBackend) Member(wg, name string) (ircgw.Member, bool) {
	m, ok := b.dir.ByName(wg, name)
	return b.member(wg, m), ok
}

func (b ircBackend) SetAway(ctx context.Context, away bool, text string) error {
	state := presence.Online
	if away {
		state = presence.Away
	}
	_, err := b.pres.Set(ctx, state, text)
	return err
}

func ircRoom(r chat.Room) ircgw.Room {
	return ircgw.Room{Workgroup: r.Workgroup, Name: r.Name, Topic: r.Topic, Allow: r.Allow, Joined: r.Joined, Creator: r.Creator}
}

func (b ircBackend) SetAllow(ctx context.Context, wg, name string, allow []string) (ircgw.Room, error) {
	r, err := b.chat.SetAllow(ctx, wg, name, allow)
	return ircRoom(r), err
}

func (b ircBackend) Rooms(wg string) ([]ircgw.Room, error) {
	rs, err := b.chat.Rooms(wg)
	out := make([]ircgw.Room, 0, len(rs))
	for _, r := range rs {
		out = append(out, ircRoom(r))
	}
	return out, err
}

func (b ircBackend) CreateRoom(ctx context.Context, wg, name, topic string, allow []string) (ircgw.Room, error) {
	r, err := b.chat.CreateRoom(ctx, wg, name, topic, allow)
	return ircRoom(r), err
}

func (b ircBackend) JoinRoom(ctx context.Context, wg, name string) (ircgw.Room, error) {
	r, err := b.chat.JoinRoom(ctx, wg, name)
	return ircRoom(r), err
}

func (b ircBackend) LeaveRoom(ctx context.Context, wg, name string) error {
	return b.chat.LeaveRoom(ctx, wg, name)
}

func (b ircBackend) SetTopic(ctx context.Context, wg, name, topic string) error {
	return b.chat.SetTopic(ctx, wg, name, topic)
}

func (b ircBackend) Say(ctx context.Context, wg, room, text string, o ircgw.SendOptions) (ircgw.Message, error) {
	m, err := b.chat.Say(ctx, wg, room, text, chat.SendOptions{Parent: o.Parent, Notice: o.Notice})
	return ircgw.Message(m), err
}

func (b ircBackend) Direct(ctx context.Context, wg, member, text string, o ircgw.SendOptions) (ircgw.Message, error) {
	m, err := b.chat.Direct(ctx, wg, member, text, chat.SendOptions{Parent: o.Parent, Notice: o.Notice})
	return ircgw.Message(m), err
}

func (b ircBackend) History(ctx context.Context, wg string, q ircgw.HistoryQuery) ([]ircgw.Message, error) {
	ms, err := b.chat.History(ctx, wg, chat.HistoryQuery(q))
	b.chat.LinkCopies(ctx, ms) // where each attachment is (ircgw shows it)
	out := make([]ircgw.Message, 0, len(ms))
	for _, m := range ms {
		out = append(out, ircgw.Message(m))
	}
	return out, err
}

func (b ircBackend) Conversations(ctx context.Context, wg string, q ircgw.ConversationQuery) ([]ircgw.Conversation, error) {
	cs, err := b.chat.Conversations(ctx, wg, chat.ConversationQuery(q))
	out := make([]ircgw.Conversation, len(cs))
	for i, c := range cs {
		out[i] = ircgw.Conversation(c)
	}
	return out, err
}

func (b ircBackend) RoomMembers(wg, room string) ([]string, error) {
	return b.chat.RoomMembers(wg, room)
}

func (b ircBackend) DecodeMessage(ev events.Event) (ircgw.Message, error) {
	var m events.ChatMessage
	err := ev.Decode(&m)
	return ircgw.Message(m), err
}

// IRC is the node's IRC gateway (nil when off).
func (n *Node) IRC() *ircgw.Server { return n.irc }

// IRCAddr is the IRC gateway's address for status ("" when off).
func (n *Node) IRCAddr() string {
	if n.irc == nil {
		return ""
	}
	return n.irc.Addr()
}
