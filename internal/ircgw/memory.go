package ircgw

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// MemoryNet is an in-memory chat network: workgroups, members, rooms and
// their history, shared by the MemoryNodes made from it. Each node is a
// Backend as one member's node would serve it, with its own event bus
// on which room messages, direct messages and presence changes arrive
// as they do from the chat and presence services. It serves the
// gateway's conformance tests and demos; it keeps nothing on disk.
type MemoryNet struct {
	mu      sync.Mutex
	now     func() time.Time
	last    time.Time
	seq     uint64
	wgs     []Workgroup
	members map[string][]*Member // workgroup ID -> members
	rooms   map[string]map[string]*memRoom
	msgs    []memMsg
	nodes   []*MemoryNode
}

// memMsg is a stored message with its recipient (direct messages).
type memMsg struct {
	Message
	to string
}

// view is m as node name sees it: Peer is the other member.
func (m memMsg) view(name string) Message {
	out := m.Message
	out.Unread = !strings.EqualFold(m.Author, name) // never marked read here
	if m.Room == "" {
		out.Peer = m.to
		if strings.EqualFold(m.to, name) {
			out.Peer = m.Author
		}
	}
	return out
}

type memRoom struct {
	Room
	joined map[string]bool // folded member names
}

// MemoryNode is one member's node on a MemoryNet; it implements Backend.
type MemoryNode struct {
	net  *MemoryNet
	name string
	peer string
	bus  *events.Bus
}

// Errors of the in-memory backend.
var (
	ErrNoWorkgroup = errors.New("no such workgroup")
	ErrNoRoom      = errors.New("no such room")
	ErrNoMember    = errors.New("no such member")
	ErrRoomExists  = errors.New("room exists")
)

// NewMemoryNet returns an empty network; now is its clock (time.Now if
// nil). Message times are made strictly increasing.
func NewMemoryNet(now func() time.Time) *MemoryNet {
	if now == nil {
		now = time.Now
	}
	return &MemoryNet{now: now, members: map[string][]*Member{}, rooms: map[string]map[string]*memRoom{}}
}

// AddWorkgroup adds a workgroup.
func (n *MemoryNet) AddWorkgroup(id, name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.wgs = append(n.wgs, Workgroup{ID: id, Name: name})
	n.rooms[id] = map[string]*memRoom{}
}

// AddMember adds a member without a node (it stays as state says) to the
// workgroups wgs.
func (n *MemoryNet) AddMember(name string, admin bool, state string, wgs ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, wg := range wgs {
		n.members[wg] = append(n.members[wg], &Member{Name: name, PeerID: "peer-" + name, Admin: admin, State: state})
	}
}

// Node adds a member with a node (online) to the workgroups wgs and
// returns its backend. Close the node to end its event bus.
func (n *MemoryNet) Node(name string, admin bool, wgs ...string) *MemoryNode {
	n.AddMember(name, admin, Online, wgs...)
	nd := &MemoryNode{net: n, name: name, peer: "peer-" + name, bus: events.New(events.Options{})}
	n.mu.Lock()
	n.nodes = append(n.nodes, nd)
	n.mu.Unlock()
	return nd
}

// SetPresence changes a member's presence in every workgroup and tells
// every node.
func (n *MemoryNet) SetPresence(name, state, text string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for wg, ms := range n.members {
		for _, m := range ms {
			if strings.EqualFold(m.Name, name) {
				prev := m.State
				m.State, m.Text = state, text
				for _, nd := range n.nodes {
					nd.bus.Publish(wg, events.PresenceChanged{Peer: m.PeerID, Name: m.Name, State: state, Text: text, Previous: prev})
				}
			}
		}
	}
}

// SetGroups sets the groups a member is in, in every workgroup.
func (n *MemoryNet) SetGroups(name string, groups ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ms := range n.members {
		for _, m := range ms {
			if strings.EqualFold(m.Name, name) {
				m.Groups = slices.Clone(groups)
			}
		}
	}
}

// Post stores a room message from a member without going through a
// node (another member talking) and delivers it.
func (n *MemoryNet) Post(wg, room, author, text string) (Message, error) {
	return n.say(wg, room, author, text, SendOptions{})
}

// Bus is the node's event bus.
func (nd *MemoryNode) Bus() *events.Bus { return nd.bus }

// Close ends the node's event bus.
func (nd *MemoryNode) Close() { nd.bus.Close() }

func (n *MemoryNet) memberLocked(wg, name string) *Member {
	for _, m := range n.members[wg] {
		if strings.EqualFold(m.Name, name) {
			return m
		}
	}
	return nil
}

