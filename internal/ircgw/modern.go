package ircgw

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peerhood/peerhood/internal/version"
)

// Commands a client or a conformance suite may send that have no
// meaning on a one-member gateway, answered the way
// modern.ircdocs.horse describes rather than with 421: WHOWAS, HELP,
// INFO, ADMIN, LINKS, STATS, the operator commands (491/481), user
// modes, TAGMSG.

// whowas answers WHOWAS nick [count]: nicks never change here, so a
// member's entry is the member (314, 312), anything else 406; 369 ends
// the reply either way.
func (c *client) whowas(l Line) {
	if l.Param(0) == "" {
		c.numeric("431", "No nickname given")
		return
	}
	nick := strings.SplitN(l.Params[0], ",", 2)[0]
	if wg, m, ok := c.s.resolveNick(nick); ok {
		shown := c.s.nickOf(wg, m.Name)
		c.numeric("314", shown, strings.SplitN(shown, "/", 2)[0], "peerhood", "*", c.s.realName(wg, m))
		c.numeric("312", shown, serverName, "peerhood workgroup "+c.s.tagOfID(wg))
	} else {
		c.numeric("406", nick, "There was no such nickname")
	}
	c.numeric("369", nick, "End of WHOWAS")
}

// helpTopics is HELP's text per command.
var helpTopics = map[string][]string{
	"*": {"peerhood IRC gateway: your workgroup's chat rooms are channels, members are nicks.",
		"#room is a room of the default workgroup, #room@workgroup one of another; name/workgroup a member of another.",
		"HELP <command> for one command: JOIN PART PRIVMSG NOTICE TOPIC NAMES LIST WHO WHOIS AWAY INVITE KICK MONITOR CHATHISTORY MARKREAD."},
	"JOIN":        {"JOIN #room[,#room...]: joins the rooms, creating those missing (names: a-z, 0-9, - _ .). JOIN 0 leaves all."},
	"PART":        {"PART #room [reason]: leaves the room (on every client of this node)."},
	"PRIVMSG":     {"PRIVMSG target :text: a room message (#room) or a direct message (nick). Up to 4 targets."},
	"NOTICE":      {"NOTICE target :text: as PRIVMSG, shown as a notice; never answered with an error."},
	"TOPIC":       {"TOPIC #room [:topic]: shows or sets the room's topic."},
	"NAMES":       {"NAMES #room: the room's members; @ a workgroup admin, + a member online."},
	"LIST":        {"LIST [#room|mask|>N|<N,...]: the rooms of every workgroup."},
	"WHO":         {"WHO [#room|nick|mask] [%fields[,token]]: members with their presence (H here, G away); with %fields, WHOX's 354."},
	"WHOIS":       {"WHOIS nick: a member, its workgroup, peer and presence."},
	"AWAY":        {"AWAY [:text]: sets this node's presence to away, or back to online without text."},
	"INVITE":      {"INVITE nick #room: lets a member into a restricted room (its creator or an admin)."},
	"KICK":        {"KICK #room nick [reason]: removes a member from a restricted room's list."},
	"MONITOR":     {"MONITOR + nicks | - nicks | C | L | S: be told (730 online, 731 offline) when members come online or go offline."},
	"CHATHISTORY": {"CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN target ...: older messages (draft/chathistory)."},
	"MARKREAD":    {"MARKREAD target [timestamp=T]: the last message read (draft/read-marker)."},
}

// help answers HELP [subject] with 704, 705..., 706, or 524.
func (c *client) help(l Line) {
	subject := strings.ToUpper(l.Param(0))
	if subject == "" {
		subject = "*"
	}
	text, ok := helpTopics[subject]
	if !ok {
		c.numeric("524", middle(l.Param(0)), "No help available on this topic")
		return
	}
	for i, t := range text {
		code := "705"
		if i == 0 {
			code = "704"
		}
		c.numeric(code, subject, t)
	}
	c.numeric("706", subject, "End of /HELP")
}

// serverCommand answers the commands about servers and operators;
// false for another command.
func (c *client) serverCommand(l Line) bool {
	// A server name other than this one's is 402 (INFO, ADMIN, STATS
	// and LINKS take one; a mask matching it is this server).
	other := func(i int) bool {
		t := l.Param(i)
		if t == "" || globFold(t, serverName) {
			return false
		}
		c.numeric("402", middle(t), "No such server")
		return true
	}
	switch l.Command {
	case "INFO":
		if other(0) {
			break
		}
		for _, t := range []string{"peerhood " + version.String() + ": the IRC gateway of a peerhood node.",
			"Every client of this node is the same member; messages are the workgroup's chat."} {
			c.numeric("371", t)
		}
		c.numeric("374", "End of INFO list")
	case "ADMIN":
		if other(0) {
			break
		}
		c.numeric("256", serverName, "Administrative info")
		c.numeric("257", "This node's own gateway, on the loopback")
		c.numeric("258", "Run by the node's owner")
		c.numeric("259", "-")
	case "LINKS":
		if other(len(l.Params) - 1) {
			break
		}
		c.numeric("364", serverName, serverName, "0 peerhood IRC gateway")
		c.numeric("365", "*", "End of /LINKS list")
	case "STATS":
		if l.Param(0) == "" {
			c.numeric("461", "STATS", "Not enough parameters")
			break
		}
		if other(1) {
			break
		}
		c.numeric("219", middle(l.Params[0][:1]), "End of /STATS report")
	case "OPER":
		if c.need(l, 2) {
			c.numeric("491", "No O-lines for your host: the gateway has no operators")
		}
	case "KILL", "WALLOPS", "CONNECT", "SQUIT", "REHASH", "RESTART", "DIE", "KLINE", "GLINE":
		c.numeric("481", "Permission Denied- You're not an IRC operator")
	case "USERS":
		c.numeric("446", "USERS has been disabled")
	case "SUMMON":
		c.numeric("445", "SUMMON has been disabled")
	default:
		return false
	}
	return true
}

