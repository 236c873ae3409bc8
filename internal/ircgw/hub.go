package ircgw

import (
	"strconv"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

// pendingSend is a message a client is sending: when the bus brings it
// back before Say returns, the hub delivers it to the node's other
// clients and leaves the sender's echo to the sender's handler (so the
// echo answers the command: labeled-response), noting it in matched.
type pendingSend struct {
	origin *client
	wg     string
	room   string // room, or "" for a direct message
	target string // direct message recipient
	text   string
	tags   []Tag // the client-only tags sent with it, +draft/reply aside (chat's Parent)

	matched *Message // the message the hub matched to this send (under Server.mu)
}

func (p pendingSend) matches(m Message) bool {
	return p.wg == m.Workgroup && p.text == m.Text && strings.EqualFold(p.room, m.Room) &&
		(p.room != "" || strings.EqualFold(p.target, m.Peer))
}

// hub delivers the bus's chat messages and presence changes to clients.
// While no client is registered it drops them unread: nobody would get
// them, and a client registering later gets its playback (and
// CHATHISTORY) from the chat store, not from the hub.
func (s *Server) hub() {
	for {
		ev, err := s.sub.Next(s.ctx)
		if err != nil {
			return
		}
		if s.nreg.Load() == 0 && ev.Kind != events.KindGap && ev.Kind != events.KindRoomChanged {
			continue
		}
		switch ev.Kind {
		case events.KindRoomChanged:
			var rc events.RoomChanged
			if err := ev.Decode(&rc); err == nil {
				s.roomChanged(ev.Workgroup, rc)
			}
		case events.KindChatMessage:
			m, err := s.cfg.Backend.DecodeMessage(ev)
			if err != nil {
				s.cfg.Log.Warn("irc gateway: chat message unreadable", "err", err)
				continue
			}
			s.deliver(m, nil)
		case events.KindPresenceChanged:
			var p events.PresenceChanged
			if err := ev.Decode(&p); err != nil {
				continue
			}
			s.presenceChanged(ev.Workgroup, p)
		case events.KindGap:
			s.cfg.Log.Warn("irc gateway: events lost (clients can fetch them with CHATHISTORY)")
		}
	}
}

// deliver sends m to every registered client once (by ID). sent is the
// send of the client that sent m, from that client's handler once Say
// returned (nil: the hub, for a message of another client, the CLI or a
// member). The sender's echo (echo-message) always goes out from its
// handler, as a reply to its command: the hub, finding m's send pending,
// skips the sender.
func (s *Server) deliver(m Message, sent *pendingSend) {
	var origin *client
	var ctags []Tag // the sender's client-only tags (message-tags: relayed as they are)
	s.mu.Lock()
	if sent != nil {
		origin = sent.origin
		ctags = sent.tags
	} else if s.isSelf(m) {
		for i, p := range s.pending {
			if p.matches(m) {
				origin = p.origin
				ctags = p.tags
				p.matched = &m
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				break
			}
		}
	}
	fresh := s.seen.add(m.ID)
	s.times.put(m.ID, m.Time)
	hubFirst := sent != nil && sent.matched != nil && sent.matched.ID == m.ID
	s.mu.Unlock()
	if !fresh {
		if hubFirst && origin.has("echo-message") {
			s.queueMessage(origin, m, "", true, ctags) // the hub delivered m to the others
		}
		return
	}
	self := s.isSelf(m)
	joined := -1 // whether the node is in m's room: asked once, when needed
	for _, c := range s.registered() {
		if self && c == origin && (sent == nil || !c.has("echo-message")) {
			continue
		}
		if m.Room != "" {
			ref := chanRef{Name: s.chanName(m.Workgroup, m.Room), WG: m.Workgroup, Room: m.Room}
			if !c.inChannel(ref.Name) {
				if joined < 0 {
					joined = 0
					if r, ok := s.roomOf(m.Workgroup, m.Room); ok && r.Joined {
						joined = 1
					}
				}
				// A room directory entry (a room created, its access list
				// or topic changed) of a room this node is not in, or a
				// message of such a room (a mailbox member keeps every
				// room), is not a reason to join the client to it.
				if m.Kind == KindACL || m.Kind == KindTopic || joined == 0 {
					continue
				}
				s.joinBurst(c, ref, false)
			}
		}
		s.queueMessage(c, m, "", true, ctags)
	}
}

// addPending records a send in progress; the returned func forgets it
// and returns the message the hub matched to it meanwhile, if any.
func (s *Server) addPending(p *pendingSend) func() *Message {
	s.mu.Lock()
	s.pending = append(s.pending, p)
	s.mu.Unlock()
	return func() *Message {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i := range s.pending {
			if s.pending[i] == p {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				break
			}
		}
		return p.matched
	}
}

// ircMsgID is the msgid a chat message has on IRC: its time in Unix
// nanoseconds (base 36), '~', its chat ID. The time lets CHATHISTORY
// find a message by its msgid through History's time bounds.
func ircMsgID(m Message) string {
	return strconv.FormatInt(m.Time.UnixNano(), 36) + "~" + m.ID
}

// parentMsgID is the IRC msgid of chat message id when its time is
// known (a message shown lately), else the bare chat ID.
func (s *Server) parentMsgID(id string) string {
	s.mu.Lock()
	t, ok := s.times.at[id]
	s.mu.Unlock()
	if !ok {
		return id
	}
	return ircMsgID(Message{ID: id, Time: t})
}

// chatParent is the chat message a +draft/reply value names: the chat
// ID of an IRC msgid of the gateway's (time~chatID), but that of a
// message chat does not keep ("self." to the node's own nick, "tag." a
// TAGMSG), or a bare chat ID the gateway showed lately. Anything else
// (another server's msgid, irctest's random ones) names no message chat
// has, and chat refuses a send with a parent it cannot read: the
// message would be lost for its tag.
func (s *Server) chatParent(ref string) (string, bool) {
	if _, id, ok := parseMsgID(ref); ok {
		return id, !strings.HasPrefix(id, "self.") && !strings.HasPrefix(id, "tag.")
	}
	s.mu.Lock()
	_, known := s.times.at[ref]
	s.mu.Unlock()
	return ref, known
}

// pieceMsgID is the msgid of line i of a message's text cut in several
// (i > 0): the message's with ".i" after its time (time.i~chatID). Each
// line has its own (message-ids: unique), naming the message.
func pieceMsgID(m Message, i int) string {
	return strconv.FormatInt(m.Time.UnixNano(), 36) + "." + strconv.Itoa(i) + "~" + m.ID
}

// parseMsgID splits an IRC msgid into time and chat ID (a piece's msgid
// names its message's).
func parseMsgID(id string) (time.Time, string, bool) {
	ts, chatID, ok := strings.Cut(id, "~")
	ts, _, _ = strings.Cut(ts, ".")
	if !ok || chatID == "" {
		return time.Time{}, "", false
	}
	n, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.Unix(0, n).UTC(), chatID, true
}

// render turns m into the lines client c gets, tagged for its
// capabilities and with batch as its batch ("" for none); ctags are the
// client-only tags a client of this node sent m with, on its live
// delivery (chat keeps none: no other member, playback or CHATHISTORY
// has them).
func (s *Server) render(c *client, m Message, batch string, ctags []Tag) []Line {
	self := s.isSelf(m)
	src := userhost(s.nickOf(m.Workgroup, m.Author))
	if self {
		src = userhost(c.selfNick())
	}
	var target string
	switch {
	case m.Room != "":
		target = s.chanName(m.Workgroup, m.Room)
	case self:
		target = s.nickOf(m.Workgroup, m.Peer)
	default:
		target = c.selfNick()
	}
	cmd, text := "PRIVMSG", m.Text
	switch m.Kind {
	case KindACL:
		return nil // an access-list entry: seen with peerhood room ls
	case KindTopic:
		if m.Room == "" || self {
			return nil // this node's own topic change was answered to TOPIC
		}
		return []Line{{Tags: s.timeTag(c, batch, m.Time), Source: src, Command: "TOPIC", Params: []string{target, m.Text}}}
	case "", KindText:
	case KindNotice:
		cmd = "NOTICE"
	case KindAlert:
		cmd = "NOTICE"
		text = "[alert] " + text
	default:
		text = "[" + m.Kind + "] " + text
	}
	text = withAttachments(m, text)
	tags := s.timeTag(c, batch, m.Time)
	mtags := c.has("message-tags")
	room := len(":"+src+" "+cmd+" "+target+" :") + 2
	action, isAction := strings.CutPrefix(text, "/me ")
	if isAction && cmd == "PRIVMSG" {
		text, room = action, room+len("\x01ACTION \x01")
	} else {
		isAction = false
	}
	var out []Line
	for i, piece := range splitText(text, MaxLine-room) {
		if isAction {
			piece = "\x01ACTION " + piece + "\x01"
		}
		lt := tags
		switch {
		case i == 0 && mtags:
			lt = append(lt[:len(lt):len(lt)], Tag{Key: "msgid", Value: ircMsgID(m)})
			if m.Parent != "" {
				lt = append(lt, Tag{Key: "+draft/reply", Value: s.parentMsgID(m.Parent)})
			}
			lt = append(lt, ctags...)
		case mtags:
			lt = append(lt[:len(lt):len(lt)], Tag{Key: "msgid", Value: pieceMsgID(m, i)})
		}
		out = append(out, Line{Tags: lt, Source: src, Command: cmd, Params: []string{target, piece}})
	}
	return out
}

const timeFormat = "2006-01-02T15:04:05.000Z"

// timeTag is the batch and server-time tags client c gets on a line.
func (s *Server) timeTag(c *client, batch string, at time.Time) []Tag {
	var tags []Tag
	if batch != "" {
		tags = append(tags, Tag{Key: "batch", Value: batch})
	}
	if c.has("server-time") {
		tags = append(tags, Tag{Key: "time", Value: at.UTC().Format(timeFormat)})
	}
	return tags
}

// sendMessage queues m's lines for c; the last one moves c's last-seen
// mark of m's conversation when it is written.
func (s *Server) sendMessage(c *client, m Message, batch string) {
	s.queueMessage(c, m, batch, true, nil)
}

// sendMessageAside is sendMessage for a message that answers none of
// c's commands (conn.go's sendAside).
func (s *Server) sendMessageAside(c *client, m Message) {
	s.queueMessage(c, m, "", false, nil)
}

func (s *Server) queueMessage(c *client, m Message, batch string, reply bool, ctags []Tag) {
	lines := s.render(c, m, batch, ctags)
	for i, l := range lines {
		var mk *mark
		if i == len(lines)-1 {
			mk = &mark{key: s.seenKey(c, m), seen: seen{At: m.Time, ID: m.ID}}
		}
		c.out1(l, mk, reply)
	}
}

// setMark moves a last-seen mark forward.
func (s *Server) setMark(mk *mark) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !mk.At.Before(s.lastSeen[mk.key].At) { // of one instant, the later written
		s.lastSeen[mk.key] = mk.seen
		s.marksDirty = true
	}
}