func (n *MemoryNet) roomLocked(wg, name string) (*memRoom, error) {
	rs, ok := n.rooms[wg]
	if !ok {
		return nil, fmt.Errorf("workgroup %q: %w", wg, ErrNoWorkgroup)
	}
	r, ok := rs[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("room %q: %w", name, ErrNoRoom)
	}
	return r, nil
}

// stampLocked gives a new message its ID and a time after the last one.
func (n *MemoryNet) stampLocked(m *Message) {
	t := n.now().UTC()
	if !t.After(n.last) {
		t = n.last.Add(time.Microsecond)
	}
	n.last = t
	n.seq++
	m.ID = fmt.Sprintf("m%06d", n.seq)
	m.Seq = n.seq
	m.Time = t
	if m.Kind == "" {
		m.Kind = KindText
	}
}

func (n *MemoryNet) say(wg, room, author, text string, opt SendOptions) (Message, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.roomLocked(wg, room)
	if err != nil {
		return Message{}, err
	}
	a := n.memberLocked(wg, author)
	if a == nil {
		return Message{}, fmt.Errorf("author %q: %w", author, ErrNoMember)
	}
	m := Message{Workgroup: wg, Room: r.Name, Author: a.Name, AuthorID: a.PeerID, Text: text, Parent: opt.Parent}
	if opt.Notice {
		m.Kind = KindNotice
	}
	n.stampLocked(&m)
	n.msgs = append(n.msgs, memMsg{Message: m})
	for _, nd := range n.nodes {
		if r.joined[strings.ToLower(nd.name)] || strings.EqualFold(nd.name, author) {
			nd.bus.Publish(wg, m)
		}
	}
	return m, nil
}

// Workgroups implements Backend.
func (nd *MemoryNode) Workgroups() []Workgroup {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Workgroup
	for _, w := range n.wgs {
		if n.memberLocked(w.ID, nd.name) != nil {
			out = append(out, w)
		}
	}
	return out
}

// Members implements Backend.
func (nd *MemoryNode) Members(wg string) []Member {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Member, 0, len(n.members[wg]))
	for _, m := range n.members[wg] {
		c := *m
		c.Self = strings.EqualFold(m.Name, nd.name)
		out = append(out, c)
	}
	return out
}

// Self implements Backend.
func (nd *MemoryNode) Self(wg string) (Member, bool) { return nd.Member(wg, nd.name) }

// Member implements Backend.
func (nd *MemoryNode) Member(wg, name string) (Member, bool) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.memberLocked(wg, name)
	if m == nil {
		return Member{}, false
	}
	c := *m
	c.Self = strings.EqualFold(m.Name, nd.name)
	return c, true
}

// SetAway implements Backend.
func (nd *MemoryNode) SetAway(_ context.Context, away bool, text string) error {
	state := Online
	if away {
		state = Away
	} else {
		text = ""
	}
	nd.net.SetPresence(nd.name, state, text)
	return nil
}

