package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Errors of the rooms API.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrRefused  = errors.New("refused")
	ErrInvalid  = errors.New("invalid")
)

// Room is a room of a workgroup as this node knows it.
type Room struct {
	Workgroup string   `json:"workgroup"`
	Name      string   `json:"name"`
	Topic     string   `json:"topic,omitempty"`
	Creator   string   `json:"creator"`
	Allow     []string `json:"allow,omitempty"` // empty: open to every member
	Joined    bool     `json:"joined"`
	Messages  int      `json:"messages"`
	Unread    int      `json:"unread"`
	Retention string   `json:"retention,omitempty"` // this node's (a duration); empty: keep everything
	// CreatorPresence is the creator's presence now (online, away, busy,
	// offline; empty when this node knows none).
	CreatorPresence string `json:"creator_presence,omitempty"`
}

// roomState is a room folded from the directory log.
type roomState struct {
	name    string
	creator peer.ID
	allow   []string
	topic   string
}

// foldRooms applies the directory's acl and topic entries in display
// order: the first acl entry of a name creates the room (its author is
// the creator); a later one replaces the allow list when its author is
// the creator or an admin; a topic entry counts when its author may
// speak in the room. Other entries are kept but change nothing.
func foldRooms(ms []*msg, isAdmin func(peer.ID) bool, member func(peer.ID) (workgroup.Member, bool)) map[string]*roomState {
	rooms := map[string]*roomState{}
	for _, m := range ms {
		r := rooms[m.Room]
		switch {
		case m.Kind == KindACL && r == nil:
			rooms[m.Room] = &roomState{name: m.Room, creator: m.author(), allow: m.Allow}
		case m.Kind == KindACL && (m.author() == r.creator || isAdmin(m.author())):
			r.allow = m.Allow
		case m.Kind == KindTopic && r != nil && allowedBy(r, m.author(), member):
			r.topic = m.Text
		}
	}
	return rooms
}

// allowedBy reports whether p may read and speak in room r: its creator,
// or, with an allow list, a member it names (by name, group:G or *).
func allowedBy(r *roomState, p peer.ID, member func(peer.ID) (workgroup.Member, bool)) bool {
	m, ok := member(p)
	if !ok {
		return false
	}
	if len(r.allow) == 0 || p == r.creator {
		return true
	}
	for _, a := range r.allow {
		g, isGroup := strings.CutPrefix(a, "group:")
		switch {
		case a == "*":
			return true
		case isGroup && m.InGroup(g):
			return true
		case !isGroup && strings.EqualFold(a, m.Name) && !m.NameConflict:
			return true
		}
	}
	return false
}

// roomsOf returns the rooms of wg, folded from its directory log (cached
// until the next directory entry).
func (s *Service) roomsOf(wg string) map[string]*roomState {
	s.mu.Lock()
	r, ok := s.rooms[wg]
	s.mu.Unlock()
	if ok {
		return r
	}
	return s.refold(wg)
}

func (s *Service) refold(wg string) map[string]*roomState {
	s.acc.foldMu.Lock()
	defer s.acc.foldMu.Unlock()
	ms, err := s.loadLog(s.ctx, wg, "")
	if err != nil {
		s.log.Warn("chat: read room directory", "err", err)
		return nil
	}
	member := func(p peer.ID) (workgroup.Member, bool) { return s.dir.Member(wg, p) }
	isAdmin := func(p peer.ID) bool {
		m, ok := member(p)
		return ok && m.HasRole(workgroup.RoleAdmin)
	}
	rooms := foldRooms(ms, isAdmin, member)
	s.foldedRooms(wg, rooms) // the topic check first (access_topic.go)
	s.mu.Lock()
	s.rooms[wg] = rooms
	s.mu.Unlock()
	s.logsGen.Add(1) // after the change: a mark read before it is stale
	return rooms
}

// allowed reports whether p may be in room of wg.
func (s *Service) allowed(wg, room string, p peer.ID) bool {
	if room == "" { // not a room: admits would answer membership
		return false
	}
	_, ok := s.admits(logKey{wg, room}, p)
	return ok
}

// joinedRooms returns the rooms this node joined (read once, then kept
// up to date by JoinRoom and LeaveRoom).
func (s *Service) joinedRooms() map[logKey]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.joined == nil {
		s.joined = map[logKey]bool{}
		rows, err := s.db.QueryContext(s.ctx, `SELECT workgroup, name FROM chat_rooms WHERE joined=1`)
		if err != nil {
			s.joined = nil
			return map[logKey]bool{}
		}
		defer rows.Close()
		for rows.Next() {
			var k logKey
			if rows.Scan(&k.wg, &k.log) == nil {
				s.joined[k] = true
			}
		}
	}
	out := make(map[logKey]bool, len(s.joined))
	for k := range s.joined {
		out[k] = true
	}
	return out
}

