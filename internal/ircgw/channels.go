package ircgw

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// command runs a command of a registered client.
func (c *client) command(l Line) {
	s := c.s
	switch l.Command {
	case "JOIN":
		c.join(l)
	case "PART":
		c.part(l)
	case "TOPIC":
		c.topic(l)
	case "NAMES":
		switch list := l.Param(0); {
		case list == "":
			c.numeric("366", "*", "End of /NAMES list")
		case !strings.Contains(list, ","):
			if ref, ok := s.parseChan(list); ok {
				s.names(c, ref)
			} else {
				c.numeric("366", list, "End of /NAMES list")
			}
		default:
			// Several channels: their 353s, then one 366 naming the list
			// as given (Ergo's, irctest's testNamesMultipleChannels).
			for _, name := range strings.Split(list, ",") {
				if ref, ok := s.parseChan(name); ok {
					s.nameLines(c, ref)
				}
			}
			c.numeric("366", list, "End of /NAMES list")
		}
	case "MODE":
		c.mode(l)
	case "WHO":
		c.who(l)
	case "WHOIS":
		c.whois(l)
	case "AWAY":
		c.away(l)
	case "PRIVMSG", "NOTICE":
		c.privmsg(l)
	case "LIST":
		c.list(l)
	case "CHATHISTORY":
		c.chathistory(l)
	case "MARKREAD":
		c.markRead(l)
	case "TAGMSG":
		c.tagmsg(l)
	case "WHOWAS":
		c.whowas(l)
	case "HELP", "HELPOP":
		c.help(l)
	case "ISON":
		c.ison(l)
	case "INVITE":
		c.invite(l)
	case "KICK":
		c.kick(l)
	case "MONITOR":
		c.monitorCmd(l)
	default:
		if !c.info(l) && !c.serverCommand(l) {
			c.numeric("421", l.Command, "Unknown command")
		}
	}
}

func (c *client) need(l Line, n int) bool {
	if len(l.Params) < n {
		c.numeric("461", l.Command, "Not enough parameters")
		return false
	}
	return true
}

func ctxShort() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// roomOf returns wg's room name (with the backend's spelling).
func (s *Server) roomOf(wg, name string) (Room, bool) {
	rooms, err := s.cfg.Backend.Rooms(wg)
	if err != nil {
		return Room{}, false
	}
	for _, r := range rooms {
		if equalFold(r.Name, name) {
			return r, true
		}
	}
	return Room{}, false
}

// join joins (creating when missing) each room named; every client of
// this node sees the JOIN.
func (c *client) join(l Line) {
	s := c.s
	if !c.need(l, 1) {
		return
	}
	if l.Params[0] == "0" {
		for _, ref := range c.allChannels() {
			c.partRoom(ref, "")
		}
		return
	}
	for _, name := range strings.Split(l.Params[0], ",") {
		if name == "" {
			continue // "#a,,#b": no channel named
		}
		ref, ok := s.parseChan(name)
		if !ok || len(name) > chanLen {
			c.numeric("403", name, "No such channel: use #room or #room@workgroup")
			continue
		}
		ctx, cancel := ctxShort()
		var err error
		if r, exists := s.roomOf(ref.WG, ref.Room); exists {
			ref.Room = r.Name
			_, err = s.cfg.Backend.JoinRoom(ctx, ref.WG, r.Name)
		} else {
			var r Room
			ref.Room = fold(ref.Room) // rooms are lower case; CASEMAPPING=ascii
			if !newRoomName(ref.Room) {
				cancel()
				c.numeric("476", name, "Bad channel name: a room name is 1 to 64 of a-z, 0-9, - _ . (starting with a letter or digit)")
				continue
			}
			if r, err = s.cfg.Backend.CreateRoom(ctx, ref.WG, ref.Room, "", nil); err == nil && !r.Joined {
				_, err = s.cfg.Backend.JoinRoom(ctx, ref.WG, ref.Room)
			}
		}
		cancel()
		if err != nil {
			c.numeric("473", ref.Name, "Cannot join channel: "+err.Error())
			continue
		}
		ref.Name = s.chanName(ref.WG, ref.Room)
		for _, o := range s.registered() {
			if !o.inChannel(ref.Name) {
				s.joinBurst(o, ref, true)
			}
		}
	}
}