// Rooms implements Backend.
func (nd *MemoryNode) Rooms(wg string) ([]Room, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	rs, ok := n.rooms[wg]
	if !ok {
		return nil, fmt.Errorf("workgroup %q: %w", wg, ErrNoWorkgroup)
	}
	out := make([]Room, 0, len(rs))
	for _, r := range rs {
		c := r.Room
		c.Joined = r.joined[strings.ToLower(nd.name)]
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Room) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateRoom implements Backend; the creator joins it.
func (nd *MemoryNode) CreateRoom(_ context.Context, wg, name, topic string, allow []string) (Room, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	rs, ok := n.rooms[wg]
	if !ok {
		return Room{}, fmt.Errorf("workgroup %q: %w", wg, ErrNoWorkgroup)
	}
	if _, ok := rs[strings.ToLower(name)]; ok {
		return Room{}, fmt.Errorf("room %q: %w", name, ErrRoomExists)
	}
	r := &memRoom{Room: Room{Workgroup: wg, Name: name, Topic: topic, Created: n.now().UTC(), Allow: allow, Creator: nd.name},
		joined: map[string]bool{strings.ToLower(nd.name): true}}
	rs[strings.ToLower(name)] = r
	c := r.Room
	c.Joined = true
	return c, nil
}

// JoinRoom implements Backend.
func (nd *MemoryNode) JoinRoom(_ context.Context, wg, name string) (Room, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.roomLocked(wg, name)
	if err != nil {
		return Room{}, err
	}
	if len(r.Allow) > 0 && !slices.ContainsFunc(r.Allow, func(a string) bool { return strings.EqualFold(a, nd.name) }) {
		return Room{}, fmt.Errorf("room %q is not open to %s", name, nd.name)
	}
	r.joined[strings.ToLower(nd.name)] = true
	c := r.Room
	c.Joined = true
	return c, nil
}

// LeaveRoom implements Backend.
func (nd *MemoryNode) LeaveRoom(_ context.Context, wg, name string) error {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.roomLocked(wg, name)
	if err != nil {
		return err
	}
	delete(r.joined, strings.ToLower(nd.name))
	return nil
}

// SetAllow implements Backend: the room's creator or an admin only.
func (nd *MemoryNode) SetAllow(_ context.Context, wg, name string, allow []string) (Room, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.roomLocked(wg, name)
	if err != nil {
		return Room{}, err
	}
	if me := n.memberLocked(wg, nd.name); !strings.EqualFold(r.Creator, nd.name) && (me == nil || !me.Admin) {
		return Room{}, fmt.Errorf("refused: only the room's creator or an admin changes who may enter")
	}
	r.Allow = slices.Clone(allow)
	for _, o := range n.nodes {
		o.bus.Publish(wg, events.RoomChanged{Room: r.Name, Topic: r.Topic, Allow: r.Allow, Creator: r.Creator, By: nd.name})
	}
	c := r.Room
	c.Joined = r.joined[strings.ToLower(nd.name)]
	return c, nil
}

// SetTopic implements Backend.
func (nd *MemoryNode) SetTopic(_ context.Context, wg, name, topic string) error {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.roomLocked(wg, name)
	if err != nil {
		return err
	}
	r.Topic = topic
	m := Message{Workgroup: wg, Room: r.Name, Author: nd.name, AuthorID: nd.peer, Kind: KindTopic, Text: topic}
	n.stampLocked(&m)
	for _, o := range n.nodes {
		if r.joined[strings.ToLower(o.name)] || o == nd {
			o.bus.Publish(wg, m)
		}
	}
	return nil
}

// Say implements Backend.
func (nd *MemoryNode) Say(_ context.Context, wg, room, text string, opt SendOptions) (Message, error) {
	return nd.net.say(wg, room, nd.name, text, opt)
}

// Direct implements Backend.
func (nd *MemoryNode) Direct(_ context.Context, wg, member, text string, opt SendOptions) (Message, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	to := n.memberLocked(wg, member)
	if to == nil {
		return Message{}, fmt.Errorf("member %q: %w", member, ErrNoMember)
	}
	m := Message{Workgroup: wg, Author: nd.name, AuthorID: nd.peer, Text: text, Parent: opt.Parent}
	if opt.Notice {
		m.Kind = KindNotice
	}
	n.stampLocked(&m)
	mm := memMsg{Message: m, to: to.Name}
	n.msgs = append(n.msgs, mm)
	for _, o := range n.nodes {
		if strings.EqualFold(o.name, nd.name) || strings.EqualFold(o.name, to.Name) {
			o.bus.Publish(wg, mm.view(o.name))
		}
	}
	return mm.view(nd.name), nil
}

// History implements Backend.
func (nd *MemoryNode) History(_ context.Context, wg string, q HistoryQuery) ([]Message, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Message
	for _, mm := range n.msgs {
		m := mm.view(nd.name)
		if m.Workgroup != wg || !nd.matches(mm, q) {
			continue
		}
		out = append(out, m)
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out, nil
}

func (nd *MemoryNode) matches(m memMsg, q HistoryQuery) bool {
	switch {
	case q.Room != "":
		if !strings.EqualFold(m.Room, q.Room) {
			return false
		}
	case q.Peer != "":
		if m.Room != "" {
			return false
		}
		mine := strings.EqualFold(m.Author, nd.name) && strings.EqualFold(m.to, q.Peer)
		theirs := strings.EqualFold(m.Author, q.Peer) && strings.EqualFold(m.to, nd.name)
		if !mine && !theirs {
			return false
		}
	default:
		return false
	}
	if !q.Since.IsZero() && m.Time.Before(q.Since) {
		return false
	}
	if !q.Before.IsZero() && !m.Time.Before(q.Before) {
		return false
	}
	return q.Search == "" || strings.Contains(strings.ToLower(m.Text), strings.ToLower(q.Search))
}

// RoomMembers implements Backend.
func (nd *MemoryNode) RoomMembers(wg, room string) ([]string, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.roomLocked(wg, room)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range n.members[wg] {
		if r.joined[strings.ToLower(m.Name)] {
			out = append(out, m.Name)
		}
	}
	return out, nil
}

// DecodeMessage implements Backend: the payload is a Message.
func (nd *MemoryNode) DecodeMessage(ev events.Event) (Message, error) {
	var m Message
	err := ev.Decode(&m)
	return m, err
}

var _ Backend = (*MemoryNode)(nil)
