package ircgw

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// whoLine is one reply for member m of wg in channel chanName ("*"):
// 352, or 354 with the fields x asks (WHOX; nil: 352).
func (s *Server) whoLine(c *client, wg, chanName string, m Member, x *whox) {
	nick := s.nickOf(wg, m.Name)
	if m.Self {
		nick = c.selfNick()
	}
	flags := "H"
	if m.State != Online && m.State != "" {
		flags = "G"
	}
	if chanName != "*" {
		flags += prefixOf(m, c.has("multi-prefix"))
	}
	user := strings.SplitN(nick, "/", 2)[0]
	if x == nil {
		c.numeric("352", chanName, user, "peerhood", serverName, nick, flags, "0 "+s.realName(wg, m))
		return
	}
	// The fields in WHOX's order, whatever the order asked.
	var ps []string
	for _, f := range whoxFields {
		if !strings.ContainsRune(x.fields, f) {
			continue
		}
		var v string
		switch f {
		case 't':
			v = x.token
		case 'c':
			v = chanName
		case 'u':
			v = user
		case 'i':
			v = "255.255.255.255" // no address: members are peers, not hosts
		case 'h':
			v = "peerhood"
		case 's':
			v = serverName
		case 'n':
			v = nick
		case 'f':
			v = flags
		case 'd', 'l':
			v = "0" // hops, idle seconds
		case 'a':
			v = nick // the account: every member is logged in as its nick
		case 'o':
			v = "n/a"
		case 'r':
			v = s.realName(wg, m)
		}
		ps = append(ps, v)
	}
	c.numeric("354", ps...)
}

// whox is a WHOX request: WHO mask %fields[,token].
type whox struct {
	fields string
	token  string
}

// whoxFields are the WHOX fields in the order 354 gives them.
const whoxFields = "tcuihsnfdlaor"

// parseWhox reads WHO's second parameter: nil when it asks no WHOX.
// The token is kept when it is 1 to 3 digits, else "0".
func parseWhox(p string) *whox {
	spec, ok := strings.CutPrefix(p, "%")
	if !ok {
		return nil
	}
	fields, token, _ := strings.Cut(spec, ",")
	if token == "" || len(token) > 3 || strings.Trim(token, "0123456789") != "" {
		token = "0"
	}
	return &whox{fields: fields, token: token}
}

func (s *Server) realName(wg string, m Member) string {
	if m.RealName != "" {
		return m.RealName
	}
	for _, w := range s.cfg.Backend.Workgroups() {
		if w.ID == wg {
			return m.Name + " of " + w.Name
		}
	}
	return m.Name
}

func (c *client) who(l Line) {
	s := c.s
	mask := l.Param(0)
	x := parseWhox(l.Param(1))
	switch {
	case strings.HasPrefix(mask, "#"):
		if ref, ok := s.parseChan(mask); ok {
			for _, n := range s.roomMembers(c, ref) {
				if m, ok := s.cfg.Backend.Member(ref.WG, n); ok {
					s.whoLine(c, ref.WG, ref.Name, m, x)
				}
			}
		}
	case mask == "" || mask == "*" || mask == "0":
		// Every member of every workgroup: the roster, with presence.
		for _, w := range s.cfg.Backend.Workgroups() {
			for _, m := range s.cfg.Backend.Members(w.ID) {
				s.whoLine(c, w.ID, "*", m, x)
			}
		}
	case strings.ContainsAny(mask, "*?"):
		// A nick mask: every member whose nick matches.
		for _, w := range s.cfg.Backend.Workgroups() {
			for _, m := range s.cfg.Backend.Members(w.ID) {
				if globFold(mask, s.nickOf(w.ID, m.Name)) {
					s.whoLine(c, w.ID, "*", m, x)
				}
			}
		}
	default:
		if wg, m, ok := s.resolveNick(mask); ok {
			s.whoLine(c, wg, "*", m, x)
		}
	}
	c.numeric("315", or(mask, "*"), "End of /WHO list")
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c *client) whois(l Line) {
	s := c.s
	if l.Param(0) == "" {
		c.numeric("431", "No nickname given") // modern.ircdocs.horse: not 461
		return
	}
	nick := l.Params[len(l.Params)-1] // WHOIS [server] nick
	nick = strings.SplitN(nick, ",", 2)[0]
	wg, m, ok := s.resolveNick(nick)
	if !ok {
		c.numeric("401", nick, "No such nick/channel")
		c.numeric("318", nick, "End of /WHOIS list")
		return
	}
	shown := s.nickOf(wg, m.Name)
	c.numeric("311", shown, strings.SplitN(shown, "/", 2)[0], "peerhood", "*", s.realName(wg, m))
	var chans []string
	for _, ref := range c.channelsOf(wg) {
		if names, err := s.cfg.Backend.RoomMembers(wg, ref.Room); err == nil && containsFold(names, m.Name) {
			chans = append(chans, prefixOf(m, c.has("multi-prefix"))+ref.Name)
		}
	}
	if len(chans) > 0 {
		c.numeric("319", shown, strings.Join(chans, " "))
	}
	c.numeric("312", shown, serverName, "peerhood workgroup "+s.tagOfID(wg)+" (peer "+m.PeerID+")")
	if m.Admin {
		c.numeric("313", shown, "is an admin of the workgroup")
	}
	c.numeric("330", shown, shown, "is logged in as") // every member is, as its nick
	if m.State != Online && m.State != "" {
		c.numeric("301", shown, awayText(m.State, m.Text))
	}
	c.numeric("318", shown, "End of /WHOIS list")
}