// joinBurst tells c it joined ref: JOIN, topic, names; with playback,
// the messages c missed (for clients without draft/chathistory).
func (s *Server) joinBurst(c *client, ref chanRef, playback bool) {
	c.mu.Lock()
	c.channels[fold(ref.Name)] = ref
	nick := c.nick
	c.mu.Unlock()
	join := Line{Source: userhost(nick), Command: "JOIN", Params: []string{ref.Name}}
	if c.has("extended-join") {
		// The account is the nick (every member is logged in), the
		// real name WHOIS's.
		me, ok := s.self(ref.WG)
		if !ok {
			me.Name = nick
		}
		join.Params = append(join.Params, nick, s.realName(ref.WG, me))
	}
	c.send(join)
	s.sendTopic(c, ref, false)
	if c.has("no-implicit-names") || c.has("draft/no-implicit-names") {
		s.tellReadMark(c, ref) // no NAMES reply (353, 366) after the JOIN
	} else {
		s.nameLines(c, ref)
		s.tellReadMark(c, ref) // draft/read-marker: before 366
		c.numeric("366", ref.Name, "End of /NAMES list")
	}
	if playback && !c.has("draft/chathistory") {
		s.playback(c, ref)
	}
}

func (s *Server) sendTopic(c *client, ref chanRef, asked bool) {
	r, ok := s.roomOf(ref.WG, ref.Room)
	switch {
	case !ok:
		if asked {
			c.numeric("403", ref.Name, "No such channel")
		}
	case r.Topic == "":
		c.numeric("331", ref.Name, "No topic is set")
	default:
		c.numeric("332", ref.Name, r.Topic)
		if !r.Created.IsZero() {
			c.numeric("333", ref.Name, serverName, strconv.FormatInt(r.Created.Unix(), 10))
		}
	}
}

// prefixOf is a member's channel prefixes: @ for an admin, + for a
// present member; only the highest without multi-prefix.
func prefixOf(m Member, multi bool) string {
	p := ""
	if m.Admin {
		p = "@"
	}
	if m.State != Offline && m.State != "" && (multi || p == "") {
		p += "+"
	}
	return p
}

// names is 353 and 366 for ref.
func (s *Server) names(c *client, ref chanRef) {
	s.nameLines(c, ref)
	c.numeric("366", ref.Name, "End of /NAMES list")
}

// nameLines is the 353 lines for ref.
func (s *Server) nameLines(c *client, ref chanRef) {
	names := s.roomMembers(c, ref)
	multi, full := c.has("multi-prefix"), c.has("userhost-in-names")
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(fold(a), fold(b)) })
	var items []string
	for _, n := range names {
		m, ok := s.cfg.Backend.Member(ref.WG, n)
		if !ok {
			continue
		}
		nick := s.nickOf(ref.WG, m.Name)
		if full {
			nick = userhost(nick) // userhost-in-names: nick!user@host
		}
		items = append(items, prefixOf(m, multi)+nick)
	}
	c.packed("353", " ", items, "=", ref.Name)
}

// packed sends numeric code with params, then items joined by sep as
// its last parameter: as many items a line as fit in MaxLine, at least
// one (NAMES' 353, MONITOR's 730-732).
func (c *client) packed(code, sep string, items []string, params ...string) {
	head := ":" + serverName + " " + code + " " + c.selfNick() + " "
	for _, p := range params {
		head += p + " "
	}
	max := MaxLine - len(head+":") - 2
	for len(items) > 0 {
		n, size := 0, 0
		for n < len(items) && size+len(items[n])+1 <= max {
			size += len(items[n]) + 1
			n++
		}
		n = max1(n)
		c.numeric(code, append(params[:len(params):len(params)], strings.Join(items[:n], sep))...)
		items = items[n:]
	}
}