// setJoined records a join or leave in the cache.
func (s *Service) setJoined(k logKey, joined bool) {
	s.joinedRooms() // loaded
	s.mu.Lock()
	defer s.mu.Unlock()
	if joined {
		s.joined[k] = true
	} else {
		delete(s.joined, k)
	}
	s.logsGen.Add(1)
}

func (s *Service) resolve(wg string) (workgroup.Info, error) {
	info, err := workgroup.Resolve(s.dir, wg)
	if err != nil {
		return info, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return info, nil
}

// Rooms lists the rooms of workgroup wg ("": the only one).
func (s *Service) Rooms(wg string) ([]Room, error) {
	info, err := s.resolve(wg)
	if err != nil {
		return nil, err
	}
	joined := s.joinedRooms()
	out := []Room{}
	for _, r := range s.roomsOf(info.ID) {
		out = append(out, s.roomInfo(info.ID, r, joined[logKey{info.ID, r.name}]))
	}
	slices.SortFunc(out, func(a, b Room) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Service) roomInfo(wg string, r *roomState, joined bool) Room {
	ri := Room{Workgroup: wg, Name: r.name, Topic: r.topic, Creator: s.nameOf(wg, r.creator), Allow: r.allow, Joined: joined,
		Retention: formatRetention(s.retentionOf(wg, r.name)), CreatorPresence: s.presenceOf(wg, r.creator.String())}
	_ = s.db.QueryRowContext(s.ctx, `SELECT count(*), coalesce(sum(read=0 AND author!=? AND kind IN ('text','notice')), 0) FROM chat_messages WHERE workgroup=? AND log=?`,
		s.self.String(), wg, r.name).Scan(&ri.Messages, &ri.Unread)
	return ri
}

// nameOf is a member's name, or its peer ID when it is not a member.
func (s *Service) nameOf(wg string, p peer.ID) string {
	if d, ok := s.dir.(memberNamer); ok { // no Member built: named per message stored
		if name, ok := d.MemberName(wg, p); ok {
			return name
		}
		return p.String()
	}
	if m, ok := s.dir.Member(wg, p); ok {
		return m.Name
	}
	return p.String()
}

// memberNamer is a directory that names a member without building its
// Member (workgroup.Roster).
type memberNamer interface {
	MemberName(wg string, p peer.ID) (string, bool)
}

func (s *Service) room(wg, name string) (workgroup.Info, *roomState, error) {
	info, err := s.resolve(wg)
	if err != nil {
		return info, nil, err
	}
	name = strings.ToLower(strings.TrimPrefix(name, "#"))
	r := s.roomsOf(info.ID)[name]
	if r == nil {
		return info, nil, fmt.Errorf("%w: no room %q in workgroup %s", ErrNotFound, name, info.Name)
	}
	return info, r, nil
}

// CreateRoom creates a room of wg (open to every member when allow is
// empty; else to the members and group:G it lists) and joins it.
func (s *Service) CreateRoom(ctx context.Context, wg, name, topic string, allow []string) (Room, error) {
	info, err := s.resolve(wg)
	if err != nil {
		return Room{}, err
	}
	name = strings.ToLower(strings.TrimPrefix(name, "#"))
	if err := ValidRoom(name); err != nil {
		return Room{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if s.roomsOf(info.ID)[name] != nil {
		return Room{}, fmt.Errorf("%w: room %s exists", ErrConflict, name)
	}
	if _, err := s.send(ctx, info.ID, body{Room: name, Kind: KindACL, Allow: allow}); err != nil {
		return Room{}, err
	}
	if topic != "" {
		if _, err := s.send(ctx, info.ID, body{Room: name, Kind: KindTopic, Text: topic}); err != nil {
			return Room{}, err
		}
	}
	return s.JoinRoom(ctx, info.ID, name)
}

// JoinRoom makes this node keep a room's log and receive its messages.
func (s *Service) JoinRoom(ctx context.Context, wg, name string) (Room, error) {
	info, r, err := s.room(wg, name)
	if err != nil {
		return Room{}, err
	}
	if !s.allowed(info.ID, r.name, s.self) {
		return Room{}, fmt.Errorf("%w: room %s is not open to this member", ErrRefused, r.name)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO chat_rooms(workgroup, name, joined) VALUES(?,?,1)
		ON CONFLICT(workgroup, name) DO UPDATE SET joined=1`, info.ID, r.name); err != nil {
		return Room{}, fmt.Errorf("chat: join room: %w", err)
	}
	s.setJoined(logKey{info.ID, r.name}, true)
	s.syncTopics()
	return s.roomInfo(info.ID, r, true), nil
}

// LeaveRoom stops receiving a room (its log stays for history).
func (s *Service) LeaveRoom(ctx context.Context, wg, name string) error {
	info, r, err := s.room(wg, name)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE chat_rooms SET joined=0 WHERE workgroup=? AND name=?`, info.ID, r.name); err != nil {
		return fmt.Errorf("chat: leave room: %w", err)
	}
	s.setJoined(logKey{info.ID, r.name}, false)
	s.syncTopics()
	return nil
}

// SetTopic sets a room's topic (any member allowed in the room).
func (s *Service) SetTopic(ctx context.Context, wg, name, topic string) error {
	info, r, err := s.room(wg, name)
	if err != nil {
		return err
	}
	if !s.allowed(info.ID, r.name, s.self) {
		return fmt.Errorf("%w: room %s is not open to this member", ErrRefused, r.name)
	}
	_, err = s.send(ctx, info.ID, body{Room: r.name, Kind: KindTopic, Text: topic})
	return err
}

// SetAllow replaces a room's allow list (empty: open to every member);
// only its creator or an admin may.
func (s *Service) SetAllow(ctx context.Context, wg, name string, allow []string) (Room, error) {
	info, r, err := s.room(wg, name)
	if err != nil {
		return Room{}, err
	}
	self, _ := s.dir.Self(info.ID)
	if r.creator != s.self && !self.HasRole(workgroup.RoleAdmin) {
		return Room{}, fmt.Errorf("%w: only the room's creator or an admin changes who may enter", ErrRefused)
	}
	if _, err := s.send(ctx, info.ID, body{Room: r.name, Kind: KindACL, Allow: allow}); err != nil {
		return Room{}, err
	}
	_, r, err = s.room(info.ID, r.name)
	if err != nil {
		return Room{}, err
	}
	return s.roomInfo(info.ID, r, s.joinedRooms()[logKey{info.ID, r.name}]), nil
}

// RoomMembers lists the names of the members allowed in a room that keep
// it (subscribed to its topic now, or this node when it joined it),
// sorted.
func (s *Service) RoomMembers(wg, room string) ([]string, error) {
	info, r, err := s.room(wg, room)
	if err != nil {
		return nil, err
	}
	k := logKey{info.ID, r.name}
	var ps []peer.ID
	s.mu.Lock()
	if t := s.topics[k]; t != nil {
		ps = append(t.topic.ListPeers(), s.self)
	}
	s.mu.Unlock()
	var out []string
	for _, p := range ps {
		if m, ok := s.dir.Member(info.ID, p); ok && s.allowed(info.ID, r.name, p) && !slices.Contains(out, m.Name) {
			out = append(out, m.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// noteRoom refolds the directory after an acl or topic entry and
// publishes room.changed.
func (s *Service) noteRoom(m *msg) {
	rooms := s.refold(m.Workgroup)
	r := rooms[m.Room]
	if r == nil {
		return
	}
	s.cfg.Events.Publish(m.Workgroup, events.RoomChanged{Room: r.name, Topic: r.topic, Allow: r.allow,
		Creator: s.nameOf(m.Workgroup, r.creator), By: s.nameOf(m.Workgroup, m.author())})
}

// closedEmpty is the error for a history of room that came back empty
// because the room is not open to this member (nil otherwise): its
// messages never reach this node, so say so rather than show nothing. A
// member removed from a room still reads what it kept.
func (s *Service) closedEmpty(wg, room string, got int) error {
	if room == "" || got > 0 {
		return nil
	}
	info, r, err := s.room(wg, room)
	if err != nil || s.allowed(info.ID, r.name, s.self) {
		return nil
	}
	return fmt.Errorf("%w: room %s is not open to this member", ErrRefused, r.name)
}

// isJoined reports whether this node joined room k.
func (s *Service) isJoined(k logKey) bool {
	s.mu.Lock()
	if s.joined != nil {
		j := s.joined[k]
		s.mu.Unlock()
		return j
	}
	s.mu.Unlock()
	return s.joinedRooms()[k]
}

// joinToSay joins a room this member may enter but left (or never
// joined) before it says something there through the API: the message
// itself gets out (publish joins the topic for the while), but a member
// that speaks in a room expects the answers, which a node not in the
// room never receives. Unknown and closed rooms are left to Say's own
// errors. (The IRC gateway refuses to send to a channel not joined, 404.)
func (s *Service) joinToSay(ctx context.Context, wg, room string) error {
	info, r, err := s.room(wg, room)
	if err != nil || !s.allowed(info.ID, r.name, s.self) || s.isJoined(logKey{info.ID, r.name}) {
		return nil
	}
	_, err = s.JoinRoom(ctx, wg, room)
	return err
}