// away sets this node's presence; every client of it is told.
func (c *client) away(l Line) {
	s := c.s
	text := cutText(l.Param(0), awayLen)
	// Marked told first: the presence.changed event this causes, however
	// early it comes, then tells only the node's other clients.
	c.mu.Lock()
	was := c.toldAway
	c.toldAway = text != ""
	c.mu.Unlock()
	ctx, cancel := ctxShort()
	err := s.cfg.Backend.SetAway(ctx, text != "", text)
	cancel()
	if err != nil {
		c.mu.Lock()
		c.toldAway = was
		c.mu.Unlock()
		c.fail("AWAY", "CANNOT_SET", nil, "Cannot set your presence: "+err.Error())
		return
	}
	if text != "" {
		c.numeric("306", "You have been marked as being away")
	} else {
		c.numeric("305", "You are no longer marked as being away")
	}
}

// privmsg sends to channels (rooms) and nicks (direct messages).
func (c *client) privmsg(l Line) {
	notice := l.Command == "NOTICE"
	if len(l.Params) < 1 {
		if !notice {
			c.numeric("411", "No recipient given (PRIVMSG)")
		}
		return
	}
	if len(l.Params) < 2 || l.Params[1] == "" {
		if !notice {
			c.numeric("412", "No text to send")
		}
		return
	}
	targets := strings.Split(l.Params[0], ",")
	if len(targets) > 4 {
		c.numeric("407", l.Params[0], "Too many recipients (at most 4)")
		return
	}
	// A message to the client's own nick comes back to the node's
	// clients, as on any IRC server; chat has no notes to self, so it
	// is not kept.
	tags := clientOnlyTags(l.Tags)
	// +draft/reply is chat's parent when it names a message chat keeps;
	// otherwise (and on a message chat does not keep) it goes as the
	// client's tag, live only, the message sent all the same.
	reply, hasReply := l.Get("+draft/reply")
	rawTags := tags
	if hasReply {
		rawTags = append(slices.Clone(tags), Tag{Key: "+draft/reply", Value: reply})
	}
	targets = slices.DeleteFunc(targets, func(target string) bool {
		if _, m, ok := c.s.resolveNick(target); !strings.HasPrefix(target, "#") && ok && m.Self {
			c.toSelf(l.Command, l.Params[1], rawTags)
			return true
		}
		return false
	})
	text := l.Params[1]
	if action, ok := strings.CutPrefix(text, "\x01ACTION "); ok {
		text = "/me " + strings.TrimSuffix(action, "\x01") // chat's spelling of an action
	} else if strings.HasPrefix(text, "\x01") {
		return // CTCP queries are not carried
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	opt := SendOptions{Notice: notice}
	if hasReply {
		if parent, ok := c.s.chatParent(reply); ok {
			opt.Parent = parent
		} else {
			tags = rawTags
		}
	}
	for _, target := range targets {
		c.sendTo(target, text, tags, opt, notice)
	}
}

// toSelf gives a PRIVMSG or NOTICE to this node's own nick to every
// client of the node, the sender included (it is the recipient).
func (c *client) toSelf(cmd, text string, clientTags []Tag) {
	at := time.Now().UTC()
	now := at.Format(timeFormat)
	// Not kept, but a message all the same: its msgid (message-ids)
	// is unique, of this instant and the gateway's count.
	id := ircMsgID(Message{ID: "self." + strconv.FormatUint(c.s.selfSeq.Add(1), 36), Time: at})
	for _, o := range c.s.registered() {
		var tags []Tag
		if o.has("server-time") {
			tags = append(tags, Tag{Key: "time", Value: now})
		}
		if o.has("message-tags") {
			tags = append(tags, Tag{Key: "msgid", Value: id})
			tags = append(tags, clientTags...)
		}
		nick := o.selfNick()
		l := Line{Tags: tags, Source: userhost(nick), Command: cmd, Params: []string{nick, text}}
		// The sender is the recipient: what it gets is the delivery,
		// never labeled (labeled-response); with echo-message the echo
		// comes too, the command's answer (labeled when it is): two equal
		// lines, as a server sends them (irctest's testMessagesToSelf).
		o.sendAside(l)
		if o == c && c.has("echo-message") {
			o.send(l)
		}
	}
}

// clientOnlyTags are a client's line's client-only tags, as they are
// relayed (message-tags), but +draft/reply: chat carries it as the
// message's parent, written back as the parent's msgid.
func clientOnlyTags(tags []Tag) []Tag {
	var out []Tag
	for _, t := range tags {
		if strings.HasPrefix(t.Key, "+") && t.Key != "+draft/reply" {
			out = append(out, Tag{Key: t.Key, Value: strings.ToValidUTF8(t.Value, "\uFFFD")})
		}
	}
	return out
}

func (c *client) sendTo(target, text string, tags []Tag, opt SendOptions, notice bool) {
	s := c.s
	p := &pendingSend{origin: c, text: text, tags: tags}
	if strings.HasPrefix(target, "#") {
		ref, ok := s.parseChan(target)
		if !ok {
			if !notice {
				c.numeric("403", target, "No such channel")
			}
			return
		}
		if !c.inChannel(ref.Name) {
			if _, exists := s.roomOf(ref.WG, ref.Room); !exists && !notice {
				c.numeric("403", target, "No such channel")
			} else if !notice {
				c.numeric("404", target, "Cannot send to channel: join it first")
			}
			return
		}
		ref = c.channelRef(ref.Name)
		p.wg, p.room = ref.WG, ref.Room
	} else {
		wg, m, ok := s.resolveNick(target)
		if !ok {
			if !notice {
				c.numeric("401", target, "No such nick/channel")
			}
			return
		}
		p.wg, p.target = wg, m.Name
		if m.State != Online && m.State != "" && !m.Self && !notice {
			c.numeric("301", s.nickOf(wg, m.Name), awayText(m.State, m.Text))
		}
	}
	forget := s.addPending(p)
	ctx, cancel := ctxShort()
	var m Message
	var err error
	if p.room != "" {
		m, err = s.cfg.Backend.Say(ctx, p.wg, p.room, text, opt)
	} else {
		m, err = s.cfg.Backend.Direct(ctx, p.wg, p.target, text, opt)
	}
	cancel()
	if err != nil {
		if other := forget(); other != nil {
			s.sendMessageAside(c, *other) // published all the same: the hub skipped c
		}
		if !notice { // no error ever answers a NOTICE (RFC 1459 4.4.2)
			c.failBesides("PRIVMSG", "CANNOT_SEND", []string{target}, err.Error())
			c.numeric("404", target, "Cannot send: "+err.Error())
		}
		return
	}
	// Delivered before the pending send is forgotten: the bus's copy,
	// whenever it comes, is then either matched to c or already seen.
	s.deliver(m, p)
	if other := forget(); other != nil && other.ID != m.ID {
		// The hub took another message of the same text (another
		// client's of this node) for this send's and skipped this
		// client: it gets it now.
		s.sendMessageAside(c, *other)
	}
}

func (c *client) channelRef(name string) chanRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.channels[fold(name)]
}

func (c *client) allChannels() []chanRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]chanRef, 0, len(c.channels))
	for _, r := range c.channels {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b chanRef) int { return strings.Compare(fold(a.Name), fold(b.Name)) }) // JOIN 0's PARTs in order
	return out
}

// autoJoin gives a newly registered client the rooms this node is in.
func (s *Server) autoJoin(c *client) {
	for _, w := range s.cfg.Backend.Workgroups() {
		rooms, err := s.cfg.Backend.Rooms(w.ID)
		if err != nil {
			continue
		}
		for _, r := range rooms {
			if r.Joined && !strings.ContainsAny(r.Name, " ,\x07") {
				s.joinBurst(c, chanRef{Name: s.chanName(w.ID, r.Name), WG: w.ID, Room: r.Name}, true)
			}
		}
	}
}