// roomMembers is the room's members as the backend knows them, this
// node's member included when client c is in the channel (chat lists
// the members it hears on the room's topic, which takes a moment after
// a join).
func (s *Server) roomMembers(c *client, ref chanRef) []string {
	names, _ := s.cfg.Backend.RoomMembers(ref.WG, ref.Room)
	if me, ok := s.self(ref.WG); ok && c.inChannel(ref.Name) && !containsFold(names, me.Name) {
		names = append(names, me.Name)
	}
	return names
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func (c *client) part(l Line) {
	if !c.need(l, 1) {
		return
	}
	for _, name := range strings.Split(l.Params[0], ",") {
		if name == "" {
			continue
		}
		ref, ok := c.s.parseChan(name)
		if !ok || !c.inChannel(ref.Name) {
			if _, exists := c.s.roomOf(ref.WG, ref.Room); !ok || !exists {
				c.numeric("403", name, "No such channel")
			} else {
				c.numeric("442", name, "You're not on that channel")
			}
			continue
		}
		c.partRoom(ref, l.Param(1))
	}
}

// partRoom leaves the room; every client of this node sees the PART.
func (c *client) partRoom(ref chanRef, reason string) {
	s := c.s
	ctx, cancel := ctxShort()
	err := s.cfg.Backend.LeaveRoom(ctx, ref.WG, ref.Room)
	cancel()
	if err != nil {
		c.numeric("442", ref.Name, "Cannot leave: "+err.Error())
		return
	}
	params := []string{ref.Name}
	if reason != "" {
		params = append(params, reason)
	}
	for _, o := range s.registered() {
		if o.inChannel(ref.Name) {
			o.mu.Lock()
			delete(o.channels, fold(ref.Name))
			nick := o.nick
			o.mu.Unlock()
			o.send(Line{Source: userhost(nick), Command: "PART", Params: params})
		}
	}
}

func (c *client) topic(l Line) {
	s := c.s
	if !c.need(l, 1) {
		return
	}
	ref, ok := s.parseChan(l.Params[0])
	if !ok {
		c.numeric("403", l.Params[0], "No such channel")
		return
	}
	if len(l.Params) < 2 {
		s.sendTopic(c, ref, true)
		return
	}
	if _, exists := s.roomOf(ref.WG, ref.Room); !exists {
		c.numeric("403", l.Params[0], "No such channel")
		return
	}
	if !c.inChannel(ref.Name) {
		c.numeric("442", ref.Name, "You're not on that channel")
		return
	}
	topic := cutText(l.Params[1], topicLen)
	ctx, cancel := ctxShort()
	err := s.cfg.Backend.SetTopic(ctx, ref.WG, ref.Room, topic)
	cancel()
	if err != nil {
		c.numeric("482", ref.Name, "Cannot set the topic: "+err.Error())
		return
	}
	for _, o := range s.registered() {
		if o.inChannel(ref.Name) {
			o.send(Line{Source: userhost(o.selfNick()), Command: "TOPIC", Params: []string{ref.Name, topic}})
		}
	}
}

func (c *client) mode(l Line) {
	s := c.s
	if !c.need(l, 1) {
		return
	}
	target := l.Params[0]
	if !strings.HasPrefix(target, "#") {
		if !equalFold(target, c.selfNick()) {
			if _, _, ok := s.resolveNick(target); !ok {
				c.numeric("401", target, "No such nick/channel")
				return
			}
			c.numeric("502", "Cannot change mode for other users")
			return
		}
		c.userMode(l)
		return
	}
	ref, ok := s.parseChan(target)
	r, exists := s.roomOf(ref.WG, ref.Room)
	if !ok || !exists {
		c.numeric("403", target, "No such channel")
		return
	}
	switch {
	case len(l.Params) == 1:
		c.numeric("324", ref.Name, "+nt")
		if !r.Created.IsZero() {
			c.numeric("329", ref.Name, strconv.FormatInt(r.Created.Unix(), 10))
		}
	case len(l.Params) == 2 && strings.Trim(l.Params[1], "+b") == "": // the ban list asked
		c.numeric("368", ref.Name, "End of channel ban list")
	default:
		if ch, ok := unknownMode(l.Params[1]); ok {
			c.numeric("472", ch, "is unknown mode char to me")
			return
		}
		c.numeric("482", ref.Name, "Room access is set with peerhood room commands, not modes")
	}
}

// unknownMode returns the first mode character of modes that is no
// channel mode of the gateway (CHANMODES=b,,,nt and PREFIX's o, v).
func unknownMode(modes string) (string, bool) {
	for _, r := range modes {
		if !strings.ContainsRune("+-bntov", r) {
			return string(r), true
		}
	}
	return "", false
}

// list answers LIST [elist] with 321, a 322 per room, 323. elist is a
// comma-separated list of channel names, masks with * and ? (ELIST=M)
// and user counts >N, <N (ELIST=U); a room is listed when it matches
// one name or mask (none given: any) and every count.
func (c *client) list(l Line) {
	s := c.s
	var names, masks []string
	var counts []string
	for _, n := range strings.Split(l.Param(0), ",") {
		switch {
		case n == "":
		case n[0] == '>' || n[0] == '<':
			counts = append(counts, n)
		case strings.ContainsAny(n, "*?"):
			masks = append(masks, n)
		default:
			if ref, ok := s.parseChan(n); ok {
				names = append(names, ref.Name)
			} else {
				names = append(names, n) // matches nothing
			}
		}
	}
	c.numeric("321", "Channel", "Users  Name")
	for _, w := range s.cfg.Backend.Workgroups() {
		rooms, err := s.cfg.Backend.Rooms(w.ID)
		if err != nil {
			continue
		}
		for _, r := range rooms {
			name := s.chanName(w.ID, r.Name)
			if strings.ContainsAny(r.Name, " ,\x07") {
				continue // not reachable as a channel
			}
			if len(names)+len(masks) > 0 && !slices.ContainsFunc(names, func(n string) bool { return equalFold(n, name) }) &&
				!slices.ContainsFunc(masks, func(m string) bool { return globFold(m, name) }) {
				continue
			}
			members, _ := s.cfg.Backend.RoomMembers(w.ID, r.Name)
			if !slices.ContainsFunc(counts, func(cond string) bool { return !countMatches(cond, len(members)) }) {
				c.numeric("322", name, strconv.Itoa(len(members)), r.Topic)
			}
		}
	}
	c.numeric("323", "End of /LIST")
}

// countMatches reports whether n users satisfy ">N" or "<N" (a bad
// number matches nothing).
func countMatches(cond string, n int) bool {
	v, err := strconv.Atoi(cond[1:])
	if err != nil {
		return false
	}
	if cond[0] == '>' {
		return n > v
	}
	return n < v
}

// globFold matches name against mask (* any run, ? one byte),
// ignoring ASCII case. Iterative, backtracking only to the last '*':
// O(len(mask)*len(name)) whatever the mask.
func globFold(mask, name string) bool {
	mask, name = fold(mask), fold(name)
	m, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case m < len(mask) && (mask[m] == '?' || mask[m] == name[n]):
			m++
			n++
		case m < len(mask) && mask[m] == '*':
			star, mark = m, n
			m++
		case star >= 0:
			mark++
			m, n = star+1, mark
		default:
			return false
		}
	}
	for m < len(mask) && mask[m] == '*' {
		m++
	}
	return m == len(mask)
}

// ison answers 303 with the nicks asked that are present.
func (c *client) ison(l Line) {
	if !c.need(l, 1) {
		return
	}
	var on []string
	for _, p := range l.Params {
		for _, nick := range strings.Fields(p) {
			if _, m, ok := c.s.resolveNick(nick); ok && m.State != Offline && m.State != "" {
				on = append(on, nick)
			}
		}
	}
	c.numeric("303", strings.Join(on, " "))
}

// newRoomName reports whether name (lower case) is a name chat gives a
// new room (chat.ValidRoom's rule): 1 to 64 of a-z, 0-9, and - _ . after
// the first. A JOIN creating anything else is 476 (ERR_BADCHANMASK),
// not a refusal that reads like an invite-only channel.
func newRoomName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("-_.", r))) {
			return false
		}
	}
	return true
}