func (s *Server) seenKey(c *client, m Message) string {
	c.mu.Lock()
	user := c.user
	c.mu.Unlock()
	conv := "#" + fold(m.Room)
	if m.Room == "" {
		conv = fold(m.Peer)
	}
	return user + "\x00" + m.Workgroup + "\x00" + conv
}

// presenceChanged tells clients with away-notify, and voices or
// devoices the member in the channels it is in (voice: present); a
// client monitoring the member gets 730/731 when it comes online or
// goes offline (monitor.go).
func (s *Server) presenceChanged(wg string, p events.PresenceChanged) {
	name := p.Name
	if name == "" {
		return
	}
	if me, ok := s.self(wg); ok && me.PeerID == p.Peer && p.Peer != "" {
		// This node's own presence (set by a client's AWAY or by the
		// CLI), as it is now: an event can come after a later change
		// (AWAY then AWAY back), and must not tell the old state again.
		away := me.State != Online && me.State != ""
		for _, c := range s.registered() {
			c.tellAway(away)
		}
		return
	}
	nick := s.nickOf(wg, name)
	away := Line{Source: userhost(nick), Command: "AWAY"}
	if p.State != Online {
		away.Params = []string{awayText(p.State, p.Text)}
	}
	wasPresent, present := p.Previous != "" && p.Previous != Offline, p.State != Offline
	key := fold(nick)
	for _, c := range s.registered() {
		// MONITOR: 730/731 on a change of online; with extended-monitor
		// the AWAY too, channels shared or not.
		monitored := c.monitorChange(key, isPresent(p.State))
		chans := c.channelsOf(wg)
		if c.has("away-notify") && (len(chans) > 0 || monitored && c.has("extended-monitor")) {
			c.send(away)
		}
		if len(chans) == 0 {
			continue
		}
		if wasPresent == present {
			continue
		}
		mode := "-v"
		if present {
			mode = "+v"
		}
		for _, ref := range chans {
			if names, err := s.cfg.Backend.RoomMembers(wg, ref.Room); err == nil && containsFold(names, name) {
				c.send(Line{Source: serverName, Command: "MODE", Params: []string{ref.Name, mode, nick}})
			}
		}
	}
}

func awayText(state, text string) string {
	if text != "" {
		return text
	}
	return state
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if equalFold(x, s) {
			return true
		}
	}
	return false
}

func (c *client) inChannel(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.channels[fold(name)]
	return ok
}

func (c *client) channelsOf(wg string) []chanRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []chanRef
	for _, r := range c.channels {
		if r.WG == wg {
			out = append(out, r)
		}
	}
	return out
}