// userModes are the user modes a client may set (004): they change
// nothing but what MODE answers.
const userModes = "iw"

// userMode answers MODE on the client's own nick: 221 with no change
// asked, else a MODE line with what changed (501 for an unknown mode).
func (c *client) userMode(l Line) {
	c.mu.Lock()
	cur := c.umodes
	c.mu.Unlock()
	if len(l.Params) == 1 {
		c.numeric("221", "+"+cur)
		return
	}
	add, unknown := true, false
	var changes strings.Builder
	sign := byte(0)
	for i := 0; i < len(l.Params[1]); i++ {
		m := l.Params[1][i]
		switch {
		case m == '+' || m == '-':
			add = m == '+'
			continue
		case !strings.ContainsRune(userModes, rune(m)):
			unknown = true
			continue
		}
		has := strings.IndexByte(cur, m) >= 0
		if has == add {
			continue
		}
		if add {
			cur += string(m)
		} else {
			cur = strings.ReplaceAll(cur, string(m), "")
		}
		want := byte('-')
		if add {
			want = '+'
		}
		if sign != want {
			sign = want
			changes.WriteByte(want)
		}
		changes.WriteByte(m)
	}
	b := []byte(cur)
	slices.Sort(b)
	c.mu.Lock()
	c.umodes = string(b)
	nick := c.nick
	c.mu.Unlock()
	if unknown {
		c.numeric("501", "Unknown MODE flag")
	}
	if changes.Len() > 0 {
		c.send(Line{Source: userhost(nick), Command: "MODE", Params: []string{nick, changes.String()}})
	}
}

// tagmsg carries a TAGMSG's client-only tags (+typing, +draft/react...)
// to this node's other clients with message-tags in the channel (or all
// of them for a nick), and back to the sender with echo-message. Chat
// keeps no tags: other members never see them. Errors as for PRIVMSG.
func (c *client) tagmsg(l Line) {
	if !c.need(l, 1) {
		return
	}
	var tags []Tag
	for _, t := range l.Tags {
		if strings.HasPrefix(t.Key, "+") {
			tags = append(tags, Tag{Key: t.Key, Value: strings.ToValidUTF8(t.Value, "\uFFFD")})
		}
	}
	targets := strings.Split(l.Params[0], ",")
	if len(targets) > 4 {
		c.numeric("407", l.Params[0], "Too many recipients (at most 4)")
		return
	}
	s := c.s
	for _, target := range targets {
		inChan := ""
		if strings.HasPrefix(target, "#") {
			ref, ok := s.parseChan(target)
			if !ok {
				c.numeric("403", target, "No such channel")
				continue
			}
			if !c.inChannel(ref.Name) {
				if _, exists := s.roomOf(ref.WG, ref.Room); !exists {
					c.numeric("403", target, "No such channel")
				} else {
					c.numeric("404", target, "Cannot send to channel: join it first")
				}
				continue
			}
			target, inChan = ref.Name, ref.Name
		} else {
			wg, m, ok := s.resolveNick(target)
			if !ok {
				c.numeric("401", target, "No such nick/channel")
				continue
			}
			target = s.nickOf(wg, m.Name)
		}
		at := time.Now().UTC()
		now := at.Format(timeFormat)
		// Not kept, but a message with its msgid (message-ids), unique as
		// a message's to the node's own nick is: of this instant and the
		// gateway's count; the echo and every delivery share it.
		id := ircMsgID(Message{ID: "tag." + strconv.FormatUint(s.selfSeq.Add(1), 36), Time: at})
		for _, o := range s.registered() {
			if !o.has("message-tags") || o == c && !o.has("echo-message") || inChan != "" && !o.inChannel(inChan) {
				continue
			}
			ot := append([]Tag{{Key: "msgid", Value: id}}, tags...)
			if o.has("server-time") {
				ot = append(ot, Tag{Key: "time", Value: now})
			}
			o.send(Line{Tags: ot, Source: userhost(o.selfNick()), Command: "TAGMSG", Params: []string{target}})
		}
	}
}
